import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { DomainSet, normalizeDomain } from '../../src/rules/lists/domain-set.js';
import { CidrSet } from '../../src/util/ip-set.js';
import { ListIntel } from '../../src/rules/lists/intel.js';
import { detectListFormat, parseList } from '../../src/rules/lists/parse.js';
import { loadDefaultIntel, loadPoolPorts } from '../../src/rules/lists/default.js';
import { entryCount, type ListFormat } from '../../src/rules/lists/types.js';

test('suffix matching: listed pool.example covers itself and subdomains only', () => {
  const s = new DomainSet<string>();
  s.add('pool.example', 'p');
  assert.equal(s.match('pool.example')?.entry, 'pool.example');
  assert.equal(s.match('eu.pool.example')?.entry, 'pool.example');
  assert.equal(s.match('a.b.c.pool.example')?.entry, 'pool.example');
  assert.equal(s.match('notpool.example'), null);
  assert.equal(s.match('pool.example.com'), null);
  assert.equal(s.match('example'), null);
  assert.equal(s.match('EU.Pool.Example.')?.entry, 'pool.example', 'case and trailing dot');
  assert.equal(s.match('xpool.example'), null);
});

test('normalisation: IDN to punycode, invalid names rejected with a reason', () => {
  assert.equal(normalizeDomain('Bücher.Example.'), 'xn--bcher-kva.example');
  const s = new DomainSet<number>();
  s.add(normalizeDomain('bücher.example') as string, 1);
  assert.equal(s.match('www.BÜCHER.example')?.entry, 'xn--bcher-kva.example');
  assert.deepEqual(normalizeDomain('xmr.-eu1.nanopool.org'), { reason: 'invalid-domain' });
  assert.deepEqual(normalizeDomain('1.2.3.4'), { reason: 'ip-address' });
  assert.deepEqual(normalizeDomain(''), { reason: 'empty-name' });
  assert.deepEqual(normalizeDomain(`${'a'.repeat(64)}.com`), { reason: 'invalid-domain' });
});

test('CIDR sets: v4/v6, nesting returns the most specific, mapped v4', () => {
  const c = new CidrSet<string>();
  c.add('10.0.0.0/8', 'wide');
  c.add('10.1.0.0/16', 'narrow');
  c.add('192.0.2.7', 'single');
  c.add('2001:db8::/32', 'v6');
  assert.equal(c.lookup('10.1.2.3'), 'narrow');
  assert.equal(c.lookup('10.2.0.1'), 'wide');
  assert.equal(c.lookup('192.0.2.7'), 'single');
  assert.equal(c.lookup('192.0.2.8'), undefined);
  assert.equal(c.lookup('2001:db8:ffff::1'), 'v6');
  assert.equal(c.lookup('2001:db9::1'), undefined);
  assert.equal(c.lookup('::ffff:10.1.0.1'), 'narrow');
  assert.equal(c.lookup('not-an-ip'), undefined);
  assert.equal(c.add('10.0.0.0/33', 'x'), 'bad-prefix');
});

test('allow-list wins over block-list; provenance carried', () => {
  const intel = new ListIntel();
  intel.addList(parseList('domains', 'pool.example\nminer.example\n', { name: 'blocks', kind: 'pool' }));
  intel.addList(parseList('adblock', '||pool.example^\n@@||safe.pool.example^\n', { name: 'ab', kind: 'browser-miner' }));
  intel.addList(parseList('domains', 'miner.example\n', { name: 'my-allow', kind: 'allow' }), 'allow');
  intel.addList(parseList('ips', '198.51.100.0/24\n', { name: 'ips', kind: 'pool' }));
  intel.addList(parseList('ips', '198.51.100.9\n', { name: 'ips-allow', kind: 'allow' }), 'allow');
  assert.deepEqual(intel.matchDomain('eu.pool.example'), { entry: 'pool.example', list: 'blocks', kind: 'pool' });
  assert.equal(intel.matchDomain('safe.pool.example'), null);
  assert.equal(intel.matchDomain('x.safe.pool.example'), null);
  assert.equal(intel.matchDomain('miner.example'), null);
  assert.equal(intel.matchIp('198.51.100.8')?.list, 'ips');
  assert.equal(intel.matchIp('198.51.100.9'), null);
  const exported = [...intel.blockedDomains()].map((d) => d.name).sort();
  assert.deepEqual(exported, ['pool.example']);
});

