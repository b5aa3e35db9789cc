/**
 * The overview's server-side reads on a store of generated alerts (SQLite), in CPU time of
 * this process, which a loaded machine disturbs less than the browser's time to interactive:
 * - by detector: GET /api/v1/overview's read (store overview()) and the events by type;
 * - by signature, as the overview read before the roll-ups had a detector: the top six
 *   signatures, then one time series each, and the events by type.
 * Median of --runs rounds, alternating. The 24 h and 30 d ranges of the view.
 *
 *   npm run build && node dist/bench/overview-queries.js [--alerts 100000] [--runs 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventWriter } from '../src/store/events.js';
import { createToken } from '../src/store/identity.js';
import { openStore } from '../src/store/open.js';
import { counts, overview } from '../src/store/queries.js';
import type { StoredEvent } from '../src/store/contract.js';
import { alertEvent } from '../test/helpers/collector.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const { value } = readArgs();
const ALERTS = Number(value('--alerts', '100000'));
const RUNS = Number(value('--runs', '30'));
const DAY = 86_400_000;
const DETECTORS = ['stratum', 'pool-dns', 'pool-tls', 'scan', 'bruteforce'];

async function cpuMs(f: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  await f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-ovq-'));
  const store = await openStore(`sqlite:${join(dir, 'mw.db')}`);
  try {
    await createToken(store, 'home-router-1', null);
    const s = await store.db.selectFrom('sensors').select(['id', 'org_id']).where('name', '=', 'home-router-1').executeTakeFirstOrThrow();
    const w = eventWriter(store, { enrich: () => null });
    const now = Date.now();
    for (let i = 0; i < ALERTS; i += 20_000) {
      const events = Array.from({ length: Math.min(20_000, ALERTS - i) }, (_, k) => {
        const j = i + k;
        const e = alertEvent(j, now - 60_000 - Math.floor((j / ALERTS) * 30 * DAY));
        (e.minewatch as Record<string, unknown>).detector = DETECTORS[j % DETECTORS.length];
        (e.alert as Record<string, unknown>).signature_id = 9_100_000 + (j % DETECTORS.length) * 100 + (j % 3);
        return e;
      });
      await w.writeEvents({ batchId: `b-${i}`, orgId: String(s.org_id), sensorId: String(s.id), events: events as unknown as StoredEvent[] });
    }
    const v = { orgId: null };
    for (const [label, span, granularity, step] of [['24 h, hourly', DAY, 'hour', 3_600_000], ['30 d, daily', 30 * DAY, 'day', DAY]] as const) {
      const to = now - (now % step) + step;
      const base = { from: to - span, to, granularity };
      const byDetector = async () => Promise.all([overview(store, v, base), counts(store, v, { ...base, group_by: 'event_type', limit: 20 })]);
      const bySignature = async () => {
        const [top] = await Promise.all([counts(store, v, { ...base, event_type: 'alert', group_by: 'signature_id', limit: 6 }), counts(store, v, { ...base, group_by: 'event_type', limit: 20 })]);
        await Promise.all(top.map((r) => counts(store, v, { ...base, event_type: 'alert', signature_id: Number(r.key), group_by: 'time', limit: 10_000 })));
      };
      await byDetector();
      await bySignature();
      const a: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        a.push(await cpuMs(byDetector));
        b.push(await cpuMs(bySignature));
      }
      process.stdout.write(`${ALERTS.toLocaleString('en-US')} alerts, ${label}: by detector (now) ${median(a).toFixed(1)} CPU-ms, by signature (before) ${median(b).toFixed(1)} CPU-ms (median of ${RUNS})\n`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`overview-queries: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});
