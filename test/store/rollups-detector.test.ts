/**
 * Roll-ups by detector (migration 0011), on both dialects: the hourly and daily roll-ups,
 * written batch by batch, equal the counts computed from the raw rows (events per bucket,
 * type and detector in every scope; incidents opened per bucket of their first alert and
 * detector), and so does the overview read. Migration 0011's backfill, run on a store whose
 * roll-ups were written before it (0011 undone: counts summed over detectors, incidents
 * dropped), gives back exactly the rows the writer wrote; where raw events are gone (retention),
 * the totals stay and the unexplained part is counted under detector ''.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Migrator, sql } from 'kysely';
import { DIALECTS, alertEvent, eventId } from '../helpers/collector.js';
import { eventWriter } from '../../src/store/events.js';
import type { StoredEvent } from '../../src/store/contract.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { migrations } from '../../src/store/migrations.js';
import type { Store } from '../../src/store/open.js';
import { overview } from '../../src/store/queries.js';
import { MINING_DETECTORS } from '../../src/events/detector.js';
import { eveTimestamp } from '../../src/events/eve-format.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 10, 20, 0, 0, 0);
const DETECTORS = ['stratum', 'pool-dns', 'scan', 'bruteforce', 'pool-tls'];

/** An alert of detector DETECTORS[i % 5] (its own signature block), from one of 12 sources, public ones in TH or JP. */
function alertOf(i: number, ts: number): Record<string, unknown> {
  const d = i % DETECTORS.length;
  const src = i % 4 === 0 ? `14.207.0.${i % 7}` : i % 4 === 1 ? `1.0.16.${i % 5}` : `192.168.1.${i % 6}`;
  const e = alertEvent(i, ts, { src });
  (e.alert as Record<string, unknown>).signature_id = 9_100_000 + d * 100 + (i % 2);
  (e.minewatch as Record<string, unknown>).detector = DETECTORS[d];
  return e;
}

/** A flow event (no detector). */
function flowOf(i: number, ts: number): Record<string, unknown> {
  return { timestamp: eveTimestamp(ts * 1000), event_type: 'flow', src_ip: `192.168.1.${i % 6}`, dest_ip: '93.184.216.34', proto: 'TCP', minewatch: { event_id: eventId(ts) } };
}

type Tuple = Array<string | number>;
const sorted = (rows: Tuple[]): Tuple[] => rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** Every roll-up row of a table, as plain tuples. */
async function rollupRows(store: Store, table: 'rollup_hourly' | 'rollup_daily'): Promise<Tuple[]> {
  const rows = await store.db.selectFrom(table).selectAll().execute();
  return sorted(rows.map((r) => [Number(r.bucket), Number(r.scope_org), Number(r.sensor_id), r.event_type, Number(r.signature_id), Number(r.severity), r.country, Number(r.asn), r.detector, Number(r.count), Number(r.incidents)]));
}

/** Roll-up sums per (bucket, scope, type, detector) and incidents per (bucket, scope, detector). */
async function fromRollups(store: Store, table: 'rollup_hourly' | 'rollup_daily'): Promise<{ events: Tuple[]; incidents: Tuple[] }> {
  const events = await store.db.selectFrom(table).select(['bucket', 'scope_org', 'event_type', 'detector', sql<number>`sum(count)`.as('n')])
    .groupBy(['bucket', 'scope_org', 'event_type', 'detector']).having(sql`sum(count)`, '>', 0).execute();
  const incidents = await store.db.selectFrom(table).select(['bucket', 'scope_org', 'detector', sql<number>`sum(incidents)`.as('n')])
    .groupBy(['bucket', 'scope_org', 'detector']).having(sql`sum(incidents)`, '>', 0).execute();
  return {
    events: sorted(events.map((r) => [Number(r.bucket), Number(r.scope_org), r.event_type, r.detector, Number(r.n)])),
    incidents: sorted(incidents.map((r) => [Number(r.bucket), Number(r.scope_org), r.detector, Number(r.n)])),
  };
}

