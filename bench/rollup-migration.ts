/**
 * Migration 0011 (roll-ups by detector) on a large store: fills a fresh store with generated
 * alerts through the EventWriter (five detectors, three signatures each, from --sources public
 * addresses, so about 15 × sources incidents; spread over the last 14 days, as raw retention
 * keeps them), undoes 0011 (the roll-ups as 0010 had them: no detector, no
 * incidents), then times 0011's up migration, --runs times (undone again between runs).
 * Prints wall time and this process's CPU time (SQLite runs in-process; on PostgreSQL the work is
 * the server's, so only wall time means something), median of the runs.
 *
 *   npm run build && node dist/bench/rollup-migration.js [--alerts 1000000] [--db sqlite:/tmp/x.db|postgres://…] [--runs 3] [--batch 5000] [--sources 20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from 'kysely';
import { eventWriter } from '../src/store/events.js';
import { createToken } from '../src/store/identity.js';
import { migrations } from '../src/store/migrations.js';
import { openStore } from '../src/store/open.js';
import type { StoredEvent } from '../src/store/contract.js';
import { alertEvent } from '../test/helpers/collector.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const { value } = readArgs();
const ALERTS = Number(value('--alerts', '1000000'));
const RUNS = Number(value('--runs', '3'));
const BATCH = Number(value('--batch', '5000'));
const SOURCES = Number(value('--sources', '20000'));
const DETECTORS = ['stratum', 'pool-dns', 'pool-tls', 'scan', 'bruteforce'];
const DAY = 86_400_000;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-rollmig-'));
  const url = value('--db', `sqlite:${join(dir, 'mw.db')}`);
  const store = await openStore(url);
  try {
    await createToken(store, 'home-router-1', null);
    const s = await store.db.selectFrom('sensors').select(['id', 'org_id']).where('name', '=', 'home-router-1').executeTakeFirstOrThrow();
    const w = eventWriter(store, { enrich: () => null });
    const now = Date.now();
    const t0 = performance.now();
    for (let i = 0; i < ALERTS; i += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, ALERTS - i) }, (_, k) => {
        const j = i + k;
        const src = (j * 7919) % SOURCES;
        const e = alertEvent(j, now - 14 * DAY + Math.floor((j / ALERTS) * 14 * DAY), { src: `45.${(src >> 16) & 255}.${(src >> 8) & 255}.${src & 255}` });
        (e.minewatch as Record<string, unknown>).detector = DETECTORS[j % DETECTORS.length];
        (e.alert as Record<string, unknown>).signature_id = 9_100_000 + (j % DETECTORS.length) * 100 + (j % 3);
        return e;
      });
      await w.writeEvents({ batchId: `bench-${i}`, orgId: String(s.org_id), sensorId: String(s.id), events: events as unknown as StoredEvent[] });
    }
    const fill = (performance.now() - t0) / 1000;
    const count = async (t: 'rollup_hourly' | 'rollup_daily' | 'incidents') => Number((await store.db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    process.stderr.write(`filled ${ALERTS.toLocaleString('en-US')} alerts in ${fill.toFixed(0)} s: ${await count('rollup_hourly')} hourly rows, ${await count('rollup_daily')} daily rows, ${await count('incidents')} incidents\n`);
    const migrator = new Migrator({ db: store.db as never, provider: { getMigrations: async () => migrations(store.dialect) } });
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const down = await migrator.migrateTo('0010_incident_country');
      if (down.error) throw down.error;
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const up = await migrator.migrateToLatest();
      if (up.error) throw up.error;
      wall.push((performance.now() - w0) / 1000);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
      process.stderr.write(`run ${r + 1}: ${wall[r].toFixed(2)} s wall, ${cpu[r].toFixed(2)} CPU-s\n`);
    }
    process.stdout.write(`migration 0011 on ${store.dialect}, ${ALERTS.toLocaleString('en-US')} alerts: median ${median(wall).toFixed(2)} s wall, ${median(cpu).toFixed(2)} CPU-s (this process) over ${RUNS} runs\n`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`rollup-migration: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});
