import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ACK, FIN, FrameBuilder, PSH, Path, RST, SYN, TcpSession, finishChecksum, sum16, type FrameSink } from '../../src/synth/packet-builder.js';
import { parseDarknetCidr as parseCidr } from '../../src/synth/net.js';
import { cidrContainsIpv4, cidrContainsIpv6, formatCidr, formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../src/util/ip.js';
import { Rng } from '../../src/synth/rng.js';

/** Independent checksum verification: summing a region including its checksum gives 0xffff. */
function verifies(buf: Uint8Array, start: number, end: number, init = 0): boolean {
  return finishChecksum(sum16(buf, start, end, init)) === 0;
}

function pseudo4(f: Uint8Array, proto: number, len: number): number {
  return sum16(f, 26, 34) + proto + len;
}

const mac = Uint8Array.of(2, 0, 0, 0, 0, 1);

test('IPv4 TCP/UDP/ICMP frames carry valid checksums for any addresses, ports and payloads', () => {
  const fb = new FrameBuilder();
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }),
    fc.uint8Array({ maxLength: 1600 }), fc.constantFrom('tcp', 'udp', 'icmp'), fc.integer({ min: 0, max: 0xffffffff }),
    (src, dst, sport, dport, payload, kind, seq) => {
      const p = new Path(mac, mac, src, dst, 64);
      const f = kind === 'tcp' ? fb.tcp(p, sport, dport, seq, 0, SYN | ACK, 1024, payload, 0, payload.length, Uint8Array.of(2, 4, 5, 0xb4))
        : kind === 'udp' ? fb.udp(p, sport, dport, payload, 0, payload.length)
          : fb.icmp(p, 8, 0, seq, payload, 0, payload.length);
      assert.equal(f.length, 14 + 20 + (kind === 'tcp' ? 24 : 8) + payload.length);
      assert.ok(verifies(f, 14, 34), 'IPv4 header checksum');
      assert.equal(((f[30] << 24) | (f[31] << 16) | (f[32] << 8) | f[33]) >>> 0, dst);
      const l4 = f.length - 34;
      const proto = f[23];
      assert.ok(verifies(f, 34, f.length, kind === 'icmp' ? 0 : pseudo4(f, proto, l4)), `${kind} checksum`);
    },
  ), { numRuns: 300 });
});

test('IPv6 TCP/UDP/ICMPv6 frames carry valid checksums', () => {
  const fb = new FrameBuilder();
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 1400 }),
    fc.constantFrom('tcp', 'udp', 'icmp'), (src, dst, payload, kind) => {
      const p = new Path(mac, mac, src, dst, 64);
      const f = kind === 'tcp' ? fb.tcp(p, 1234, 80, 1, 0, SYN, 1024, payload, 0, payload.length)
        : kind === 'udp' ? fb.udp(p, 1234, 53, payload, 0, payload.length) : fb.icmp(p, 128, 0, 7, payload, 0, payload.length);
      assert.equal((f[12] << 8) | f[13], 0x86dd);
      const l4 = f.length - 54;
      assert.equal((f[18] << 8) | f[19], l4);
      assert.ok(verifies(f, 54, f.length, sum16(f, 22, 54) + f[20] + l4));
    }), { numRuns: 200 });
});

interface Seg { dir: number; seq: number; ack: number; flags: number; len: number }

