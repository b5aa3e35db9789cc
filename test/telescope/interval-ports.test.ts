/**
 * The aggregator keeps an interval's busiest ports straight from its typed counters
 * (quickselect) when a sweep touches more than 2 × INTERVAL_PORTS ports: the kept ports,
 * their order and the floor must be what trimIntervalPorts gives for the map of every
 * touched port (the code before), ties by port key included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { selectLargest, TelescopeAggregator } from '../../src/telescope/aggregator.js';
import { BatchArrays } from '../../src/capture/source.js';
import { INTERVAL_PORTS, newInterval, trimIntervalPorts } from '../../src/telescope/state.js';
import { parseCidr } from '../../src/util/ip.js';

test('selectLargest puts the (r+1)-th largest at r, larger before and smaller after', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 300 }), fc.nat(), (values, pick) => {
    const a = Float64Array.from(values);
    const r = pick % a.length;
    const v = selectLargest(a, a.length, r);
    const sorted = [...values].sort((x, y) => y - x);
    assert.equal(v, sorted[r]);
    assert.equal(a[r], v);
    for (let i = 0; i < r; i++) assert.ok(a[i] >= v);
    for (let i = r + 1; i < a.length; i++) assert.ok(a[i] <= v);
    assert.deepEqual([...a].sort((x, y) => y - x), sorted);
  }), { numRuns: 300 });
});

/** An Ethernet/IPv4/TCP SYN (or UDP) frame from src to dst:port. */
function frame(src: number, dst: number, proto: 6 | 17, port: number): Uint8Array {
  const l4 = proto === 6 ? 20 : 8;
  const f = new Uint8Array(14 + 20 + l4);
  const v = new DataView(f.buffer);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 20 + l4);
  f[22] = 64;
  f[23] = proto;
  v.setUint32(26, src);
  v.setUint32(30, dst);
  v.setUint16(34, 40000 + (src & 0xff));
  v.setUint16(36, port);
  if (proto === 6) {
    f[46] = 5 << 4;
    f[47] = 0x02;
    v.setUint16(48, 1024);
  } else v.setUint16(38, 8);
  return f;
}

test('an interval swept over thousands of ports keeps the ports and floor trimIntervalPorts gives', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 30 }), (seed) => {
    let s = seed;
    const rnd = (n: number) => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 8) % n;
    };
    // many ports with small counts (ties at the cut), a few busy ones
    const packets: [number, 6 | 17, number][] = [];
    for (let i = 0; i < 9000; i++) packets.push([0x0b000000 + rnd(5000), rnd(4) === 0 ? 17 : 6, 1 + rnd(3000)]);
    for (let i = 0; i < 600; i++) packets.push([0x0b000000 + rnd(5000), 6, [23, 80, 443, 6379][rnd(4)]]);
    const exact = newInterval(0);
    for (const [, proto, port] of packets) {
      const key = (proto === 17 ? 65536 : 0) + port;
      exact.ports.set(key, (exact.ports.get(key) ?? 0) + 1);
    }
    assert.ok(exact.ports.size > 2 * INTERVAL_PORTS);
    trimIntervalPorts(exact);

    const agg = new TelescopeAggregator({ darknets: [parseCidr('198.18.0.0/16')!], darknetText: ['198.18.0.0/16'], intervalUs: 3600e6 });
    const a = new BatchArrays(packets.length);
    const frames = packets.map(([src, proto, port], i) => frame(src, 0xc6120000 + (i & 0xffff), proto, port));
    const buf = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let off = 0;
    frames.forEach((f, i) => {
      buf.set(f, off);
      a.offsets[i] = off;
      a.capLens[i] = a.wireLens[i] = f.length;
      a.tsUs[i] = 1000 + i;
      a.linkTypes[i] = 1;
      off += f.length;
    });
    agg.processBatch(a.batch(buf, packets.length));
    const iv = agg.finish().intervals.get(0)!;
    assert.deepEqual([...iv.ports], [...exact.ports]);
    assert.equal(iv.portsFloor, exact.portsFloor);
  }), { numRuns: 5 });
});
