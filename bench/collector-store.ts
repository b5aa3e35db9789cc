/**
 * Store write throughput and storage per event (issue 17): the EventWriter alone, without
 * HTTP, on SQLite and PostgreSQL, with batches of realistic alert events (500 by default).
 * Several batches are in flight at once (--concurrency, default 4), as when many sensors post.
 * Rounds alternate between the dialects (paired, interleaved: the machine is shared and its
 * speed drifts); the table gives the median events/s of the rounds, and bytes per stored
 * event measured after the last round.
 *
 *   npm run build && node dist/bench/collector-store.js [--rounds 5] [--batches 40] [--batch 500] [--only sqlite|postgres] [--json]
 *
 * PostgreSQL comes from MINEWATCH_TEST_PG / PG* variables / 127.0.0.1:5432 (a database of its
 * own, dropped afterwards), as in the tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore, type Store } from '../src/store/open.js';
import { eventWriter } from '../src/store/events.js';
import { authenticateToken, createOrg, createToken } from '../src/store/identity.js';
import type { StoredEvent } from '../src/store/contract.js';
import { alertEvent, eventId } from '../test/helpers/collector.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const { value, flag } = readArgs();
const ROUNDS = Number(value('--rounds', '5'));
const BATCHES = Number(value('--batches', '40'));
const BATCH = Number(value('--batch', '500'));
const ONLY = value('--only', '');
/** Batches in flight at once (a collector serves many sensors at a time). */
const CONCURRENCY = Number(value('--concurrency', '4'));

interface Target {
  name: 'sqlite' | 'postgres';
  store: Store;
  cleanup: () => Promise<void>;
  write: (events: StoredEvent[]) => Promise<number>;
  rates: number[];
  /** events per CPU-second of this process (all its threads): robust to a shared machine; for PostgreSQL the server's CPU is not in it */
  perCpu: number[];
  stored: number;
}

const GEO = (ip: string) => ({ country: ip.startsWith('1.') || ip.startsWith('14.') ? 'TH' : 'VN', asn: 45899 });

async function setup(name: 'sqlite' | 'postgres'): Promise<Target | null> {
  let store: Store;
  let cleanup: () => Promise<void>;
  if (name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mw-bench-store-'));
    store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
    cleanup = async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); };
  } else {
    const db = await createTestDatabase('mw_bench_store');
    if (typeof db === 'string') return null;
    store = await openStore(db.url);
    cleanup = async () => { await store.close(); await db.drop(); };
  }
  await createOrg(store, 'bench', {});
  await createOrg(store, 'cert-th', { countries: ['TH'] });
  const p = (await authenticateToken(store, (await createToken(store, 'bench-sensor', 'bench')).token))!;
  const w = eventWriter(store, { enrich: GEO });
  return {
    name, store, cleanup, rates: [], perCpu: [], stored: 0,
    write: async (events) => (await w.writeEvents({ batchId: eventId(), orgId: String(p.orgId), sensorId: String(p.sensorId), events })).accepted,
  };
}

let counter = 0;
function makeBatches(n: number): StoredEvent[][] {
  const now = Date.now();
  return Array.from({ length: n }, () => Array.from({ length: BATCH }, () => {
    const i = counter++;
    return alertEvent(i, now - 3_600_000 + (i % 3_600_000)) as unknown as StoredEvent;
  }));
}

async function bytesPerEvent(t: Target): Promise<{ events_table: number; whole_db: number }> {
  if (t.name === 'sqlite') {
    const db = t.store.sqlite!;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const page = Number(db.pragma('page_size', { simple: true }));
    const whole = (Number(db.pragma('page_count', { simple: true })) - Number(db.pragma('freelist_count', { simple: true }))) * page;
    let table = NaN;
    try {
      const r = db.prepare(`SELECT sum(pgsize) AS b FROM dbstat WHERE name IN ('events', 'events_type_ts', 'sqlite_autoindex_events_1', 'event_blocks', 'event_blocks_max_ts')`).get() as { b: number };
      table = r.b;
    } catch {
      // dbstat not compiled in
    }
    return { events_table: table / t.stored, whole_db: whole / t.stored };
  }
  await sql`VACUUM ANALYZE`.execute(t.store.db);
  const ev = await sql<{ b: number }>`SELECT ((SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i WHERE i.inhparent = 'events'::regclass) + pg_total_relation_size('event_blocks'))::bigint AS b`.execute(t.store.db);
  const whole = await sql<{ b: number }>`SELECT pg_database_size(current_database())::bigint AS b`.execute(t.store.db);
  const empty = 7_500_000; // an empty PostgreSQL database is about 7.5 MB of catalogs
  return { events_table: Number(ev.rows[0].b) / t.stored, whole_db: (Number(whole.rows[0].b) - empty) / t.stored };
}

async function main(): Promise<void> {
  const names = (['sqlite', 'postgres'] as const).filter((n) => !ONLY || ONLY === n);
  const targets: Target[] = [];
  for (const n of names) {
    const t = await setup(n);
    if (t) targets.push(t);
    else process.stderr.write(`bench: ${n} skipped (no server)\n`);
  }
  const sample = JSON.stringify(alertEvent(1, Date.now()));
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of r % 2 ? [...targets].reverse() : targets) {
      const batches = makeBatches(BATCHES);
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < batches.length) {
          const n = await t.write(batches[next++]);
          t.stored += n;
        }
      }));
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      t.rates.push((BATCHES * BATCH) / s);
      const cpu = process.cpuUsage(c0);
      t.perCpu.push((BATCHES * BATCH) / ((cpu.user + cpu.system) / 1e6));
    }
    process.stderr.write(`bench: round ${r + 1}/${ROUNDS}: ${targets.map((t) => `${t.name} ${Math.round(t.rates[t.rates.length - 1]).toLocaleString('en-US')} ev/s`).join(', ')}\n`);
  }
  const rows = [];
  for (const t of targets) {
    const b = await bytesPerEvent(t);
    rows.push({ dialect: t.name, events_per_s: Math.round(median(t.rates)), events_per_cpu_s: Math.round(median(t.perCpu)), min: Math.round(Math.min(...t.rates)), max: Math.round(Math.max(...t.rates)), stored: t.stored, bytes_per_event_events_table: Math.round(b.events_table), bytes_per_event_whole_db: Math.round(b.whole_db) });
    await t.cleanup();
  }
  if (flag('--json')) {
    process.stdout.write(`${JSON.stringify({ batch: BATCH, rounds: ROUNDS, event_json_bytes: sample.length, rows })}\n`);
    return;
  }
  let md = `Store write path (EventWriter, no HTTP), ${BATCH}-event batches of realistic alerts (${sample.length} B of JSON each), ${ROUNDS} interleaved rounds of ${BATCHES} batches, ${CONCURRENCY} batches in flight; median (min–max).\n\n`;
  md += '| dialect | events/s | min–max | events per CPU-s of the writer process | bytes/event (events + indexes) | bytes/event (whole database) |\n|---|---|---|---|---|---|\n';
  for (const r of rows) md += `| ${r.dialect} | ${r.events_per_s.toLocaleString('en-US')} | ${r.min.toLocaleString('en-US')}–${r.max.toLocaleString('en-US')} | ${r.events_per_cpu_s.toLocaleString('en-US')} | ${r.bytes_per_event_events_table} | ${r.bytes_per_event_whole_db} |\n`;
  process.stdout.write(md);
}

await main();
