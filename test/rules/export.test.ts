import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { needSharedData, sharedFile, HAVE_SHARED_DATA } from '../helpers/shared-data.js';
import { ListIntel } from '../../src/rules/lists/intel.js';
import { parseList } from '../../src/rules/lists/parse.js';
import { loadIntel } from '../../src/rules/lists/default.js';
import { EXPORT_FORMATS, RPZ_ORIGIN, buildBlocklist, compactDomains, readSeenHosts, renderBlocklist } from '../../src/rules/export/index.js';
import { register } from '../../src/cli/lists.js';

/** A real tool: path if installed; skip loudly when missing, fail under CI. */
function tool(name: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  if (process.env.CI === 'true') throw new Error(`CI=true and ${name} is not installed`);
  console.error(`\n*** SKIPPING ${name} validation: ${name} not installed ***\n`);
  return null;
}

const SEEN = [
  { timestamp: '2024-01-01T00:00:00.000000+0000', event_type: 'alert', src_ip: '192.168.1.20', dest_ip: '51.68.100.77', dest_port: 3333, alert: { signature_id: 1, signature: 'Stratum', category: 'Crypto Currency Mining Activity Detected', severity: 2 }, minewatch: { detector: 'stratum', evidence: { pool: '51.68.100.77:3333', poolName: 'xmr.seenpool.example', agent: 'XMRig/6.0' } } },
  { timestamp: '2024-01-01T00:00:00.000000+0000', event_type: 'alert', dest_ip: '192.168.1.20', alert: { signature_id: 1, signature: 'Stratum', category: 'Crypto Currency Mining Activity Detected', severity: 2 }, minewatch: { detector: 'stratum', evidence: { pool: '[2a01:4f8:5::7]:3333' } } },
  { timestamp: '2024-01-01T00:00:00.000000+0000', event_type: 'alert', dest_ip: '10.0.0.5', alert: { signature_id: 2, signature: 'Stratum LAN proxy', category: 'Crypto Currency Mining Activity Detected', severity: 2 }, minewatch: { detector: 'stratum', evidence: {} } },
  { timestamp: '2024-01-01T00:00:00.000000+0000', event_type: 'alert', alert: { signature_id: 3, signature: 'pool dns', category: 'Crypto Currency Mining Activity Detected', severity: 2 }, minewatch: { detector: 'pool-dns', evidence: { qname: 'Mine.Other-Pool.Example.' } } },
  { timestamp: '2024-01-01T00:00:00.000000+0000', event_type: 'alert', dest_ip: '203.0.113.250', alert: { signature_id: 4, signature: 'ssh brute force', category: 'Attempted Administrator Privilege Gain', severity: 1 }, minewatch: { detector: 'ssh-bruteforce', evidence: { host: 'not-mining.example' } } },
  { event_type: 'flow' },
].map((e) => JSON.stringify(e)).join('\n') + '\nnot json\n';

function sampleIntel(): ListIntel {
  const intel = new ListIntel();
  intel.addList(parseList('domains', 'pool.example\neu.pool.example\nminer.example\nxn--bcher-kva.example\n', { name: 'd', kind: 'pool' }));
  intel.addList(parseList('ips', '51.68.100.0/24\n51.68.100.7\n203.0.113.9\n2a01:4f8::/32\n2a01:4f8:1::1\n', { name: 'i', kind: 'pool' }));
  intel.addList(parseList('domains', 'miner.example\n', { name: 'allow', kind: 'allow' }), 'allow');
  return intel;
}

test('seen hosts: names from mining alerts, pool IPs of stratum sessions, never private addresses', () => {
  const seen = readSeenHosts(SEEN);
  assert.deepEqual([...seen.domains].sort(), ['mine.other-pool.example', 'xmr.seenpool.example']);
  assert.deepEqual([...seen.ips].sort(), ['2a01:4f8:5::7', '51.68.100.77'], 'pool side from evidence, not the miner in dest_ip');
  assert.deepEqual(seen.skipped.toJSON(), { 'bad-json': 1, 'non-public-ip': 1, 'not-a-mining-alert': 1 });
  const list = buildBlocklist(sampleIntel(), seen);
  assert.equal(list.seenDomains, 2);
  // Exact entries are kept; the nftables export merges the address into the listed /24.
  assert.equal(list.seenIps, 2);
});

