/**
 * POST /api/v1/ingest: a sensor's batch, `{"events":[…]}` or NDJSON (one event per line),
 * optionally gzip-encoded. Every event is checked with the EVE schemas of events/eve.ts and
 * must carry minewatch.event_id; one bad event refuses the batch with a reason per bad event
 * (400, nothing stored: the sender drops or fixes those and resends). Over the sensor's rate
 * or with too many batches already being written: 429 with Retry-After. The answer
 * {accepted, duplicates} comes only when the sink says the batch is durable.
 */
import { randomUUID } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { AnyEveEvent } from '../../events/eve.js';
import { compileEveValidator, type EveValidator } from '../../events/eve-validator.js';
import { MinewatchError } from '../../util/errors.js';
import type { StoredEvent } from '../../store/contract.js';
import type { FastifyRequest } from 'fastify';
import { HttpError, route, type ServerContext } from '../route.js';

/** A line of an NDJSON body that is not JSON (reported with the per-event reasons). */
export class BadLine {
  constructor(readonly reason: string) {}
}

/** NDJSON → {events}; empty lines are skipped, unparseable ones kept as BadLine. */
export function parseNdjson(text: string): { events: unknown[] } {
  const events: unknown[] = [];
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (line === '') continue;
    try {
      events.push(JSON.parse(line) as unknown);
    } catch (err) {
      events.push(new BadLine(`not JSON: ${(err as Error).message.slice(0, 120)}`));
    }
  }
  return { events };
}

export const MAX_EVENT_DEPTH = 32;
const EARLIEST = Date.UTC(2000, 0, 1);

/** Deeper than `max` levels of objects/arrays (iterative: a hostile nesting cannot overflow the stack). */
function tooDeep(v: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[v, 1]];
  let visited = 0;
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > max || ++visited > 100_000) return true;
    for (const c of Array.isArray(x) ? x : Object.values(x as object)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return false;
}

let shared: EveValidator | null = null;
/** The compiled EVE validator (compiled on the first call; ingestRoutes does it at start-up). */
export function eveValidator(): EveValidator {
  shared ??= compileEveValidator();
  return shared;
}

/** Reasons an event cannot be stored (empty when it can). */
export function eventProblems(e: unknown, now = Date.now()): string[] {
  if (e instanceof BadLine) return [e.reason];
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return ['an event must be a JSON object'];
  if (tooDeep(e, MAX_EVENT_DEPTH)) return [`nested deeper than ${MAX_EVENT_DEPTH} levels`];
  // the branch of the EVE union its event_type selects (Ajv, compiled from the zod schemas);
  // the reasons of a refused event name the bad fields
  const reasons = eveValidator().reasons(e, 5);
  const mw = (e as { minewatch?: { event_id?: unknown } }).minewatch;
  if (typeof mw?.event_id !== 'string' || mw.event_id.length === 0) reasons.push('minewatch.event_id is required (unique per sensor, e.g. a UUIDv7)');
  const ts = (e as { timestamp?: unknown }).timestamp;
  if (typeof ts === 'string') {
    const t = Date.parse(ts);
    if (!Number.isFinite(t) || t < EARLIEST || t > now + 86_400_000) reasons.push('timestamp is before 2000 or more than a day in the future');
  }
  return [...new Set(reasons)];
}

/**
 * A home sensor sends its private addresses as `minewatch.fill_public_ip: [field, …]`
 * (pipeline/telemetry.ts): the collector puts the sensor's public address — the remote address
 * of this connection — in those fields (only these: src_ip, dest_ip, minewatch.device.ip).
 */
export function fillPublicAddresses(events: unknown[], remote: string): number {
  const ip = remote.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  let filled = 0;
  for (const e of events) {
    const ev = e as Record<string, unknown>;
    const mw = ev.minewatch as Record<string, unknown> | undefined;
    if (!mw || !Array.isArray(mw.fill_public_ip)) continue;
    filled++;
    for (const f of mw.fill_public_ip) {
      if (f === 'src_ip' || f === 'dest_ip') ev[f] = ip;
      else if (f === 'minewatch.device.ip' && mw.device !== null && typeof mw.device === 'object') (mw.device as Record<string, unknown>).ip = ip;
    }
  }
  return filled;
}

export const INGEST_URL = '/api/v1/ingest';
const receivedJson = new WeakMap<FastifyRequest, string>();

/** The JSON parser (app.ts) keeps the received text of an ingest body here. */
export function keepReceivedJson(req: FastifyRequest, text: string): void {
  receivedJson.set(req, text);
}

/**
 * The received text of a JSON body whose only member is `events` (as parsed and validated),
 * for a sink to forward as is; undefined for NDJSON, other members, or events changed since.
 */
function receivedEventsJson(req: FastifyRequest, body: unknown): string | undefined {
  const text = receivedJson.get(req);
  if (text === undefined || body === null || typeof body !== 'object') return undefined;
  const keys = Object.keys(body);
  return keys.length === 1 && keys[0] === 'events' ? text : undefined;
}

const IngestBody = z.object({ events: z.array(AnyEveEvent).min(1) });
const IngestAnswer = z.object({ accepted: z.number().int(), duplicates: z.number().int(), queued: z.boolean().optional() });
const BATCH_ID = /^[A-Za-z0-9_-]{8,64}$/;