/** Collects frames and decodes the TCP fields needed to check the session's bookkeeping. */
class Collector implements FrameSink {
  segs: Seg[] = [];
  lastTs = 0;
  constructor(private readonly clientIp: number) {}
  emit(ts: number, f: Uint8Array): void {
    assert.ok(ts >= this.lastTs, 'timestamps never go back within a session');
    this.lastTs = ts;
    const src = ((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0;
    const ihl = 14 + 20;
    const hdr = (f[ihl + 12] >> 4) * 4;
    const u32 = (o: number): number => ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;
    this.segs.push({ dir: src === this.clientIp ? 0 : 1, seq: u32(ihl + 4), ack: u32(ihl + 8), flags: f[ihl + 13], len: f.length - ihl - hdr });
  }
}

test('TcpSession: handshake, MSS segmentation both ways, ACKs and FIN keep seq/ack consistent', () => {
  fc.assert(fc.property(fc.array(fc.record({ dir: fc.constantFrom(0, 1), len: fc.integer({ min: 1, max: 20000 }), finalAck: fc.boolean() }), { maxLength: 12 }),
    fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), (msgs, isnC, isnS, reset) => {
      const c = parseIpv4('192.168.1.10');
      const sink = new Collector(c);
      const p = new Path(mac, mac, c, parseIpv4('93.184.216.34'), 64);
      const s = new TcpSession(sink, new FrameBuilder(), [p, p.reverse(50)], [50000, 443], [isnC, isnS]);
      let t = s.handshake(1000, 20000);
      const data = Buffer.alloc(20000, 7);
      for (const m of msgs) t = s.send(m.dir as 0 | 1, data, 0, m.len, t + 100, 10, 40, m.finalAck);
      if (reset) s.reset(0, t + 10); else s.close(0, t + 10, 20000);
      // replay: every segment starts at the sender's next sequence number, every ACK
      // acknowledges exactly what the other side sent, and no pure ACK is a duplicate
      const next = [isnC >>> 0, isnS >>> 0];
      const lastPureAck = [-1, -1];
      const payload = [0, 0];
      for (const g of sink.segs) {
        const other = 1 - g.dir;
        assert.equal(g.seq, next[g.dir], 'segment starts at the next sequence number');
        if (g.flags & ACK) assert.equal(g.ack, next[other], 'ACK covers all bytes seen');
        assert.ok(g.len <= 1460, 'segments respect the MSS');
        if ((g.flags & (SYN | FIN | RST)) === 0 && g.len === 0) {
          assert.notEqual(g.ack, lastPureAck[g.dir], 'no duplicate pure ACK');
          lastPureAck[g.dir] = g.ack;
        }
        next[g.dir] = (next[g.dir] + g.len + ((g.flags & (SYN | FIN)) ? 1 : 0)) >>> 0;
        payload[g.dir] += g.len;
      }
      const want = [0, 0];
      for (const m of msgs) want[m.dir] += m.len;
      assert.deepEqual(payload, want, 'all payload bytes sent exactly once');
      assert.deepEqual(s.payloadBytes, want);
      const last = sink.segs[sink.segs.length - 1];
      assert.ok(reset ? (last.flags & RST) !== 0 : last.flags === ACK);
      // PSH marks the last segment of each message
      assert.equal(sink.segs.filter((g) => g.flags & PSH).length, msgs.length);
    }), { numRuns: 150 });
});

test('address helpers round-trip and CIDR parsing rejects garbage without throwing', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => assert.equal(parseIpv4(formatIpv4(a)), a)));
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => assert.deepEqual(parseIpv6(formatIpv6(a)), a)));
  fc.assert(fc.property(fc.string(), (s) => { parseCidr(s); }));
  const c4 = parseCidr('198.18.7.9/16');
  assert.ok(c4 && c4.version === 4);
  assert.equal(formatCidr(c4), '198.18.0.0/16');
  assert.ok(cidrContainsIpv4(c4, parseIpv4('198.18.255.255')) && !cidrContainsIpv4(c4, parseIpv4('198.19.0.0')) && !cidrContainsIpv4(c4, parseIpv4('198.17.255.255')));
  const c6 = parseCidr('2001:db8:ffff::/48');
  assert.ok(c6 && c6.version === 6);
  assert.ok(cidrContainsIpv6(c6, parseIpv6('2001:db8:ffff:1::5')!, 0) && !cidrContainsIpv6(c6, parseIpv6('2001:db8:fffe::1')!, 0));
  for (const bad of ['', '1.2.3.4', '1.2.3.4/33', '300.1.1.1/8', 'x/8', '1.2.3/8', '::/200']) assert.equal(parseCidr(bad), null, bad);
});

test('Rng is deterministic per seed and roughly uniform', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 1000 }, () => a.u32());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.u32()));
  assert.notDeepEqual(xs, Array.from({ length: 1000 }, () => c.u32()));
  const buckets = new Array(10).fill(0);
  const r = new Rng(1);
  for (let i = 0; i < 100000; i++) buckets[r.int(10)]++;
  for (const n of buckets) assert.ok(n > 9500 && n < 10500, `bucket ${n}`);
});
