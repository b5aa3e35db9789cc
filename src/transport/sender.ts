/**
 * The sender: ships a sensor's EVE events to a collector's `POST /api/v1/ingest`.
 *
 * - Every event gets `minewatch.event_id` (a UUIDv7) when it enters, unless it has one.
 * - Events are batched (default 500 events or 1 s, whichever comes first), serialised as
 *   `{"events":[…]}`, gzipped, given a batch id (UUIDv7, sent as `Idempotency-Key`) and
 *   written to the on-disk outbox (fsynced) before any attempt to send.
 * - Batches go out in order, a few in flight; a batch leaves the outbox only when the
 *   collector answered 2xx (it answers after its durable commit). Network errors, timeouts,
 *   408, 429 and 5xx are retried with exponential backoff and full jitter; a 429 or 503 with
 *   `Retry-After` waits at least that long. Other 4xx are permanent: the batch is counted as
 *   refused, each distinct reason is logged once, and the batch is removed.
 * - A restarted sender re-sends what the outbox still holds with the same batch and event
 *   ids, so the collector stores each event once.
 * - A batch too big for the outbox is split; a batch the outbox cannot write (a full disk)
 *   waits in memory, bounded, and is stored again every second, before any newer batch.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { ConfigError, UsageError } from '../util/errors.js';
import { Outbox, type OutboxEntry, type OutboxStats } from './outbox.js';
import { uuidv7 } from './uuidv7.js';

export interface SenderOptions {
  /** Collector base URL (`https://collector:8080`); `/api/v1/ingest` is appended unless present. */
  url: string;
  /** The sensor's bearer token. */
  token: string;
  outboxDir: string;
  /** Default 256 MiB. */
  outboxMaxBytes?: number;
  /** Events per batch (default 500). */
  batchEvents?: number;
  /** A batch is sealed this long after its first event at the latest (default 1000 ms). */
  batchDelayMs?: number;
  /** Uncompressed JSON bytes per batch at most (default 4 MiB). */
  batchMaxBytes?: number;
  /** Requests in flight (default 2). */
  concurrency?: number;
  requestTimeoutMs?: number;
  /** First retry delay bound and the cap (default 250 ms and 30 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** One line per notable thing (refusals, drops); default: stderr. */
  log?: (line: string) => void;
  /** fdatasync each batch in the outbox (default true). */
  fsync?: boolean;
  /** Called after each acknowledged batch (tests, progress). */
  onAck?: (batchId: string, result: { accepted: number; duplicates: number }) => void;
}

export interface SenderStats {
  /** Events handed to write(). */
  events: number;
  /** Events in batches the collector acknowledged. */
  ackedEvents: number;
  ackedBatches: number;
  /** The collector's own counts from its answers. */
  accepted: number;
  duplicates: number;
  /** Events in batches refused permanently (4xx other than 408/429). */
  refusedEvents: number;
  refusedBatches: number;
  /** Refusals by reason (status and the collector's message). */
  refusedReasons: Record<string, number>;
  /** Attempts that failed and will be retried. */
  retries: number;
  /** Waits imposed by Retry-After. */
  retryAfterWaits: number;
  outbox: OutboxStats;
}

export const DEFAULT_OUTBOX_MAX_BYTES = 256 << 20;
const PERMANENT_LOG_LIMIT = 20;

interface HeldBatch { id: string; events: number; body: Buffer }

interface Attempt {
  entry: OutboxEntry;
}

/** HTTP errors the sender saw, classified. */
type Outcome =
  | { kind: 'ok'; accepted: number; duplicates: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'permanent'; status: number; reason: string; rejected?: number[] };

export class Sender {
  private readonly url: URL;
  private readonly opts: Required<Omit<SenderOptions, 'onAck' | 'log'>> & Pick<SenderOptions, 'onAck'>;
  private readonly log: (line: string) => void;
  private readonly outbox: Outbox;
  private readonly agent: http.Agent;
  private lines: string[] = [];
  private lineBytes = 0;
  private sealTimer: NodeJS.Timeout | null = null;
  /** Batch ids waiting to be sent, oldest first. */
  private readonly queue: string[] = [];
  private readonly inFlight = new Map<string, http.ClientRequest>();
  private failures = 0;
  private notBefore = 0;
  private wakeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private loggedReasons = new Set<string>();
  private appendErrors = 0;
  /** Sealed batches the outbox could not store yet (a full disk), oldest first, in memory. */
  private held: HeldBatch[] = [];
  private heldBytes = 0;
  private holdTimer: NodeJS.Timeout | null = null;
  /** Batches dropped past the outbox bound while a request carried them. */
  private readonly droppedInFlight = new Set<string>();
  readonly stats: SenderStats;

