/**
 * The sensor's local store: alerts, device and stats events go through the collector's
 * EventWriter (store/events.ts), which folds alerts into incidents and devices in the same
 * transaction, as the sensor `name` of a local organisation created on first start.
 *
 * Events are committed in batches at least every `commitMs` (default 1 s), one write at a
 * time. Every event carries a content-derived `minewatch.event_id` (a hash of the sensor name
 * and the event), so a capture replayed again after a crash — or the same capture given to
 * `analyze --db` twice — stores each event once: the store's unique key (sensor, event id)
 * turns a repeat into a counted duplicate. What was committed before a SIGKILL is kept.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { createOrg, DEFAULT_ORG, ensureSensor, eventWriter, openStore, type EventWriter, type Store, type StoredEvent } from '../store/index.js';
import { uuidv7 } from '../transport/uuidv7.js';
import type { EventSink } from './eve-writer.js';

/** Event types the sensor keeps in its store (flow events stay in EVE only). */
export const STORED_EVENT_TYPES: ReadonlySet<string> = new Set(['alert', 'stats', 'device', 'anomaly']);
/** A batch is committed early when it reaches this many events. */
const MAX_BATCH = 2000;
/** Events waiting while a write is slow: beyond this the oldest non-alert events are dropped (counted). */
const MAX_PENDING = 200_000;

export interface StoreSinkOptions {
  /** `sqlite:PATH` or `postgres://…` (undefined: the collector's default SQLite file). */
  db?: string;
  /** An already open store (tests); not closed by the sink. */
  store?: Store;
  /** The sensor's name in the store (default: the host name). */
  sensor?: string;
  /** Organisation of the local sensor (default "default"). */
  org?: string;
  /** Commit interval (default 1000 ms). */
  commitMs?: number;
  /** Which event types to store (default STORED_EVENT_TYPES). */
  types?: ReadonlySet<string>;
  /** Called with a write error (the batch is retried at the next tick). */
  onError?: (err: Error) => void;
}

export interface StoreSinkStats {
  stored: number;
  duplicates: number;
  commits: number;
  errors: number;
  dropped: number;
}

/** A name the store accepts for a sensor. */
export function defaultSensorName(): string {
  const h = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60);
  return h === '' ? 'sensor' : h;
}

/**
 * A stable id for an event: a hash of the sensor name and the event's content (without an id),
 * laid out as an RFC 9562 UUIDv8. The same packets give the same events, so a replay repeats ids.
 */
export function contentEventId(sensor: string, event: Record<string, unknown>): string {
  const mw = event.minewatch as Record<string, unknown> | undefined;
  let body = event;
  if (mw && 'event_id' in mw) {
    const { event_id: _id, ...rest } = mw;
    body = { ...event, minewatch: rest };
  }
  const b = createHash('sha256').update(sensor).update('\0').update(JSON.stringify(body)).digest().subarray(0, 16);
  b[6] = 0x80 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Gives an event its `minewatch.event_id` (content-derived) unless it has one; returns it. */
export function stampEventId(sensor: string, event: Record<string, unknown>): Record<string, unknown> {
  const mw = (event.minewatch ?? {}) as Record<string, unknown>;
  if (typeof mw.event_id === 'string' && mw.event_id !== '') return event;
  event.minewatch = { ...mw, event_id: contentEventId(sensor, event) };
  return event;
}

export class StoreSink implements EventSink {
  readonly stats: StoreSinkStats = { stored: 0, duplicates: 0, commits: 0, errors: 0, dropped: 0 };
  private pending: StoredEvent[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    readonly store: Store,
    private readonly ownsStore: boolean,
    private readonly writer: EventWriter,
    readonly orgId: number,
    readonly sensorId: number,
    readonly sensorName: string,
    private readonly opts: StoreSinkOptions,
  ) {}

  /** Opens (and migrates) the store and registers the local organisation and sensor on first start. */
  static async open(opts: StoreSinkOptions = {}): Promise<StoreSink> {
    const store = opts.store ?? await openStore(opts.db);
    try {
      const sensor = opts.sensor ?? defaultSensorName();
      const orgName = opts.org ?? DEFAULT_ORG;
      const orgId = await ensureLocalOrg(store, orgName);
      const sensorId = await ensureSensor(store, orgId, sensor);
      const sink = new StoreSink(store, !opts.store, eventWriter(store), orgId, sensorId, sensor, opts);
      sink.timer = setInterval(() => void sink.commit(), opts.commitMs ?? 1000);
      sink.timer.unref();
      return sink;
    } catch (err) {
      if (!opts.store) await store.close().catch(() => {});
      throw err;
    }
  }

  /** Events waiting for the next commit. */
  get depth(): number {
    return this.pending.length;
  }

  write(event: object): void {
    if (this.closed) return;
    const e = event as Record<string, unknown>;
    if (!(this.opts.types ?? STORED_EVENT_TYPES).has(String(e.event_type))) return;
    if (typeof e.timestamp !== 'string') return;
    this.pending.push(stampEventId(this.sensorName, e) as StoredEvent);
    if (this.pending.length > MAX_PENDING) {
      // the store is far behind (down, or a disk too slow): keep memory bounded, alerts first
      const i = this.pending.findIndex((p) => p.event_type !== 'alert');
      this.pending.splice(i >= 0 ? i : 0, 1);
      this.stats.dropped++;
    }
    if (this.pending.length >= MAX_BATCH) void this.commit();
  }

  /** Writes what is pending (one write at a time); resolves when it is committed. */
  commit(): Promise<void> {
    this.writing = this.writing.then(async () => {
      while (this.pending.length > 0) {
        const events = this.pending.slice(0, MAX_BATCH);
        try {
          const r = await this.writer.writeEvents({ batchId: uuidv7(), orgId: String(this.orgId), sensorId: String(this.sensorId), events });
          this.pending.splice(0, events.length);
          this.stats.stored += r.accepted;
          this.stats.duplicates += r.duplicates;
          this.stats.commits++;
        } catch (err) {
          this.stats.errors++;
          this.opts.onError?.(err as Error);
          return; // kept pending: retried at the next tick
        }
      }
    });
    return this.writing;
  }

  /** EventSink.close: stops the timer; call `finish()` to commit and close. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Commits everything pending and closes the store (if this sink opened it). */
  async finish(): Promise<void> {
    this.close();
    await this.commit();
    this.closed = true;
    if (this.pending.length > 0) this.stats.dropped += this.pending.length;
    if (this.ownsStore) await this.store.close();
  }
}

/** The local organisation's id, created (with an empty constituency) on first start. */
async function ensureLocalOrg(store: Store, name: string): Promise<number> {
  const r = await store.db.selectFrom('organisations').select('id').where('name', '=', name).executeTakeFirst();
  if (r) return Number(r.id);
  try {
    return (await createOrg(store, name, {}, 'sensor')).id;
  } catch (err) {
    // created at the same moment by another process on the same store
    const again = await store.db.selectFrom('organisations').select('id').where('name', '=', name).executeTakeFirst();
    if (again) return Number(again.id);
    throw err;
  }
}

/**
 * `analyze --db`: a store sink whose events carry the sensor name they are stored under (so the
 * same capture analysed twice stores its events once).
 */
export async function openAnalyzeStore(db: string, sensor: string | undefined): Promise<StoreSink> {
  return StoreSink.open({ db, sensor });
}
