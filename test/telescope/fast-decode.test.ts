import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { createPacketView } from '../../src/events/packet.js';
import { decodePlainIpv4 } from '../../src/telescope/fast-decode.js';

/** An Ethernet/IPv4 frame with a transport header, fields chosen by the test (checksums are not checked by either decoder). */
function frame(proto: number, l4: number[], ipTotal: number | null, frag: number, ihlWords = 5, extra = 0): Uint8Array {
  const ipHeader = ihlWords * 4;
  const total = ipTotal ?? ipHeader + l4.length;
  const b = new Uint8Array(14 + ipHeader + l4.length + extra);
  b[12] = 0x08;
  b[13] = 0x00;
  const ip = 14;
  b[ip] = 0x40 | ihlWords;
  b[ip + 1] = 0x10;
  b[ip + 2] = total >> 8;
  b[ip + 3] = total & 0xff;
  b[ip + 4] = 0xd4;
  b[ip + 5] = 0x31;
  b[ip + 6] = frag >> 8;
  b[ip + 7] = frag & 0xff;
  b[ip + 8] = 57;
  b[ip + 9] = proto;
  b.set([203, 0, 113, 7], ip + 12);
  b.set([198, 18, 4, 200], ip + 16);
  for (let i = 20; i < ipHeader; i++) b[ip + i] = 1; // NOP options
  b.set(l4, ip + ipHeader);
  return b;
}

/** Runs both decoders; when the shortcut accepts the frame, every PacketView field must equal the decoder's. */
function compare(b: Uint8Array, capLen = b.length): boolean {
  const fast = createPacketView();
  const slow = createPacketView();
  const decoder = new PacketDecoder({ reassembleFragments: false });
  decoder.decode(slow, b, 0, capLen, capLen + 3, 1_700_000_000_000_123, 1, 0);
  if (!decodePlainIpv4(fast, b, 0, capLen, capLen + 3, 1_700_000_000_000_123, 0)) return false;
  assert.deepEqual({ ...fast, buf: null }, { ...slow, buf: null });
  assert.equal(slow.malformed, '', 'the shortcut only takes frames the decoder finds clean');
  return true;
}

const tcpSyn = [0xc3, 0x50, 0x18, 0xeb, 0xc6, 0x12, 0x04, 0xc8, 0, 0, 0, 0, 0x60, 0x02, 0x04, 0x00, 0, 0, 0, 0, 2, 4, 5, 0xb4];
const udp = [0x9c, 0x40, 0x00, 0x35, 0x00, 0x0c, 0, 0, 1, 2, 3, 4];
const icmp = [3, 1, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 28];

test('the shortcut takes plain TCP, UDP and ICMP frames and fills the view exactly like PacketDecoder', () => {
  assert.equal(compare(frame(6, tcpSyn, null, 0x4000)), true);
  assert.equal(compare(frame(17, udp, null, 0)), true);
  assert.equal(compare(frame(1, icmp, null, 0)), true);
  // Ethernet padding after a short datagram is not payload
  assert.equal(compare(frame(6, tcpSyn.slice(0, 20).map((v, i) => (i === 12 ? 0x50 : v)), null, 0, 5, 6)), true);
  // UDP length shorter than the IP payload ends the datagram
  assert.equal(compare(frame(17, [...udp.slice(0, 4), 0, 9, 0, 0, 1, 2, 3, 4], null, 0)), true);
});

test('the shortcut leaves options, fragments, cut frames, bad lengths and other protocols to the decoder', () => {
  assert.equal(compare(frame(6, tcpSyn, null, 0, 6)), false, 'IPv4 options');
  assert.equal(compare(frame(6, tcpSyn, null, 0x2000)), false, 'more fragments');
  assert.equal(compare(frame(6, tcpSyn, null, 0x0010)), false, 'fragment offset');
  assert.equal(compare(frame(6, tcpSyn, 0, 0)), false, 'total length 0 (TSO)');
  assert.equal(compare(frame(6, tcpSyn, 200, 0)), false, 'total length beyond the capture');
  assert.equal(compare(frame(6, tcpSyn, null, 0), 40), false, 'snaplen cut inside TCP');
  assert.equal(compare(frame(6, tcpSyn.map((v, i) => (i === 12 ? 0x40 : v)), null, 0)), false, 'TCP data offset below 5');
  assert.equal(compare(frame(6, tcpSyn.map((v, i) => (i === 12 ? 0xf0 : v)), null, 0)), false, 'TCP header beyond the datagram');
  assert.equal(compare(frame(17, [...udp.slice(0, 4), 0, 4, 0, 0], null, 0)), false, 'UDP length below 8');
  assert.equal(compare(frame(17, [...udp.slice(0, 4), 0, 99, 0, 0], null, 0)), false, 'UDP length beyond the datagram');
  assert.equal(compare(frame(47, [0, 0, 8, 0], null, 0)), false, 'GRE');
});

test('property: on random and mutated frames the shortcut never throws and, when it accepts, agrees with PacketDecoder', () => {
  let accepted = 0;
  fc.assert(fc.property(
    fc.constantFrom(6, 17, 1, 58, 47),
    fc.uint8Array({ minLength: 0, maxLength: 60 }),
    fc.array(fc.tuple(fc.nat(120), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    fc.nat(120),
    (proto, l4, mutations, cut) => {
      const base = proto === 6 ? tcpSyn : proto === 17 ? udp : icmp;
      const b = frame(proto, [...base, ...l4], null, 0);
      for (const [at, v] of mutations) if (at < b.length && at !== 12 && at !== 13) b[at] = v;
      // one frame in four cut short by a snaplen
      const capLen = cut % 4 === 0 ? Math.max(34, b.length - (cut % 40)) : b.length;
      if (compare(b, Math.min(capLen, b.length))) accepted++;
    },
  ), { numRuns: 3000, seed: 5 });
  assert.ok(accepted > 300, `the shortcut accepted only ${accepted} of 3000 frames`);
});
