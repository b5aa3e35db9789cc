import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScanDetector } from '../../src/detect/scan.js';
import { createPacketView, TcpFlag, type PacketView } from '../../src/events/packet.js';
import { srcIpString } from '../../src/decode/address.js';
import { decodeFrame, ethernet, ipv6, tcp } from '../decode/frames.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { needTshark, recordingContext, tsharkPackets } from './fixtures.js';
import { analyze } from '../../src/pipeline/analyze.js';

function run(pkts: PacketView[], opts = {}) {
  const det = createScanDetector(opts);
  const ctx = recordingContext();
  for (const p of pkts) det.onPacket!(p, null, ctx);
  det.onFinish!(ctx);
  return ctx.alerts;
}

void test('scan: masscan capture → masscan-family vertical scan (IP ID cookie + window 1024 on every SYN)', { skip: needSharedData() || needTshark() }, () => {
  const alerts = run(tsharkPackets(sharedFile('darknet/masscan-tcp-ports-0-1000.pcap')));
  assert.equal(alerts.length, 1);
  const a = alerts[0].alert;
  assert.equal(a.signatureId, 9100603);
  assert.equal(a.srcIp, '172.31.15.102');
  assert.equal(a.evidence.family, 'masscan');
  assert.equal(a.evidence.kind, 'vertical');
});

void test('scan: nmap SYN scan → vertical scan, no family (nmap is none of the three)', { skip: needSharedData() || needTshark() }, () => {
  const alerts = run(tsharkPackets(sharedFile('darknet/nmap-syn-scan-1000-ports.pcap')));
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].alert.signatureId, 9100601);
  assert.equal(alerts[0].alert.srcIp, '172.16.0.8');
  assert.equal(alerts[0].alert.evidence.family, undefined);
});

void test('scan: Hide-and-Seek telnet scanning from the Raspberry Pi is a horizontal scan of 23/8080/2323', { skip: needSharedData() || needTshark() }, () => {
  const alerts = run(tsharkPackets(sharedFile('iot-malware/hide-and-seek-rpi-telnet-scan-p2p.pcap')));
  const pi = alerts.filter((a) => a.alert.srcIp === '192.168.2.16');
  assert.ok(pi.length >= 1);
  assert.equal(pi[0].alert.evidence.kind, 'horizontal');
  assert.equal(pi[0].alert.device?.mac?.slice(0, 8), 'b8:27:eb');
  const ports = (pi[0].alert.evidence.topPorts as { port: number }[]).map((p) => p.port);
  assert.ok(ports.includes(23), ports.join(','));
  // Only the infected Pi scans.
  assert.deepEqual([...new Set(alerts.map((a) => a.alert.srcIp))], ['192.168.2.16']);
});

void test('scan: ICMP ping sweep', { skip: needSharedData() || needTshark() }, () => {
  const alerts = run(tsharkPackets(sharedFile('darknet/icmp-ping-sweep-lan.pcap')), { hostThreshold: 10 });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].alert.signatureId, 9100605);
  assert.equal(alerts[0].alert.srcIp, '192.168.1.109');
});

void test('scan: no alerts for an Ethereum P2P node, spoofed SYN floods (one SYN per source) or a phone', { skip: needSharedData() || needTshark() }, () => {
  for (const f of ['benign/crypto-p2p-ethereum-devp2p-30303.pcap', 'darknet/syn-ecn-cwr-flood-random-sources.pcap', 'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap']) {
    assert.deepEqual(run(tsharkPackets(sharedFile(f)), { maxSources: 1000 }).map((a) => a.alert.signature), [], f);
  }
});

function syn(src: number, dst: number, dport: number, seq: number, ipId: number, window: number, tsUs: number, ttl = 64): PacketView {
  const p = createPacketView();
  Object.assign(p, { ipVersion: 4, proto: 6, src4: src, dst4: dst, dstPort: dport, srcPort: 40000, seq, ipId, window, ttl, tcpFlags: 0x02, tsUs, layers: 12 });
  return p;
}

