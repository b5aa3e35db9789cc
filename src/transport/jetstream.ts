/**
 * The scale-out path over NATS JetStream.
 *
 * - `JetStreamSink` (ingest nodes): publishes each validated batch to the stream on subject
 *   `<prefix>.<org>` with the batch id as the JetStream message id (`Nats-Msg-Id`), so a
 *   retried batch inside the stream's duplicate window is dropped by JetStream; beyond the
 *   window the database's unique key drops it. `submit` resolves only after JetStream's
 *   PubAck (the batch is stored on the stream's replicas), and only then is the sensor
 *   acknowledged. A batch larger than the server's max_payload is split into parts with
 *   deterministic ids (`<batch id>.<part>`), so a retry splits the same way.
 * - `JetStreamWriter` (writer instances): one durable pull consumer shared by any number of
 *   writer processes (JetStream hands each message to one of them); each message is written
 *   with `EventWriter.writeEvents` and acked only after that commit. A redelivery (a writer
 *   died between commit and ack) is harmless: the unique key makes it all duplicates. In-flight
 *   writes are bounded; a failed write is nak'ed with a delay and comes back; `stop()` stops
 *   pulling, finishes the writes in flight and acks them.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType,
  type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg, type PubAck,
} from '@nats-io/jetstream';
import type { EventBatch, EventWriter, StoredEvent } from '../store/contract.js';
import type { IngestBatch, IngestResult, IngestSink } from './ingest.js';
import { ConfigError, UnavailableError } from '../util/errors.js';

export const DEFAULT_STREAM = 'MINEWATCH_INGEST';
export const DEFAULT_SUBJECT_PREFIX = 'minewatch.ingest';
export const DEFAULT_DURABLE = 'minewatch-writers';

const NS = 1_000_000; // nanoseconds per millisecond

export interface IngestStreamOptions {
  stream?: string;
  subjectPrefix?: string;
  /** Copies of each message in a cluster (1, 3 or 5; 3 in production). */
  replicas?: number;
  /** How long JetStream remembers message ids to drop retried batches (default 2 min). */
  duplicateWindowMs?: number;
  /** Bound on the stream's bytes (-1: unbounded); past it new batches are refused (429 upstream). */
  maxBytes?: number;
  /** File storage (default) or memory (benchmarks only). */
  storage?: 'file' | 'memory';
}

/** Connects with endless reconnects (a cluster node going away is normal). */
export async function connectNats(servers: string | string[], name = 'minewatch'): Promise<NatsConnection> {
  const list = (Array.isArray(servers) ? servers : servers.split(',')).map((s) => s.trim()).filter(Boolean);
  try {
    return await connect({ servers: list, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 5000, pingInterval: 10_000 });
  } catch (err) {
    throw new UnavailableError('nats.unreachable', `cannot connect to NATS at ${list.join(', ')}: ${(err as Error).message} (is nats-server running with -js?)`, { subject: list.join(','), cause: err });
  }
}

