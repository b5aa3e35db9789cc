/**
 * Blocking support: the sensor writes the pool addresses it saw resolved (pool-dns alerts' DNS
 * answers) or reached to an nftables file, atomically, on a schedule and on stop; `nft -c -f`
 * accepts the file (root only, in a private network namespace: skipped loudly otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NftBlocklistWriter } from '../../src/pipeline/blocklist-writer.js';
import { runSensor } from '../../src/pipeline/sensor.js';
import { readSeenHosts } from '../../src/rules/export/index.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

function poolDnsAlert(name: string, answers: string[]): Record<string, unknown> {
  return {
    event_type: 'alert', timestamp: '2026-01-05T10:00:00.000000+0000', alert: { signature_id: 9100101, signature: 'pool', category: 'Crypto Currency Mining Activity Detected', severity: 2 },
    minewatch: { detector: 'pool-dns', evidence: { qname: name, answers, listed: { kind: 'pool' } } },
  };
}

/** `nft -c -f FILE` in a private network namespace; null when it cannot run here (not root, no nft). */
function nftCheck(file: string): { status: number | null; stderr: string } | null {
  if (process.getuid?.() !== 0 || spawnSync('nft', ['--version']).status !== 0) return null;
  const r = spawnSync('unshare', ['--net', 'nft', '-c', '-f', file], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

function needNft(): false | string {
  if (process.getuid?.() === 0 && spawnSync('nft', ['--version']).status === 0) return false;
  const msg = 'nft -c needs root and nftables (apt-get install nftables): nftables validation skipped';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
  console.error(`\n*** SKIPPING: ${msg} ***\n`);
  return msg;
}

test('blocklist writer: pool addresses from alerts (public only), rewritten atomically when they change, on stop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-block-'));
  try {
    const file = join(dir, 'pools.nft');
    const w = new NftBlocklistWriter(file, { intervalMs: 3_600_000 });
    assert.equal(w.writes, 1, 'an empty set at start');
    assert.doesNotMatch(readFileSync(file, 'utf8'), /elements/);
    w.write(poolDnsAlert('pool.supportxmr.com', ['192.110.160.114', '2a01:4f8:c17::7', '10.0.0.5']));
    w.write({ event_type: 'alert', alert: {}, minewatch: { detector: 'stratum', evidence: { pool: '45.76.102.9:3333' } } });
    w.write({ event_type: 'flow', dest_ip: '1.2.3.4' });
    w.write({ event_type: 'alert', alert: { category: 'Attempted Login' }, minewatch: { detector: 'bruteforce', evidence: { server_ip: '8.8.8.8' } } });
    w.flush();
    const text = readFileSync(file, 'utf8');
    assert.match(text, /table inet minewatch \{/);
    const v4 = /set pool4 \{[\s\S]*?elements = \{([\s\S]*?)\}/.exec(text)?.[1].split(',').map((x) => x.trim()).filter(Boolean);
    assert.deepEqual(v4, ['45.76.102.9', '192.110.160.114']);
    assert.doesNotMatch(text, /10\.0\.0\.5|8\.8\.8\.8|1\.2\.3\.4/, 'private addresses and non-mining alerts are not blocked');
    assert.equal(w.size, 3, 'with the IPv6 pool address');
    const writes = w.writes;
    w.flush();
    assert.equal(w.writes, writes, 'unchanged: not rewritten');
    w.write(poolDnsAlert('xmr.pool.example', ['51.15.1.1']));
    w.close();
    assert.match(readFileSync(file, 'utf8'), /51\.15\.1\.1/, 'written on stop');
    assert.deepEqual(readdirSync(dir), ['pools.nft'], 'no temporary file left behind');
    const check = nftCheck(file);
    if (check) assert.equal(check.status, 0, check.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lists export --seen takes the resolved pool addresses too (one reader for both)', () => {
  const seen = readSeenHosts(JSON.stringify(poolDnsAlert('pool.example', ['51.15.1.1', '192.168.1.1'])) + '\n');
  assert.deepEqual([...seen.ips], ['51.15.1.1']);
  assert.equal(seen.skipped.get('non-public-ip'), 1);
});

test('sensor --blocklist-nft over captures with pool lookups: the resolved pool addresses, valid for nft -c', { skip: needSharedData() || needNft(), timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-block-'));
  try {
    const file = join(dir, 'pools.nft');
    const r = await runSensor({
      inputs: [sharedFile('browser-miner/coinhive-stratum-proxy-supportxmr.pcap'), sharedFile('browser-miner/authedmine-browser-tls-websocket.pcap')],
      db: `sqlite:${join(dir, 's.db')}`, blocklistNft: file, log: () => {},
    });
    assert.ok(existsSync(file));
    const text = readFileSync(file, 'utf8');
    // resolved in these captures (tshark: dns.a): la01.supportxmr.com, coinhive.com, and authedmine.com's
    // four addresses, of which the browser contacted only 217.182.164.10: the others come from the DNS answers alone
    for (const ip of ['192.110.160.114', '104.20.208.59', '104.20.209.59', '217.182.164.9', '217.182.164.10', '217.182.164.12', '217.182.164.13']) {
      assert.match(text, new RegExp(`\\b${ip.replace(/\./g, '\\.')}\\b`), ip);
    }
    assert.doesNotMatch(text, /\b172\.217\.8\.174\b/, 'a non-mining host the browser reached is not blocked');
    assert.ok(r.health.blocklist_addresses >= 7, JSON.stringify(r.health));
    const check = nftCheck(file)!;
    assert.equal(check.status, 0, check.stderr);
    // and nft rejects a broken file (the check can fail)
    const bad = join(dir, 'bad.nft');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, text.replace('192.110.160.114', '300.110.160.114'));
    assert.notEqual(nftCheck(bad)!.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