test('seen hosts: special-purpose addresses (documentation, benchmarking, CGN) are never exported; one table with the scanner', () => {
  const alert = (pool: string): string => JSON.stringify({ event_type: 'alert', alert: { signature_id: 1, signature: 'Stratum', category: 'x', severity: 2 }, minewatch: { detector: 'stratum', evidence: { pool } } });
  const seen = readSeenHosts(['198.51.100.77:3333', '[2001:db8:5::7]:3333', '198.18.0.1:3333', '100.64.1.1:3333', '51.68.1.1:3333'].map(alert).join('\n'));
  assert.deepEqual([...seen.ips], ['51.68.1.1']);
  assert.deepEqual(seen.skipped.toJSON(), { 'non-public-ip': 4 });
});

test('every format renders the names and addresses it can express', () => {
  const list = buildBlocklist(sampleIntel(), readSeenHosts(SEEN));
  assert.ok(!list.domains.includes('miner.example'), 'allow entry removed from the export');
  assert.deepEqual(compactDomains(list.domains), ['mine.other-pool.example', 'pool.example', 'xmr.seenpool.example', 'xn--bcher-kva.example']);
  const out = Object.fromEntries(EXPORT_FORMATS.map((f) => [f, renderBlocklist(f, list)]));
  assert.match(out.dnsmasq, /^address=\/pool\.example\/$/m);
  assert.doesNotMatch(out.dnsmasq, /eu\.pool\.example/, 'covered by the parent');
  assert.match(out.unbound, /^ {4}local-zone: "xmr\.seenpool\.example\." always_nxdomain$/m);
  assert.match(out['bind-rpz'], /^\*\.pool\.example CNAME \.$/m);
  assert.match(out['bind-rpz'], /^24\.0\.100\.68\.51\.rpz-ip CNAME \.$/m);
  assert.match(out.hosts, /^0\.0\.0\.0 eu\.pool\.example$/m, 'hosts has no suffix match: keep subdomains');
  assert.match(out.pihole, /^eu\.pool\.example$/m);
  assert.match(out.adblock, /^\|\|pool\.example\^$/m);
  assert.match(out.adblock, /^\|\|203\.0\.113\.9\^$/m);
  assert.match(out.nftables, /51\.68\.100\.0-51\.68\.100\.255/, 'overlapping /24, its member and the seen address merged');
  assert.doesNotMatch(out.nftables, /51\.68\.100\.7\b/);
  assert.match(out.nftables, /2a01:4f8::-2a01:4f8:ffff:ffff:ffff:ffff:ffff:ffff/);
  for (const f of EXPORT_FORMATS) assert.doesNotMatch(out[f], /(^|[^a-z.-])miner\.example/m, `${f}: allow-listed name absent`);
});

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'mw-export-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

function realIntel(): ListIntel {
  if (!HAVE_SHARED_DATA) return sampleIntel();
  const D = (f: string): string => sharedFile(`lists/${f}`);
  return loadIntel({ lists: [
    { path: D('coinblocker-domains.txt'), kind: 'mixed' },
    { path: D('nocoin-adblock.txt'), kind: 'browser-miner' },
    { path: D('nocoin-hosts.txt'), kind: 'browser-miner' },
    { path: D('coinblocker-mining-server-ips.txt'), kind: 'pool' },
    { path: D('mining-pool-servers-smashed-2018-05.csv'), kind: 'pool' },
  ] });
}

