/**
 * The evidence drill-down's first page (GET /api/v1/incidents/{id}/alerts: store/device-detail.ts
 * alertsOfCause) on a SQLite store filled with generated alerts spread over 30 days: the newest
 * 25 alerts of the largest incident (dense: one alert in 60) and of a rare one (30 alerts over the
 * 30 days, like a device's anomalies), with the alert-cause index of migration 0014 and with it
 * dropped (what the store had before: only (event_type, ts, id)). Prints wall ms p50/p95 and
 * CPU ms per page (process.cpuUsage) over --runs pages, alternating the two.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/evidence-drilldown.js [--alerts 300000] [--runs 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore } from '../src/store/open.js';
import { eventWriter } from '../src/store/events.js';
import { createToken } from '../src/store/identity.js';
import { alertsOfCause, getIncidentCause, type AlertCause } from '../src/store/device-detail.js';
import type { StoredEvent } from '../src/store/contract.js';
import { alertEvent } from '../test/helpers/collector.js';
import { percentile } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const { value } = readArgs();
const N = Number(value('--alerts', '300000'));
const RUNS = Number(value('--runs', '30'));
const DAY = 86_400_000;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-evidence-bench-'));
  const store = await openStore(`sqlite:${join(dir, 'mw.db')}`);
  try {
    await createToken(store, 'home-router-1', null);
    const s = await store.db.selectFrom('sensors').select(['id', 'org_id']).executeTakeFirstOrThrow();
    const w = eventWriter(store, { enrich: () => null });
    const now = Date.now();
    const t0 = performance.now();
    for (let i = 0; i < N; i += 5000) {
      const events = Array.from({ length: Math.min(5000, N - i) }, (_, k) => alertEvent(i + k, now - 60_000 - Math.floor(((i + k) / N) * 30 * DAY)));
      // the rare cause: one alert every N/30 alerts, so 30 over the whole span
      for (let k = 0; k < events.length; k++) if ((i + k) % Math.floor(N / 30) === 0) events[k] = alertEvent(i + k, now - 60_000 - Math.floor(((i + k) / N) * 30 * DAY), { src: '203.0.113.9' });
      // a device's anomalies: 30 over the span, found by the device (the device page), not by an address
      for (let k = 0; k < events.length; k++) {
        if ((i + k) % Math.floor(N / 30) !== 7) continue;
        const e = events[k] as { alert: { signature_id: number }; minewatch: { detector: string; device: { id: string } } };
        e.alert.signature_id = 9_101_201;
        e.minewatch.detector = 'anomaly';
        e.minewatch.device.id = 'dev-anomalous';
      }
      await w.writeEvents({ batchId: `b-${i}`, orgId: String(s.org_id), sensorId: String(s.id), events: events as unknown as StoredEvent[] });
    }
    const fillS = (performance.now() - t0) / 1000;
    const big = await store.read.selectFrom('incidents').select(['id']).orderBy('count', 'desc').limit(1).executeTakeFirstOrThrow();
    const rare = await store.read.selectFrom('incidents').select(['id']).where('src_ip', '=', '203.0.113.9').orderBy('count', 'desc').limit(1).executeTakeFirstOrThrow();
    const results: string[] = [];
    const cases: Array<[string, AlertCause]> = [];
    for (const [label, id] of [['dense incident', Number(big.id)], ['rare incident', Number(rare.id)]] as const) {
      const inc = (await getIncidentCause(store, { orgId: null }, id))!;
      cases.push([`${label} (${inc.count} alerts over ${((inc.last_ms - inc.first_ms) / DAY).toFixed(1)} days)`, { sensor_id: inc.sensor_id, signature_ids: [inc.signature_id], src_ip: inc.src_ip, from: inc.first_ms, to: inc.last_ms + 1 }]);
    }
    cases.push(['a device\'s 30 anomalies (by device id)', { sensor_id: Number(s.id), signature_ids: [9_101_201, 9_101_202], device_id: 'dev-anomalous' }]);
    for (const [label, cause] of cases) {
      const page = async (): Promise<{ wall: number; cpu: number }> => {
        const c0 = process.cpuUsage();
        const w0 = performance.now();
        await alertsOfCause(store, { orgId: null }, cause, { limit: 25, budgetMs: 10_000 });
        const c = process.cpuUsage(c0);
        return { wall: performance.now() - w0, cpu: (c.user + c.system) / 1000 };
      };
      const withIndex: Array<{ wall: number; cpu: number }> = [];
      const without: Array<{ wall: number; cpu: number }> = [];
      for (let r = 0; r < RUNS; r++) {
        withIndex.push(await page());
        await sql`DROP INDEX events_alert_cause`.execute(store.db);
        without.push(await page());
        await sql`CREATE INDEX events_alert_cause ON events (sensor_id, signature_id, src_ip, ts, id) WHERE event_type = 'alert'`.execute(store.db);
      }
      const row = (name: string, xs: Array<{ wall: number; cpu: number }>) =>
        `${label}, ${name.padEnd(22)} wall p50 ${percentile(xs.map((x) => x.wall), 50).toFixed(1)} ms, p95 ${percentile(xs.map((x) => x.wall), 95).toFixed(1)} ms; CPU p50 ${percentile(xs.map((x) => x.cpu), 50).toFixed(1)} ms`;
      results.push(row('with 0014 index', withIndex), row('without (before 0014)', without));
    }
    console.log(`${N} alerts filled in ${fillS.toFixed(1)} s; the first page of 25 alerts, ${RUNS} runs each, alternating`);
    for (const r of results) console.log(r);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