test('remembered answers: repeats give the same answer, and a list added later is seen at once', () => {
  const intel = new ListIntel();
  intel.addList(parseList('domains', 'pool.example\n', { name: 'first', kind: 'pool' }));
  assert.equal(intel.matchDomain('late.example'), null);
  assert.equal(intel.matchIp('203.0.113.5'), null);
  assert.equal(intel.matchDomain('EU.Pool.Example.')?.entry, 'pool.example');
  assert.equal(intel.matchDomain('EU.Pool.Example.')?.entry, 'pool.example');
  intel.addList(parseList('domains', 'late.example\n', { name: 'second', kind: 'pool' }));
  intel.addList(parseList('ips', '203.0.113.0/24\n', { name: 'ips', kind: 'pool' }));
  intel.addList(parseList('domains', 'pool.example\n', { name: 'allow', kind: 'allow' }), 'allow');
  assert.equal(intel.matchDomain('late.example')?.list, 'second');
  assert.equal(intel.matchIp('203.0.113.5')?.list, 'ips');
  assert.equal(intel.matchDomain('EU.Pool.Example.'), null);
  // Bounded: far more distinct names than the memo holds still answer correctly.
  for (let i = 0; i < 20_000; i++) assert.equal(intel.matchDomain(`h${i}.late.example`)?.entry, 'late.example');
});

interface Expect { format: ListFormat; lines: number; domains: number; ips: number; urls: number; allow: number; skipped: Record<string, number> }
const EXPECT: Record<string, Expect> = {
  'lists/coinblocker-domains.txt': { format: 'domains', lines: 5837, domains: 5836, ips: 0, urls: 0, allow: 0, skipped: { 'invalid-domain': 1 } },
  'lists/coinblocker-browser-domains.txt': { format: 'domains', lines: 1705, domains: 1705, ips: 0, urls: 0, allow: 0, skipped: {} },
  'lists/coinblocker-mining-server-ips.txt': { format: 'ips', lines: 1033, domains: 0, ips: 1026, urls: 0, allow: 0, skipped: { comment: 7 } },
  'lists/nocoin-hosts.txt': { format: 'hosts', lines: 324, domains: 313, ips: 0, urls: 0, allow: 0, skipped: { blank: 1, comment: 10 } },
  'lists/nocoin-adblock.txt': { format: 'adblock', lines: 358, domains: 190, ips: 7, urls: 99, allow: 8, skipped: { blank: 16, comment: 25, duplicate: 2, 'options-only': 6, 'regex-filter': 5 } },
  // ws:// and wss:// variants of one host/path collapse into one scheme-agnostic ||host/path pattern.
  'lists/nocoin-extension-url-patterns.txt': { format: 'url-patterns', lines: 158, domains: 92, ips: 0, urls: 123, allow: 0, skipped: { 'host-wildcard-only': 1 } },
  'lists/mining-pool-servers-smashed-2018-05.csv': { format: 'smashed-csv', lines: 432, domains: 182, ips: 309, urls: 0, allow: 0, skipped: { header: 1 } },
};

test('every list file in shared/data/lists loads with exact counts', { skip: needSharedData() }, () => {
  for (const [file, e] of Object.entries(EXPECT)) {
    const text = readFileSync(sharedFile(file), 'utf8');
    assert.equal(detectListFormat(text), e.format, `${file}: detected format`);
    const l = parseList(e.format, text, { name: file, kind: 'x' });
    const got = { format: l.format, lines: l.lines, domains: l.domains.length, ips: l.ips.length, urls: l.urlPatterns.length, allow: l.allowDomains.length + l.allowIps.length + l.allowUrlPatterns.length, skipped: l.skipped.toJSON() };
    assert.deepEqual(got, e, file);
    // Every line is accounted for: accepted or skipped with a reason.
    assert.equal(l.acceptedLines + l.skipped.total(), l.lines, `${file}: lines accounted`);
    assert.equal(entryCount(l), e.domains + e.ips + e.urls + e.allow);
  }
});