void test('scan: Mirai (seq == dst) and ZMap (IP ID 54321 + window 65535 + TTL ≥ 200) families; one 16-bit field alone is not enough', () => {
  const mirai: PacketView[] = [];
  const zmap: PacketView[] = [];
  const idOnly: PacketView[] = [];
  const lowTtl: PacketView[] = [];
  for (let i = 0; i < 40; i++) {
    const dst = (0x0a000000 + i * 7919) >>> 0;
    mirai.push(syn(0xc0a80002, dst, i % 10 === 0 ? 2323 : 23, dst, i * 13, 14600, 1e15 + i * 1000));
    // ZMap sends with TTL 255 (MAXTTL); a few hops on the way
    zmap.push(syn(0xc0a80003, dst, 22, (i * 2654435761) >>> 0, 54321, 65535, 1e15 + i * 1000, 250));
    idOnly.push(syn(0xc0a80004, dst, 22, (i * 2654435761) >>> 0, 54321, 29200, 1e15 + i * 1000, 250));
    // ZMap's IP ID and window from an ordinary stack (TTL 64): not ZMap (the telescope agrees)
    lowTtl.push(syn(0xc0a80005, dst, 22, (i * 2654435761) >>> 0, 54321, 65535, 1e15 + i * 1000, 64));
  }
  const a = run([...mirai, ...zmap, ...idOnly, ...lowTtl]);
  const bySrc = new Map(a.map((x) => [x.alert.srcIp, x.alert]));
  assert.equal(bySrc.get('192.168.0.2')?.evidence.family, 'Mirai');
  assert.equal(bySrc.get('192.168.0.2')?.severity, 1);
  assert.equal(bySrc.get('192.168.0.3')?.evidence.family, 'ZMap');
  assert.equal(bySrc.get('192.168.0.4')?.evidence.family, undefined);
  assert.equal(bySrc.get('192.168.0.4')?.signatureId, 9100600);
  assert.equal(bySrc.get('192.168.0.5')?.evidence.family, undefined);
  assert.equal(bySrc.get('192.168.0.5')?.signatureId, 9100600);
});

void test('scan: state stays bounded under a flood of distinct sources', () => {
  const det = createScanDetector({ maxSources: 500 });
  const ctx = recordingContext();
  const p = syn(0, 0x0a0a0a0a, 80, 1, 1, 512, 0);
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 200_000; i++) { p.src4 = (0x01000000 + i) >>> 0; p.tsUs = 1e15 + i; det.onPacket!(p, null, ctx); }
  const grown = process.memoryUsage().heapUsed - before;
  assert.equal(ctx.alerts.length, 0);
  assert.ok(grown < 64 * 1024 * 1024, `heap grew ${grown}`);
});

function udp(src: number, dst: number, sport: number, dport: number, tsUs: number): PacketView {
  const p = createPacketView();
  Object.assign(p, { ipVersion: 4, proto: 17, src4: src, dst4: dst, srcPort: sport, dstPort: dport, tsUs, layers: 12 });
  return p;
}

void test('scan: a resolver answering 40 clients is not a scan; a UDP scan sent from port 53 still is', () => {
  const resolver = 0xc0a80101;
  const pkts: PacketView[] = [];
  for (let i = 0; i < 40; i++) {
    const client = 0xc0a80110 + i;
    pkts.push(udp(client, resolver, 40000 + i, 53, 1e15 + i * 1000));
    pkts.push(udp(resolver, client, 53, 40000 + i, 1e15 + i * 1000 + 500));
  }
  assert.deepEqual(run(pkts).map((a) => a.alert.signature), []);
  // nmap -g 53: probes leave port 53 for service ports below 1024 on many hosts.
  const scan: PacketView[] = [];
  for (let i = 0; i < 40; i++) scan.push(udp(0xc0a80102, 0x0a000001 + i * 3, 53, 161, 1e15 + i * 1000));
  const a = run(scan);
  assert.equal(a.length, 1);
  assert.equal(a[0].alert.srcIp, '192.168.1.2');
  assert.equal(a[0].alert.evidence.kind, 'horizontal');
});

