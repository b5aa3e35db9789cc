/**
 * Incidents filtered by time of the last alert, detector and severity (migration 0004 gives
 * incidents their alerts' detector), on both dialects; an incident stored without a detector
 * gets it from its next alert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, alertEvent, eventId } from '../helpers/collector.js';
import { eventWriter } from '../../src/store/events.js';
import type { StoredEvent } from '../../src/store/contract.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { listIncidents } from '../../src/store/queries.js';

const BASE = Date.UTC(2026, 11, 7, 10, 0, 0);
const HOUR = 3_600_000;

for (const dialect of DIALECTS) {
  test(`incident filters: time, detector, severity (${dialect.name})`, async (t) => {
    const o = await dialect.open();
    if (typeof o === 'string') return t.skip(o);
    try {
      const { store } = o;
      const org = (await createOrg(store, 'isp-a', {})).id;
      await createToken(store, 'home-router-1', 'isp-a');
      const sensor = Number((await store.db.selectFrom('sensors').select('id').where('name', '=', 'home-router-1').executeTakeFirstOrThrow()).id);
      const w = eventWriter(store, { enrich: () => null });
      const write = async (events: Record<string, unknown>[]) => w.writeEvents({ batchId: eventId(), orgId: String(org), sensorId: String(sensor), events: events as unknown as StoredEvent[] });
      // stratum alerts (severity 1..3 by i % 3) from 10 sources, over 10 hours; one telnet alert, severity 2, stored without a detector first
      const stratum = Array.from({ length: 30 }, (_, i) => alertEvent(i, BASE + (i % 10) * HOUR, { src: `198.51.100.${i % 10}` }));
      await write(stratum);
      const telnet = (withDetector: boolean, ts: number) => {
        const e = alertEvent(1, ts, { src: '203.0.113.9' });
        (e.alert as Record<string, unknown>).signature_id = 9_200_001;
        (e.alert as Record<string, unknown>).severity = 2;
        const mw = e.minewatch as Record<string, unknown>;
        if (withDetector) mw.detector = 'telnet'; else delete mw.detector;
        mw.event_id = eventId(ts);
        return e;
      };
      await write([telnet(false, BASE)]);
      const all = await listIncidents(store, { orgId: null }, { limit: 1000 });
      const expected = new Set(stratum.map((e) => `${(e.alert as { signature_id: number }).signature_id}|${e.src_ip}`)).size + 1;
      assert.equal(all.items.length, expected);
      assert.equal((await listIncidents(store, { orgId: null }, { detector: 'telnet', limit: 1000 })).items.length, 0, 'no detector stored yet');
      await write([telnet(true, BASE + HOUR)]);
      const tel = await listIncidents(store, { orgId: null }, { detector: 'telnet', limit: 1000 });
      assert.deepEqual(tel.items.map((i) => [i.src_ip, i.detector, i.count]), [['203.0.113.9', 'telnet', 2]]);
      const str = await listIncidents(store, { orgId: null }, { detector: 'stratum', limit: 1000 });
      assert.equal(str.items.length, expected - 1);
      // severity: this or more severe
      const sev1 = await listIncidents(store, { orgId: null }, { severity: 1, limit: 1000 });
      assert.ok(sev1.items.length > 0 && sev1.items.every((i) => i.severity === 1));
      const sev2 = await listIncidents(store, { orgId: null }, { severity: 2, limit: 1000 });
      assert.ok(sev2.items.length > sev1.items.length && sev2.items.every((i) => Number(i.severity) <= 2));
      // time: last alert in [from, to)
      const win = await listIncidents(store, { orgId: null }, { from: BASE + 5 * HOUR, to: BASE + 8 * HOUR, limit: 1000 });
      assert.ok(win.items.length > 0 && win.items.every((i) => i.last_ms >= BASE + 5 * HOUR && i.last_ms < BASE + 8 * HOUR));
      const lastMs = all.items.map((i) => i.last_ms);
      assert.equal(win.items.length, lastMs.filter((x) => x >= BASE + 5 * HOUR && x < BASE + 8 * HOUR).length);
    } finally {
      await o.cleanup();
    }
  });
}
