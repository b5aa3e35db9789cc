import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, alertEvent } from '../helpers/collector.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { eventWriter } from '../../src/store/events.js';
import { periodOf, trendReport, trendMarkdown } from '../../src/campaigns/trends.js';
import { eveTimestamp } from '../../src/events/eve-format.js';
import type { StoredEvent } from '../../src/store/contract.js';

test('periods: UTC months and ISO weeks', () => {
  assert.deepEqual(periodOf(Date.parse('2026-07-31T23:59:59Z'), 'month'), { start: Date.parse('2026-07-01T00:00:00Z'), label: '2026-07' });
  assert.equal(periodOf(Date.parse('2026-01-01T12:00:00Z'), 'week').label, '2026-W01'); // a Thursday
  assert.equal(periodOf(Date.parse('2027-01-01T12:00:00Z'), 'week').label, '2026-W53'); // a Friday: week 53 of 2026
  assert.equal(periodOf(Date.parse('2026-03-08T12:00:00Z'), 'week').start, Date.parse('2026-03-02T00:00:00Z'));
});

for (const dialect of DIALECTS) {
  test(`trends from the store: mining share and change, countries, detectors, darknet ports (${dialect.name})`, async (t) => {
    const o = await dialect.open();
    if (typeof o === 'string') {
      t.skip(o);
      return;
    }
    try {
      const org = await createOrg(o.store, 'isp', {});
      const { info } = await createToken(o.store, 'home-1', 'isp');
      const sensorId = Number((await o.store.db.selectFrom('sensors').select('id').where('name', '=', info.sensor).executeTakeFirstOrThrow()).id);
      const enrich = (ip: string) => (ip.startsWith('14.') ? { country: 'TH', asn: 23969 } : ip.startsWith('1.0.') ? { country: 'JP', asn: 2519 } : null);
      const w = eventWriter(o.store, { enrich });
      const jul = Date.parse('2026-07-10T10:00:00Z');
      const sep = Date.parse('2026-09-10T10:00:00Z');
      const ev: Record<string, unknown>[] = [];
      // July: 2 mining alerts (TH) of 4; September: 4 mining (3 TH, 1 JP) of 5
      ev.push(alertEvent(0, jul, { src: '14.207.0.5' }), alertEvent(1, jul + 1, { src: '14.207.0.6' }));
      const other = (i: number, ts: number, src: string) => ({ ...alertEvent(i, ts, { src }), alert: { action: 'allowed', gid: 1, signature_id: 2_000_001 + i, rev: 1, signature: 'ET SCAN Suspicious inbound to Redis', category: 'Attempted Recon', severity: 2 }, minewatch: { ...(alertEvent(i, ts).minewatch as object), detector: 'rule' } });
      ev.push(other(2, jul + 2, '14.207.0.7'), other(3, jul + 3, '1.0.16.1'));
      for (let i = 0; i < 3; i++) ev.push(alertEvent(10 + i, sep + i, { src: '14.207.0.5' }));
      ev.push(alertEvent(13, sep + 3, { src: '1.0.16.1' }), other(4, sep + 4, '1.0.16.2'));
      const tel = (ts: number, id: string, ports: Record<string, number>, packets: number) => ({ timestamp: eveTimestamp(ts * 1000), event_type: 'telescope', telescope: { start: ts, end: ts + 3_600_000, packets, unique_sources: 5, ports }, minewatch: { event_id: id } });
      ev.push(tel(jul, 't1', { 6379: 100, 23: 400 }, 500), tel(sep, 't2', { 6379: 900, 23: 300 }, 1200));
      const r = await w.writeEvents({ batchId: 'b1', orgId: String(org.id), sensorId: String(sensorId), events: ev as unknown as StoredEvent[] });
      assert.equal(r.accepted, ev.length);

      const rep = await trendReport(o.store, { from: Date.parse('2026-07-01T00:00:00Z'), to: Date.parse('2026-10-01T00:00:00Z'), by: 'month', asSize: (asn) => (asn === 23969 ? 50_000 : undefined) });
      assert.deepEqual(rep.periods.map((p) => [p.period, p.alerts, p.mining]), [['2026-07', 4, 2], ['2026-08', 0, 0], ['2026-09', 5, 4]]);
      const [julR, , sepR] = rep.periods;
      assert.equal(julR.miningShare, 0.5);
      assert.equal(sepR.miningShare, 0.8);
      assert.equal(sepR.miningChange, null); // August had none: no change to report
      assert.deepEqual(julR.byCountry, [{ key: 'TH', count: 3 }, { key: 'JP', count: 1 }]);
      // alerts per source AS, per 100,000 announced addresses where the size is known
      assert.deepEqual(julR.byAsn, [{ asn: 23969, count: 3, announced: 50_000, per100k: 6 }, { asn: 2519, count: 1, announced: null, per100k: null }]);
      assert.deepEqual(sepR.byDetector, [{ key: 'stratum', count: 4 }, { key: 'rule', count: 1 }]);
      assert.equal(sepR.darknetPackets, 1200);
      assert.deepEqual(sepR.topPorts[0], { port: '6379', packets: 900, change: null, surge: false });
      assert.equal(sepR.darknetUniqueSources, null, 'intervals without a sketch: no unique count');
      assert.ok(sepR.byDeviceType.length > 0);
      const weekly = await trendReport(o.store, { from: Date.parse('2026-07-01T00:00:00Z'), to: Date.parse('2026-10-01T00:00:00Z'), by: 'week' });
      assert.equal(weekly.periods.reduce((a, p) => a + p.alerts, 0), 9);
      const twoMonths = await trendReport(o.store, { from: Date.parse('2026-07-01T00:00:00Z'), to: Date.parse('2026-08-01T00:00:00Z'), by: 'month' });
      assert.equal(twoMonths.periods.length, 1);
      assert.match(trendMarkdown(rep), /\| 2026-09 \| 5 \| 4 \| 80\.0 % \|/);
    } finally {
      await o.cleanup();
    }
  });
}
