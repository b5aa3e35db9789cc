/**
 * Retention: raw events by age and by size, derived rows by age. Deletes run in bounded
 * chunks (CHUNK rows per statement, at most `maxChunks` per call) so ingest never waits long
 * behind them; call again while `done` is false (the server runs it every minute). On
 * PostgreSQL whole daily partitions past the cut-off are dropped first. Roll-ups outlive the
 * raw events (that is what they are for): hourly 90 days, daily 400 days by default.
 * SQLite reuses freed pages; the file itself does not shrink without VACUUM.
 */
import { sql } from 'kysely';
import type { Store } from './open.js';
import { DAY_MS } from './schema.js';
import { partitionDay } from './partitions.js';

export interface RetentionPolicy {
  /** Raw events older than this are deleted (default 14 days). */
  eventsMaxAgeDays?: number;
  /** Raw events are deleted oldest-first while the events take more than this (0: no limit). */
  eventsMaxBytes?: number;
  hourlyMaxAgeDays?: number;
  dailyMaxAgeDays?: number;
  /** Rows per DELETE. */
  chunk?: number;
  /** DELETE statements per call at most. */
  maxChunks?: number;
  now?: number;
}

export interface RetentionReport {
  eventsDeleted: number;
  partitionsDropped: string[];
  derivedDeleted: number;
  /** False when the chunk budget ran out before the policy was met: call again. */
  done: boolean;
  eventBytes: number;
}

export const RETENTION_DEFAULTS = { eventsMaxAgeDays: 14, eventsMaxBytes: 0, hourlyMaxAgeDays: 90, dailyMaxAgeDays: 400, chunk: 1000, maxChunks: 50 };

/** Bytes the raw events occupy (SQLite: pages in use of the whole file; PostgreSQL: event partitions with indexes, and the blocks). */
export async function eventBytes(store: Store): Promise<number> {
  if (store.dialect === 'sqlite') {
    const db = store.sqlite!;
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    // dbstat is not always compiled in: pages in use of the whole file is the honest bound
    const pages = Number(db.pragma('page_count', { simple: true })) - Number(db.pragma('freelist_count', { simple: true }));
    return pages * pageSize;
  }
  const r = await sql<{ bytes: number | null }>`SELECT (SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i WHERE i.inhparent = 'events'::regclass)
    + pg_total_relation_size('event_blocks') AS bytes`.execute(store.db);
  return Number(r.rows[0]?.bytes ?? 0);
}

async function partitions(store: Store): Promise<Array<{ name: string; day: number | null }>> {
  const r = await sql<{ name: string }>`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`.execute(store.db);
  return r.rows.map((x) => ({ name: x.name, day: partitionDay(x.name) })).sort((a, b) => (a.day ?? Infinity) - (b.day ?? Infinity));
}

/** Deletes up to `chunk` of the oldest events (all before `before` when given); returns rows deleted. */
async function deleteChunk(store: Store, chunk: number, before: number | null): Promise<number> {
  if (store.dialect === 'sqlite') {
    const db = store.sqlite!;
    return store.db.connection().execute(async () => {
      // one index range per event type (the types are known from the roll-ups: no scan)
      const types = (db.prepare('SELECT DISTINCT event_type FROM rollup_daily').all() as Array<{ event_type: string }>).map((t) => t.event_type);
      const cands: Array<{ id: number; ts: number }> = [];
      const pick = db.prepare(`SELECT id, ts FROM events WHERE event_type = ? ${before !== null ? 'AND ts < ?' : ''} ORDER BY ts LIMIT ?`);
      for (const t of types) cands.push(...(pick.all(...(before !== null ? [t, before, chunk] : [t, chunk])) as Array<{ id: number; ts: number }>));
      cands.sort((a, b) => a.ts - b.ts);
      const ids = cands.slice(0, chunk).map((c) => c.id);
      if (ids.length === 0) return 0;
      const del = db.prepare(`DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))`);
      return del.run(JSON.stringify(ids)).changes;
    });
  }
  const r = before !== null
    ? await sql`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ${before} ORDER BY ts LIMIT ${chunk}) AND ts < ${before}`.execute(store.db)
    : await sql`DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY ts LIMIT ${chunk})`.execute(store.db);
  return Number(r.numAffectedRows ?? 0);
}