/** The same, counted in the test from the raw events and the incidents (each scope: the whole collector, 0, and every organisation in the row's scope). */
async function fromRaw(store: Store, step: number): Promise<{ events: Tuple[]; incidents: Tuple[] }> {
  const ev = new Map<string, number>();
  const inc = new Map<string, number>();
  const add = (m: Map<string, number>, k: Tuple) => m.set(JSON.stringify(k), (m.get(JSON.stringify(k)) ?? 0) + 1);
  const orgs = (scope: string) => [0, ...scope.split(',').filter(Boolean).map(Number)];
  for (const r of await store.db.selectFrom('events').select(['ts', 'event_type', 'detector', 'scope']).execute()) {
    for (const o of orgs(r.scope)) add(ev, [Number(r.ts) - (Number(r.ts) % step), o, r.event_type, r.detector ?? '']);
  }
  for (const r of await store.db.selectFrom('incidents').select(['first_ms', 'detector', 'scope']).execute()) {
    for (const o of orgs(r.scope)) add(inc, [Number(r.first_ms) - (Number(r.first_ms) % step), o, r.detector ?? '']);
  }
  const out = (m: Map<string, number>) => sorted([...m].map(([k, n]) => [...(JSON.parse(k) as Tuple), n]));
  return { events: out(ev), incidents: out(inc) };
}

async function fill(store: Store): Promise<{ org: number; sensor: number }> {
  const ispA = (await createOrg(store, 'isp-a', {})).id;
  await createOrg(store, 'cert-th', { countries: ['TH'] });
  await createOrg(store, 'cert-jp', { countries: ['JP'] });
  await createToken(store, 'home-router-1', 'isp-a');
  const sensor = Number((await store.db.selectFrom('sensors').select('id').where('name', '=', 'home-router-1').executeTakeFirstOrThrow()).id);
  const w = eventWriter(store, { enrich: (ip) => (ip.startsWith('14.') ? { country: 'TH', asn: 23969 } : ip.startsWith('1.') ? { country: 'JP', asn: 2519 } : null) });
  // 6 batches, one per half day (a sensor sends in time order): each repeats incidents of the
  // earlier ones (same signature and source) and opens new ones
  let i = 0;
  for (let b = 0; b < 6; b++) {
    const events: Record<string, unknown>[] = [];
    for (let k = 0; k < 150; k++, i++) {
      const ts = BASE + b * (DAY / 2) + ((k * 37) % 150) * 288_000; // 150 distinct times over the half day, out of order
      events.push(k % 10 === 9 ? flowOf(i, ts) : alertOf(i, ts));
    }
    const batch = { batchId: eventId(), orgId: String(ispA), sensorId: String(sensor), events: events as unknown as StoredEvent[] };
    const r = await w.writeEvents(batch);
    assert.equal(r.accepted, 150);
    if (b === 2) assert.deepEqual(await w.writeEvents(batch), { accepted: 0, duplicates: 150 }, 'a retried batch counts nothing');
  }
  return { org: ispA, sensor };
}

