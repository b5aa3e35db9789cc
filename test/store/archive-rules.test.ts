/**
 * Auto-archive rules in the store, on both dialects: a new incident an enabled rule of its
 * organisation matches is stored archived by that rule (counted as the rule's hit); anything
 * else stays open; other organisations, disabled rules and non-matching conditions are left
 * alone; applying a rule to existing open incidents is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, alertEvent, eventId } from '../helpers/collector.js';
import { eventWriter } from '../../src/store/events.js';
import type { StoredEvent } from '../../src/store/contract.js';
import type { Store } from '../../src/store/open.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { listIncidents, setIncidentStatus } from '../../src/store/queries.js';
import { applyArchiveRule, createArchiveRule, deleteArchiveRule, getArchiveRule, listArchiveRules, updateArchiveRule } from '../../src/store/archive-rules.js';
import { MinewatchError } from '../../src/util/errors.js';

const BASE = Date.UTC(2026, 11, 7, 10, 0, 0);
let n = 0;

/** An alert from `src` to `dest` with signature `sig` and severity `sev`. */
function alert(src: string, o: { dest?: string; sig?: number; sev?: number; ts?: number } = {}): Record<string, unknown> {
  const e = alertEvent(n++, o.ts ?? BASE + n, { src });
  e.dest_ip = o.dest ?? '141.94.96.144';
  const a = e.alert as Record<string, unknown>;
  a.signature_id = o.sig ?? 9_100_001;
  a.severity = o.sev ?? 3;
  return e;
}

interface Seeded {
  store: Store; orgA: number; orgB: number; sensorA: number; sensorB: number;
  writeA: (events: Record<string, unknown>[]) => Promise<unknown>; writeB: (events: Record<string, unknown>[]) => Promise<unknown>;
  incident: (sensor: number, src: string, sig?: number) => Promise<{ id: number; status: string; archived_rule: number | null; count: number }>;
}