export default function ingestRoutes(ctx: ServerContext) {
  // ingest requests admitted and not yet answered (this server instance)
  let inFlight = 0;
  eveValidator(); // compiled once, before the first request
  return [
    route({
      method: 'POST', url: INGEST_URL, tag: 'ingest', access: 'sensor',
      summary: 'Store a batch of EVE events from a sensor (JSON {"events":[…]} or NDJSON, gzip allowed); answers after a durable commit',
      body: IngestBody, validateBody: false, response: IngestAnswer, bodyTypes: ['application/x-ndjson'],
      bodyLimit: ctx.config.ingestBodyLimit,
      errors: { 413: 'body or batch too large', 415: 'unsupported content type or encoding', 429: 'over the rate or the collector is busy: retry after Retry-After seconds', 503: 'the database is unavailable: retry' },
      preParsing: async (req, reply, payload) => {
        // admission before the body is read: the sensor's rate, then how many bodies are in the house
        const m = ctx.metrics;
        const sensor = req.principal.kind === 'sensor' ? String(req.principal.sensorId) : '-';
        const wait = ctx.limits.ingest.take(sensor);
        if (wait > 0) {
          m.batches.inc({ status: '429' });
          throw new HttpError(429, 'ingest.rate', `this sensor is over ${ctx.config.ingestPerMinute} requests a minute`, { 'retry-after': String(wait) });
        }
        if (inFlight >= ctx.config.maxInFlight) {
          m.batches.inc({ status: '429' });
          throw new HttpError(429, 'ingest.busy', 'the collector is busy with other batches', { 'retry-after': '1' });
        }
        inFlight++;
        m.inFlight.set(inFlight);
        let done = false;
        const leave = () => {
          if (done) return;
          done = true;
          inFlight--;
          m.inFlight.set(inFlight);
        };
        reply.raw.once('finish', leave);
        reply.raw.once('close', leave);
        const enc = req.headers['content-encoding'];
        if (enc === undefined || enc === 'identity') return payload;
        if (enc !== 'gzip') throw new HttpError(415, 'ingest.encoding', `Content-Encoding ${String(enc).slice(0, 20)} is not supported (use gzip)`);
        const gunzip = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength: number };
        gunzip.receivedEncodedLength = 0;
        payload.on('data', (c: Buffer) => {
          gunzip.receivedEncodedLength += c.length;
        });
        payload.on('error', (err) => gunzip.destroy(err));
        payload.pipe(gunzip);
        return gunzip;
      },
      handler: async ({ body, principal, req, reply }) => {
        if (principal.kind !== 'sensor') throw new HttpError(403, 'auth.sensor-only', 'only sensor tokens may ingest');
        const m = ctx.metrics;
        const events = (body as { events?: unknown } | null)?.events;
        if (!Array.isArray(events) || events.length === 0) throw new HttpError(400, 'ingest.no-events', 'the body must be {"events":[…]} with at least one event, or NDJSON lines');
        if (events.length > ctx.config.maxBatchEvents) throw new HttpError(413, 'ingest.batch-too-large', `at most ${ctx.config.maxBatchEvents} events per request`);
        const now = Date.now();
        const rejected: Array<{ index: number; event_id?: string; reasons: string[] }> = [];
        for (let i = 0; i < events.length; i++) {
          const reasons = eventProblems(events[i], now);
          if (reasons.length > 0) {
            const id = (events[i] as { minewatch?: { event_id?: unknown } } | null)?.minewatch?.event_id;
            rejected.push({ index: i, ...(typeof id === 'string' ? { event_id: id.slice(0, 64) } : {}), reasons });
          }
        }
        if (rejected.length > 0) {
          m.events.inc({ result: 'rejected' }, rejected.length);
          m.batches.inc({ status: '400' });
          throw new HttpError(400, 'ingest.invalid-events', `${rejected.length} of ${events.length} events are invalid; nothing was stored`, {}, { rejected: rejected.slice(0, 100), rejected_count: rejected.length });
        }
        // unchanged events go on as the bytes received (a JetStream sink publishes them as they are)
        const received = fillPublicAddresses(events, req.ip) === 0 ? receivedEventsJson(req, body) : undefined;
        const header = req.headers['x-minewatch-batch-id'];
        const batchId = typeof header === 'string' && BATCH_ID.test(header) ? header : randomUUID();
        const end = m.batchSeconds.startTimer();
        try {
          const r = await ctx.sink.submit({ batchId, orgId: String(principal.orgId), sensorId: String(principal.sensorId), events: events as StoredEvent[], ...(received !== undefined ? { receivedJson: received } : {}) });
          m.events.inc({ result: 'accepted' }, r.accepted);
          m.events.inc({ result: 'duplicate' }, r.duplicates);
          m.batches.inc({ status: '200' });
          void reply.code(200);
          return { accepted: r.accepted, duplicates: r.duplicates, ...(r.queued ? { queued: true } : {}) };
        } catch (err) {
          if (err instanceof MinewatchError && err.kind === 'input') throw err;
          m.dbErrors.inc();
          m.batches.inc({ status: '503' });
          req.log.error({ err }, 'ingest write failed');
          throw new HttpError(503, 'ingest.unavailable', 'the batch could not be stored; nothing was acknowledged: retry', { 'retry-after': '5' });
        } finally {
          end();
        }
      },
    }),
  ];
}