  constructor(options: SenderOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new UsageError(`--send needs a collector URL like https://collector.example:8080 (got "${options.url}")`, 'usage.bad-url', { subject: '--send' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--send needs an http:// or https:// URL (got "${options.url}")`, 'usage.bad-url', { subject: '--send' });
    if (!url.pathname.endsWith('/api/v1/ingest')) url.pathname = url.pathname.replace(/\/+$/, '') + '/api/v1/ingest';
    this.url = url;
    if (!options.token || /[\r\n]/.test(options.token)) throw new ConfigError('send.bad-token', 'the sensor token is empty or has line breaks', { subject: '--token-file' });
    this.opts = {
      url: url.toString(),
      token: options.token,
      outboxDir: options.outboxDir,
      outboxMaxBytes: options.outboxMaxBytes ?? DEFAULT_OUTBOX_MAX_BYTES,
      batchEvents: options.batchEvents ?? 500,
      batchDelayMs: options.batchDelayMs ?? 1000,
      batchMaxBytes: options.batchMaxBytes ?? 4 << 20,
      concurrency: options.concurrency ?? 2,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      backoffInitialMs: options.backoffInitialMs ?? 250,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      fsync: options.fsync ?? true,
      onAck: options.onAck,
    };
    this.log = options.log ?? ((line) => process.stderr.write(`minewatch: ${line}\n`));
    this.outbox = Outbox.open({
      dir: this.opts.outboxDir, maxBytes: this.opts.outboxMaxBytes, fsync: this.opts.fsync,
      onDrop: (e) => {
        if (this.inFlight.has(e.id)) this.droppedInFlight.add(e.id);
      },
    });
    const AgentClass = url.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new AgentClass({ keepAlive: true, maxSockets: this.opts.concurrency });
    this.stats = {
      events: 0, ackedEvents: 0, ackedBatches: 0, accepted: 0, duplicates: 0, refusedEvents: 0, refusedBatches: 0,
      refusedReasons: {}, retries: 0, retryAfterWaits: 0, outbox: this.outbox.stats,
    };
    for (const e of this.outbox.pending()) this.queue.push(e.id);
    if (this.queue.length > 0) {
      this.log(`outbox ${this.opts.outboxDir}: re-sending ${this.outbox.stats.recoveredEvents} events in ${this.queue.length} batches not acknowledged before`);
      this.pump();
    }
  }

  /** Adds one event (an EVE object); stamps `minewatch.event_id` on the copy it sends. */
  write(event: object): void {
    if (this.stopped) return;
    const ev = event as { minewatch?: Record<string, unknown> };
    const mw = ev.minewatch;
    const line = typeof mw?.event_id === 'string' && mw.event_id !== ''
      ? JSON.stringify(event)
      : JSON.stringify({ ...event, minewatch: { ...mw, event_id: uuidv7() } });
    if (this.lines.length > 0 && this.lineBytes + line.length + 1 > this.opts.batchMaxBytes) this.flush();
    this.lines.push(line);
    this.lineBytes += line.length + 1;
    this.stats.events++;
    if (this.lines.length >= this.opts.batchEvents) this.flush();
    else if (this.sealTimer === null) {
      this.sealTimer = setTimeout(() => {
        this.sealTimer = null;
        this.flush();
      }, this.opts.batchDelayMs);
    }
  }

  /** Seals the events written so far into a batch (durable in the outbox when this returns). */
  flush(): void {
    if (this.sealTimer !== null) {
      clearTimeout(this.sealTimer);
      this.sealTimer = null;
    }
    if (this.stopped) return;
    this.storeHeld();
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    this.lineBytes = 0;
    this.seal(lines);
    this.pump();
  }

  /**
   * Stores one batch in the outbox. A batch too big for the outbox is split in halves (one
   * event that alone does not fit is dropped and counted); a write that fails (a full disk)
   * keeps the batch in memory, bounded, and stores it again later: nothing is lost to a
   * passing disk problem, and nothing is thrown into the pipeline.
   */
  private seal(lines: string[]): void {
    const body = gzipSync(`{"events":[${lines.join(',')}]}`, { level: 3 });
    const id = uuidv7();
    if (this.held.length > 0) {
      this.hold({ id, events: lines.length, body }); // behind the held ones: batches keep their order
      return;
    }
    try {
      this.outbox.append(id, lines.length, body);
      this.queue.push(id);
    } catch (err) {
      if ((err as { code?: string }).code === 'outbox.batch-too-large' && lines.length > 1) {
        const half = lines.length >> 1;
        this.seal(lines.slice(0, half));
        this.seal(lines.slice(half));
      } else if ((err as { code?: string }).code === 'outbox.batch-too-large') {
        this.outbox.stats.droppedBatches++;
        this.outbox.stats.droppedEvents++;
        if (this.appendErrors++ === 0) this.log(`an event of ${lines[0].length} bytes does not fit the outbox ${this.opts.outboxDir} (${(err as Error).message}); dropped and counted`);
      } else {
        if (this.appendErrors++ === 0) this.log(`cannot store a batch of ${lines.length} events in the outbox ${this.opts.outboxDir} (${(err as Error).message}); kept in memory and stored again every second`);
        this.hold({ id, events: lines.length, body });
      }
    }
  }

  /** Keeps a batch the outbox could not take; past the bound the oldest held batch is dropped and counted. */
  private hold(batch: HeldBatch): void {
    this.held.push(batch);
    this.heldBytes += batch.body.length;
    while (this.heldBytes > this.opts.outboxMaxBytes / 2 && this.held.length > 1) {
      const old = this.held.shift()!;
      this.heldBytes -= old.body.length;
      this.outbox.stats.droppedBatches++;
      this.outbox.stats.droppedEvents += old.events;
    }
    this.armHoldTimer();
  }

  private armHoldTimer(): void {
    if (this.holdTimer !== null || this.held.length === 0) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.storeHeld();
      this.pump();
    }, 1000);
    this.holdTimer.unref();
  }

