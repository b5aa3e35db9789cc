/** symmetricFlowHash: equal both ways, different across flows, well spread. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { symmetricFlowHash, symmetricHashV4 } from '../../src/decode/hash.js';
import { createPacketView } from '../../src/events/packet.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { decodeFrame, ethernet, ipv4, ipv6, tcp, udp } from './frames.js';

function v4Packet(src: string, dst: string, sport: number, dport: number, proto: 6 | 17, vlan = 0): number {
  const l4 = proto === 6 ? tcp({ sport, dport, flags: 2 }) : udp(sport, dport, new Uint8Array(0));
  const frame = ethernet(0x0800, ipv4({ src, dst, proto }, l4), vlan ? { vlans: [{ tpid: 0x8100, id: vlan }] } : {});
  return symmetricFlowHash(decodeFrame(frame).pkt);
}

function v6Packet(src: string, dst: string, sport: number, dport: number): number {
  return symmetricFlowHash(decodeFrame(ethernet(0x86dd, ipv6({ src, dst, nextHeader: 17 }, udp(sport, dport, new Uint8Array(0))))).pkt);
}

const ip4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const ip6Text = fc.ipV6().map((t) => t.toLowerCase());
const port = fc.integer({ min: 0, max: 65535 });

void test('property: IPv4 hash is the same in both directions', () => {
  fc.assert(
    fc.property(ip4Text, ip4Text, port, port, fc.constantFrom(6 as const, 17 as const), fc.nat(4095), (a, b, pa, pb, proto, vlan) => {
      assert.equal(v4Packet(a, b, pa, pb, proto, vlan), v4Packet(b, a, pb, pa, proto, vlan));
    }),
    { numRuns: 1000 },
  );
});

void test('property: IPv6 hash is the same in both directions and uses all 16 address bytes', () => {
  fc.assert(
    fc.property(ip6Text, ip6Text, port, port, (a, b, pa, pb) => {
      assert.equal(v6Packet(a, b, pa, pb), v6Packet(b, a, pb, pa));
    }),
    { numRuns: 1000 },
  );
  // Addresses whose 32-bit folds are equal (words swapped) still hash apart.
  const h1 = v6Packet('2001:db8:1:2::', '2001:db8::9', 1, 2);
  const h2 = v6Packet('1:2:2001:db8::', '2001:db8::9', 1, 2);
  assert.notEqual(h1, h2);
});

void test('property: flows differing in any key field hash apart (no systematic collisions)', () => {
  fc.assert(
    fc.property(ip4Text, ip4Text, port, port, fc.integer({ min: 0, max: 4 }), (a, b, pa, pb, which) => {
      const base = v4Packet(a, b, pa, pb, 6);
      let other: number;
      if (which === 0) other = v4Packet(a, b, pa, pb, 17);
      else if (which === 1) other = v4Packet(a, b, pa, pb, 6, 42);
      else if (which === 2) other = v4Packet(a, b, (pa + 1) & 0xffff, pb, 6);
      else if (which === 3) other = v4Packet(a, b, pb, pa, 6); // ports swapped, addresses not
      else other = v4Packet(a, b === '9.9.9.9' ? '9.9.9.8' : '9.9.9.9', pa, pb, 6);
      fc.pre(!(which === 3 && (pa === pb || a === b)));
      assert.notEqual(base, other);
    }),
    { numRuns: 1000 },
  );
});

void test('spread: 64k sequential flows fill 256 buckets evenly and do not collide much', () => {
  const buckets = new Uint32Array(256);
  const seen = new Set<number>();
  const frame = ethernet(0x0800, ipv4({ src: '10.0.0.0', dst: '198.51.100.1', proto: 6 }, tcp({ sport: 40000, dport: 3333, flags: 2 })));
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  for (let i = 0; i < 65536; i++) {
    frame[14 + 12 + 2] = i >> 8; // source address 10.0.x.y
    frame[14 + 12 + 3] = i & 255;
    decoder.decode(pkt, frame, 0, frame.length, frame.length, 0, 1, 0);
    const h = symmetricFlowHash(pkt);
    buckets[h & 255]++;
    seen.add(h);
  }
  const min = Math.min(...buckets);
  const max = Math.max(...buckets);
  assert.ok(min > 256 * 0.75 && max < 256 * 1.25, `bucket range ${min}..${max}`);
  // Birthday bound for 65536 draws from 2^32: about 0.5 expected collisions.
  assert.ok(seen.size >= 65536 - 4, `${65536 - seen.size} collisions`);
});

void test('property: the raw-header IPv4 hash (cache warming) equals the decoded packet\'s hash', () => {
  fc.assert(
    fc.property(ip4Text, ip4Text, port, port, fc.constantFrom(6 as const, 17 as const), (a, b, pa, pb, proto) => {
      const l4 = proto === 6 ? tcp({ sport: pa, dport: pb, flags: 2 }) : udp(pa, pb, new Uint8Array(0));
      const frame = ethernet(0x0800, ipv4({ src: a, dst: b, proto }, l4));
      const pkt = decodeFrame(frame).pkt;
      const word = (o: number) => ((frame[o] << 24) | (frame[o + 1] << 16) | (frame[o + 2] << 8) | frame[o + 3]) >>> 0;
      const raw = symmetricHashV4(word(26), word(30), (frame[34] << 8) | frame[35], (frame[36] << 8) | frame[37], frame[23]);
      assert.equal(raw, symmetricFlowHash(pkt));
    }),
    { numRuns: 1000 },
  );
});
