/** IPv4/IPv6 fragment reassembly: order, overlaps, duplicates, timeouts, count and byte bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createPacketView, IpProto, Layer, type PacketView } from '../../src/events/packet.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { formatMac as macToString } from '../../src/util/mac.js';
import { concat, ethernet, ext6, frag6, ipv4, ipv6, MAC_A, udp } from './frames.js';

const T0 = 1_700_000_000_000_000;

/** A UDP datagram (8-byte header + body) whose body bytes are i & 255. */
function udpDatagram(bodyLen: number, sport = 5000, dport = 161): Uint8Array {
  const body = new Uint8Array(bodyLen);
  for (let i = 0; i < bodyLen; i++) body[i] = (i * 7 + 3) & 255;
  return udp(sport, dport, body);
}

interface Piece { off: number; len: number; last: boolean }

function v4Fragment(datagram: Uint8Array, p: Piece, id = 0x4242, src = '192.0.2.1', vlan = 0): Uint8Array {
  const ip = ipv4({ src, proto: 17, id, mf: !p.last, fragOffset: p.off }, datagram.subarray(p.off, p.off + p.len));
  return ethernet(0x0800, ip, vlan ? { vlans: [{ tpid: 0x8100, id: vlan }] } : {});
}

function v6Fragment(datagram: Uint8Array, p: Piece, id = 0x01020304): Uint8Array {
  // A hop-by-hop header before the fragment header: the unfragmentable part is not just 40 bytes.
  const payload = concat(ext6(44, 8), frag6(17, p.off, !p.last, id), datagram.subarray(p.off, p.off + p.len));
  return ethernet(0x86dd, ipv6({ nextHeader: 0 }, payload));
}

function split(total: number, size: number): Piece[] {
  const out: Piece[] = [];
  for (let off = 0; off < total; off += size) out.push({ off, len: Math.min(size, total - off), last: off + size >= total });
  return out;
}

function feed(decoder: PacketDecoder, pkt: PacketView, frame: Uint8Array, tsUs = T0): void {
  decoder.decode(pkt, frame, 0, frame.length, frame.length, tsUs, 1, 0);
}

function assertReassembledUdp(pkt: PacketView, datagram: Uint8Array): void {
  assert.equal(pkt.malformed, '');
  assert.equal(pkt.isFragment, false);
  assert.ok((pkt.layers & Layer.REASSEMBLED) !== 0);
  assert.equal(pkt.layers & Layer.FRAGMENT, 0);
  assert.equal(pkt.proto, IpProto.UDP);
  assert.equal(pkt.srcPort, 5000);
  assert.equal(pkt.dstPort, 161);
  assert.equal(pkt.payloadLength, datagram.length - 8);
  assert.deepEqual(pkt.buf.subarray(pkt.payloadOffset, pkt.payloadOffset + pkt.payloadLength), datagram.subarray(8));
}

void test('IPv4 fragments in order: earlier ones stop at L3, the last completes the datagram', () => {
  const datagram = udpDatagram(3000);
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  const pieces = split(datagram.length, 1480);
  assert.equal(pieces.length, 3);
  for (let i = 0; i < pieces.length; i++) {
    const frame = v4Fragment(datagram, pieces[i], 0x4242, '192.0.2.1', 77);
    feed(decoder, pkt, frame);
    if (i < pieces.length - 1) {
      assert.equal(pkt.isFragment, true);
      assert.equal(pkt.layers, Layer.L2 | Layer.IP | Layer.FRAGMENT);
      assert.equal(pkt.srcPort, 0);
      assert.equal(pkt.buf, frame);
    } else {
      assert.notEqual(pkt.buf, frame, 'views the reassembly buffer');
      assertReassembledUdp(pkt, datagram);
      assert.equal(pkt.vlan, 77);
      assert.equal(macToString(pkt.buf, pkt.macSrcOffset), MAC_A);
      assert.equal(pkt.ipLength, 20 + datagram.length);
      assert.equal(pkt.capLength, 18 + 20 + datagram.length);
    }
  }
  assert.deepEqual(decoder.fragmentStats, { fragments: 3, reassembled: 1, timedOut: 0, droppedOverLimit: 0, overlaps: 0, rejected: 0 });
  assert.equal(decoder.stats.fragments, 2);
  assert.equal(decoder.stats.reassembled, 1);
  assert.equal(decoder.stats.udp, 1);
  assert.equal(decoder.fragments!.inProgress, 0);
  assert.equal(decoder.fragments!.bytesInUse, 0);
});