for (const dialect of DIALECTS) {
  test(`roll-ups by detector equal the counts of the raw rows, in every scope; the overview reads them (${dialect.name})`, async (t) => {
    const o = await dialect.open();
    if (typeof o === 'string') return t.skip(o);
    try {
      const { store } = o;
      await fill(store);
      for (const [table, step] of [['rollup_hourly', HOUR], ['rollup_daily', DAY]] as const) {
        const roll = await fromRollups(store, table);
        const raw = await fromRaw(store, step);
        assert.ok(raw.events.length > (step === HOUR ? 200 : 30) && raw.incidents.length > (step === HOUR ? 50 : 12), `${table}: enough distinct rows to compare (${raw.events.length}, ${raw.incidents.length})`);
        assert.deepEqual(roll.events, raw.events, `${table}: events per bucket, scope, type and detector`);
        assert.deepEqual(roll.incidents, raw.incidents, `${table}: incidents opened per bucket, scope and detector`);
      }
      // the overview of the TH organisation, daily: its own alerts and incidents by detector
      const th = (await store.db.selectFrom('organisations').select('id').where('name', '=', 'cert-th').executeTakeFirstOrThrow()).id;
      const ov = await overview(store, { orgId: Number(th) }, { from: BASE, to: BASE + 3 * DAY, granularity: 'day' });
      const raw = await fromRaw(store, DAY);
      const want = new Map<string, { alerts: number; incidents: number }>();
      for (const [, org, type, det, n] of raw.events) if (org === th && type === 'alert') want.set(String(det), { alerts: (want.get(String(det))?.alerts ?? 0) + Number(n), incidents: 0 });
      for (const [, org, det, n] of raw.incidents) if (org === th) want.get(String(det))!.incidents += Number(n);
      assert.deepEqual(new Map(ov.detectors.map((d) => [d.detector, { alerts: d.alerts, incidents: d.incidents }])), want);
      assert.ok(ov.detectors.every((d) => d.points.every((p) => p[0] % DAY === 0 && p[0] >= BASE && p[0] < BASE + 3 * DAY)));
      // mining share of all events, collector-wide
      const all = await overview(store, { orgId: null }, { from: BASE, to: BASE + 3 * DAY, granularity: 'hour' });
      const rawAll = raw.events.filter((r) => r[1] === 0);
      assert.equal(all.events, 900);
      assert.equal(all.alerts, rawAll.filter((r) => r[2] === 'alert').reduce((a, r) => a + Number(r[4]), 0));
      const mining = rawAll.filter((r) => MINING_DETECTORS.includes(String(r[3]))).reduce((a, r) => a + Number(r[4]), 0);
      assert.equal(all.mining_events, mining);
      assert.ok(mining > 0 && mining < all.alerts, 'scan and bruteforce alerts are not mining');
      assert.equal(all.mining_share, mining / 900);
    } finally {
      await o.cleanup();
    }
  });

  test(`migration 0011 backfills the roll-ups written before it: the same rows as the writer's; totals kept where raw events are gone (${dialect.name})`, async (t) => {
    const o = await dialect.open();
    if (typeof o === 'string') return t.skip(o);
    try {
      const { store } = o;
      await fill(store);
      const written = { hourly: await rollupRows(store, 'rollup_hourly'), daily: await rollupRows(store, 'rollup_daily') };
      const migrator = new Migrator({ db: store.db as never, provider: { getMigrations: async () => migrations(store.dialect) } });
      // back to the roll-ups of 0010: no detector, no incidents
      assert.equal((await migrator.migrateTo('0010_incident_country')).error, undefined);
      const old = await store.db.selectFrom('rollup_hourly').selectAll().limit(1).executeTakeFirstOrThrow();
      assert.deepEqual(Object.keys(old).sort(), ['asn', 'bucket', 'count', 'country', 'event_type', 'scope_org', 'sensor_id', 'severity', 'signature_id']);
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      assert.deepEqual(await rollupRows(store, 'rollup_hourly'), written.hourly, 'hourly rows as the writer wrote them');
      assert.deepEqual(await rollupRows(store, 'rollup_daily'), written.daily, 'daily rows as the writer wrote them');

      // again, with the first day's raw events gone (as retention deletes them)
      assert.equal((await migrator.migrateTo('0010_incident_country')).error, undefined);
      await store.db.deleteFrom('events').where('ts', '<', BASE + DAY).execute();
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      for (const [table, rows] of [['rollup_hourly', written.hourly], ['rollup_daily', written.daily]] as const) {
        const now = await rollupRows(store, table);
        const total = (xs: Tuple[], pick: (r: Tuple) => boolean) => xs.filter(pick).reduce((a, r) => a + Number(r[9]), 0);
        assert.equal(total(now, () => true), total(rows, () => true), `${table}: every event still counted`);
        // from the second day on, the detectors are all back; the first day's events count under ''
        assert.deepEqual(now.filter((r) => Number(r[0]) >= BASE + DAY && Number(r[9]) > 0), rows.filter((r) => Number(r[0]) >= BASE + DAY), `${table}: rows from the second day on`);
        assert.ok(now.filter((r) => Number(r[0]) < BASE + DAY).every((r) => r[8] === '' || Number(r[9]) === 0), `${table}: the first day has no detector left but incident rows`);
        assert.ok(total(now, (r) => Number(r[0]) < BASE + DAY) > 0);
        // incidents: still one per stored incident, in the bucket of its first alert, by its detector
        const inc = (xs: Tuple[]) => sorted([...xs.reduce((m, r) => (Number(r[10]) > 0 ? m.set(`${r[0]}|${r[1]}|${r[8]}`, (m.get(`${r[0]}|${r[1]}|${r[8]}`) ?? 0) + Number(r[10])) : m), new Map<string, number>())].map(([k, n]) => [k, n]));
        assert.deepEqual(inc(now), inc(rows), `${table}: incidents opened per bucket, scope and detector`);
      }
    } finally {
      await o.cleanup();
    }
  });
}
