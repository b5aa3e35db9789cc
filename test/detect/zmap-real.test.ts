/**
 * Real ZMap (Debian's 2.1.1: IP ID 54321, TTL 255, window 65535 on every probe) sweeping 16
 * addresses through a veth pair into a network namespace the test creates (nothing leaves
 * the machine: the targets are a /28 behind the veth, and ZMap sends only those 16 SYNs),
 * captured on the veth and analyzed by the whole pipeline: a ZMap-family horizontal scan at
 * 16 targets, below the 20 an unfingerprinted scan needs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/pipeline/analyze.js';
import { startCapture } from '../helpers/capture.js';
import { findBinary, missing } from '../helpers/servers.js';

const NS = 'mw_detscans_zmap';
const HOST_IF = 'mwdsz0';
const NS_IF = 'mwdsz1';
const cleanups: (() => void)[] = [];
after(() => { for (const c of cleanups.reverse()) c(); });

function ip(...args: string[]): boolean {
  return spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
}

void test('scan: real ZMap sweeping 16 hosts in a test namespace → ZMap-family horizontal scan', { timeout: 60_000 }, async (t) => {
  const zmap = findBinary('zmap');
  if (!zmap || process.getuid?.() !== 0) return t.skip(missing('zmap (Debian package zmap) run as root'));
  ip('link', 'del', HOST_IF);
  ip('netns', 'del', NS);
  if (!ip('netns', 'add', NS)) return t.skip(missing('network namespaces (ip netns add)'));
  cleanups.push(() => { ip('link', 'del', HOST_IF); ip('netns', 'del', NS); });
  assert.ok(ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF));
  assert.ok(ip('link', 'set', NS_IF, 'netns', NS));
  assert.ok(ip('addr', 'add', '10.251.0.1/24', 'dev', HOST_IF));
  assert.ok(ip('link', 'set', HOST_IF, 'up'));
  assert.ok(ip('netns', 'exec', NS, 'ip', 'addr', 'add', '10.251.0.2/24', 'dev', NS_IF));
  assert.ok(ip('netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up'));
  const mac = spawnSync('ip', ['netns', 'exec', NS, 'cat', `/sys/class/net/${NS_IF}/address`], { encoding: 'utf8' }).stdout.trim();
  assert.match(mac, /^[0-9a-f:]{17}$/);
  const dir = mkdtempSync(join(tmpdir(), 'mw-zmap-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // ZMap's default blacklist excludes private ranges: an empty one, for this /28 only.
  const blacklist = join(dir, 'blacklist');
  writeFileSync(blacklist, '');
  const cap = await startCapture('tcp', { iface: HOST_IF, maxSeconds: 40, maxPackets: 1000 });
  if (typeof cap === 'string') return t.skip(cap);
  cleanups.push(() => cap.remove());
  const out = join(dir, 'out');
  const r = spawnSync(zmap, ['-i', HOST_IF, '-G', mac, '-S', '10.251.0.1', '-p', '80', '-b', blacklist, '--cooldown-time=1', '-r', '1000', '-o', out, '10.251.0.16/28'], { timeout: 30_000, encoding: 'utf8' });
  await cap.stop();
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(out, 'utf8'), '', 'nothing answered (no listener in the namespace)');
  const res = await analyze({ inputs: [cap.file], workers: 1, progress: false, keepAlerts: 10, analyzers: { detect: true, detectors: ['scan'] } });
  assert.equal(res.summary.packets, 16, 'ZMap sent one SYN to each of the 16 addresses');
  const alerts = res.alerts as { src_ip: string; alert: { signature_id: number }; minewatch: { evidence: Record<string, unknown> } }[];
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  assert.equal(alerts[0].alert.signature_id, 9100604);
  assert.equal(alerts[0].src_ip, '10.251.0.1');
  assert.equal(alerts[0].minewatch.evidence.family, 'ZMap');
  assert.equal(alerts[0].minewatch.evidence.kind, 'horizontal');
});
