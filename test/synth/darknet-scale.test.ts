/**
 * The telescope-scale darknet (`synth darknet --sources N`) read back with tshark: unique
 * sources (total, per day), full-port sweeps (every TCP and UDP port, each sweeper exactly
 * once per port), the 6379 surge starting where the truth says, the spoofed flood, the
 * diurnal cycle, and determinism by seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate, type DarknetScaleTruth } from '../../src/synth/index.js';
import { defaultSweeps } from '../../src/synth/darknet-scale.js';
import { needTshark, sha256, tempDir, tsharkFields } from './tools.js';

test('scale darknet: tshark sees the truth (sources, per-day sources, full-port sweeps, 6379 surge, spoofed flood)', { skip: needTshark(), timeout: 180_000 }, async () => {
  const tmp = tempDir();
  try {
    const r = await generate('darknet', { seed: 7, packets: 200_000, sources: 6000, sweeps: 2, hours: 48, darknet: '198.18.0.0/16', truthFile: tmp.file('t.json') }, tmp.file('s.pcap'));
    assert.equal(r.packets, 200_000);
    const truth = JSON.parse(readFileSync(tmp.file('t.json'), 'utf8')) as DarknetScaleTruth;
    const rows = tsharkFields(tmp.file('s.pcap'), '', ['frame.time_epoch', 'ip.src', 'ip.dst', 'tcp.dstport', 'udp.dstport', 'ip.ttl', 'ip.proto'])
      // ICMP errors quote the probe: tshark lists the quoted header's fields after the outer ones
      .map((f) => f.map((x) => x.split(',')[0]));
    assert.equal(rows.length, truth.totals.packets);
    const start = Date.parse(truth.start);
    const sources = new Set<string>();
    const daySources = Array.from({ length: 2 }, () => new Set<string>());
    const tcpPorts = new Set<number>();
    const udpPorts = new Set<number>();
    const perSweeper = new Map<string, Set<number>>(truth.sweepers.map((s) => [s.ip, new Set<number>()]));
    const sweeperPackets = new Map<string, number>();
    const redisPerHour = new Array(48).fill(0);
    let firstRedisMs = Infinity;
    const hourPackets = new Array(48).fill(0);
    for (const [ts, src, dst, tcpPort, udpPort, ttl, proto] of rows) {
      const tport = proto === '6' ? tcpPort : '';
      const uport = proto === '17' ? udpPort : '';
      assert.match(dst, /^198\.18\./);
      const ms = Number(ts) * 1000;
      const h = Math.floor((ms - start) / 3600e3);
      sources.add(src);
      daySources[Math.floor(h / 24)].add(src);
      hourPackets[h]++;
      const port = tport ? Number(tport) : uport ? Number(uport) : -1;
      if (tport) tcpPorts.add(port);
      if (uport) udpPorts.add(port);
      const sw = perSweeper.get(src);
      if (sw) { sw.add(port); sweeperPackets.set(src, (sweeperPackets.get(src) ?? 0) + 1); }
      // the campaign's fingerprint: masscan-shaped probes (TTL from 255) to 6379 from non-sweepers
      if (tport === '6379' && !sw && Number(ttl) > 200) { redisPerHour[h]++; }
      if (tport === '6379' && !sw && Number(ttl) > 200 && ms < firstRedisMs) firstRedisMs = ms;
    }
    assert.equal(sources.size, truth.totals.uniqueSources);
    assert.ok(truth.totals.uniqueSources > 5900 && truth.totals.uniqueSources <= 6000, `${truth.totals.uniqueSources} of 6000 requested sources sent`);
    assert.deepEqual(daySources.map((s) => s.size), truth.perDay.map((d) => d.uniqueSources));
    // full-port sweeps: one UDP and one TCP sweeper, each hits all 65,536 ports exactly once
    assert.equal(truth.sweepers.length, 2);
    assert.equal(tcpPorts.size, 65536);
    assert.equal(udpPorts.size, 65536);
    assert.equal(truth.ports.tcpPortsHit, 65536);
    for (const s of truth.sweepers) {
      assert.equal(perSweeper.get(s.ip)!.size, 65536, `${s.ip} (${s.proto}) covers every port`);
      assert.equal(sweeperPackets.get(s.ip), 65536, `${s.ip} sends one packet per port`);
    }
    // the surge: masscan-shaped 6379 probes start at the truth's surge start (zmap/masscan scanners
    // also probe 6379 now and then, with TTL > 200: the hours before carry a low baseline)
    const surgeHour = Math.floor((Date.parse(truth.surge.start) - start) / 3600e3);
    assert.equal(surgeHour, Math.floor(48 * 0.55));
    const before = redisPerHour.slice(0, surgeHour).reduce((a, b) => a + b, 0) / surgeHour;
    const after = redisPerHour.slice(surgeHour + 2).reduce((a, b) => a + b, 0) / (48 - surgeHour - 2);
    assert.ok(after > 10 * Math.max(1, before), `6379 probes per hour: ${before.toFixed(1)} before, ${after.toFixed(1)} after the surge start`);
    assert.ok(firstRedisMs <= Date.parse(truth.surge.start));
    assert.ok(truth.surge.sources > 100);
    // the spoofed flood: one packet per source inside its window
    assert.ok(truth.totals.spoofed.sources > 500);
    assert.equal(truth.totals.spoofed.packets, truth.totals.spoofed.sources);
    const spoofMs = Date.parse(truth.totals.spoofed.window.end) - Date.parse(truth.totals.spoofed.window.start);
    assert.ok(spoofMs < 3 * 3600e3, `flood lasts ${spoofMs / 1000} s`);
    // diurnal cycle: busiest hour of a day well above the quietest
    const day0 = hourPackets.slice(0, 24);
    assert.ok(Math.max(...day0) > 1.5 * Math.min(...day0), `day 0 hourly packets ${Math.min(...day0)}..${Math.max(...day0)}`);
    assert.deepEqual(hourPackets, truth.perHour.map((x) => x.packets));
  } finally {
    tmp.cleanup();
  }
});

test('scale darknet: deterministic by seed; default sweeps bounded by the packet budget', async () => {
  const tmp = tempDir();
  try {
    const o = { packets: 20_000, sources: 3000, hours: 30 };
    await generate('darknet', { ...o, seed: 5 }, tmp.file('a.pcap'));
    await generate('darknet', { ...o, seed: 5 }, tmp.file('b.pcap'));
    await generate('darknet', { ...o, seed: 6 }, tmp.file('c.pcap'));
    assert.equal(sha256(tmp.file('a.pcap')), sha256(tmp.file('b.pcap')));
    assert.notEqual(sha256(tmp.file('a.pcap')), sha256(tmp.file('c.pcap')));
    assert.equal(defaultSweeps(20_000, 3000), 0, 'no sweep fits in 20,000 packets');
    assert.equal(defaultSweeps(10_000_000, 100_000), 5);
    assert.equal(defaultSweeps(50_000_000, 1_000_000), 50);
    assert.ok(defaultSweeps(1_000_000, 1_000_000) * 65536 <= 0.3 * 1_000_000);
  } finally {
    tmp.cleanup();
  }
});