  /** Moves held batches into the outbox, oldest first, until one fails again. */
  private storeHeld(): void {
    while (this.held.length > 0 && !this.stopped) {
      const b = this.held[0];
      try {
        this.outbox.append(b.id, b.events, b.body);
      } catch {
        this.armHoldTimer();
        return;
      }
      this.held.shift();
      this.heldBytes -= b.body.length;
      this.queue.push(b.id);
    }
  }

  /** EventSink-compatible: seals the last batch; call drain() to wait for delivery. */
  close(): void {
    this.flush();
  }

  /** Events not yet acknowledged (in the outbox or still being batched). */
  get pendingEvents(): number {
    return this.outbox.stats.pendingEvents + this.lines.length + this.held.reduce((n, b) => n + b.events, 0);
  }

  /**
   * Seals and waits until the collector acknowledged everything, or `timeoutMs` passed.
   * Resolves true when nothing is left.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.flush();
    const deadline = Date.now() + timeoutMs;
    while ((this.outbox.stats.pendingBatches > 0 || this.held.length > 0) && !this.stopped) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000)); // ref'd: keeps the process alive while draining
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.outbox.stats.pendingBatches === 0 && this.held.length === 0;
  }

  /** Stops sending; what is unacknowledged stays in the outbox for the next start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    if (this.held.length > 0) {
      const events = this.held.reduce((n, b) => n + b.events, 0);
      this.outbox.stats.droppedBatches += this.held.length;
      this.outbox.stats.droppedEvents += events;
      this.log(`stopping with ${events} events in ${this.held.length} batches the outbox ${this.opts.outboxDir} could not store; they are lost (counted)`);
      this.held = [];
      this.heldBytes = 0;
    }
    if (this.holdTimer) clearTimeout(this.holdTimer);
    if (this.sealTimer) clearTimeout(this.sealTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (const req of this.inFlight.values()) req.destroy();
    this.inFlight.clear();
    this.agent.destroy();
    this.outbox.close();
    this.wake();
    await Promise.resolve();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (now < this.notBefore) {
      if (this.wakeTimer === null) {
        this.wakeTimer = setTimeout(() => {
          this.wakeTimer = null;
          this.pump();
        }, this.notBefore - now);
        this.wakeTimer.unref();
      }
      return;
    }
    while (this.inFlight.size < this.opts.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const entry = this.outbox.get(id);
      if (!entry || this.inFlight.has(id)) continue; // dropped past the bound, or acknowledged
      this.send({ entry });
    }
  }

  private send(a: Attempt): void {
    let body: Buffer;
    try {
      body = this.outbox.read(a.entry);
    } catch (err) {
      this.log(`outbox: cannot read batch ${a.entry.id}: ${(err as Error).message}`);
      return;
    }
    const mod = this.url.protocol === 'https:' ? https : http;
    const req = mod.request(this.url, {
      method: 'POST',
      agent: this.agent,
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': body.length,
        authorization: `Bearer ${this.opts.token}`,
        'idempotency-key': a.entry.id,
        'x-minewatch-batch-id': a.entry.id,
        'x-minewatch-events': String(a.entry.events),
      },
      timeout: this.opts.requestTimeoutMs,
    });
    this.inFlight.set(a.entry.id, req);
    let settled = false;
    const finish = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      this.inFlight.delete(a.entry.id);
      if (!this.stopped) this.settle(a, o);
    };
    req.on('timeout', () => req.destroy(new Error(`no answer in ${this.opts.requestTimeoutMs} ms`)));
    req.on('error', (err) => finish({ kind: 'retry', reason: err.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 1 << 20) chunks.push(c);
        size += c.length;
      });
      res.on('error', (err) => finish({ kind: 'retry', reason: err.message }));
      res.on('end', () => finish(classify(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'), a.entry.events)));
    });
    req.end(body);
  }

  /** Re-queues the events of a refused batch that the collector did not name as invalid; returns how many were refused. */
  private resendValid(entry: OutboxEntry, rejected: number[]): number {
    try {
      const bad = new Set(rejected);
      const events = gunzipJson(this.outbox.read(entry)).events.filter((_, i) => !bad.has(i));
      if (events.length === 0) return entry.events;
      const newId = uuidv7();
      this.outbox.append(newId, events.length, gzipSync(`{"events":[${events.map((e) => JSON.stringify(e)).join(',')}]}`, { level: 3 }));
      this.queue.push(newId);
      return entry.events - events.length;
    } catch (err) {
      this.log(`cannot re-send the valid events of batch ${entry.id}: ${(err as Error).message}`);
      return entry.events;
    }
  }