void test('scan: an IPv6 scanner is named in RFC 5952 text, the same text flow events use (longest zero run compressed)', () => {
  const pkts: PacketView[] = [];
  for (let port = 1; port <= 60; port++) {
    const frame = ethernet(0x86dd, ipv6({ src: '2001:db8:0:0:1:0:0:0', dst: '2001:db8::99', nextHeader: 6 }, tcp({ sport: 40000, dport: port, flags: TcpFlag.SYN })));
    pkts.push(decodeFrame(frame, 1, undefined, { tsUs: 1_700_000_000_000_000 + port * 1000 }).pkt);
  }
  assert.equal(srcIpString(pkts[0]), '2001:db8:0:0:1::');
  const alerts = run(pkts);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].alert.srcIp, '2001:db8:0:0:1::', 'not 2001:db8::1:0:0:0');
  assert.equal(alerts[0].alert.evidence.kind, 'vertical');
});

async function pipelineScanAlerts(file: string) {
  const r = await analyze({ inputs: [file], workers: 1, progress: false, keepAlerts: 100, analyzers: { detect: true, detectors: ['scan'] } });
  return r.alerts as { src_ip: string; proto: string; alert: { signature_id: number; signature: string }; minewatch: { evidence: Record<string, unknown>; device?: { mac?: string } } }[];
}

void test('scan: ARP who-has sweep of a /24 (shared capture, whole pipeline, default thresholds) → ARP sweep from the asking host', { skip: needSharedData() }, async () => {
  const alerts = await pipelineScanAlerts(sharedFile('darknet/arp-sweep-lan-256.pcap'));
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  const a = alerts[0];
  assert.equal(a.alert.signature_id, 9100606);
  assert.equal(a.src_ip, '192.168.1.247');
  assert.equal(a.proto, 'ARP');
  assert.equal(a.minewatch.evidence.kind, 'ARP sweep');
  assert.equal(a.minewatch.device?.mac?.slice(0, 8), '50:ed:3c');
  const targets = a.minewatch.evidence.arpTargets as number;
  // The alert comes once the threshold is passed and the replies had their grace time; the
  // capture's few replies keep the answered share far below half.
  assert.ok(targets >= 20 && targets <= 256, String(targets));
  assert.ok((a.minewatch.evidence.answeringHosts as number) < targets / 2);
  assert.equal(a.minewatch.evidence.counts, 'exact');
});

void test('scan: ICMP echo sweep (shared capture, whole pipeline, default thresholds) → ping sweep of 17 hosts', { skip: needSharedData() }, async () => {
  const alerts = await pipelineScanAlerts(sharedFile('darknet/icmp-ping-sweep-lan.pcap'));
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  assert.equal(alerts[0].alert.signature_id, 9100605);
  assert.equal(alerts[0].src_ip, '192.168.1.109');
  assert.equal(alerts[0].minewatch.evidence.icmpTargets, 16, 'the alert fires at the 16th distinct target');
});

void test('scan: a ZMap SYN sweep of 16 hosts is a ZMap-family scan; the same 16 SYNs from an ordinary stack are not a scan', () => {
  const zmap: PacketView[] = [];
  const plain: PacketView[] = [];
  for (let i = 0; i < 16; i++) {
    const dst = (0x0a000000 + i * 7919) >>> 0;
    zmap.push(syn(0xc0a80003, dst, 443, (i * 2654435761) >>> 0, 54321, 65535, 1e15 + i * 1000, 250));
    plain.push(syn(0xc0a80004, dst, 443, (i * 2654435761) >>> 0, i * 77, 64240, 1e15 + i * 1000, 64));
  }
  const a = run([...zmap, ...plain]);
  assert.equal(a.length, 1);
  assert.equal(a[0].alert.srcIp, '192.168.0.3');
  assert.equal(a[0].alert.signatureId, 9100604);
  assert.equal(a[0].alert.evidence.family, 'ZMap');
  assert.equal(a[0].alert.evidence.distinctHosts, 8, 'alerts at the fingerprint threshold (8 targets, every probe fingerprinted)');
  // One odd probe among them: the lower threshold no longer applies.
  const mixed = zmap.slice(0, 15).map((p) => Object.assign(createPacketView(), p, { src4: 0xc0a80005 }));
  mixed.splice(3, 0, syn(0xc0a80005, 0x0b000001, 443, 5, 5, 29200, 1e15 + 3500, 64));
  assert.deepEqual(run(mixed).map((x) => x.alert.signature), []);
});

