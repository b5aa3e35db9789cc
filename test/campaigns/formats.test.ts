/**
 * Every package format against its published schema or structure: XARF with Ajv and the
 * vendored XARF v4 schemas, IntelMQ against the harmonization field list, STIX 2.1 reference
 * checks (and the bundle's own invariants), MISP feed layout, Shadowserver columns, IODEF with
 * xmllint (see iodef.test.ts) — and determinism: the same input gives byte-identical files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { campaignDataFile } from '../../src/campaigns/data.js';
import { buildPackages, writePackageFiles } from '../../src/campaigns/package.js';
import { PACKAGE_FORMATS } from '../../src/campaigns/formats/index.js';
import { validateXarf } from '../../src/campaigns/formats/xarf.js';
import { checkStixBundle } from '../../src/campaigns/formats/stix.js';
import { SHADOWSERVER_COLUMNS } from '../../src/campaigns/formats/shadowserver.js';
import { parseCsv } from '../../src/campaigns/contacts.js';
import { contacts, hosts } from './fixtures.js';

const built = (by: 'cert' | 'as' = 'cert') => buildPackages(hosts(), contacts(), { campaign: 'goldfish-2019', by, formats: PACKAGE_FORMATS });
const file = (b: ReturnType<typeof built>, recipient: string, suffix: string): string => {
  const p = b.packages.find((x) => x.pkg.recipient.id === recipient);
  const f = p?.files.find((x) => x.path.endsWith(suffix));
  assert.ok(f, `${recipient} has a ${suffix}`);
  return f.content;
};

test('grouping: per CERT, merged identities, unrouted hosts reported with the reason', () => {
  const b = built('cert');
  assert.deepEqual(b.packages.map((p) => [p.pkg.recipient.id, p.pkg.hosts.length, p.pkg.hostIdentityRule]), [['cert:ID', 1, 'device-id'], ['cert:JP', 2, 'ip-day']]);
  const jp = b.packages.find((p) => p.pkg.recipient.id === 'cert:JP')!.pkg.hosts[0];
  assert.equal(jp.firstSeen, '2019-06-01T02:00:00Z');
  assert.equal(jp.lastSeen, '2019-06-01T21:15:30Z');
  assert.equal(jp.evidence.scriptUrls.length, 2);
  assert.deepEqual(b.grouping.unrouted, [{ reason: 'no-cert', key: 'BR', hosts: 1 }]);
  const byAs = built('as');
  assert.deepEqual(byAs.packages.map((p) => p.pkg.recipient.id), ['as:64500', 'as:64501']);
  assert.deepEqual(byAs.grouping.unrouted, [{ reason: 'no-as-contact', key: 'AS64999', hosts: 1 }]);
});

test('XARF: every report validates against the vendored XARF v4 schemas (Ajv); a broken one does not', async () => {
  const b = built();
  let n = 0;
  for (const p of b.packages) {
    for (const line of file(b, p.pkg.recipient.id, '.xarf.jsonl').trim().split('\n')) {
      const report = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(await validateXarf(report), [], line);
      assert.equal(report.category, 'connection');
      assert.equal(report.type, 'infected_host');
      n++;
    }
  }
  assert.equal(n, 3);
  const one = JSON.parse(file(b, 'cert:JP', '.xarf.jsonl').split('\n')[0]) as Record<string, unknown>;
  assert.notDeepEqual(await validateXarf({ ...one, report_id: 'not-a-uuid' }), []);
  assert.notDeepEqual(await validateXarf({ ...one, bot_type: 'miner' }), []);
  const { first_seen: _, ...noFirst } = one;
  assert.notDeepEqual(await validateXarf(noFirst), []);
  assert.notDeepEqual(await validateXarf({ ...one, tags: ['Not A Tag'] }), []);
});

test('IntelMQ: one event per host, only harmonization field names (extra.* allowed), RSIT classification', () => {
  const fields = (JSON.parse(readFileSync(campaignDataFile('schemas', 'intelmq', 'harmonization-event-fields.json'), 'utf8')) as { event: Record<string, string> }).event;
  const b = built();
  const events = b.packages.flatMap((p) => file(b, p.pkg.recipient.id, '.intelmq.jsonl').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
  assert.equal(events.length, 3);
  for (const e of events) {
    for (const k of Object.keys(e)) assert.ok(k in fields || k.startsWith('extra.'), `${k} is not an IntelMQ harmonization field`);
    assert.equal(e['classification.taxonomy'], 'malicious-code');
    assert.equal(e['classification.type'], 'infected-system');
    assert.equal(e['malware.name'], String(e['malware.name']).toLowerCase());
    assert.match(String(e['time.source']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.equal(typeof e['source.asn'], 'number');
    assert.match(String(e['source.geolocation.cc']), /^[A-Z]{2}$/);
  }
  const jp = events.find((e) => e['source.ip'] === '203.0.113.77')!;
  assert.equal(jp['source.as_name'], 'EXAMPLE-JP-NET');
  assert.equal(jp['source.port'], 51234);
  assert.equal(jp['feed.name'], 'minewatch-goldfish-2019');
});

test('Shadowserver CSV: their column names, UTC timestamps, one row per host and pool endpoint, quoting', () => {
  const b = built();
  const rows = parseCsv(file(b, 'cert:JP', '.shadowserver.csv'));
  assert.deepEqual(rows[0].cells, [...SHADOWSERVER_COLUMNS]);
  const data = rows.slice(1).map((r) => Object.fromEntries(r.cells.map((c, i) => [SHADOWSERVER_COLUMNS[i], c])));
  assert.equal(data.length, 3); // host 1: two script URLs; host 2: one pool address (its one name attached)
  for (const d of data) assert.match(d.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  const pool = data.find((d) => d.ip === '203.0.113.77')!;
  assert.deepEqual([pool.cc, pool.cc_port, pool.cc_dns, pool.infection, pool.asn, pool.geo], ['198.51.100.20', '4444', 'pool.minexmr.example', 'xmrig', '64500', 'JP']);
  assert.ok(data.some((d) => d.url === 'https://cdn.example/cryptonight.js?x=1&y="2"'), 'quoted cell read back whole');
  const id = parseCsv(file(b, 'cert:ID', '.shadowserver.csv')).slice(1);
  assert.equal(id.length, 4); // [v6]:3333, pool.other.example:5555, and the two pool names not tied to an address
});

test('STIX 2.1: bundle invariants and reference checks; malware_types resource-exploitation; sightings per host', () => {
  const b = built();
  for (const p of b.packages) {
    const bundle = JSON.parse(file(b, p.pkg.recipient.id, '.stix.json')) as { objects: Record<string, unknown>[] };
    assert.deepEqual(checkStixBundle(bundle), []);
    const malware = bundle.objects.filter((o) => o.type === 'malware');
    assert.ok(malware.length >= 1);
    for (const m of malware) assert.deepEqual(m.malware_types, ['resource-exploitation']);
    assert.equal(bundle.objects.filter((o) => o.type === 'sighting').length, p.pkg.hosts.length);
    assert.equal(bundle.objects.filter((o) => o.type === 'observed-data').length, p.pkg.hosts.length);
    for (const i of bundle.objects.filter((o) => o.type === 'indicator')) assert.match(String(i.pattern), /^\[.*\]$/);
  }
  // the checker finds a dangling reference
  const bundle = JSON.parse(file(b, 'cert:JP', '.stix.json')) as { objects: Record<string, unknown>[] };
  const s = bundle.objects.find((o) => o.type === 'sighting')!;
  s.sighting_of_ref = 'malware--00000000-0000-5000-8000-000000000000';
  assert.equal(checkStixBundle(bundle).length, 1);
  // … and a missing required property, a timestamp without milliseconds
  const ind = bundle.objects.find((o) => o.type === 'indicator')!;
  delete ind.valid_from;
  ind.created = '2019-06-01T00:00:00Z';
  assert.equal(checkStixBundle(bundle).length, 3);
  // SCO ids follow STIX 2.1 §2.9 (UUIDv5 over {"value": …} in the STIX namespace)
  const addr = bundle.objects.find((o) => o.type === 'ipv4-addr' && o.value === '203.0.113.10')!;
  assert.match(String(addr.id), /^ipv4-addr--[0-9a-f]{8}-[0-9a-f]{4}-5/);
});

test('MISP feed: manifest.json, hashes.csv (md5,event-uuid per attribute) and one event file per event', () => {
  const b = built();
  const p = b.packages.find((x) => x.pkg.recipient.id === 'cert:ID')!;
  const misp = p.files.filter((f) => f.path.startsWith('cert-ID.misp/'));
  const manifest = JSON.parse(misp.find((f) => f.path.endsWith('/manifest.json'))!.content) as Record<string, { info: string; Orgc: { uuid: string }; date: string; timestamp: string }>;
  const eventFiles = misp.filter((f) => /\/[0-9a-f-]{36}\.json$/.test(f.path));
  assert.deepEqual(Object.keys(manifest).sort(), eventFiles.map((f) => f.path.slice(-41, -5)).sort());
  const hashes = misp.find((f) => f.path.endsWith('/hashes.csv'))!.content.trim().split('\n').map((l) => l.split(','));
  let attrCount = 0;
  for (const f of eventFiles) {
    const { Event: e } = JSON.parse(f.content) as { Event: { uuid: string; date: string; Attribute: { uuid: string; type: string; value: string; category: string }[] } };
    assert.ok(manifest[e.uuid]);
    assert.match(e.date, /^\d{4}-\d\d-\d\d$/);
    for (const a of e.Attribute) {
      assert.ok(['domain', 'ip-dst', 'btc', 'xmr', 'url', 'text'].includes(a.type), a.type);
      assert.ok(hashes.some(([h, u]) => u === e.uuid && h === createHash('md5').update(a.value).digest('hex')), `hash of ${a.value}`);
      assert.notEqual(a.value, '2001:db8:5::42', 'the victim address is not an indicator');
    }
    attrCount += e.Attribute.length;
    const types = e.Attribute.map((a) => `${a.type}:${a.value}`);
    assert.ok(types.includes('btc:1BoatSLRHtKNngkdXEeobR76b53LETtpyT'));
    assert.ok(types.includes('ip-dst:2001:db8:99::1'));
    assert.ok(types.includes('domain:pool.other.example'));
  }
  assert.equal(hashes.length, attrCount);
  const jp = b.packages.find((x) => x.pkg.recipient.id === 'cert:JP')!.files;
  const jpAttrs = jp.filter((f) => /\/[0-9a-f-]{36}\.json$/.test(f.path)).flatMap((f) => (JSON.parse(f.content) as { Event: { Attribute: { type: string }[] } }).Event.Attribute.map((a) => a.type));
  assert.ok(jpAttrs.includes('xmr') && jpAttrs.includes('url') && jpAttrs.includes('domain'));
});

test('determinism: the same input gives byte-identical packages (also with the input order shuffled), on disk too', () => {
  const digest = (b: ReturnType<typeof built>): string => createHash('sha256').update(JSON.stringify(b.packages.flatMap((p) => p.files))).digest('hex');
  const a = built();
  const shuffled = buildPackages(hosts().reverse(), contacts(), { campaign: 'goldfish-2019', by: 'cert', formats: PACKAGE_FORMATS });
  assert.equal(digest(a), digest(built()));
  assert.equal(digest(a), digest(shuffled));
  const other = buildPackages(hosts(), contacts(), { campaign: 'another', by: 'cert', formats: PACKAGE_FORMATS });
  assert.notEqual(digest(a), digest(other), 'ids depend on the campaign');
  const d1 = mkdtempSync(join(tmpdir(), 'mw-pkg-'));
  const d2 = mkdtempSync(join(tmpdir(), 'mw-pkg-'));
  try {
    const w1 = a.packages.flatMap((p) => writePackageFiles(d1, p.files));
    shuffled.packages.flatMap((p) => writePackageFiles(d2, p.files));
    assert.ok(w1.length >= 6 * 2);
    for (const f of readdirSync(d1, { recursive: true }) as string[]) {
      if (f.endsWith('.misp')) continue;
      assert.ok(readFileSync(join(d1, f)).equals(readFileSync(join(d2, f))), f);
    }
  } finally {
    rmSync(d1, { recursive: true, force: true });
    rmSync(d2, { recursive: true, force: true });
  }
});