  private settle(a: Attempt, o: Outcome): void {
    const id = a.entry.id;
    const droppedMeanwhile = this.droppedInFlight.delete(id);
    if (o.kind === 'ok') {
      this.failures = 0;
      if (droppedMeanwhile) this.outbox.delivered(a.entry);
      if (this.outbox.has(id) || droppedMeanwhile) {
        this.outbox.ack(id);
        this.stats.ackedBatches++;
        this.stats.ackedEvents += a.entry.events;
        this.stats.accepted += o.accepted;
        this.stats.duplicates += o.duplicates;
        this.opts.onAck?.(id, { accepted: o.accepted, duplicates: o.duplicates });
      }
    } else if (o.kind === 'permanent') {
      this.failures = 0;
      if (this.outbox.has(id)) {
        // invalid events named one by one: the valid rest goes again as a new batch (same event ids)
        const refused = o.rejected && o.rejected.length < a.entry.events ? this.resendValid(a.entry, o.rejected) : a.entry.events;
        this.outbox.ack(id);
        this.stats.refusedBatches++;
        this.stats.refusedEvents += refused;
        const key = `HTTP ${o.status}: ${o.reason}`;
        this.stats.refusedReasons[key] = (this.stats.refusedReasons[key] ?? 0) + refused;
        if (!this.loggedReasons.has(key) && this.loggedReasons.size < PERMANENT_LOG_LIMIT) {
          this.loggedReasons.add(key);
          this.log(`the collector refused ${refused} of ${a.entry.events} events of a batch (${key}); not retried (each reason is logged once; counts in the summary)`);
        }
      }
    } else {
      this.stats.retries++;
      this.failures++;
      const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** Math.min(this.failures - 1, 20));
      let delay = cap / 2 + Math.random() * (cap / 2); // "equal jitter": never a zero wait in a failure loop
      if (o.retryAfterMs !== undefined) {
        this.stats.retryAfterWaits++;
        delay = Math.max(o.retryAfterMs, Math.min(delay, o.retryAfterMs + this.opts.backoffInitialMs));
      }
      this.notBefore = Math.max(this.notBefore, Date.now() + delay);
      if (this.outbox.has(id)) this.queue.unshift(id);
      if (this.failures === 3) this.log(`collector ${this.url.origin} not answering (${o.reason}); retrying, events wait in the outbox ${this.opts.outboxDir}`);
    }
    this.wake();
    this.pump();
  }
}

