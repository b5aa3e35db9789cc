/**
 * `minewatch telescope` through commander (register() on a fresh program): usage errors,
 * outputs (JSON, CSV, HTML, EVE), owner alerts from --watch, internal-darknet alerts, and
 * `telescope merge`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register, parseInterval } from '../../src/cli/telescope.js';
import { ConfigError, exitCodeFor, MinewatchError, UsageError } from '../../src/util/errors.js';
import { AlertEvent } from '../../src/events/eve.js';
import { generate, type DarknetTruth } from '../../src/synth/index.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import type { TelescopeReport } from '../../src/telescope/report.js';

let dir = '';
let pcap = '';
let truth: DarknetTruth;

async function cli(...args: string[]): Promise<void> {
  const program = new Command('minewatch');
  program.exitOverride();
  register(program);
  await program.parseAsync(['node', 'minewatch', 'telescope', ...args]);
}

const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as TelescopeReport;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-telescope-cli-'));
  pcap = join(dir, 'd.pcap');
  await generate('darknet', { seed: 3, packets: 30_000, darknet: '198.18.0.0/16', hours: 4, truthFile: join(dir, 't.json') }, pcap);
  truth = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as DarknetTruth;
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

test('usage errors are UsageError with one clear line', async () => {
  await assert.rejects(cli(pcap), (e: Error) => e instanceof UsageError && /--darknet/.test(e.message));
  await assert.rejects(cli(pcap, '--darknet', '198.18.0.0/33'), (e: Error) => e instanceof UsageError && /not a CIDR/.test(e.message));
  await assert.rejects(cli('--darknet', '198.18.0.0/16'), (e: Error) => e instanceof UsageError && /capture/.test(e.message));
  await assert.rejects(cli(pcap, '--darknet', '198.18.0.0/16', '--interval', 'soon'), UsageError);
  await assert.rejects(cli(pcap, '--darknet', '198.18.0.0/16', '--workers', '0'), UsageError);
  const bad = join(dir, 'bad-watch.txt');
  writeFileSync(bad, 'Acme: 10.0.0.0/40\n');
  await assert.rejects(cli(pcap, '--darknet', '198.18.0.0/16', '--watch', bad), (e: Error) => e instanceof ConfigError && e.code === 'config.invalid' && /line 1/.test(e.message) && exitCodeFor(e) === 2);
  await assert.rejects(cli('merge', join(dir, 'missing.json')), (e: Error) => e instanceof MinewatchError && exitCodeFor(e) === 2 && /missing\.json/.test(e.message));
  assert.equal(parseInterval('1h'), 3600);
  assert.equal(parseInterval('30m'), 1800);
  assert.equal(parseInterval('90'), 90);
});

test('--json/--csv/--report/--eve with --watch: owner alerts for watched sources, valid EVE', async () => {
  // watch two real sources of the capture (one a Mirai scanner) and one range never seen
  const mirai = truth.sources.find((s) => s.family === 'mirai')!;
  const other = truth.sources.find((s) => s.class === 'backscatter')!;
  const watch = join(dir, 'watch.txt');
  writeFileSync(watch, `# owners\nAcme Corp: ${mirai.ip}/32, 203.0.113.0/24\nExample ISP: ${other.ip}/32\n`);
  const out = join(dir, 'out.json');
  const eve = join(dir, 'alerts.eve.json');
  await cli(pcap, '--darknet', '198.18.0.0/16,2001:db8:ffff::/48', '--json', out, '--csv', join(dir, 'csv'), '--html', join(dir, 'r.html'), '--eve', eve, '--watch', watch, '-q', '-w', '1');
  const r = readJson(out);
  assert.equal(r.totals.packets, truth.totals.packetsToDarknet);
  assert.equal(r.alerts.length, 2);
  const lines = readFileSync(eve, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.equal(lines.length, 2);
  for (const l of lines) AlertEvent.parse(l);
  const a = r.alerts.find((x) => x.src_ip === mirai.ip)!;
  assert.equal(a.minewatch.detector, 'darknet-source');
  const ev = a.minewatch.evidence as { organisation: string; likely_family: string; packets: number; ports: number[] };
  assert.equal(ev.organisation, 'Acme Corp');
  assert.equal(ev.likely_family, 'mirai');
  assert.equal(ev.packets, mirai.packets);
  assert.ok(ev.ports.includes(23) || ev.ports.includes(2323));
  const files = readdirSync(join(dir, 'csv'));
  for (const f of ['intervals.csv', 'ports.csv', 'countries.csv', 'asns.csv', 'sources.csv', 'victims.csv', 'surges.csv']) assert.ok(files.includes(f), f);
  const ports = readFileSync(join(dir, 'csv', 'ports.csv'), 'utf8').trim().split('\n');
  assert.equal(ports[0], 'proto,port,packets,sources');
  assert.equal(ports.length - 1, r.ports.length);
  assert.ok(existsSync(join(dir, 'r.html')));
});

test('telescope merge: two sensors (darknet halves) merge into the totals of one run over both', async () => {
  const a = join(dir, 'a.state');
  const b = join(dir, 'b.state');
  const aj = join(dir, 'a.json');
  const whole = join(dir, 'whole.json');
  const merged = join(dir, 'merged.json');
  const mergedState = join(dir, 'merged.state');
  // the same capture seen by two sensors with different darknet halves
  await cli(pcap, '--darknet', '198.18.0.0/17', '--state', a, '--json', aj, '-q', '-w', '1');
  await cli(pcap, '--darknet', '198.18.128.0/17', '--state', b, '-q', '-w', '1');
  await cli(pcap, '--darknet', '198.18.0.0/17,198.18.128.0/17', '--json', whole, '-q', '-w', '1');
  await cli('merge', a, b, '-o', merged, '--state', mergedState);
  const m = readJson(merged);
  const w = readJson(whole);
  assert.deepEqual(m.totals, w.totals);
  assert.deepEqual(m.intervals, w.intervals);
  assert.deepEqual(m.ports, w.ports);
  assert.deepEqual(m.countries, w.countries);
  const ra = readJson(aj);
  assert.equal(m.totals.packets - ra.totals.packets, w.totals.packets - ra.totals.packets);
  assert.ok(ra.totals.packets > 0 && ra.totals.packets < w.totals.packets);
  // the JSON report no longer carries the state: it names it
  assert.equal((ra as unknown as Record<string, unknown>).state, undefined);
  assert.match(ra.state_id ?? '', /^[0-9a-f]{32}$/);
  assert.equal(m.lineage?.length, 2);
  assert.ok(m.lineage?.includes(ra.state_id!));

  // the same run twice, directly or inside an earlier merge: refused, exit 2, naming both files
  const twice = (e: Error) => e instanceof MinewatchError && e.code === 'input.state-merged-twice' && exitCodeFor(e) === 2;
  await assert.rejects(cli('merge', a, a, '--json', join(dir, 'x.json')), twice);
  await assert.rejects(cli('merge', mergedState, b, '--json', join(dir, 'x.json')), (e: Error) => twice(e) && e.message.includes('merged.state') && e.message.includes('b.state'));
  // different intervals, overlapping darknets: refused saying why
  const hourly = join(dir, 'h.state');
  await cli(pcap, '--darknet', '198.18.0.0/16', '--interval', '30m', '--state', hourly, '-q', '-w', '1');
  await assert.rejects(cli('merge', a, hourly, '--json', join(dir, 'x.json')), (e: Error) => e instanceof MinewatchError && e.code === 'input.state-interval-mismatch' && /1800 s/.test(e.message) && exitCodeFor(e) === 2);
  const whole16 = join(dir, 'w.state');
  await cli(pcap, '--darknet', '198.18.0.0/16', '--state', whole16, '-q', '-w', '1');
  await assert.rejects(cli('merge', a, whole16, '--json', join(dir, 'x.json')), (e: Error) => e instanceof MinewatchError && e.code === 'input.state-darknet-mismatch' && /overlap/.test(e.message));
  // a truncated or corrupted state file: one clear error, exit 2
  const bytes = readFileSync(a);
  const cut = join(dir, 'cut.state');
  writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
  await assert.rejects(cli('merge', cut, b, '--json', join(dir, 'x.json')), (e: Error) => e instanceof MinewatchError && e.code === 'input.bad-state' && /cut\.state: truncated or corrupt/.test(e.message) && exitCodeFor(e) === 2);
});

test('internal darknet: a LAN host sweeping unused internal addresses is alerted', { skip: needSharedData() }, async () => {
  const out = join(dir, 'internal.json');
  // 192.168.1.109 pings its /24; treat 192.168.1.128/25 as unused
  await cli(sharedFile('darknet/icmp-ping-sweep-lan.pcap'), '--darknet', '192.168.1.128/25', '--internal', '--json', out, '-q', '--no-geo');
  const r = readJson(out);
  const hosts = r.alerts.map((x) => x.src_ip);
  assert.ok(hosts.includes('192.168.1.109'), JSON.stringify(hosts));
  for (const x of r.alerts) assert.equal(x.minewatch.detector, 'internal-darknet');
  assert.equal(r.alerts.find((x) => x.src_ip === '192.168.1.109')!.minewatch.evidence!.class, 'scanner');
});

test('internal darknet: an ARP sweep of unused internal addresses is alerted', { skip: needSharedData() }, async () => {
  const out = join(dir, 'internal-arp.json');
  // 192.168.1.247 ARP-requests all of 192.168.1.0/24; treat 192.168.1.128/25 as unused
  await cli(sharedFile('darknet/arp-sweep-lan-256.pcap'), '--darknet', '192.168.1.128/25', '--internal', '--json', out, '-q', '--no-geo');
  const r = readJson(out);
  const arp = r.alerts.filter((x) => x.alert.signature_id === 9_500_003);
  assert.equal(arp.length, 1, JSON.stringify(r.alerts.map((x) => x.src_ip)));
  assert.equal(arp[0].src_ip, '192.168.1.247');
  const ev = arp[0].minewatch.evidence as { unused_addresses_requested: number; arp_requests: number };
  assert.ok(ev.unused_addresses_requested >= 100 && ev.unused_addresses_requested <= 128, String(ev.unused_addresses_requested));
  // only the 7 IP packets to the range (tshark: ip.dst==192.168.1.128/25) count as darknet packets, not the ARP frames
  assert.equal(r.totals.packets, 7);
  assert.ok(!r.alerts.some((x) => x.src_ip === '173.194.76.189'), 'outside hosts are not alerted in internal mode');
});
