/**
 * The plain Ethernet/IPv4 fast path (src/decode/plain-ipv4.ts) against the full decoder: the
 * fast decoder fills every PacketView field exactly as PacketDecoder does for the frames it
 * takes, and the header checks agree with what PacketDecoder decodes (addresses, fragment,
 * flow hash) — on hand-made frames, on every frame of every shared capture, and on random
 * and mutated frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { symmetricFlowHash, symmetricHashV4 } from '../../src/decode/hash.js';
import { createPacketView, Layer } from '../../src/events/packet.js';
import {
  decodePlainIpv4, dstPortAt, ipv4DstAt, ipv4ProtoAt, ipv4SrcAt, isEthernetIpv4, isPlainIpv4, isPlainIpv4Ports, srcPortAt,
} from '../../src/decode/plain-ipv4.js';
import { openCapture } from '../../src/capture/open.js';
import { needSharedData, SHARED_DATA } from '../helpers/shared-data.js';

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

const fastView = createPacketView();
const slowView = createPacketView();
const oneShot = new PacketDecoder({ reassembleFragments: false });

/**
 * Runs both decoders on one frame. The header checks must agree with the decoder; when the
 * fast decoder accepts the frame, every PacketView field must equal the decoder's. Returns
 * whether the fast decoder took it.
 */
function compareAt(b: Uint8Array, off: number, capLen: number, linkType: number, decoder = oneShot): boolean {
  const fast = fastView;
  const slow = slowView;
  decoder.decode(slow, b, off, capLen, capLen + 3, 1_700_000_000_000_123, linkType, 0);
  const ethIp4 = isEthernetIpv4(b, off, capLen, linkType);
  const plain = isPlainIpv4(b, off, capLen, linkType);
  const ports = isPlainIpv4Ports(b, off, capLen, linkType);
  // the checks narrow each other
  if (ports) assert.ok(plain, 'isPlainIpv4Ports implies isPlainIpv4');
  if (plain) assert.ok(ethIp4, 'isPlainIpv4 implies isEthernetIpv4');
  const decodedPlain = slow.ipVersion === 4 && (slow.layers & Layer.IP) !== 0 && !slow.isFragment && slow.vlan === 0 && slow.etherType === 0x0800 && linkType === 1;
  if (plain) {
    // routes hash the raw addresses: they must be the decoded ones, of an unfragmented packet
    assert.ok(decodedPlain, `isPlainIpv4 but the decoder gives ipVersion ${slow.ipVersion}, layers ${slow.layers}, fragment ${slow.isFragment} (${slow.malformed})`);
    assert.equal(ipv4SrcAt(b, off) >>> 0, slow.src4);
    assert.equal(ipv4DstAt(b, off) >>> 0, slow.dst4);
    assert.equal(ipv4ProtoAt(b, off), slow.proto);
  } else if (decodedPlain && slow.frameOffset === off) {
    // and the decoder finds no unfragmented IPv4 packet directly on Ethernet that the check misses
    assert.fail(`the decoder found a plain IPv4 packet isPlainIpv4 rejected (capLen ${capLen})`);
  }
  if (ports && (slow.layers & Layer.L4) !== 0) {
    // flow-index warming hashes the raw header: the flow lookup's hash of the decoded packet
    assert.equal(symmetricHashV4(ipv4SrcAt(b, off) >>> 0, ipv4DstAt(b, off) >>> 0, srcPortAt(b, off), dstPortAt(b, off), ipv4ProtoAt(b, off)), symmetricFlowHash(slow));
  }
  if (!ethIp4 || !decodePlainIpv4(fast, b, off, capLen, capLen + 3, 1_700_000_000_000_123, 0)) return false;
  assert.deepEqual({ ...fast, buf: null }, { ...slow, buf: null });
  assert.equal(slow.malformed, '', 'the shortcut only takes frames the decoder finds clean');
  return true;
}

function compare(b: Uint8Array, capLen = b.length): boolean {
  return compareAt(b, 0, capLen, 1);
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

test('every frame of every shared capture: the checks agree with PacketDecoder and the fast decoder fills the same view', { skip: needSharedData() }, async () => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.pcap(ng)?(\.gz)?$/.test(name)) files.push(path);
    }
  };
  walk(SHARED_DATA);
  assert.ok(files.length >= 30, `found only ${files.length} shared captures`);
  let frames = 0;
  let fast = 0;
  let plain = 0;
  for (const file of files) {
    const source = await openCapture([file]);
    const decoder = new PacketDecoder({ reassembleFragments: false });
    try {
      for await (const b of source.batches()) {
        for (let i = 0; i < b.count; i++) {
          frames++;
          if (isPlainIpv4(b.buf, b.offsets[i], b.capLens[i], b.linkTypes[i])) plain++;
          if (compareAt(b.buf, b.offsets[i], b.capLens[i], b.linkTypes[i], decoder)) fast++;
        }
      }
    } finally {
      await source.close();
    }
  }
  // most frames of these captures are plain Ethernet/IPv4 TCP/UDP/ICMP
  assert.ok(frames > 50_000, `${frames} frames`);
  assert.ok(fast > frames / 2, `the fast decoder took ${fast} of ${frames} frames`);
  assert.ok(plain >= fast, `${plain} plain frames, ${fast} decoded fast`);
});

test('property: random frames on any link type never make the checks disagree with PacketDecoder', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 0, maxLength: 90 }),
    fc.constantFrom(1, 101, 113, 0),
    fc.boolean(),
    (bytes, link, ipv4) => {
      const b = new Uint8Array(bytes.length + 2);
      b.set(bytes, 2);
      // half of them with an IPv4 EtherType and version nibble, to reach the deeper checks
      if (ipv4 && b.length >= 17) { b[14] = 0x08; b[15] = 0x00; b[16] = (b[16] & 0x0f) | 0x40; }
      compareAt(b, 2, b.length - 2, link);
    },
  ), { numRuns: 5000, seed: 9 });
});
