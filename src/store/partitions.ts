/**
 * PostgreSQL: the events table is range-partitioned by day on `ts` (milliseconds). Daily
 * partitions are created on demand for events from the last PARTITION_PAST_DAYS days up to
 * tomorrow; anything older or further ahead (replayed old captures, skewed clocks) lands in
 * the DEFAULT partition, so a hostile batch cannot create thousands of tables. Retention drops
 * whole daily partitions (retention.ts).
 */
import type pg from 'pg';
import { DAY_MS } from './schema.js';

export const PARTITION_PAST_DAYS = 45;

const known = new Set<string>();

export function partitionName(dayMs: number): string {
  return `events_p${new Date(dayMs).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** Parses the day of a partition name (events_pYYYYMMDD), or null. */
export function partitionDay(name: string): number | null {
  const m = /^events_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}

async function create(client: pg.PoolClient | pg.Client, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // 42P07: another writer created it first; 23514: rows for that day already sit in the
    // default partition (they stay there and are still unique-checked there)
    if (code !== '42P07' && code !== '23514' && code !== '23505') throw err;
  }
}

/** Creates the partitions the given event times need (outside any transaction). */
export async function ensurePartitions(client: pg.PoolClient | pg.Client, times: Iterable<number>, now = Date.now()): Promise<void> {
  const db = (client as { database?: string }).database ?? '';
  const dkey = `${db}|default`;
  if (!known.has(dkey)) {
    await create(client, 'CREATE TABLE IF NOT EXISTS events_default PARTITION OF events DEFAULT');
    known.add(dkey);
  }
  const lo = now - (now % DAY_MS) - PARTITION_PAST_DAYS * DAY_MS;
  const hi = now - (now % DAY_MS) + 2 * DAY_MS;
  const days = new Set<number>();
  for (const t of times) {
    if (t < lo || t >= hi) continue;
    days.add(t - (t % DAY_MS));
  }
  for (const day of days) {
    const name = partitionName(day);
    const key = `${db}|${name}`;
    if (known.has(key)) continue;
    const exists = await client.query('SELECT 1 FROM pg_class WHERE relname = $1 AND relkind IN ($2, $3)', [name, 'r', 'p']);
    if (exists.rowCount === 0) {
      await create(client, `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF events FOR VALUES FROM (${day}) TO (${day + DAY_MS})`);
    }
    known.add(key);
  }
}

/** Forget what was created (tests that drop and recreate databases). */
export function forgetPartitions(): void {
  known.clear();
}