/** A test on each dialect: organisations isp-a and isp-b with one sensor each. */
function storeTest(name: string, body: (s: Seeded) => Promise<void>): void {
  for (const dialect of DIALECTS) {
    test(`${name} (${dialect.name})`, async (t) => {
      const o = await dialect.open();
      if (typeof o === 'string') return t.skip(o);
      try {
        const { store } = o;
        const orgA = (await createOrg(store, 'isp-a', {})).id;
        const orgB = (await createOrg(store, 'isp-b', {})).id;
        await createToken(store, 'home-a', 'isp-a');
        await createToken(store, 'home-b', 'isp-b');
        const sensorId = async (name: string) => Number((await store.db.selectFrom('sensors').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id);
        const sensorA = await sensorId('home-a');
        const sensorB = await sensorId('home-b');
        const w = eventWriter(store, { enrich: (ip) => (ip === '141.94.96.144' ? { country: 'FR', asn: 16276 } : null) });
        const writer = (org: number, sensor: number) => (events: Record<string, unknown>[]) =>
          w.writeEvents({ batchId: eventId(), orgId: String(org), sensorId: String(sensor), events: events as unknown as StoredEvent[] });
        const incident = async (sensor: number, src: string, sig = 9_100_001) => {
          const r = await store.db.selectFrom('incidents').select(['id', 'status', 'archived_rule', 'count'])
            .where('sensor_id', '=', sensor).where('src_ip', '=', src).where('signature_id', '=', sig).executeTakeFirstOrThrow();
          return { id: Number(r.id), status: r.status, archived_rule: r.archived_rule === null ? null : Number(r.archived_rule), count: Number(r.count) };
        };
        await body({ store, orgA, orgB, sensorA, sensorB, writeA: writer(orgA, sensorA), writeB: writer(orgB, sensorB), incident });
      } finally {
        await o.cleanup();
      }
    });
  }
}

storeTest('a matching new incident is stored archived by the rule; others stay open', async ({ store, orgA, sensorA, sensorB, writeA, writeB, incident }) => {
  const rule = await createArchiveRule(store, { org_id: orgA, src_cidr: '192.168.5.0/24', signature_id: 9_100_001, comment: 'the lab miners', created_by: 'anna' }, BASE);
  assert.equal(rule.src_cidr, '192.168.5.0/24');
  assert.equal(rule.enabled, true);
  // matching; other signature; other source; the same alert on the other organisation's sensor
  await writeA([alert('192.168.5.7'), alert('192.168.5.7', { sig: 9_100_002 }), alert('192.168.6.7')]);
  await writeB([alert('192.168.5.7')]);
  assert.deepEqual(await incident(sensorA, '192.168.5.7').then((i) => [i.status, i.archived_rule]), ['archived', rule.id]);
  assert.equal((await incident(sensorA, '192.168.5.7', 9_100_002)).status, 'open');
  assert.equal((await incident(sensorA, '192.168.6.7')).status, 'open');
  const b = await incident(sensorB, '192.168.5.7');
  assert.equal(b.status, 'open');
  assert.equal(b.archived_rule, null);
  let got = await getArchiveRule(store, rule.id, orgA);
  assert.equal(got?.hits, 1);
  const hitAt = got?.last_hit_ms ?? 0;
  assert.ok(hitAt > Date.now() - 600_000 && hitAt <= Date.now(), 'the last hit is when the rule archived it');

  // the next alert of the archived incident keeps it archived, and is no new hit
  await writeA([alert('192.168.5.7'), alert('192.168.5.8')]);
  const again = await incident(sensorA, '192.168.5.7');
  assert.equal(again.status, 'archived');
  assert.equal(again.count, 2);
  got = await getArchiveRule(store, rule.id, orgA);
  assert.equal(got?.hits, 2, 'one more hit: the new incident of 192.168.5.8');

  // the inbox lists the attribution; a person re-opening it takes the rule's name off
  const listed = (await listIncidents(store, { orgId: orgA }, { status: 'archived', limit: 10 })).items;
  assert.deepEqual(listed.map((i) => Number(i.archived_rule)).sort(), [rule.id, rule.id]);
  assert.equal(await setIncidentStatus(store, { orgId: orgA }, again.id, 'open'), true);
  assert.equal((await incident(sensorA, '192.168.5.7')).archived_rule, null);
  assert.deepEqual((await listArchiveRules(store, orgA)).map((r) => r.id), [rule.id]);
});

storeTest('disabled rules, peers, countries and severity floors', async ({ store, orgA, orgB, sensorA, writeA, incident }) => {
  const disabled = await createArchiveRule(store, { org_id: orgA, src_cidr: '192.168.7.1', created_by: 'anna', enabled: false });
  const otherOrg = await createArchiveRule(store, { org_id: orgB, src_cidr: '192.168.7.0/24', created_by: 'otto' });
  const peer = await createArchiveRule(store, { org_id: orgA, dest_cidr: '141.94.96.0/24', country: 'fr', severity_min: 3, created_by: 'anna' });
  assert.equal(peer.country, 'FR');
  await writeA([
    alert('192.168.7.1', { dest: '10.9.9.9', sev: 3 }), // only the disabled rule and the other organisation's rule would match
    alert('192.168.7.2', { sev: 3 }), // the pool peer in FR, severity 3: matches the peer rule
    alert('192.168.7.3', { sev: 2 }), // more severe than the floor: stays open
  ]);
  assert.equal((await incident(sensorA, '192.168.7.1')).status, 'open');
  assert.deepEqual(await incident(sensorA, '192.168.7.2').then((i) => [i.status, i.archived_rule]), ['archived', peer.id]);
  assert.equal((await incident(sensorA, '192.168.7.3')).status, 'open');
  assert.equal((await getArchiveRule(store, disabled.id, null))?.hits, 0);
  assert.equal((await getArchiveRule(store, otherOrg.id, null))?.hits, 0);

  // enabling the rule archives the next new incident it matches; a disabled rule no longer keeps an incident archived
  assert.equal((await updateArchiveRule(store, disabled.id, orgB, { enabled: true })), null, 'another organisation cannot change it');
  await updateArchiveRule(store, disabled.id, orgA, { enabled: true, comment: 'printer noise' });
  await writeA([alert('192.168.7.1', { dest: '10.9.9.9', sig: 9_100_003 })]);
  assert.deepEqual(await incident(sensorA, '192.168.7.1', 9_100_003).then((i) => [i.status, i.archived_rule]), ['archived', disabled.id]);
  await updateArchiveRule(store, peer.id, orgA, { enabled: false });
  await writeA([alert('192.168.7.2', { sev: 3 })]);
  assert.deepEqual(await incident(sensorA, '192.168.7.2').then((i) => [i.status, i.archived_rule]), ['open', null], 'a new alert re-opens it once no rule matches');

  // deleting: only in its organisation
  assert.equal(await deleteArchiveRule(store, disabled.id, orgB), false);
  assert.equal(await deleteArchiveRule(store, disabled.id, orgA), true);
  assert.equal(await getArchiveRule(store, disabled.id, null), null);
});

storeTest('apply to existing open incidents, bounded; other organisations and triaged incidents untouched', async ({ store, orgA, sensorA, sensorB, writeA, writeB, incident }) => {
  // oldest first: the non-matching one, then three the rule matches
  await writeA([alert('192.168.10.1'), alert('192.168.9.1'), alert('192.168.9.2'), alert('192.168.9.3')]);
  await writeB([alert('192.168.9.1')]);
  const acked = await incident(sensorA, '192.168.9.3');
  await setIncidentStatus(store, { orgId: orgA }, acked.id, 'acknowledged');
  const rule = await createArchiveRule(store, { org_id: orgA, src_cidr: '192.168.9.0/24', created_by: 'anna' });
  // at most one (the newest open one) read: archived, and it says more remained
  assert.deepEqual(await applyArchiveRule(store, rule, 1), { archived: 1, truncated: true });
  assert.deepEqual(await applyArchiveRule(store, rule), { archived: 1, truncated: false });
  for (const src of ['192.168.9.1', '192.168.9.2']) assert.deepEqual(await incident(sensorA, src).then((i) => [i.status, i.archived_rule]), ['archived', rule.id]);
  assert.equal((await incident(sensorA, '192.168.9.3')).status, 'acknowledged');
  assert.equal((await incident(sensorA, '192.168.10.1')).status, 'open');
  assert.equal((await incident(sensorB, '192.168.9.1')).status, 'open');
  assert.equal((await getArchiveRule(store, rule.id, orgA))?.hits, 2);
});

storeTest('a rule needs a condition, and valid addresses and country', async ({ store, orgA }) => {
  const code = async (f: () => Promise<unknown>) => f().then(() => 'none', (e: unknown) => (e instanceof MinewatchError ? e.code : String(e)));
  assert.equal(await code(() => createArchiveRule(store, { org_id: orgA, created_by: 'anna', comment: 'everything' })), 'archive-rule.no-condition');
  assert.equal(await code(() => createArchiveRule(store, { org_id: orgA, created_by: 'anna', src_cidr: '192.168.1.0/33' })), 'archive-rule.bad-cidr');
  assert.equal(await code(() => createArchiveRule(store, { org_id: orgA, created_by: 'anna', dest_cidr: 'pool.example' })), 'archive-rule.bad-cidr');
  assert.equal(await code(() => createArchiveRule(store, { org_id: orgA, created_by: 'anna', country: 'FRA' })), 'archive-rule.bad-country');
  assert.equal((await listArchiveRules(store, null)).length, 0);
});
