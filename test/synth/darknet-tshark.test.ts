/**
 * The darknet and small captures as tshark sees them: valid checksums, and ground-truth
 * totals (packets to / not to the darknet, unique sources, per-hour, per-port, family
 * fingerprints) equal to what tshark counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate, type DarknetTruth, type SmallTruth } from '../../src/synth/index.js';
import { cidrContainsIpv4, cidrContainsIpv6, formatCidr, parseCidr, parseIpv4, parseIpv6 } from '../../src/util/ip.js';
import { needTshark, tempDir, tsharkProblems, tsharkRows } from './tools.js';

test('darknet capture: truth totals equal tshark counts; fingerprints as specified', { skip: needTshark() }, async () => {
  const tmp = tempDir();
  try {
    const r = await generate('darknet', { seed: 3, packets: 30000, hours: 5, darknet: '100.64.0.0/14', truthFile: tmp.file('d.json') }, tmp.file('d.pcap'));
    const truth = JSON.parse(readFileSync(tmp.file('d.json'), 'utf8')) as DarknetTruth;
    assert.equal(r.packets, 30000);
    // scanners legitimately re-use ports towards the same target, so TCP analysis flags are expected here
    assert.deepEqual(tsharkProblems(tmp.file('d.pcap'), false), []);
    const rows = tsharkRows(tmp.file('d.pcap'));
    assert.equal(rows.length, truth.totals.packets);
    const n4 = parseCidr(truth.darknets[0])!;
    const n6 = parseCidr(truth.darknets[1])!;
    assert.equal(formatCidr(n4), '100.64.0.0/14');
    const start = Date.parse(truth.start) * 1000;
    const sources = new Set<string>();
    const hourPackets = new Array(truth.hours).fill(0);
    const hourSources = Array.from({ length: truth.hours }, () => new Set<string>());
    const tcpPorts: Record<string, number> = {};
    let dark = 0;
    let notDark = 0;
    let v6 = 0;
    let mirai = 0;
    let masscanLike = 0;
    let zmap = 0;
    for (const x of rows) {
      const isDark = x.src6 ? cidrContainsIpv6(n6, parseIpv6(x.dst6)!, 0) : cidrContainsIpv4(n4, parseIpv4(x.dst));
      if (!isDark) { notDark++; continue; }
      dark++;
      const src = x.src6 || x.src;
      if (x.src6) v6++;
      sources.add(src);
      const h = Math.floor((x.tsUs - start) / 3600e6);
      hourPackets[h]++;
      hourSources[h].add(src);
      if (x.tcp && !x.icmp) tcpPorts[String(x.dport)] = (tcpPorts[String(x.dport)] ?? 0) + 1;
      if (x.flags === 0x002 && !x.src6) {
        if (x.seqRaw === parseIpv4(x.dst) && (x.dport === 23 || x.dport === 2323)) mirai++;
        if (x.win === 1024 && x.ipId === ((parseIpv4(x.dst) ^ x.dport ^ x.seqRaw) & 0xffff)) masscanLike++;
        if (x.ipId === 54321 && x.win === 65535 && x.ttl >= 200 && x.mss === 0) zmap++;
      }
    }
    assert.equal(dark, truth.totals.packetsToDarknet);
    assert.equal(notDark, truth.totals.packetsNotToDarknet);
    assert.ok(notDark > 0, 'some packets are not to the darknet');
    assert.equal(sources.size, truth.totals.uniqueSources);
    assert.equal(sources.size, truth.sources.length);
    assert.equal(v6, truth.totals.ipv6Packets);
    assert.ok(v6 > 0);
    assert.deepEqual(hourPackets, truth.perHour.map((h) => h.packets));
    assert.deepEqual(hourSources.map((s) => s.size), truth.perHour.map((h) => h.uniqueSources));
    assert.deepEqual(tcpPorts, truth.ports.tcp);
    // scanner fingerprints: Mirai seq == destination, masscan IP ID formula, ZMap IP ID 54321
    assert.equal(mirai, truth.totals.byFamily.mirai.packets);
    assert.ok(masscanLike >= truth.totals.byFamily.masscan.packets && masscanLike <= truth.totals.byFamily.masscan.packets + 3, `masscan ${masscanLike}`);
    // (another source's random IP ID can hit 54321 by chance: allow a couple)
    assert.ok(zmap >= truth.totals.byFamily.zmap.packets && zmap <= truth.totals.byFamily.zmap.packets + 2, `zmap ${zmap}`);
    // the spoofed burst: one packet per source, one fingerprint
    const spoofed = truth.sources.filter((s) => s.spoofed);
    assert.ok(spoofed.length >= 100);
    assert.ok(spoofed.every((s) => s.packets === 1));
    const spoofedSet = new Set(spoofed.map((s) => s.ip));
    const fp = new Set(rows.filter((x) => spoofedSet.has(x.src)).map((x) => `${x.win}/${x.ipId}/${x.sport}/${x.dport}`));
    assert.equal(fp.size, 1, 'identical header fingerprint');
    // the Redis surge is in the later hours only
    const surge = new Set(truth.sources.filter((s) => s.campaign === 'redis-6379').map((s) => s.ip));
    const redisHours = new Set(rows.filter((x) => surge.has(x.src)).map((x) => Math.floor((x.tsUs - start) / 3600e6)));
    assert.ok(!redisHours.has(0) && redisHours.has(truth.hours - 1), `redis surge in hours ${[...redisHours].join(',')}`);
    const port6379 = new Array(truth.hours).fill(0);
    for (const x of rows) if (x.dport === 6379 && x.flags === 0x002) port6379[Math.floor((x.tsUs - start) / 3600e6)]++;
    assert.ok(port6379[truth.hours - 1] > 3 * port6379[0], `6379 per hour ${port6379.join(',')}`);
    // backscatter of every kind, and erratic packets
    for (const k of ['syn-ack', 'rst', 'echo-reply', 'unreachable', 'time-exceeded', 'dns-response']) {
      assert.ok(truth.sources.some((s) => s.campaign === `backscatter:${k}`), k);
    }
    assert.ok(rows.some((x) => x.flags === 0x003), 'SYN+FIN present');
    assert.ok(rows.some((x) => x.src === x.dst && x.src !== ''), 'src == dst present');
    assert.equal(truth.totals.byClass.scanner.packets + truth.totals.byClass.backscatter.packets + truth.totals.byClass.other.packets, dark);
  } finally {
    tmp.cleanup();
  }
});

test('small capture: one header-only packet per flow, valid checksums', { skip: needTshark() }, async () => {
  const tmp = tempDir();
  try {
    const r = await generate('small', { seed: 4, packets: 20000, truthFile: tmp.file('s.json') }, tmp.file('s.pcap'));
    const truth = JSON.parse(readFileSync(tmp.file('s.json'), 'utf8')) as SmallTruth;
    assert.equal(r.packets, 20000);
    assert.deepEqual(tsharkProblems(tmp.file('s.pcap'), false), []);
    const rows = tsharkRows(tmp.file('s.pcap'));
    assert.equal(rows.length, 20000);
    assert.equal(rows.filter((x) => x.flags === 0x002 && x.tcpLen === 0).length, truth.tcpSyn);
    assert.equal(rows.filter((x) => x.udpSport > 0).length, truth.udp);
    const tuples = new Set(rows.map((x) => `${x.src}:${x.sport || x.udpSport}>${x.dst}:${x.dport}`));
    assert.ok(tuples.size >= 19990, `distinct flows ${tuples.size}`);
  } finally {
    tmp.cleanup();
  }
});
