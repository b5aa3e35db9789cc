/**
 * Incident triage in the store, on both dialects: comments (who, what, when; scoped to the
 * viewer's organisation; deleted with their incident by retention) and the escalated status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, alertEvent, eventId } from '../helpers/collector.js';
import { eventWriter } from '../../src/store/events.js';
import type { StoredEvent } from '../../src/store/contract.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { addIncidentComment, listIncidentComments, listIncidents, setIncidentStatus } from '../../src/store/queries.js';
import { applyRetention } from '../../src/store/retention.js';

const BASE = Date.UTC(2026, 11, 7, 10, 0, 0);
const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  test(`incident comments and escalation (${dialect.name})`, async (t) => {
    const o = await dialect.open();
    if (typeof o === 'string') return t.skip(o);
    try {
      const { store } = o;
      const org = (await createOrg(store, 'isp-a', {})).id;
      const other = (await createOrg(store, 'isp-b', {})).id;
      await createToken(store, 'home-router-1', 'isp-a');
      const sensor = Number((await store.db.selectFrom('sensors').select('id').where('name', '=', 'home-router-1').executeTakeFirstOrThrow()).id);
      const w = eventWriter(store, { enrich: () => null });
      // two incidents from private sources (only isp-a sees them): one old, one recent
      const events = [alertEvent(1, BASE - 30 * DAY, { src: '192.168.1.10' }), alertEvent(2, BASE, { src: '192.168.1.11' })];
      await w.writeEvents({ batchId: eventId(), orgId: String(org), sensorId: String(sensor), events: events as unknown as StoredEvent[] });
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
    } finally {
      await o.cleanup();
    }
  });
}
