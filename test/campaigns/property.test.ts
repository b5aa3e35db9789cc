/**
 * Property test: for random valid host records (addresses v4/v6, identity rules, odd strings in
 * evidence, quotes and commas, non-ASCII), every format renders without throwing, every XARF
 * report validates against the vendored schema, every STIX bundle passes the reference and
 * structure checks, every Shadowserver CSV parses back to the header's width, and rendering
 * twice gives the same bytes. (It found xmlbuilder2 passing "&a;" through unescaped.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { InfectedHost } from '../../src/campaigns/types.js';
import { buildPackages } from '../../src/campaigns/package.js';
import { PACKAGE_FORMATS } from '../../src/campaigns/formats/index.js';
import { validateXarf } from '../../src/campaigns/formats/xarf.js';
import { checkStixBundle } from '../../src/campaigns/formats/stix.js';
import { SHADOWSERVER_COLUMNS } from '../../src/campaigns/formats/shadowserver.js';
import { parseCsv } from '../../src/campaigns/contacts.js';
import { findBinary } from '../helpers/servers.js';
import { contacts } from './fixtures.js';

const text = fc.string({ minLength: 1, maxLength: 30, unit: fc.constantFrom(...[...'abcXYZ09 .,;:"\'\\-_/=+@<>&#日本語\n\t', '\u0001', '\ud800', '&a;', '&amp;', '&#0;']) });
const ip = fc.oneof(fc.ipV4(), fc.ipV6());
const time = fc.integer({ min: Date.UTC(2017, 0, 1), max: Date.UTC(2025, 0, 1) });

const host = fc.record({
  ip,
  dev: fc.option(text.filter((s) => s.trim().length > 0), { nil: undefined }),
  t0: time,
  dt: fc.integer({ min: 0, max: 90 * 86400_000 }),
  country: fc.constantFrom('JP', 'ID', 'BR'),
  asn: fc.constantFrom(64500, 64501, 64999),
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  malware: fc.constantFrom('xmrig', 'Coinhive', 'Crypto Loot'),
  poolNames: fc.array(fc.domain(), { maxLength: 3 }),
  poolAddresses: fc.array(fc.tuple(ip, fc.integer({ min: 1, max: 65535 })).map(([a, p]) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`)), { maxLength: 3 }),
  wallets: fc.array(text, { maxLength: 2 }),
  scriptUrls: fc.array(fc.webUrl(), { maxLength: 2 }),
  signature: fc.option(text, { nil: undefined }),
}).map((r) => InfectedHost.parse({
  identity: r.dev ? { rule: 'device-id', deviceId: r.dev } : { rule: 'ip-day', ip: r.ip, day: new Date(r.t0).toISOString().slice(0, 10) },
  ip: r.ip,
  port: r.port,
  asn: r.asn,
  country: r.country,
  firstSeen: new Date(r.t0).toISOString(),
  lastSeen: new Date(r.t0 + r.dt).toISOString(),
  detector: 'stratum',
  malware: r.malware,
  signature: r.signature,
  evidence: { poolNames: r.poolNames, poolAddresses: r.poolAddresses, wallets: r.wallets, scriptUrls: r.scriptUrls, notes: [] },
}));

const xmllint = findBinary('xmllint');

test('random host records: every format renders, validates, round-trips and is deterministic', async () => {
  await fc.assert(fc.asyncProperty(fc.array(host, { minLength: 1, maxLength: 6 }), async (hosts) => {
    const opts = { campaign: 'prop', by: 'cert' as const, formats: PACKAGE_FORMATS };
    const a = buildPackages(hosts, contacts(), opts);
    const b = buildPackages([...hosts].reverse(), contacts(), opts);
    assert.equal(JSON.stringify(a.packages.flatMap((p) => p.files)), JSON.stringify(b.packages.flatMap((p) => p.files)));
    for (const { pkg, files } of a.packages) {
      const get = (suffix: string): string => files.find((f) => f.path.endsWith(suffix))!.content;
      for (const line of get('.xarf.jsonl').trim().split('\n')) assert.deepEqual(await validateXarf(JSON.parse(line)), [], line);
      assert.deepEqual(checkStixBundle(JSON.parse(get('.stix.json'))), []);
      const rows = parseCsv(get('.shadowserver.csv'));
      assert.ok(rows.length > pkg.hosts.length);
      for (const r of rows) assert.equal(r.cells.length, SHADOWSERVER_COLUMNS.length);
      assert.equal(get('.intelmq.jsonl').trim().split('\n').length, pkg.hosts.length);
      if (xmllint) {
        const wf = spawnSync(xmllint, ['--noout', '--nonet', '-'], { input: get('.iodef.xml'), encoding: 'utf8' });
        assert.equal(wf.status, 0, wf.stderr);
      }
    }
  }), { numRuns: 40 });
});