/** Creates the ingest stream (work-queue retention: a message goes once it is written), or updates its limits. */
export async function ensureIngestStream(nc: NatsConnection, opts: IngestStreamOptions = {}): Promise<void> {
  const name = opts.stream ?? DEFAULT_STREAM;
  const prefix = opts.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const replicas = opts.replicas ?? 1;
  if (![1, 2, 3, 4, 5].includes(replicas)) throw new ConfigError('nats.bad-replicas', `stream replicas must be 1 to 5 (got ${replicas})`, { subject: '--nats-replicas' });
  const jsm = await manager(nc);
  const cfg = {
    name,
    subjects: [`${prefix}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: opts.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: replicas,
    duplicate_window: (opts.duplicateWindowMs ?? 120_000) * NS,
    max_bytes: opts.maxBytes ?? -1,
  };
  try {
    const info = await jsm.streams.info(name);
    if (info.config.num_replicas !== replicas || info.config.max_bytes !== cfg.max_bytes || info.config.duplicate_window !== cfg.duplicate_window) {
      await jsm.streams.update(name, { ...info.config, num_replicas: replicas, max_bytes: cfg.max_bytes, duplicate_window: cfg.duplicate_window });
    }
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw wrap(err, `stream ${name}`);
    await jsm.streams.add(cfg);
  }
}

async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc);
  } catch (err) {
    throw new UnavailableError('nats.no-jetstream', `JetStream is not enabled on ${nc.getServer()}: start nats-server with -js (${(err as Error).message})`, { cause: err });
  }
}

function wrap(err: unknown, what: string): Error {
  return new UnavailableError('nats.failed', `NATS ${what}: ${(err as Error).message}`, { cause: err });
}

/** A subject token from an organisation id: NATS tokens may not hold '.', '*', '>' or spaces. */
export function subjectToken(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]/g, '_');
  return t === '' ? '_' : t.slice(0, 128);
}

interface WireBatch {
  v: 1;
  batchId: string;
  orgId: string;
  sensorId: string;
  events: readonly StoredEvent[];
}

export interface JetStreamSinkOptions {
  subjectPrefix?: string;
  /** Give up on a batch after this long (leader elections take seconds); default 15 s. */
  submitTimeoutMs?: number;
  /** One publish attempt's timeout (default 5 s). */
  publishTimeoutMs?: number;
}

export class JetStreamSink implements IngestSink {
  private readonly js: JetStreamClient;
  private readonly prefix: string;
  private readonly submitTimeoutMs: number;
  private readonly publishTimeoutMs: number;
  readonly stats = { batches: 0, parts: 0, events: 0, duplicateParts: 0, retries: 0 };

  constructor(private readonly nc: NatsConnection, opts: JetStreamSinkOptions = {}) {
    this.js = jetstream(nc);
    this.prefix = opts.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
    this.submitTimeoutMs = opts.submitTimeoutMs ?? 15_000;
    this.publishTimeoutMs = opts.publishTimeoutMs ?? 5000;
  }

  async submit(batch: IngestBatch): Promise<IngestResult> {
    const subject = `${this.prefix}.${subjectToken(batch.orgId)}`;
    const parts = this.split(batch);
    let accepted = 0;
    let duplicates = 0;
    // parts one after another: a part is acknowledged only when JetStream stored it
    for (const p of parts) {
      const ack = await this.publish(subject, p.data, p.id);
      if (ack.duplicate) {
        duplicates += p.events;
        this.stats.duplicateParts++;
      } else accepted += p.events;
      this.stats.parts++;
    }
    this.stats.batches++;
    this.stats.events += batch.events.length;
    return { accepted, duplicates, queued: true };
  }

  private split(batch: IngestBatch): Array<{ id: string; data: Uint8Array; events: number }> {
    const limit = Math.max(4096, Math.floor((this.nc.info?.max_payload ?? 1 << 20) * 0.95) - 1024);
    if (batch.receivedJson !== undefined) {
      const data = encodeReceived(batch, batch.receivedJson);
      if (data.length <= limit) return [{ id: batch.batchId, data, events: batch.events.length }];
    }
    const whole = encode(batch, batch.batchId, batch.events);
    if (whole.length <= limit) return [{ id: batch.batchId, data: whole, events: batch.events.length }];
    // split by events into parts under the limit (deterministic: same batch, same parts)
    const out: Array<{ id: string; data: Uint8Array; events: number }> = [];
    let start = 0;
    while (start < batch.events.length) {
      let n = Math.max(1, Math.floor((batch.events.length - start) * limit / whole.length / 1.1));
      let data = encode(batch, `${batch.batchId}.${out.length}`, batch.events.slice(start, start + n));
      while (data.length > limit && n > 1) {
        n = Math.max(1, Math.floor(n / 2));
        data = encode(batch, `${batch.batchId}.${out.length}`, batch.events.slice(start, start + n));
      }
      if (data.length > limit) throw new ConfigError('nats.event-too-large', `one event of batch ${batch.batchId} is larger than the NATS max_payload (${limit} bytes): raise max_payload on the servers`);
      out.push({ id: `${batch.batchId}.${out.length}`, data, events: n });
      start += n;
    }
    return out;
  }

  private async publish(subject: string, data: Uint8Array, msgID: string): Promise<PubAck> {
    const deadline = Date.now() + this.submitTimeoutMs;
    let delay = 100;
    for (;;) {
      try {
        return await this.js.publish(subject, data, { msgID, timeout: Math.min(this.publishTimeoutMs, Math.max(250, deadline - Date.now())) });
      } catch (err) {
        // no responders / timeouts while a stream leader is being elected or a node is down:
        // the same message id again, so whatever was stored is dropped as a duplicate
        if (Date.now() + delay >= deadline || this.nc.isClosed()) {
          throw new UnavailableError('nats.publish-failed', `JetStream did not store batch ${msgID}: ${(err as Error).message}`, { cause: err });
        }
        this.stats.retries++;
        await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
        delay = Math.min(2000, delay * 2);
      }
    }
  }

  async close(): Promise<void> {
    // the connection belongs to the caller
  }
}

function encode(batch: EventBatch, batchId: string, events: readonly StoredEvent[]): Uint8Array {
  const wire: WireBatch = { v: 1, batchId, orgId: batch.orgId, sensorId: batch.sensorId, events };
  return Buffer.from(JSON.stringify(wire));
}

/**
 * The same message from the received text without serialising the events again: the header
 * members, then the received object's members (only `events`: IngestBatch.receivedJson), so
 * the message parses to exactly what encode() would write, and a received member can never
 * set batchId, orgId or sensorId.
 */
function encodeReceived(batch: EventBatch, receivedJson: string): Uint8Array {
  const open = receivedJson.indexOf('{');
  const head = `{"v":1,"batchId":${JSON.stringify(batch.batchId)},"orgId":${JSON.stringify(batch.orgId)},"sensorId":${JSON.stringify(batch.sensorId)},`;
  return Buffer.from(head + receivedJson.slice(open + 1));
}

function decode(data: Uint8Array): EventBatch | string {
  let j: unknown;
  try {
    j = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return 'not JSON';
  }
  const w = j as Partial<WireBatch>;
  if (w === null || typeof w !== 'object' || w.v !== 1) return 'unknown message version';
  if (typeof w.batchId !== 'string' || typeof w.orgId !== 'string' || typeof w.sensorId !== 'string' || !Array.isArray(w.events)) return 'missing batchId, orgId, sensorId or events';
  return { batchId: w.batchId, orgId: w.orgId, sensorId: w.sensorId, events: w.events };
}

export interface JetStreamWriterOptions {
  stream?: string;
  durable?: string;
  /** Writes in flight in this instance (default 4; use 1 for SQLite). */
  maxInFlight?: number;
  /** Redelivery when a writer does not ack in time (default 60 s). */
  ackWaitMs?: number;
  /** Messages handed out and not yet acked, across all instances (default 1000). */
  maxAckPending?: number;
  log?: (line: string) => void;
}

export interface JetStreamWriterStats {
  messages: number;
  events: number;
  accepted: number;
  duplicates: number;
  /** Messages that came again (a writer died or was too slow before acking). */
  redelivered: number;
  /** Failed writes (nak'ed, they come back). */
  failures: number;
  /** Unreadable messages removed (term). */
  terminated: number;
}

/** Creates (or keeps) the durable pull consumer all writer instances share. */
export async function ensureWriterConsumer(nc: NatsConnection, opts: JetStreamWriterOptions = {}): Promise<void> {
  const jsm = await manager(nc);
  const stream = opts.stream ?? DEFAULT_STREAM;
  const durable = opts.durable ?? DEFAULT_DURABLE;
  const cfg = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: (opts.ackWaitMs ?? 60_000) * NS,
    max_ack_pending: opts.maxAckPending ?? 1000,
    max_deliver: -1,
  };
  try {
    await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (!/consumer not found/i.test((err as Error).message)) throw wrap(err, `consumer ${durable} on ${stream}`);
    try {
      await jsm.consumers.add(stream, cfg);
    } catch (e) {
      // another writer instance created it at the same moment
      if (!/already (exists|in use)/i.test((e as Error).message)) throw wrap(e, `consumer ${durable} on ${stream}`);
    }
  }
}

export class JetStreamWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private readonly maxInFlight: number;
  private readonly log: (line: string) => void;
  readonly stats: JetStreamWriterStats = { messages: 0, events: 0, accepted: 0, duplicates: 0, redelivered: 0, failures: 0, terminated: 0 };

  constructor(private readonly nc: NatsConnection, private readonly writer: EventWriter, private readonly opts: JetStreamWriterOptions = {}) {
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
    this.log = opts.log ?? ((line) => process.stderr.write(`minewatch writer: ${line}\n`));
  }

  /** Ensures the consumer and starts pulling. */
  async start(): Promise<void> {
    await ensureWriterConsumer(this.nc, this.opts);
    const js = jetstream(this.nc);
    const consumer = await js.consumers.get(this.opts.stream ?? DEFAULT_STREAM, this.opts.durable ?? DEFAULT_DURABLE);
    this.loop = this.run(consumer);
  }

  /**
   * Pull requests of at most the free write slots, each ending within 2 s: every message a
   * request brings is written (even while stopping), so a stop never leaves messages
   * delivered to a request nobody reads (they would wait out ack_wait).
   */
  private async run(consumer: Consumer): Promise<void> {
    let errors = 0;
    while (!this.stopping) {
      while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
      let got = 0;
      try {
        const msgs = await consumer.fetch({ max_messages: this.maxInFlight - this.inFlight.size, expires: 2000 });
        for await (const m of msgs) {
          got++;
          while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
          const p: Promise<void> = this.handle(m).finally(() => this.inFlight.delete(p));
          this.inFlight.add(p);
        }
        errors = 0;
      } catch (err) {
        // a node went away, a leader election, the connection reconnecting: try again shortly
        if (this.nc.isClosed()) break;
        if (++errors === 1 || errors % 50 === 0) this.log(`pulling from the stream failed (${(err as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * errors)));
      }
      if (got === 0 && this.nc.isClosed()) break;
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const batch = decode(m.data);
    if (typeof batch === 'string') {
      this.stats.terminated++;
      this.log(`message ${m.seq} on ${m.subject} is unreadable (${batch}): removed`);
      m.term(batch);
      return;
    }
    if (m.redelivered) this.stats.redelivered++;
    try {
      const r = await this.writer.writeEvents(batch);
      this.stats.messages++;
      this.stats.events += batch.events.length;
      this.stats.accepted += r.accepted;
      this.stats.duplicates += r.duplicates;
    } catch (err) {
      this.stats.failures++;
      const delay = Math.min(30_000, 250 * 2 ** Math.min(m.info.deliveryCount, 7));
      if (this.stats.failures <= 5 || this.stats.failures % 100 === 0) this.log(`writing batch ${batch.batchId} failed (${(err as Error).message}); it comes back in ${delay} ms`);
      m.nak(delay);
      return;
    }
    try {
      await m.ackAck(); // committed: the message may go
    } catch {
      // the ack did not arrive (node or connection gone): JetStream redelivers, the rewrite is all duplicates
    }
  }

  /** Stops pulling, finishes the writes in flight (acking them), returns when idle (within ~2 s plus the writes). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop?.catch(() => undefined);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

/** How far the writers are behind: messages in the stream not yet acked by the consumer. */
export async function writerLag(nc: NatsConnection, opts: { stream?: string; durable?: string } = {}): Promise<{ pending: number; ackPending: number; redelivered: number }> {
  const jsm = await manager(nc);
  const info = await jsm.consumers.info(opts.stream ?? DEFAULT_STREAM, opts.durable ?? DEFAULT_DURABLE);
  return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
}
