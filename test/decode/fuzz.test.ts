/**
 * Hostile input: random bytes and mutated valid frames at every link type never throw,
 * never yield offsets outside the captured frame, and reassembly memory stays bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createPacketView, LinkType, type PacketView } from '../../src/events/packet.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { icmpQuotedOffset } from '../../src/decode/icmp.js';
import { tcpOptionKinds, tcpOptionMss, tcpOptionTimestamp, tcpOptionWindowScale } from '../../src/decode/tcp.js';
import { symmetricFlowHash } from '../../src/decode/hash.js';
import { dstIpString, srcIpString } from '../../src/decode/address.js';
import { arpOperation, arpSenderMacOffset } from '../../src/decode/arp.js';
import {
  ah6, bytes, concat, ethernet, ext6, frag6, icmp, ip4Bytes, ipv4, ipv6, SYN_OPTIONS, tcp, u16, u32, udp,
} from './frames.js';

const LINK_TYPES = [LinkType.ETHERNET, LinkType.NULL, LinkType.LOOP, LinkType.RAW, LinkType.IPV4, LinkType.IPV6, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, 12, 14, 999];
const REASON = /^[a-z0-9]+\.[a-z0-9-]+$/;

function within(pkt: PacketView, off: number, len: number, what: string): void {
  if (off === -1) return;
  const start = pkt.frameOffset;
  const end = pkt.frameOffset + pkt.capLength;
  assert.ok(off >= start && off + len <= end && end <= pkt.buf.length, `${what} ${off}+${len} outside [${start}, ${end})`);
}

/** Every invariant a consumer relies on. */
function checkView(pkt: PacketView): void {
  within(pkt, pkt.macSrcOffset, 6, 'macSrcOffset');
  within(pkt, pkt.macDstOffset, 6, 'macDstOffset');
  within(pkt, pkt.l3Offset, 0, 'l3Offset');
  within(pkt, pkt.l4Offset, 0, 'l4Offset');
  if (pkt.ipVersion === 6) {
    within(pkt, pkt.src6Offset, 16, 'src6Offset');
    within(pkt, pkt.dst6Offset, 16, 'dst6Offset');
  }
  within(pkt, pkt.tcpOptionsOffset, pkt.tcpOptionsLength, 'tcpOptions');
  assert.ok(pkt.payloadLength >= 0, 'payloadLength');
  within(pkt, pkt.payloadOffset, pkt.payloadLength, 'payload');
  assert.ok(pkt.malformed === '' || REASON.test(pkt.malformed), pkt.malformed);
  assert.ok(pkt.srcPort >= 0 && pkt.srcPort <= 65535 && pkt.dstPort >= 0 && pkt.dstPort <= 65535);
  assert.ok(pkt.src4 >= 0 && pkt.src4 <= 0xffffffff && pkt.dst4 >= 0 && pkt.dst4 <= 0xffffffff);
  // Helpers on the result must not throw either.
  const h = symmetricFlowHash(pkt);
  assert.ok(Number.isInteger(h) && (h | 0) === h, `hash ${h} is not an int32`);
  srcIpString(pkt);
  dstIpString(pkt);
  tcpOptionKinds(pkt, new Uint8Array(40));
  tcpOptionMss(pkt);
  tcpOptionWindowScale(pkt);
  tcpOptionTimestamp(pkt);
  arpOperation(pkt);
  arpSenderMacOffset(pkt);
  const q = icmpQuotedOffset(pkt);
  if (q >= 0) within(pkt, q, 20, 'icmp quote');
}

const inner = createPacketView();

function decodeAndCheck(decoder: PacketDecoder, pkt: PacketView, frame: Uint8Array, linkType: number, capLen = frame.length, tsUs = 0): void {
  // Place the frame inside a larger buffer so that reading past the frame would go unnoticed by bounds alone.
  const buf = new Uint8Array(frame.length + 16).fill(0xab);
  buf.set(frame, 8);
  decoder.decode(pkt, buf, 8, Math.min(capLen, frame.length), frame.length, tsUs, linkType, 0);
  checkView(pkt);
  if (decoder.decodeIcmpQuoted(pkt, inner)) checkView(inner);
  assert.ok(decoder.malformed.total() >= decoder.stats.malformed);
}