void test('scan: distinct targets are exact past 512 and an estimate with its stated error past 1024; top ports by probes; the sample says it was cut', () => {
  const pkts: PacketView[] = [];
  // 800 hosts: port 23 twice as often as 2323, port 80 once per 10.
  for (let i = 0; i < 3000; i++) {
    const port = i % 10 === 0 ? 80 : i % 3 === 0 ? 2323 : 23;
    // even addresses only: x.x.x.255 is a broadcast address, never counted as a target
    pkts.push(syn(0xc0a80007, (0x0a000000 + (i % 800) * 2) >>> 0, port, i, i, 14600, 1e15 + i * 10));
  }
  const det = createScanDetector({ repeatUs: 1 });
  const ctx = recordingContext();
  for (const p of pkts) det.onPacket!(p, null, ctx);
  det.onFinish!(ctx);
  const last = ctx.alerts.at(-1)!.alert.evidence;
  assert.equal(last.distinctHosts, 800);
  assert.equal(last.counts, 'exact');
  const top = last.topPorts as { port: number; probes: number }[];
  assert.deepEqual(top.map((t) => t.port), [23, 2323, 80]);
  assert.equal(top.reduce((s, t) => s + t.probes, 0), last.probes);
  assert.equal(last.topPortsMaxOvercount, undefined);
  assert.equal((last.sampleTargets as string[]).length, 8);
  assert.equal(last.sampleTargetsCut, 'first 8 of 800');
  // 20 000 hosts: the sketch, within 3 standard errors, and the evidence says so.
  const big = createScanDetector({ repeatUs: 1 });
  const c2 = recordingContext();
  const p = syn(0xc0a80008, 0, 22, 1, 1, 14600, 0);
  for (let i = 0; i < 20_000; i++) { p.dst4 = (0x0b000000 + i * 2) >>> 0; p.tsUs = 1e15 + i * 100; big.onPacket!(p, null, c2); }
  big.onFinish!(c2);
  const ev = c2.alerts.at(-1)!.alert.evidence;
  const counts = ev.counts as { distinctHosts: { kind: string; sketchRelativeError: number } };
  assert.equal(counts.distinctHosts.kind, 'sketch');
  assert.equal(counts.distinctHosts.sketchRelativeError, 0.0325);
  assert.ok(Math.abs((ev.distinctHosts as number) - 20_000) < 20_000 * 0.0325 * 3, String(ev.distinctHosts));
});

void test('scan: the scanner\'s own resolver (queried on 53, answering from 53) is not a target; querying 9+ DNS servers is a DNS scan', () => {
  const pkts: PacketView[] = [];
  const src = 0xc0a80109;
  const resolver = 0xc0a80101;
  let t = 1e15;
  for (let i = 0; i < 25; i++) {
    pkts.push(udp(src, resolver, 40000 + i, 53, (t += 1000)));
    pkts.push(udp(resolver, src, 53, 40000 + i, (t += 100)));
    pkts.push(syn(src, (0x0a000100 + i) >>> 0, 23, i, i, 14600, (t += 1000)));
  }
  const a = run(pkts);
  assert.equal(a.length, 1);
  const ev = a[0].alert.evidence;
  assert.equal(ev.distinctHosts, 25);
  assert.deepEqual(ev.resolversNotCounted, ['192.168.1.1']);
  assert.ok(!(ev.sampleTargets as string[]).includes('192.168.1.1'));
  assert.deepEqual((ev.topPorts as { port: number }[]).map((x) => x.port), [23]);
  // Open-resolver scanning: 40 DNS servers, none answering.
  const dnsScan: PacketView[] = [];
  for (let i = 0; i < 40; i++) dnsScan.push(udp(0xc0a8010a, (0x08080000 + i * 256) >>> 0, 50000, 53, 1e15 + i * 1000));
  const d = run(dnsScan);
  assert.equal(d.length, 1);
  // decided at the end of input (the targets had their grace time to answer): all 40
  assert.equal(d[0].alert.evidence.distinctHosts, 40);
  assert.equal(d[0].alert.evidence.resolversNotCounted, undefined);
});