test('dnsmasq --test accepts the generated config', { skip: needSharedData() }, () => {
  const bin = tool('dnsmasq');
  if (!bin) return;
  withTmp((dir) => {
    const f = join(dir, 'mw.conf');
    const list = buildBlocklist(realIntel(), readSeenHosts(SEEN));
    assert.ok(list.domains.length > 5000, `${list.domains.length} names`);
    writeFileSync(f, renderBlocklist('dnsmasq', list));
    const r = spawnSync(bin, ['--test', `--conf-file=${f}`], { encoding: 'utf8', timeout: 15000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /syntax check OK/);
    // The check can fail: a broken file is rejected.
    writeFileSync(f, 'no-such-option=1\n');
    assert.notEqual(spawnSync(bin, ['--test', `--conf-file=${f}`], { encoding: 'utf8', timeout: 15000 }).status, 0);
  });
});

test('unbound-checkconf accepts an unbound.conf including the generated local zones', { skip: needSharedData() }, () => {
  const bin = tool('unbound-checkconf');
  if (!bin) return;
  withTmp((dir) => {
    const zones = join(dir, 'minewatch.conf');
    writeFileSync(zones, renderBlocklist('unbound', buildBlocklist(realIntel(), readSeenHosts(SEEN))));
    const conf = join(dir, 'unbound.conf');
    writeFileSync(conf, `server:\n    chroot: ""\n    username: ""\n    directory: "${dir}"\n    pidfile: ""\ninclude: "${zones}"\n`);
    const r = spawnSync(bin, [conf], { encoding: 'utf8', timeout: 15000 });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    writeFileSync(zones, 'server:\n    local-zone: "x." not_a_type\n');
    assert.notEqual(spawnSync(bin, [conf], { encoding: 'utf8', timeout: 15000 }).status, 0);
  });
});

test('named-checkzone loads the response-policy zone', { skip: needSharedData() }, () => {
  const bin = tool('named-checkzone');
  if (!bin) return;
  withTmp((dir) => {
    const f = join(dir, 'rpz.zone');
    writeFileSync(f, renderBlocklist('bind-rpz', buildBlocklist(realIntel(), readSeenHosts(SEEN))));
    const r = spawnSync(bin, [RPZ_ORIGIN.slice(0, -1), f], { encoding: 'utf8', timeout: 15000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /OK/);
    writeFileSync(f, '$TTL 300\nbad line here\n');
    assert.notEqual(spawnSync(bin, [RPZ_ORIGIN.slice(0, -1), f], { encoding: 'utf8', timeout: 15000 }).status, 0);
  });
});

test('nft -c accepts the nftables sets', { skip: needSharedData() }, () => {
  const bin = tool('nft');
  if (!bin) return;
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') throw new Error('CI=true: nft -c needs root');
    console.error('\n*** SKIPPING nft validation: needs root ***\n');
    return;
  }
  withTmp((dir) => {
    const f = join(dir, 'mw.nft');
    writeFileSync(f, renderBlocklist('nftables', buildBlocklist(realIntel(), readSeenHosts(SEEN))));
    const r = spawnSync(bin, ['-c', '-f', f], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    writeFileSync(f, 'table inet minewatch { set pool4 { type ipv4_addr; flags interval; elements = { 300.1.1.1 } } }\n');
    assert.notEqual(spawnSync(bin, ['-c', '-f', f], { encoding: 'utf8', timeout: 20000 }).status, 0);
  });
});

test('CLI: lists export writes the file; bad format is a usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cli-'));
  try {
    const listFile = join(dir, 'pools.txt');
    writeFileSync(listFile, 'pool.example\n');
    const seenFile = join(dir, 'eve.json');
    writeFileSync(seenFile, SEEN);
    const out = join(dir, 'hosts');
    const program = new Command().exitOverride();
    register(program);
    const origErr = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await program.parseAsync(['node', 'minewatch', 'lists', 'export', '--format', 'hosts', '--no-default', '--lists', listFile, '--seen', seenFile, '-o', out]);
    } finally {
      process.stderr.write = origErr;
    }
    const text = readFileSync(out, 'utf8');
    assert.match(text, /^0\.0\.0\.0 pool\.example$/m);
    assert.match(text, /^0\.0\.0\.0 xmr\.seenpool\.example$/m);
    assert.doesNotMatch(text, /nanopool/, '--no-default leaves out the shipped lists');
    const p2 = new Command().exitOverride();
    register(p2);
    await assert.rejects(p2.parseAsync(['node', 'minewatch', 'lists', 'export', '--format', 'iptables']), /unknown --format iptables/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: lists show reports entries and skipped lines per list', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-show-'));
  try {
    const f = join(dir, 'mixed.txt');
    writeFileSync(f, '# comment\npool.example\nbad..name\n\n');
    const out: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
    try {
      const program = new Command().exitOverride();
      register(program);
      await program.parseAsync(['node', 'minewatch', 'lists', 'show', '--lists', f]);
    } finally {
      process.stdout.write = orig;
    }
    const text = out.join('');
    assert.match(text, /^minewatch:minewatch-pools\.txt \[domains, pool, block\]: \d+ entries/m);
    assert.match(text, /^mixed\.txt \[domains, unknown, block\]: 1 entries \(1 names, 0 addresses, 0 URL patterns, 0 allow\) from 4 lines; skipped: blank 1, comment 1, invalid-domain 1$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
