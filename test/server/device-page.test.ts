/**
 * The device page and the evidence drill-down through the API, on SQLite and PostgreSQL: a
 * sensor's saved baselines (learned by the real Baselines) and its anomaly alerts, an incident
 * of 30 stratum alerts paged with their evidence, the advice from the project's one remediation
 * table, organisation scope, escaped payloads, and the time budget cutting a page short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, alertEvent } from '../helpers/collector.js';
import { serverFixture, type Fixture } from '../helpers/collector-server.js';
import { CAMERA, PHONE, anomalyAlert, seedBaselines } from '../helpers/device-baselines.js';
import { alertsOfCause, saveBaselineState } from '../../src/store/index.js';
import { describeBaseline } from '../../src/devices/baseline.js';
import { remediationFor } from '../../src/pipeline/remediation.js';

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);
const HOUR = 3_600_000;

async function get(f: Fixture, url: string, who: 'viewer' | 'other' = 'viewer') {
  const res = await f.app.inject({ method: 'GET', url, headers: await f.session(who) });
  return { status: res.statusCode, body: res.json() as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

for (const dialect of DIALECTS) {
  test(`device page: baseline, anomalies, advice and the evidence drill-down (${dialect.name})`, async (t) => {
    const f = await serverFixture(dialect);
    if (typeof f === 'string') return t.skip(f);
    try {
      const seeded = seedBaselines(NOW);
      // 30 stratum alerts from the camera (one incident), one with a hostile first message; the anomalies; another device's anomaly
      const stratum = Array.from({ length: 30 }, (_, i) => {
        const e = alertEvent(5 + 40 * i, NOW - 6 * HOUR + i * 60_000, { src: CAMERA.ip });
        (e.minewatch as Record<string, unknown>).device = CAMERA;
        return e;
      });
      ((stratum[29].minewatch as Record<string, Record<string, unknown>>).evidence).firstMessage = '{"method":"login"}\u0000\r\n<script>alert(1)</script>';
      const other = anomalyAlert({ device: PHONE.id, cause: 'upload-jump', severity: 2, tsUs: (NOW - HOUR) * 1000, remote: '8.8.4.4', baseline: {}, deviation: { upload_this_hour: 5e8 } }, PHONE);
      const ingest = await f.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${f.tokenA}` }, payload: { events: [...stratum, ...seeded.anomalies, other] } });
      assert.equal(ingest.statusCode, 200, ingest.body);
      const sensor = Number((await f.store.db.selectFrom('sensors').select('id').where('name', '=', 'home-router-1').executeTakeFirstOrThrow()).id);
      await saveBaselineState(f.store, sensor, seeded.state);
      const cam = Number((await f.store.db.selectFrom('devices').select('id').where('device_key', '=', CAMERA.id).executeTakeFirstOrThrow()).id);

      // the device: learned baseline in figures, and one piece of advice per kind of incident (from the remediation table)
      const d = await get(f, `/api/v1/devices/${cam}`);
      assert.equal(d.status, 200);
      assert.equal(d.body.device.device_key, CAMERA.id);
      const b = d.body.baseline;
      assert.equal(b.status, 'learned');
      assert.equal(b.since_ms, seeded.cameraSinceMs);
      assert.equal(b.learn_days, 7);
      assert.deepEqual(b.figures.top_hosts.slice().sort(), ['185.199.1.9', '52.1.1.1', '52.1.1.2'], 'the upload jump was learned too');
      assert.deepEqual(b.figures.top_ports.slice().sort((x: number, y: number) => x - y), [443, 8000]);
      assert.deepEqual(b.figures.top_countries, ['US']);
      assert.ok(b.figures.upload_hourly_mean > 20e6 && b.figures.upload_hourly_mean < 27e6, String(b.figures.upload_hourly_mean));
      assert.equal(b.busiest_hours_utc.length, 5);
      const miner = remediationFor(9_100_001, '', 'stratum');
      const anomaly = remediationFor(9_101_201, '', 'anomaly');
      assert.deepEqual(d.body.advice.map((a: { cause: string; steps: string[] }) => [a.cause, a.steps]).sort(), [[miner.cause, miner.steps], [anomaly.cause, anomaly.steps]].sort());
      // the phone is still learning (described from the same saved state)
      const phone = describeBaseline(seeded.state, PHONE.id);
      assert.equal(phone?.status, 'learning');
      assert.equal(describeBaseline(seeded.state, 'no-such-device'), null);
      assert.equal(describeBaseline({ version: 2 }, CAMERA.id), null);

      // its anomalies, newest first, with their evidence; not the phone's
      const an = await get(f, `/api/v1/devices/${cam}/anomalies`);
      assert.equal(an.status, 200);
      assert.deepEqual(an.body.items.map((x: { signature_id: number }) => x.signature_id), [9101202, 9101201]);
      assert.equal(an.body.next_cursor, null);
      assert.equal(an.body.partial, false);
      const mining = an.body.items[1];
      assert.deepEqual(mining.flow, { flow_id: 2_000_000 + 9101201, proto: 'TCP', app_proto: null, src_ip: CAMERA.ip, src_port: 50_001, dest_ip: '45.76.102.9', dest_port: 3333 });
      const facts = Object.fromEntries(mining.facts.map((x: { label: string; value: string }) => [x.label, x.value]));
      assert.equal(facts.Anomaly, 'mining-port');
      assert.equal(facts['Remote host'], '45.76.102.9');
      assert.equal(facts['Connection lasted (s)'], '3600');
      assert.ok(!mining.other.some((x: { label: string }) => x.label === 'baseline'), 'the baseline is on the device page, not in every alert');
      // another organisation's analyst sees neither the device nor its anomalies
      assert.equal((await get(f, `/api/v1/devices/${cam}`, 'other')).status, 404);
      assert.equal((await get(f, `/api/v1/devices/${cam}/anomalies`, 'other')).status, 404);

      // the incident's alerts in pages of 12: all 30 once, newest first, each with its evidence
      const inc = Number((await f.store.db.selectFrom('incidents').select('id').where('src_ip', '=', CAMERA.ip).where('signature_id', '=', 9_100_001).executeTakeFirstOrThrow()).id);
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const p = await get(f, `/api/v1/incidents/${inc}/alerts?limit=12${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(p.status, 200);
        assert.deepEqual(p.body.remediation, miner);
        assert.equal(p.body.incident.count, 30);
        assert.ok(p.body.items.length <= 12 && p.body.partial === false);
        if (pages === 0) {
          const first = p.body.items[0];
          assert.equal(first.ts, NOW - 6 * HOUR + 29 * 60_000, 'newest first');
          assert.equal(first.flow.dest_port, stratum[29].dest_port);
          const ff = Object.fromEntries(first.facts.map((x: { label: string; value: string }) => [x.label, x.value]));
          assert.equal(ff['Pool name'], (stratum[29].minewatch as Record<string, Record<string, unknown>>).evidence.poolName);
          assert.equal(ff['Stratum methods'], 'login, job, submit');
          assert.match(ff['Miner software'], /^XMRig\/6\.21\.0/);
          // control bytes escaped; markup stays text (the page renders it as a text node)
          assert.equal(first.payload, '{"method":"login"}\\x00\\r\\n<script>alert(1)</script>');
        }
        seen.push(...p.body.items.map((x: { ts: number }) => x.ts));
        cursor = p.body.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.equal(new Set(seen).size, 30);
      assert.deepEqual(seen, [...seen].sort((x, y) => y - x));
      assert.equal((await get(f, `/api/v1/incidents/${inc}/alerts`, 'other')).status, 404);
      assert.equal((await get(f, '/api/v1/incidents/99999999/alerts')).status, 404);
      assert.equal((await get(f, `/api/v1/incidents/${inc}/alerts?limit=101`)).status, 400, 'never an unbounded page');

      // the time budget: a clock that jumps past it after the first read ends the page early, partial, and the cursor continues
      let clock = 0;
      const cause = { sensor_id: sensor, signature_ids: [9_100_001], src_ip: CAMERA.ip };
      const cut = await alertsOfCause(f.store, { orgId: null }, cause, { limit: 100, budgetMs: 50, now: () => (clock += 60) });
      assert.equal(cut.items.length, 10, 'one step of 10 was read within the budget');
      assert.equal(cut.partial, true);
      assert.ok(cut.next_cursor);
      const rest = await alertsOfCause(f.store, { orgId: null }, cause, { limit: 100, cursor: cut.next_cursor });
      assert.equal(rest.items.length, 20);
      assert.equal(rest.partial, false);
      assert.equal(rest.next_cursor, null);
      assert.equal(new Set([...cut.items, ...rest.items].map((r) => r.id)).size, 30);
      // scoped: isp-a's private alerts are not another organisation's
      assert.equal((await alertsOfCause(f.store, { orgId: f.orgB }, cause, { limit: 100 })).items.length, 0);
    } finally {
      await f.cleanup();
    }
  });
}