/** Valid frames of every kind, to be mutated. [frame, link type] */
function corpus(): [Uint8Array, number][] {
  const syn = tcp({ sport: 1234, dport: 3333, flags: 2, options: SYN_OPTIONS }, bytes(1, 2, 3, 4));
  const v4 = ipv4({ proto: 6, options: bytes(1, 1, 1, 0) }, syn);
  const v4udp = ipv4({ proto: 17 }, udp(53, 53, new Uint8Array(30)));
  const v4icmp = ipv4({ proto: 1 }, icmp(3, 3, ipv4({ proto: 17, totalLength: 200 }, udp(1, 2, new Uint8Array(0), 180))));
  const v4frag = ipv4({ proto: 17, mf: true, id: 9 }, new Uint8Array(16));
  const v6 = ipv6({ nextHeader: 0 }, concat(ext6(43, 16), ext6(51, 8), ah6(44, 12), frag6(6, 0, false, 5), syn));
  const v6frag = ipv6({ nextHeader: 44 }, concat(frag6(17, 8, true, 5), new Uint8Array(24)));
  const v6icmp = ipv6({ nextHeader: 58 }, icmp(1, 0, ipv6({ nextHeader: 6, payloadLength: 100 }, syn)));
  const arp = concat(u16(1), u16(0x0800), bytes(6, 4), u16(1), new Uint8Array(6), ip4Bytes('10.0.0.1'), new Uint8Array(6), ip4Bytes('10.0.0.2'));
  const out: [Uint8Array, number][] = [];
  for (const ip of [v4, v4udp, v4icmp, v4frag]) {
    out.push([ethernet(0x0800, ip), LinkType.ETHERNET]);
    out.push([ethernet(0x0800, ip, { vlans: [{ tpid: 0x88a8, id: 5 }, { tpid: 0x8100, id: 6 }] }), LinkType.ETHERNET]);
    out.push([ip, LinkType.RAW], [ip, LinkType.IPV4], [concat(bytes(2, 0, 0, 0), ip), LinkType.NULL], [concat(u32(2), ip), LinkType.LOOP]);
    out.push([concat(u16(0), u16(1), u16(6), new Uint8Array(8), u16(0x0800), ip), LinkType.LINUX_SLL]);
    out.push([ethernet(0x8864, concat(bytes(0x11, 0), u16(1), u16(ip.length + 2), u16(0x21), ip)), LinkType.ETHERNET]);
  }
  for (const ip of [v6, v6frag, v6icmp]) {
    out.push([ethernet(0x86dd, ip), LinkType.ETHERNET], [ip, LinkType.IPV6], [ip, LinkType.RAW], [concat(bytes(30, 0, 0, 0), ip), LinkType.NULL]);
    out.push([concat(u16(0x86dd), u16(0), u32(1), u16(1), bytes(0, 6), new Uint8Array(8), ip), LinkType.LINUX_SLL2]);
  }
  out.push([ethernet(0x0806, arp), LinkType.ETHERNET]);
  return out;
}

void test('property: random bytes at every link type never throw and stay in bounds', () => {
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...LINK_TYPES), fc.nat(220), (frame, lt, cap) => {
      decodeAndCheck(decoder, pkt, frame, lt, cap);
    }),
    { numRuns: 20000 },
  );
  assert.ok(decoder.stats.packets === 20000);
});

void test('property: random header bytes after a valid Ethernet/IP prefix never throw', () => {
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  fc.assert(
    fc.property(fc.constantFrom(0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x8864), fc.uint8Array({ maxLength: 120 }), (type, rest) => {
      // Start with a plausible version nibble so that the IP decoders go deep.
      const body = rest.slice();
      if (body.length > 0) body[0] = type === 0x86dd ? 0x60 | (body[0] & 15) : 0x40 | (body[0] & 15);
      decodeAndCheck(decoder, pkt, ethernet(type, body), LinkType.ETHERNET);
    }),
    { numRuns: 20000 },
  );
});

void test('property: mutated and truncated valid frames never throw and stay in bounds', () => {
  const frames = corpus();
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  // Unmutated corpus decodes cleanly first (so the mutations start from real depth).
  for (const [frame, lt] of frames) {
    decodeAndCheck(decoder, pkt, frame, lt);
    assert.ok(pkt.ipVersion !== 0 || (pkt.layers & 2) !== 0, `corpus frame for link type ${lt} decoded to L3`);
  }
  fc.assert(
    fc.property(
      fc.nat(frames.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.nat(40_000_000),
      (which, mutations, cut, ts) => {
        const [orig, lt] = frames[which];
        const frame = orig.slice();
        for (const [pos, val] of mutations) frame[pos % frame.length] = val;
        decodeAndCheck(decoder, pkt, frame, lt, cut === undefined ? frame.length : cut % (frame.length + 1), ts);
      },
    ),
    { numRuns: 30000, includeErrorInReport: true },
  );
});

void test('property: hostile fragment streams keep reassembly within its bounds', () => {
  const maxBuffers = 16;
  const maxBytes = 96 * 1024;
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          v6: fc.boolean(), id: fc.nat(40), off: fc.nat(8191), len: fc.nat(1500), mf: fc.boolean(), dt: fc.nat(5_000_000),
        }),
        { minLength: 1, maxLength: 300 },
      ),
      (stream) => {
        const decoder = new PacketDecoder({ maxFragmentBuffers: maxBuffers, maxFragmentBytes: maxBytes, fragmentTimeoutUs: 30_000_000 });
        const pkt = createPacketView();
        let ts = 0;
        for (const f of stream) {
          ts += f.dt;
          const body = new Uint8Array(f.len).fill(f.id);
          const frame = f.v6
            ? ethernet(0x86dd, ipv6({ nextHeader: 44 }, concat(frag6(17, f.off * 8, f.mf, f.id), body)))
            : ethernet(0x0800, ipv4({ proto: 17, id: f.id, mf: f.mf, fragOffset: f.off * 8 }, body));
          decodeAndCheck(decoder, pkt, frame, LinkType.ETHERNET, frame.length, ts);
          const r = decoder.fragments!;
          assert.ok(r.inProgress <= maxBuffers, `in progress ${r.inProgress}`);
          assert.ok(r.bytesInUse <= maxBytes, `bytes ${r.bytesInUse}`);
          assert.ok(r.bytesInUse >= 0);
        }
        const s = decoder.fragmentStats;
        assert.ok(s.reassembled + s.rejected + s.timedOut + s.droppedOverLimit <= s.fragments);
      },
    ),
    { numRuns: 300, includeErrorInReport: true },
  );
});
