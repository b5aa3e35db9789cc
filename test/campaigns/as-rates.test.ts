/**
 * Rates normalised by AS size: the announced IPv4 addresses per AS (summed range lengths, from
 * a small table and from the bundled @ip-location-db/asn table checked against an independent
 * read of its CSV), and the campaign report's infected hosts per 100,000 announced addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAsnCsv } from '../../src/telescope/geo.js';
import { asSizeLookup, per100k } from '../../src/campaigns/as-size.js';
import { openStore } from '../../src/store/open.js';
import { campaignReport, createCampaign, markNotified } from '../../src/campaigns/campaign-store.js';
import { reportMarkdown } from '../../src/campaigns/report-text.js';

const DAY = 86_400_000;

test('announced addresses: summed ranges per AS, unknown AS undefined; per 100k', () => {
  const { table } = parseAsnCsv('1.0.0.0,1.0.0.255,64500,A\n1.0.2.0,1.0.3.255,64500,A\n2.0.0.0,2.0.0.15,64501,B\n');
  assert.equal(table.announced(64500), 256 + 512);
  assert.equal(table.announced(64501), 16);
  assert.equal(table.announced(64999), undefined);
  assert.equal(per100k(3, 768), 390.625);
  assert.equal(per100k(3, undefined), null);
  assert.equal(per100k(3, 0), null);
});

test('the bundled AS table: AS13335 and AS2519 sizes equal a direct read of the CSV', () => {
  const csv = readFileSync(createRequire(import.meta.url).resolve('@ip-location-db/asn/asn-ipv4-num.csv'), 'utf8');
  const sum = new Map<number, number>();
  for (const line of csv.split('\n')) {
    const [a, b, asn] = line.split(',', 3);
    const n = Number(asn);
    if (n === 13335 || n === 2519) sum.set(n, (sum.get(n) ?? 0) + Number(b) - Number(a) + 1);
  }
  const size = asSizeLookup();
  assert.ok((sum.get(13335) ?? 0) > 100_000);
  assert.equal(size(13335), sum.get(13335));
  assert.equal(size(2519), sum.get(2519));
  assert.equal(size(4_000_000_000), undefined);
});

test('campaign report: infected hosts per AS per 100,000 announced addresses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-asrates-'));
  const store = await openStore(`sqlite:${join(dir, 'mw.db')}`);
  try {
    const c = await createCampaign(store, 'rates', { period: { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' }, remediation: { baselineDays: 7, quietDays: 7, horizonDays: 10 } });
    const d0 = Math.floor(Date.parse('2026-03-01T00:00:00Z') / DAY);
    // notification on day 10; baseline window days 3–9; last window days 24–30
    const hosts: Array<[string, number, number[]]> = [
      ['ip:203.0.113.1', 64500, [5, 6]], ['ip:203.0.113.2', 64500, [8, 25]], ['ip:203.0.113.3', 64500, [9]],
      ['ip:198.51.100.1', 64501, [4, 30]], ['ip:198.51.100.2', 64501, [26]],
      ['ip:192.0.2.1', 64999, [7]],
    ];
    for (const [key, asn, days] of hosts) {
      await store.db.insertInto('campaign_hosts').values({
        campaign_id: c.id, host_key: key, ip: key.slice(3), device_id: null, sensor_ids: '[]', feeds: '[]', country: 'JP', asn,
        first_seen_ms: (d0 + days[0]) * DAY, last_seen_ms: (d0 + days[days.length - 1]) * DAY, events: days.length, evidence: '{"detectors":[],"signatureIds":[],"malware":[]}',
        grp: 'treatment', notify_state: 'pending', notified_ms: null, scope: ',0,',
      }).execute();
      await store.db.insertInto('campaign_host_days').values(days.map((d) => ({ campaign_id: c.id, host_key: key, day: d0 + d, sightings: 1 }))).execute();
    }
    await markNotified(store, c.id, (d0 + 10) * DAY);
    const sizes: Record<number, number> = { 64500: 200_000, 64501: 50_000 };
    const rep = await campaignReport(store, c.id, { orgId: null }, undefined, (asn) => sizes[asn]);
    assert.deepEqual(rep.asRates, [
      { asn: 64500, announced: 200_000, baseline: 3, final: 1, baselinePer100k: 1.5, finalPer100k: 0.5 },
      { asn: 64501, announced: 50_000, baseline: 1, final: 2, baselinePer100k: 2, finalPer100k: 4 },
      { asn: 64999, announced: null, baseline: 1, final: 0, baselinePer100k: null, finalPer100k: null },
    ]);
    assert.equal(rep.baseline, 5);
    const md = reportMarkdown(rep);
    assert.match(md, /\| AS64501 \| 50000 \| 1 \| 2\.00 \| 2 \| 4\.00 \|/);
    assert.match(md, /\| AS64999 \| unknown \| 1 \| – \| 0 \| – \|/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
