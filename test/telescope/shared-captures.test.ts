/**
 * Exact counts on the shared darknet-like captures, checked against values computed with
 * tshark (tshark -r FILE -Y 'ip.dst==CIDR' -E occurrence=f -T fields -e frame.len -e ip.src:
 * frames, sum of frame.len, distinct first ip.src), plus the classification each capture
 * is known for (see ../shared/data/SOURCES.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { runTelescope } from '../../src/telescope/run.js';
import { buildReport, type TelescopeReport } from '../../src/telescope/report.js';

interface Expect { file: string; darknet: string; packets: number; bytes: number; sources: number; ignored: number }

const CASES: Expect[] = [
  { file: 'darknet/spoofed-synflood-37k-sources.pcap', darknet: '10.10.10.10/32', packets: 37841, bytes: 2270460, sources: 37623, ignored: 0 },
  { file: 'darknet/synack-reflection-backscatter-7k-sources.pcap', darknet: '10.10.10.10/32', packets: 7996, bytes: 515235, sources: 7055, ignored: 4 },
  { file: 'darknet/syn-ecn-cwr-flood-random-sources.pcap', darknet: '10.10.10.10/32', packets: 9878, bytes: 592707, sources: 9697, ignored: 0 },
  { file: 'darknet/nmap-syn-scan-1000-ports.pcap', darknet: '64.13.134.52/32', packets: 1994, bytes: 115652, sources: 1, ignored: 17 },
  { file: 'darknet/masscan-tcp-ports-0-1000.pcap', darknet: '198.124.152.15/32', packets: 1005, bytes: 64320, sources: 1, ignored: 0 },
  { file: 'darknet/icmp-ping-sweep-lan.pcap', darknet: '192.168.1.0/24', packets: 37, bytes: 1554, sources: 12, ignored: 0 },
];

async function run(file: string, darknet: string, workers = 1): Promise<TelescopeReport> {
  const r = await runTelescope({ inputs: [sharedFile(file)], darknets: [darknet], workers });
  return buildReport(r.state);
}

for (const c of CASES) {
  test(`${c.file}: packets, bytes, unique sources equal tshark's`, { skip: needSharedData() }, async () => {
    const r = await run(c.file, c.darknet);
    assert.equal(r.totals.packets, c.packets);
    assert.equal(r.totals.bytes, c.bytes);
    assert.equal(r.totals.sources, c.sources);
    assert.equal(r.unique_error.sources, 0, 'below the exact limit the count is exact');
    assert.equal(r.ignored_packets, c.ignored);
    assert.equal(r.intervals.reduce((a, i) => a + i.packets, 0), c.packets);
    const classTotal = r.classes.scanner + r.classes.backscatter + r.classes.other;
    assert.equal(classTotal, c.sources, 'every source gets exactly one class');
  });
}

test('spoofed SYN flood: the one-packet sources are found as a spoofed burst and leave the filtered host count', { skip: needSharedData() }, async () => {
  const r = await run('darknet/spoofed-synflood-37k-sources.pcap', '10.10.10.10/32', 2);
  assert.equal(r.totals.sources, 37623);
  assert.ok(r.bursts.length >= 1);
  const burstSources = r.bursts.reduce((a, b) => a + b.sources, 0);
  assert.ok(burstSources > 0.95 * 37623, `burst sources ${burstSources}`);
  assert.ok(r.bursts[0].fingerprint.includes('dport=25565'), r.bursts[0].fingerprint);
  assert.ok(r.totals.sources_filtered < 0.01 * r.totals.sources, `filtered ${r.totals.sources_filtered}`);
  assert.equal(r.tags['spoofed-burst'], burstSources);
});

test('SYN-ACK reflection: backscatter, victims named with the attacked port', { skip: needSharedData() }, async () => {
  const r = await run('darknet/synack-reflection-backscatter-7k-sources.pcap', '10.10.10.10/32');
  assert.ok(r.classes.backscatter > 0.97 * r.totals.sources, JSON.stringify(r.classes));
  assert.equal(r.bursts.length, 0, 'replies are never a spoofed burst');
  const v80 = r.victims.filter((v) => v.port === 80).length;
  assert.ok(v80 > 0 && r.victims.length > 0);
  assert.ok(r.protocols.tcp_synack >= 6651);
});

test('nmap and masscan captures: families from corroborated fingerprints', { skip: needSharedData() }, async () => {
  const nmap = await run('darknet/nmap-syn-scan-1000-ports.pcap', '64.13.134.52/32');
  assert.equal(nmap.scanner_families.nmap, 1);
  assert.equal(nmap.top_talkers[0].tag, 'nmap-syn');
  assert.ok(nmap.ports.length >= 1000, `ports ${nmap.ports.length}`);
  const masscan = await run('darknet/masscan-tcp-ports-0-1000.pcap', '198.124.152.15/32');
  assert.equal(masscan.scanner_families.masscan, 1);
  // masscan sends TTL 255: exempt from the TTL filter as masscan-like
  assert.equal(masscan.hygiene['ttl-200-or-more'] ?? 0, 0);
  assert.equal(masscan.ports.find((p) => p.port === 0)?.packets, 1, 'port 0 is counted (and filtered)');
});