function gunzipJson(body: Buffer): { events: unknown[] } {
  return JSON.parse(gunzipSync(body).toString('utf8')) as { events: unknown[] };
}

function classify(status: number, headers: http.IncomingHttpHeaders, text: string, events: number): Outcome {
  if (status >= 200 && status < 300) {
    try {
      const j = JSON.parse(text) as { accepted?: unknown; duplicates?: unknown };
      const accepted = typeof j.accepted === 'number' ? j.accepted : events;
      const duplicates = typeof j.duplicates === 'number' ? j.duplicates : 0;
      return { kind: 'ok', accepted, duplicates };
    } catch {
      return { kind: 'ok', accepted: events, duplicates: 0 };
    }
  }
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  if (status === 408 || status === 429 || status >= 500 || status < 200) {
    return { kind: 'retry', reason: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { kind: 'permanent', status, reason: refusalReason(text), ...(status === 400 ? rejectedIndexes(text, events) : {}) };
}

/**
 * The collector refuses a whole batch for its invalid events and lists them
 * (`rejected: [{index, reasons}]`, `rejected_count`): the indexes, when the list is complete.
 */
function rejectedIndexes(text: string, events: number): { rejected?: number[] } {
  try {
    const j = JSON.parse(text) as { rejected?: Array<{ index?: unknown }>; rejected_count?: unknown };
    if (!Array.isArray(j.rejected)) return {};
    const idx = [...new Set(j.rejected.map((r) => r?.index).filter((i): i is number => Number.isInteger(i) && (i as number) >= 0 && (i as number) < events))];
    const count = typeof j.rejected_count === 'number' ? j.rejected_count : idx.length;
    return idx.length === count && idx.length > 0 ? { rejected: idx } : {};
  } catch {
    return {};
  }
}

/** Retry-After as seconds or an HTTP date → milliseconds from now (bounded to an hour). */
export function parseRetryAfter(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  let ms: number;
  if (/^\s*\d+(\.\d+)?\s*$/.test(s)) ms = Number(s) * 1000;
  else {
    const t = Date.parse(s);
    if (Number.isNaN(t)) return undefined;
    ms = t - Date.now();
  }
  return Math.min(3_600_000, Math.max(0, ms));
}

/** A short reason from a refusal body: the collector's message and its first per-event reasons. */
function refusalReason(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const parts: string[] = [];
    const msg = j.message ?? j.error;
    if (typeof msg === 'string') parts.push(msg);
    const list = (j.rejected ?? j.errors ?? j.reasons) as unknown;
    if (Array.isArray(list)) {
      const reasons = new Set<string>();
      for (const e of list) {
        const o = e as Record<string, unknown> | null;
        const r = typeof e === 'string' ? e : Array.isArray(o?.reasons) ? (o.reasons as unknown[]).join(', ') : o?.reason ?? o?.message;
        if (typeof r === 'string') reasons.add(r);
        if (reasons.size >= 3) break;
      }
      if (reasons.size > 0) parts.push([...reasons].join('; '));
    }
    if (parts.length > 0) return parts.join(': ').slice(0, 300);
  } catch {
    // not JSON
  }
  return text.trim().replace(/\s+/g, ' ').slice(0, 200) || 'no reason given';
}

/** Reads a token file: one line, no surrounding white space; clear errors otherwise. */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('send.token-unreadable', `cannot read the token file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { subject: '--token-file', cause: err });
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new ConfigError('send.bad-token', `the token file ${path} must hold one token on one line`, { subject: '--token-file' });
  return token;
}
