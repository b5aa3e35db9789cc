/**
 * Incident triage in the store, on both dialects: comments (who, what, when; scoped to the
 * viewer's organisation; deleted with their incident by retention) and the escalated status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, alertEvent, eventId } from '../helpers/collector.js';
import { eventWriter } from '../../src/store/events.js';
import type { StoredEvent } from '../../src/store/contract.js';
import type { Store } from '../../src/store/open.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { addIncidentComment, incidentGroups, listIncidentComments, listIncidents, setIncidentStatus } from '../../src/store/queries.js';
import { applyRetention } from '../../src/store/retention.js';

const BASE = Date.UTC(2026, 11, 7, 10, 0, 0);
const DAY = 86_400_000;

interface Seeded { store: Store; org: number; sensors: number[]; write: (sensor: number, events: Record<string, unknown>[]) => Promise<unknown> }

/** A test on each dialect's store: organisation isp-a with the sensors `names` (in that order), and a writer whose enricher knows `geo`. */
function storeTest(name: string, names: string[], geo: Record<string, string>, body: (s: Seeded) => Promise<void>): void {
  for (const dialect of DIALECTS) {
    test(`${name} (${dialect.name})`, async (t) => {
      const o = await dialect.open();
      if (typeof o === 'string') return t.skip(o);
      try {
        const { store } = o;
        const org = (await createOrg(store, 'isp-a', {})).id;
        const sensors: number[] = [];
        for (const n of names) {
          await createToken(store, n, 'isp-a');
          sensors.push(Number((await store.db.selectFrom('sensors').select('id').where('name', '=', n).executeTakeFirstOrThrow()).id));
        }
        const w = eventWriter(store, { enrich: (ip) => (geo[ip] ? { country: geo[ip], asn: 1 } : null) });
        const write = (sensor: number, events: Record<string, unknown>[]) => w.writeEvents({ batchId: eventId(), orgId: String(org), sensorId: String(sensor), events: events as unknown as StoredEvent[] });
        await body({ store, org, sensors, write });
      } finally {
        await o.cleanup();
      }
    });
  }
}

storeTest('incident comments and escalation', ['home-router-1'], {}, async ({ store, org, sensors: [sensor], write }) => {
  const other = (await createOrg(store, 'isp-b', {})).id;
  // two incidents from private sources (only isp-a sees them): one old, one recent
  const events = [alertEvent(1, BASE - 30 * DAY, { src: '192.168.1.10' }), alertEvent(2, BASE, { src: '192.168.1.11' })];
  await write(sensor, events);
  const all = (await listIncidents(store, { orgId: null }, { limit: 10 })).items;
  assert.equal(all.length, 2);
  const [recent, old] = all; // newest first
  assert.equal(recent.src_ip, '192.168.1.11');

  const c1 = await addIncidentComment(store, { orgId: org }, recent.id, 'anna', 'seen on the NAS too', BASE + 1);
  const c2 = await addIncidentComment(store, { orgId: null }, recent.id, 'adam', '<b>not</b> a false positive', BASE + 2);
  assert.ok(c1 && c2 && c2.id > c1.id);
  await addIncidentComment(store, { orgId: null }, old.id, 'adam', 'old one', BASE + 3);
  // another organisation sees neither the incident nor its comments, and cannot comment
  assert.equal(await listIncidentComments(store, { orgId: other }, recent.id), null);
  assert.equal(await addIncidentComment(store, { orgId: other }, recent.id, 'otto', 'mine now'), null);
  assert.equal(await addIncidentComment(store, { orgId: null }, 999_999, 'adam', 'no such incident'), null);
  const got = await listIncidentComments(store, { orgId: org }, recent.id);
  assert.deepEqual(got?.map((c) => [c.author, c.body, c.created_ms]), [['anna', 'seen on the NAS too', BASE + 1], ['adam', '<b>not</b> a false positive', BASE + 2]]);

  // escalate: a status like acknowledge/archive, filterable
  assert.equal(await setIncidentStatus(store, { orgId: other }, recent.id, 'escalated'), false);
  assert.equal(await setIncidentStatus(store, { orgId: org }, recent.id, 'escalated'), true);
  const esc = await listIncidents(store, { orgId: org }, { status: 'escalated', limit: 10 });
  assert.deepEqual(esc.items.map((i) => i.id), [recent.id]);
  assert.equal((await listIncidents(store, { orgId: org }, { status: 'open', limit: 10 })).items.length, 1);

  // retention removes the old incident and its comments, keeps the recent one's
  await applyRetention(store, { now: BASE + DAY });
  assert.equal(await listIncidentComments(store, { orgId: null }, old.id), null);
  const left = await store.db.selectFrom('incident_comments').select('incident_id').execute();
  assert.deepEqual(left.map((r) => Number(r.incident_id)), [recent.id, recent.id]);
});