void test('IPv4 fragments out of order complete on the missing one', () => {
  const datagram = udpDatagram(2000);
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  const [a, b, c, d] = split(datagram.length, 504);
  for (const p of [d, b, c]) {
    feed(decoder, pkt, v4Fragment(datagram, p));
    assert.equal(pkt.isFragment, true);
  }
  feed(decoder, pkt, v4Fragment(datagram, a));
  assertReassembledUdp(pkt, datagram);
});

void test('overlap policy is first-wins and overlaps are counted', () => {
  const datagram = udpDatagram(56); // 64 bytes
  const forged = datagram.slice();
  forged.fill(0xee, 16);
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  feed(decoder, pkt, v4Fragment(datagram, { off: 0, len: 32, last: false }));
  // Overlapping fragment rewriting bytes 16..31 and carrying 32..63.
  feed(decoder, pkt, v4Fragment(forged, { off: 16, len: 48, last: true }));
  assert.ok((pkt.layers & Layer.REASSEMBLED) !== 0);
  const got = pkt.buf.subarray(pkt.payloadOffset - 8, pkt.payloadOffset - 8 + 64);
  assert.deepEqual(got.subarray(0, 32), datagram.subarray(0, 32), 'first bytes kept');
  assert.deepEqual(got.subarray(32), forged.subarray(32), 'gap filled from the later fragment');
  assert.equal(decoder.fragmentStats.overlaps, 1);
});

void test('duplicate fragments are harmless and counted', () => {
  const datagram = udpDatagram(1000);
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  const [a, b, c] = split(datagram.length, 400);
  for (const p of [a, b, b, a, c]) feed(decoder, pkt, v4Fragment(datagram, p));
  assertReassembledUdp(pkt, datagram);
  assert.equal(decoder.fragmentStats.overlaps, 2);
  assert.equal(decoder.fragmentStats.reassembled, 1);
});

void test('fragments older than the timeout (packet time) are dropped', () => {
  const datagram = udpDatagram(1000);
  const decoder = new PacketDecoder({ fragmentTimeoutUs: 30_000_000 });
  const pkt = createPacketView();
  const [a, b] = split(datagram.length, 512);
  feed(decoder, pkt, v4Fragment(datagram, a), T0);
  feed(decoder, pkt, v4Fragment(datagram, b), T0 + 31_000_000);
  assert.equal(pkt.isFragment, true, 'the first half is gone');
  assert.equal(decoder.fragmentStats.timedOut, 1);
  assert.equal(decoder.fragments!.inProgress, 1);
  // Within the timeout it completes.
  feed(decoder, pkt, v4Fragment(datagram, a), T0 + 59_000_000);
  assertReassembledUdp(pkt, datagram);
  decoder.expireFragments(T0 + 10 ** 9);
  assert.equal(decoder.fragments!.inProgress, 0);
});

void test('at most maxFragmentBuffers datagrams in progress, the oldest dropped first', () => {
  const datagram = udpDatagram(1000);
  const decoder = new PacketDecoder({ maxFragmentBuffers: 4 });
  const pkt = createPacketView();
  const [a, b] = split(datagram.length, 512);
  for (let id = 1; id <= 10; id++) {
    feed(decoder, pkt, v4Fragment(datagram, a, id), T0 + id);
    assert.ok(decoder.fragments!.inProgress <= 4);
  }
  assert.equal(decoder.fragmentStats.droppedOverLimit, 6);
  // Datagram 3 was dropped: its second half starts a new one (evicting 7) and stays pending.
  feed(decoder, pkt, v4Fragment(datagram, b, 3), T0 + 20);
  assert.equal(pkt.isFragment, true);
  // Datagram 10 is still there.
  feed(decoder, pkt, v4Fragment(datagram, b, 10), T0 + 21);
  assertReassembledUdp(pkt, datagram);
});

void test('total reassembly bytes stay under maxFragmentBytes', () => {
  const decoder = new PacketDecoder({ maxFragmentBytes: 64 * 1024 });
  const pkt = createPacketView();
  const datagram = udpDatagram(60000);
  let maxSeen = 0;
  for (let id = 0; id < 200; id++) {
    // Only a late fragment: forces a large buffer per datagram.
    feed(decoder, pkt, v4Fragment(datagram, { off: 40000 + (id % 8) * 8, len: 1000, last: false }, id), T0 + id);
    maxSeen = Math.max(maxSeen, decoder.fragments!.bytesInUse);
  }
  assert.ok(maxSeen <= 64 * 1024, `peak ${maxSeen}`);
  assert.ok(decoder.fragmentStats.droppedOverLimit >= 190);
});

