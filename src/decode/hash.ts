/**
 * Symmetric flow hash: the same well-mixed 32 bits (an int32, see finalMix) for both
 * directions of a flow, used by the flow table and to spread flows over worker threads.
 * The two endpoints (address, port) are put in a canonical order and then fed to
 * MurmurHash3's mixing steps; IPv6 uses all 16 address bytes from the buffer, not the
 * 32-bit fold.
 */
import type { PacketView } from '../events/packet.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const SEED = 0x6d696e65; // "mine"

function mix(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * MurmurHash3's 32-bit finaliser: well-mixed 32 bits from any int (also for other keys).
 *
 * Every hash here is returned as an int32 (the unsigned value's bits; callers index,
 * compare and partition with bit operations). A uint32 above 2^31 is not a small integer
 * in V8: returned from a call that is not inlined, it is boxed as a heap number, which cost
 * ~35 ns per hash (measured), twice per packet in a flood of new flows.
 */
export function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function word(buf: Uint8Array, off: number): number {
  return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

/** <0, 0, >0 as the 16-byte address at a sorts before, equal to, after the one at b. */
function compare16(buf: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < 16; i += 4) {
    const x = word(buf, a + i) >>> 0;
    const y = word(buf, b + i) >>> 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The IPv4 case of symmetricFlowHash from the header fields alone (addresses as unsigned
 * 32-bit numbers, as the decoder stores them), for callers that hash raw frames before
 * decoding them (the pipeline's cache warming).
 */
export function symmetricHashV4(a: number, b: number, sp: number, dp: number, proto: number, vlan = 0, vlanInner = 0): number {
  const swap = a > b || (a === b && sp > dp);
  let h = mix(SEED, swap ? b : a);
  h = mix(h, swap ? a : b);
  h = mix(h, swap ? (dp << 16) | sp : (sp << 16) | dp);
  h = mix(h, proto | (4 << 8) | (vlan << 12));
  h = mix(h, vlanInner);
  return finalMix(h);
}

export function symmetricFlowHash(pkt: PacketView): number {
  const sp = pkt.srcPort;
  const dp = pkt.dstPort;
  let h = SEED;
  let ports: number;
  if (pkt.ipVersion === 6) {
    const buf = pkt.buf;
    const s = pkt.src6Offset;
    const d = pkt.dst6Offset;
    let c = compare16(buf, s, d);
    if (c === 0) c = sp - dp;
    const lo = c <= 0 ? s : d;
    const hi = c <= 0 ? d : s;
    ports = c <= 0 ? (sp << 16) | dp : (dp << 16) | sp;
    h = mix(h, word(buf, lo));
    h = mix(h, word(buf, lo + 4));
    h = mix(h, word(buf, lo + 8));
    h = mix(h, word(buf, lo + 12));
    h = mix(h, word(buf, hi));
    h = mix(h, word(buf, hi + 4));
    h = mix(h, word(buf, hi + 8));
    h = mix(h, word(buf, hi + 12));
  } else {
    return symmetricHashV4(pkt.src4, pkt.dst4, sp, dp, pkt.proto, pkt.vlan, pkt.vlanInner);
  }
  h = mix(h, ports);
  h = mix(h, pkt.proto | (pkt.ipVersion << 8) | (pkt.vlan << 12));
  h = mix(h, pkt.vlanInner);
  return finalMix(h);
}