/** Time of the oldest stored event (one index probe per event type), or null when there is none. */
async function oldestEvent(store: Store): Promise<number | null> {
  const types = await store.db.selectFrom('rollup_daily').select('event_type').distinct().execute();
  let min: number | null = null;
  for (const t of types) {
    const r = await store.db.selectFrom('events').select('ts').where('event_type', '=', t.event_type).orderBy('ts').limit(1).executeTakeFirst();
    if (r && (min === null || r.ts < min)) min = r.ts;
  }
  return min;
}

export async function applyRetention(store: Store, policy: RetentionPolicy = {}): Promise<RetentionReport> {
  const p = { ...RETENTION_DEFAULTS, ...policy };
  const now = p.now ?? Date.now();
  const cutoff = now - p.eventsMaxAgeDays * DAY_MS;
  const report: RetentionReport = { eventsDeleted: 0, partitionsDropped: [], derivedDeleted: 0, done: true, eventBytes: 0 };
  let budget = p.maxChunks;

  if (store.dialect === 'postgres') {
    for (const part of await partitions(store)) {
      if (part.day !== null && part.day + DAY_MS <= cutoff) {
        await sql.raw(`DROP TABLE IF EXISTS ${part.name}`).execute(store.db);
        report.partitionsDropped.push(part.name);
      }
    }
  }
  // by age, in chunks
  while (budget > 0) {
    budget--;
    const n = await deleteChunk(store, p.chunk, cutoff);
    report.eventsDeleted += n;
    if (n < p.chunk) break;
    if (budget === 0) report.done = false;
  }
  // by size, oldest first
  if (p.eventsMaxBytes > 0) {
    report.eventBytes = await eventBytes(store);
    while (report.eventBytes > p.eventsMaxBytes) {
      if (store.dialect === 'postgres') {
        const parts = (await partitions(store)).filter((x) => x.day !== null);
        // keep at least the newest daily partition; finer trimming is done with deletes below
        if (parts.length > 1) {
          await sql.raw(`DROP TABLE IF EXISTS ${parts[0].name}`).execute(store.db);
          report.partitionsDropped.push(parts[0].name);
          report.eventBytes = await eventBytes(store);
          continue;
        }
      }
      if (budget === 0) {
        report.done = false;
        break;
      }
      budget--;
      const n = await deleteChunk(store, p.chunk, null);
      report.eventsDeleted += n;
      if (n === 0) break;
      if (store.dialect === 'postgres') await sql`VACUUM events`.execute(store.db).catch(() => {});
      report.eventBytes = await eventBytes(store);
    }
  }
  // blocks whose events are all gone: older than the cut-off, or older than the oldest event left
  const oldest = await oldestEvent(store);
  const blockCut = Math.max(cutoff, oldest ?? Number.MAX_SAFE_INTEGER);
  report.derivedDeleted += Number((await store.db.deleteFrom('event_blocks').where('max_ts', '<', blockCut).executeTakeFirst()).numDeletedRows);
  // derived rows by age (small tables, one statement each)
  const del = async (q: Promise<{ numDeletedRows: bigint }>) => {
    report.derivedDeleted += Number((await q).numDeletedRows);
  };
  await del(store.db.deleteFrom('rollup_hourly').where('bucket', '<', now - p.hourlyMaxAgeDays * DAY_MS).executeTakeFirst());
  await del(store.db.deleteFrom('rollup_daily').where('bucket', '<', now - p.dailyMaxAgeDays * DAY_MS).executeTakeFirst());
  await del(store.db.deleteFrom('incident_comments').where('incident_id', 'in', store.db.selectFrom('incidents').select('id').where('last_ms', '<', cutoff)).executeTakeFirst());
  await del(store.db.deleteFrom('incidents').where('last_ms', '<', cutoff).executeTakeFirst());
  await del(store.db.deleteFrom('scan_results').where('ts', '<', cutoff).executeTakeFirst());
  await del(store.db.deleteFrom('telescope_intervals').where('end_ms', '<', now - p.hourlyMaxAgeDays * DAY_MS).executeTakeFirst());
  await del(store.db.deleteFrom('sessions').where('expires_ms', '<', now).executeTakeFirst());
  if (report.eventBytes === 0) report.eventBytes = await eventBytes(store);
  return report;
}