storeTest('incidents grouped by signature, device and peer', ['home-1', 'home-2'], {}, async ({ store, sensors: [s1, s2], write }) => {
  // the same private address in two homes; two signatures; two pools
  const ev = (i: number, ts: number, src: string, sig: number, dest: string) => {
    const e = alertEvent(i, ts, { src });
    (e.alert as Record<string, unknown>).signature_id = sig;
    (e.alert as Record<string, unknown>).signature = `sig ${sig}`;
    (e.alert as Record<string, unknown>).severity = sig === 1 ? 1 : 3;
    e.dest_ip = dest;
    return e;
  };
  const home1 = [ev(1, BASE, '192.168.1.10', 1, '203.0.113.1'), ev(2, BASE + 1, '192.168.1.10', 1, '203.0.113.1'), ev(3, BASE + 2, '192.168.1.10', 2, '203.0.113.2'), ev(4, BASE + 3, '192.168.1.20', 2, '203.0.113.2')];
  const home2 = [ev(5, BASE + 10, '192.168.1.10', 2, '203.0.113.2')];
  await write(s1, home1);
  await write(s2, home2);
  const all = { orgId: null };
  const bySig = await incidentGroups(store, all, { by: 'signature' });
  assert.deepEqual(bySig.items.map((g) => [g.key, g.label, g.incidents, g.alerts, g.severity, g.last_ms]),
    [[{ signature_id: 2 }, 'sig 2', 3, 3, 3, BASE + 10], [{ signature_id: 1 }, 'sig 1', 1, 2, 1, BASE + 1]]);
  const byDev = await incidentGroups(store, all, { by: 'device' });
  assert.deepEqual(byDev.items.map((g) => [g.key, g.incidents, g.alerts]), [
    [{ sensor_id: s2, src_ip: '192.168.1.10' }, 1, 1], [{ sensor_id: s1, src_ip: '192.168.1.20' }, 1, 1], [{ sensor_id: s1, src_ip: '192.168.1.10' }, 2, 3]]);
  const byPeer = await incidentGroups(store, all, { by: 'peer', severity: 2 });
  assert.deepEqual(byPeer.items.map((g) => [g.key, g.incidents]), [[{ dest_ip: '203.0.113.1' }, 1]]);
  const cut = await incidentGroups(store, all, { by: 'device', limit: 2 });
  assert.equal(cut.items.length, 2);
  assert.equal(cut.truncated, true);
  // a group's key, as a filter, lists exactly the group's incidents
  for (const g of byDev.items) assert.equal((await listIncidents(store, all, { ...g.key, limit: 100 })).items.length, g.incidents);
});

storeTest('incidents filtered by country and device', ['home-1'], { '14.207.0.5': 'TH', '1.0.16.1': 'JP' }, async ({ store, sensors: [sensor], write }) => {
  const to = (i: number, src: string, dest: string) => {
    const e = alertEvent(i, BASE + i, { src });
    (e.alert as Record<string, unknown>).signature_id = 9_100_001;
    e.dest_ip = dest;
    return e;
  };
  // two home devices talking to a Thai and a Japanese pool; a private-only incident has no country
  await write(sensor, [to(1, '192.168.1.10', '14.207.0.5'), to(2, '192.168.1.11', '1.0.16.1'), to(3, '192.168.1.11', '1.0.16.1'), to(4, '192.168.1.12', '192.168.1.1')]);
  const all = { orgId: null };
  const th = await listIncidents(store, all, { country: 'TH', limit: 10 });
  assert.deepEqual(th.items.map((i) => [i.src_ip, i.country]), [['192.168.1.10', 'TH']]);
  const jp = await listIncidents(store, all, { country: 'JP', limit: 10 });
  assert.deepEqual(jp.items.map((i) => [i.src_ip, i.country, i.count]), [['192.168.1.11', 'JP', 2]]);
  assert.equal((await listIncidents(store, all, { country: 'VN', limit: 10 })).items.length, 0);
  const dev = await listIncidents(store, all, { src_ip: '192.168.1.12', limit: 10 });
  assert.deepEqual(dev.items.map((i) => [i.src_ip, i.country]), [['192.168.1.12', null]]);
  // a later alert with a country fills in one stored without
  await write(sensor, [to(5, '192.168.1.12', '14.207.0.5')]);
  assert.deepEqual((await listIncidents(store, all, { country: 'TH', limit: 10 })).items.map((i) => i.src_ip).sort(), ['192.168.1.10', '192.168.1.12']);
});
