import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/collector.js';
import { parseIntelmqEvents, parseShadowserverCsv, importEvidence } from '../../src/campaigns/evidence-import.js';
import { buildCampaignHosts, campaignHosts, campaignReport, createCampaign } from '../../src/campaigns/campaign-store.js';

const CSV = [
  'timestamp,ip,port,asn,geo,region,city,hostname,type,infection,url,agent,cc,cc_port',
  '2026-03-01 10:00:00,203.0.113.9,8291,64500,JP,,,,tcp,coinhive,,,,',
  '"2026-03-01 11:00:00",27.3.0.5,,AS64501,th,,,,tcp,xmrig,,,141.94.96.144,3333',
  '2026-03-02 11:00:00,not-an-ip,,64501,TH,,,,tcp,xmrig,,,,',
  '2026-03-02,27.3.0.5,,64501,TH,,,,tcp,xmrig,,,,',
].join('\r\n');

test('Shadowserver-style CSV: rows with their fields, bad rows reported by line, never thrown', () => {
  const r = parseShadowserverCsv(CSV, 'shadowserver-drone');
  assert.equal(r.rows.length, 2);
  assert.deepEqual({ ...r.rows[1], detail: undefined }, { feed: 'shadowserver-drone', ts: Date.parse('2026-03-01T11:00:00Z'), ip: '27.3.0.5', port: null, country: 'TH', asn: 64501, malware: 'xmrig', detail: undefined });
  assert.deepEqual(r.problems.map((p) => p.line), [4, 5]);
  assert.deepEqual(parseShadowserverCsv('a,b\n1,2\n', 'x').problems.map((p) => p.line), [1]);
  for (const junk of ['', '"', '\u0000,,,', 'timestamp,ip\n"unterminated']) assert.doesNotThrow(() => parseShadowserverCsv(junk, 'x'));
});

test('IntelMQ events: JSON lines or an array, harmonised field names', () => {
  const ev = { 'feed.name': 'cert-feed', 'time.source': '2026-03-01T10:00:00+00:00', 'source.ip': '27.3.0.5', 'source.port': 443, 'source.asn': 64501, 'source.geolocation.cc': 'TH', 'malware.name': 'XMRig', 'classification.type': 'infected-system' };
  const lines = `${JSON.stringify(ev)}\n{"source.ip": "1.2.3.4"}\n[]\nnot json\n`;
  const r = parseIntelmqEvents(lines, 'default');
  assert.equal(r.rows.length, 1);
  assert.equal(r.rows[0].feed, 'cert-feed');
  assert.equal(r.rows[0].malware, 'xmrig');
  assert.equal(r.rows[0].port, 443);
  assert.deepEqual(r.problems.map((p) => p.line), [2, 3, 4]);
  assert.equal(parseIntelmqEvents(JSON.stringify([ev, { ...ev, 'feed.name': undefined }]), 'default').rows[1].feed, 'default');
});

for (const dialect of DIALECTS) {
  test(`external evidence becomes campaign hosts, observed on the feed's report days (${dialect.name})`, async (t) => {
    const o = await dialect.open();
    if (typeof o === 'string') {
      t.skip(o);
      return;
    }
    try {
      const c = await createCampaign(o.store, 'feeds', { selection: { sources: ['external'], countries: ['TH'] }, period: { from: '2026-03-01T00:00:00Z', to: '2026-03-31T00:00:00Z' }, notifiedAt: '2026-03-05T00:00:00Z', remediation: { quietDays: 3 } });
      // one address reported daily up to the 6th; the feed keeps reporting another address until the 20th
      const rows = [];
      for (let d = 1; d <= 20; d++) {
        const ts = `2026-03-${String(d).padStart(2, '0')} 08:00:00`;
        if (d <= 6) rows.push(`${ts},27.3.0.5,,64501,TH,,,,tcp,xmrig,,,,`);
        rows.push(`${ts},27.3.0.6,,64501,TH,,,,tcp,xmrig,,,,`);
      }
      const parsed = parseShadowserverCsv(`${CSV.split('\r\n')[0]}\n${rows.join('\n')}\n2026-03-02 08:00:00,203.0.113.9,,64500,JP,,,,tcp,x,,,,\n`, 'drone');
      assert.equal(await importEvidence(o.store, c.id, parsed.rows), 27);
      const b = await buildCampaignHosts(o.store, c.id);
      assert.equal(b.hosts, 2); // JP row selected out
      const hosts = await campaignHosts(o.store, c.id);
      assert.deepEqual(hosts.map((h) => [h.ip, h.feeds, h.evidence.malware]), [['27.3.0.5', ['drone'], ['xmrig']], ['27.3.0.6', ['drone'], ['xmrig']]]);
      // a CERT whose constituency is TH sees both hosts, one for JP none
      const { createOrg } = await import('../../src/store/identity.js');
      const th = await createOrg(o.store, 'cert-th', { countries: ['TH'] });
      const jp = await createOrg(o.store, 'cert-jp', { countries: ['JP'] });
      await buildCampaignHosts(o.store, c.id);
      assert.equal((await campaignHosts(o.store, c.id, { orgId: th.id })).length, 2);
      assert.equal((await campaignHosts(o.store, c.id, { orgId: jp.id })).length, 0);
      const rep = await campaignReport(o.store, c.id);
      assert.equal(rep.baseline, 2);
      const five = rep.all.curve;
      // 27.3.0.5: last seen day 6 (index 5 from 1 March; notified 5 March) → cleaned at 7 March = 2 days
      assert.deepEqual(five.map((p) => [p.time, p.events, p.censored]), [[2, 1, 0], [26, 0, 1]]);
    } finally {
      await o.cleanup();
    }
  });
}