test('sMaSheD rows carry pool and coin into matches; capture pool IPs are listed', { skip: needSharedData() }, () => {
  const intel = new ListIntel();
  intel.addList(parseList('smashed-csv', readFileSync(sharedFile('lists/mining-pool-servers-smashed-2018-05.csv'), 'utf8'), { name: 'smashed', kind: 'pool' }));
  const m = intel.matchDomain('eu1-zcash.flypool.org');
  assert.equal(m?.list, 'smashed');
  assert.equal(m?.coin, 'ZEC');
  for (const ip of ['94.23.199.191', '116.211.167.195', '94.23.36.128', '178.32.196.217', '37.187.149.70', '192.110.160.114', '74.84.128.158']) {
    assert.ok(intel.matchIp(ip), `${ip} listed`);
  }
  assert.equal(intel.matchIp('178.32.196.217')?.pool, 'Dwarfpool');
});

test('adblock URL patterns and WebExtension patterns match URLs, exceptions win', { skip: needSharedData() }, () => {
  const intel = new ListIntel();
  intel.addList(parseList('adblock', readFileSync(sharedFile('lists/nocoin-adblock.txt'), 'utf8'), { name: 'nocoin', kind: 'browser-miner' }));
  intel.addList(parseList('url-patterns', readFileSync(sharedFile('lists/nocoin-extension-url-patterns.txt'), 'utf8'), { name: 'nocoin-ext', kind: 'browser-miner' }));
  assert.equal(intel.matchUrl('http://victim.example/js/coinhive.min.js')?.entry, '/coinhive.min.js');
  assert.equal(intel.matchUrl('wss://ws001.coinhive.com/proxy')?.list, 'nocoin-ext');
  assert.equal(intel.matchUrl('https://example.org/index.html'), null);
  assert.equal(intel.matchDomain('api.nyda.pro'), null, '@@||api.nyda.pro^ exception');
  assert.ok(intel.matchDomain('www.2miners.com'));
});

test('default intel ships pools and browser miners; pool ports', () => {
  const intel = loadDefaultIntel();
  assert.equal(intel.matchDomain('xmr-eu1.nanopool.org')?.kind, 'pool');
  assert.equal(intel.matchDomain('coinhive.com')?.kind, 'browser-miner');
  assert.equal(intel.matchDomain('btc.com'), null, 'parents serving unrelated sites are not listed');
  assert.ok(intel.matchDomain('eu.ss.btc.com'));
  assert.equal(intel.matchDomain('notnanopool.org'), null);
  assert.equal(intel.reports.length, 2);
  assert.ok(intel.domainCount >= 50);
  const ports = loadPoolPorts();
  assert.ok(ports.has(3333) && ports.has(14444));
});

test('property: list parsers never throw and account for every line', async () => {
  const fc = (await import('fast-check')).default;
  const { LIST_FORMATS } = await import('../../src/rules/lists/types.js');
  const pieces = fc.constantFrom('||', '^', '$third-party', '@@', '0.0.0.0 ', '*.', '#', '!', '/', '.', 'pool', 'ex', 'ample', ':', '::1', '1.2.3.4', '/24', ',', '\n', '\r\n', ' ', 'ü', 'xn--', '-', '[Adblock]', '*://', 'wss://', 'fqdn,pool,pool_url,port,coin,coin_name,ip_addresses,a,b\n');
  const text = fc.oneof(fc.string({ maxLength: 400 }), fc.array(pieces, { maxLength: 80 }).map((a) => a.join('')));
  fc.assert(fc.property(fc.constantFrom(...LIST_FORMATS), text, (format, t) => {
    const l = parseList(format, t, { name: 'fuzz', kind: 'x' });
    assert.equal(l.acceptedLines + l.skipped.total(), l.lines);
    const intel = new ListIntel();
    intel.addList(l);
    for (const d of l.domains) assert.ok(intel.matchDomain(d.name) || intel.isAllowedDomain(d.name));
  }), { numRuns: 1500 });
});