void test('invalid fragments are rejected with a reason', () => {
  const datagram = udpDatagram(3000);
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  feed(decoder, pkt, v4Fragment(datagram, { off: 0, len: 100, last: false }, 1));
  assert.equal(pkt.malformed, 'ipv4.bad-fragment-length');
  feed(decoder, pkt, ethernet(0x0800, ipv4({ proto: 17, id: 2, mf: false, fragOffset: 65528 }, new Uint8Array(100))));
  assert.equal(pkt.malformed, 'ipv4.fragment-too-large');
  feed(decoder, pkt, v4Fragment(datagram, { off: 800, len: 200, last: true }, 3));
  feed(decoder, pkt, v4Fragment(datagram, { off: 1000, len: 200, last: false }, 3));
  assert.equal(pkt.malformed, 'ipv4.fragment-beyond-end');
  feed(decoder, pkt, v4Fragment(datagram, { off: 800, len: 200, last: true }, 4));
  feed(decoder, pkt, v4Fragment(datagram, { off: 800, len: 104, last: true }, 4));
  assert.equal(pkt.malformed, 'ipv4.fragment-inconsistent-length');
  assert.equal(decoder.fragmentStats.rejected, 3);
  assert.equal(decoder.malformed.get('ipv4.bad-fragment-length'), 1);
});

void test('IPv6 fragments behind a hop-by-hop header reassemble', () => {
  const datagram = udpDatagram(2500);
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  const pieces = split(datagram.length, 1232);
  for (const p of [pieces[2], pieces[0], pieces[1]]) feed(decoder, pkt, v6Fragment(datagram, p));
  assertReassembledUdp(pkt, datagram);
  assert.equal(pkt.ipVersion, 6);
  assert.equal(pkt.ipLength, 40 + datagram.length);
  assert.equal(decoder.stats.ipv6, 3);
  // A first fragment alone: fragment flags, ipId from the 32-bit id, proto of the payload.
  feed(decoder, pkt, v6Fragment(datagram, pieces[0], 0xaabbccdd));
  assert.equal(pkt.isFragment, true);
  assert.equal(pkt.ipId, 0xccdd);
  assert.equal(pkt.proto, IpProto.UDP);
});

void test('with reassembly off every fragment stops at L3', () => {
  const datagram = udpDatagram(1000);
  const decoder = new PacketDecoder({ reassembleFragments: false });
  const pkt = createPacketView();
  for (const p of split(datagram.length, 512)) {
    feed(decoder, pkt, v4Fragment(datagram, p));
    assert.equal(pkt.isFragment, true);
    assert.equal(pkt.layers & Layer.L4, 0);
  }
  assert.equal(decoder.fragments, null);
  assert.equal(decoder.stats.fragments, 2);
});

void test('property: any split, order and duplication of a datagram reassembles to the original', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4000 }),
      fc.integer({ min: 1, max: 64 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 80 }),
      fc.boolean(),
      (bodyLen, unitsPerPiece, order, v6) => {
        const datagram = udpDatagram(bodyLen);
        const pieces = split(datagram.length, unitsPerPiece * 8);
        fc.pre(pieces.length > 1); // a single piece is no fragment at all
        // A permutation of all pieces with extra duplicates picked by `order`.
        const seq = [...pieces];
        for (const o of order) seq.push(pieces[o % pieces.length]);
        for (let i = seq.length - 1; i > 0; i--) {
          const j = order[i % order.length] % (i + 1);
          [seq[i], seq[j]] = [seq[j], seq[i]];
        }
        const decoder = new PacketDecoder();
        const pkt = createPacketView();
        let completed = 0;
        for (const p of seq) {
          feed(decoder, pkt, v6 ? v6Fragment(datagram, p) : v4Fragment(datagram, p));
          if ((pkt.layers & Layer.REASSEMBLED) !== 0) {
            completed++;
            assertReassembledUdp(pkt, datagram);
          }
        }
        // Duplicates arriving after completion start a new, never-finished datagram.
        assert.ok(completed >= 1);
        return true;
      },
    ),
    { numRuns: 150 },
  );
});

void test('a second first fragment changes neither header nor bytes; byte stats count frames, not datagrams', () => {
  const datagram = udpDatagram(1000);
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  const [a, b] = split(datagram.length, 512);
  const first = v4Fragment(datagram, a);
  const forgedFirst = first.slice();
  forgedFirst[14 + 8] = 1; // TTL 1 in the duplicate
  forgedFirst[14 + 20 + 2] = 0; // destination port rewritten
  forgedFirst[14 + 20 + 3] = 23;
  const second = v4Fragment(datagram, b);
  for (const f of [first, forgedFirst, second]) feed(decoder, pkt, f);
  assertReassembledUdp(pkt, datagram);
  assert.equal(pkt.ttl, 64);
  assert.equal(decoder.stats.bytes, first.length + forgedFirst.length + second.length);
});
