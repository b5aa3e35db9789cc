/**
 * One shared address index over the rules that have no fast pattern but a selective address
 * group (IP-reputation rules: `alert ip [3,000 CIDRs] any -> $HOME_NET any`). Without it every
 * such rule is a candidate for every packet and its groups are searched one rule at a time;
 * with it a packet costs one lookup of its source and one of its destination, and only the
 * rules whose group holds one of them become candidates (the matcher then checks the whole
 * header as before, so the index only has to be a superset).
 *
 * A rule is indexed by its more selective side (source or destination group, a compiled
 * IpRangeSet): it can match only when the packet's source or destination lies in that group
 * (forward: that side's own address; `<>` rules: the other one). Groups eligible as keys hold
 * at most 1/16 of the IPv4 space and not "no address" (so `$EXTERNAL_NET`, `any` and negations
 * of small sets stay ordinary always-candidates). Equal groups are indexed once.
 *
 * Structure (typed arrays only): the key groups' IPv4 ranges as CIDR blocks. Blocks of /24 and
 * longer sit in a table bucketed by /16 and sorted by start, with a running maximum end, so a
 * lookup binary-searches its bucket and steps back only over blocks of its own /24. Shorter
 * blocks (few in such lists) go to a hash table keyed by (network, prefix length) with a
 * presence bitmap per length, one probe per length present. IPv6 key ranges are rare in such
 * rule sets: an IPv6 packet address makes every group with IPv6 ranges a candidate (correct,
 * and bounded by those rules).
 */
import type { Rule } from './parser.js';
import type { AddressGroup } from './address-groups.js';
import { parseIpv4, parseIpv6, ipv4FromBytes } from '../util/ip.js';
import type { IpRangeSet } from '../util/ip-set.js';

/** Largest share of the IPv4 space a key group may cover (larger groups select too little). */
const MAX_KEY_ADDRESSES = 2 ** 28;

function keySet(g: AddressGroup): IpRangeSet | null {
  if (g.kind !== 'set' || g.set.invalid) return null;
  const size = g.set.size4;
  return size <= MAX_KEY_ADDRESSES ? g.set : null;
}

const SCRATCH16 = new Uint8Array(16);

/** Growable columns of CIDR blocks (network, prefix length, unit). */
class BlockList {
  nets = new Float64Array(1024);
  lens = new Uint8Array(1024);
  units = new Int32Array(1024);
  n = 0;

  push(net: number, p: number, unit: number): void {
    if (this.n === this.nets.length) {
      const nets = new Float64Array(this.n * 2); nets.set(this.nets); this.nets = nets;
      const lens = new Uint8Array(this.n * 2); lens.set(this.lens); this.lens = lens;
      const units = new Int32Array(this.n * 2); units.set(this.units); this.units = units;
    }
    this.nets[this.n] = net;
    this.lens[this.n] = p;
    this.units[this.n++] = unit;
  }
}
const POW2 = Float64Array.from({ length: 33 }, (_, i) => 2 ** i);

/** Which packet address a key group is tested against: the source, the destination, or either. */
const SRC = 1;
const DST = 2;

export class AddressRuleIndex {
  /** Per rule index: 1 when the rule is found through the index (not an always-candidate). */
  readonly indexed: Uint8Array;
  /** Rule ids of the last lookup: hits[0, lookup()). */
  readonly hits: Int32Array;
  /** Per unit (a key group and the side it is tested on): its rules and side. */
  private readonly unitRules: Int32Array[];
  private readonly unitSide: Uint8Array;
  /** Units whose group has IPv6 ranges (candidates for any IPv6 address). */
  private readonly v6Units: Int32Array;
  private readonly sides: number;
  // Blocks /24 and longer: per /16 bucket [bucket[b], bucket[b + 1]) of the arrays below.
  private readonly bucket: Int32Array;
  private readonly longStart: Uint32Array;
  /** Last address of each block (inclusive) and the running maximum of it within the bucket. */
  private readonly longLast: Uint32Array;
  private readonly longMaxLast: Uint32Array;
  private readonly longUnit: Int32Array;
  // Blocks shorter than /24: hash slots of three words (network, length + 1 (0 = empty), chain head).
  private readonly shortLengths: Int32Array;
  private readonly bitmaps: (Uint32Array | null)[];
  private readonly mask: number;
  private readonly slots: Int32Array;
  private readonly chainUnit: Int32Array;
  private readonly chainNext: Int32Array;
  private readonly unitStamp: Int32Array;
  private gen = 0;
  private lastSrc = '';
  private lastDst = '';
  private lastCount = -1;

  private constructor(rules: readonly Rule[], keys: ({ set: IpRangeSet; side: number } | null)[]) {
    this.indexed = new Uint8Array(rules.length);
    const units: { set: IpRangeSet; side: number; rules: number[] }[] = [];
    const byGroup = new Map<IpRangeSet, number[]>();
    keys.forEach((k, ri) => {
      if (k === null) return;
      let ids = byGroup.get(k.set);
      if (ids === undefined) { ids = []; byGroup.set(k.set, ids); }
      let u = ids.find((id) => units[id].side === k.side);
      if (u === undefined) {
        u = units.length;
        units.push({ set: k.set, side: k.side, rules: [] });
        ids.push(u);
      }
      units[u].rules.push(ri);
      this.indexed[ri] = 1;
    });
    this.unitRules = units.map((u) => Int32Array.from(u.rules));
    this.unitSide = Uint8Array.from(units.map((u) => u.side));
    this.sides = units.reduce((m, u) => m | u.side, 0);
    this.v6Units = Int32Array.from(units.map((u, i) => (u.set.hasV6 ? i : -1)).filter((i) => i >= 0));
    this.unitStamp = new Int32Array(units.length);
    this.hits = new Int32Array(rules.length);

    // The CIDR blocks of every distinct group once, for each of its units.
    const long = new BlockList();
    const short = new BlockList();
    const lengthSeen = new Uint8Array(33);
    for (const ids of byGroup.values()) {
      units[ids[0]].set.forEachCidr4((net, p) => {
        for (let k = 0; k < ids.length; k++) (p >= 24 ? long : short).push(net, p, ids[k]);
        if (p < 24) lengthSeen[p] = 1;
      });
    }

    // Long blocks: counting sort by /16 bucket, then each bucket by (start, length) as packed
    // keys ((start & 0xffff) * 64 + length) * 2^21 + index, exact below 2^53.
    const n = long.n;
    if (n >= 2 ** 21) throw new RangeError('address index: more than 2^21 blocks of /24 or longer');
    this.bucket = new Int32Array(65537);
    for (let i = 0; i < n; i++) this.bucket[(long.nets[i] >>> 16) + 1]++;
    for (let b = 0; b < 65536; b++) this.bucket[b + 1] += this.bucket[b];
    const fill = this.bucket.slice(0, 65536);
    const order = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const net = long.nets[i];
      order[fill[net >>> 16]++] = (((net % 65536) * 64) + long.lens[i]) * 2 ** 21 + i;
    }
    this.longStart = new Uint32Array(n);
    this.longLast = new Uint32Array(n);
    this.longMaxLast = new Uint32Array(n);
    this.longUnit = new Int32Array(n);
    for (let b = 0; b < 65536; b++) {
      const lo = this.bucket[b];
      const hi = this.bucket[b + 1];
      if (hi - lo > 1) order.subarray(lo, hi).sort();
      let max = 0;
      for (let j = lo; j < hi; j++) {
        const i = order[j] % 2 ** 21;
        const net = long.nets[i];
        const last = net + POW2[32 - long.lens[i]] - 1;
        this.longStart[j] = net;
        this.longLast[j] = last;
        this.longUnit[j] = long.units[i];
        if (last > max) max = last;
        this.longMaxLast[j] = max;
      }
    }

    // Short blocks: hash by (network, length), presence bitmap per length.
    this.shortLengths = Int32Array.from([...lengthSeen.keys()].filter((p) => lengthSeen[p] === 1));
    this.bitmaps = Array.from({ length: 24 }, (_, p) => (lengthSeen[p] === 1 ? new Uint32Array(Math.max(1, 2 ** p / 32)) : null));
    let cap = 16;
    while (cap < short.n * 2) cap *= 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap * 3);
    this.chainUnit = short.units.slice(0, short.n);
    this.chainNext = new Int32Array(short.n);
    for (let c = 0; c < short.n; c++) {
      const p = short.lens[c];
      const at = this.slotFor(short.nets[c], p, true);
      this.chainNext[c] = this.slots[at + 2];
      this.slots[at + 2] = c;
      const bit = p === 0 ? 0 : short.nets[c] / POW2[32 - p];
      this.bitmaps[p]![bit >>> 5] |= 1 << (bit & 31);
    }
  }
  /**
   * The index for these rules, or null when no rule has a key group (then nothing changes).
   * `eligible(ri)` says which rules may be indexed (those without a fast pattern).
   */
  static build(rules: readonly Rule[], eligible: (ri: number) => boolean): AddressRuleIndex | null {
    // The key side is the one expected to make the fewest candidates: the addresses its group
    // covers times the rules that use the group (a $HOME_NET shared by every rule selects
    // nothing, however small it is).
    const uses = new Map<IpRangeSet, number>();
    for (let ri = 0; ri < rules.length; ri++) {
      if (!eligible(ri)) continue;
      for (const g of [rules[ri].src, rules[ri].dst]) if (g.kind === 'set') uses.set(g.set, (uses.get(g.set) ?? 0) + 1);
    }
    const cost = (k: IpRangeSet): number => (k.size4 + 1) * uses.get(k)!;
    const keys = rules.map((r, ri) => {
      if (!eligible(ri)) return null;
      const s = keySet(r.src);
      const d = keySet(r.dst);
      if (s === null && d === null) return null;
      // forward the key side's own address; `<>` also the other one
      const useSrc = d === null || (s !== null && cost(s) <= cost(d));
      const side = r.bidirectional ? SRC | DST : useSrc ? SRC : DST;
      return { set: (useSrc ? s : d)!, side };
    });
    return keys.some((k) => k !== null) ? new AddressRuleIndex(rules, keys) : null;
  }

  /** Offset of the slot of (net, prefix) in slots, or -1 when absent (insert: claim an empty one). */
  private slotFor(net: number, prefix: number, insert: boolean): number {
    // murmur3's finaliser: networks differ only in their high bits, every bit must reach the low ones
    let h = (net ^ Math.imul(prefix + 1, 0x9e3779b1)) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    let i = h & this.mask;
    const slots = this.slots;
    const n = net | 0;
    for (;;) {
      const at = i * 3;
      const len = slots[at + 1];
      if (len === 0) {
        if (!insert) return -1;
        slots[at] = n;
        slots[at + 1] = prefix + 1;
        slots[at + 2] = -1;
        return at;
      }
      if (len === prefix + 1 && slots[at] === n) return at;
      i = (i + 1) & this.mask;
    }
  }

  private addUnit(u: number, side: number, count: number): number {
    if ((this.unitSide[u] & side) === 0 || this.unitStamp[u] === this.gen) return count;
    this.unitStamp[u] = this.gen;
    const rs = this.unitRules[u];
    for (let i = 0; i < rs.length; i++) this.hits[count++] = rs[i];
    return count;
  }

  private addAddress(ip: string, side: number, count: number): number {
    let v4: number;
    if (!ip.includes(':')) {
      v4 = parseIpv4(ip);
      if (v4 < 0) return count;
    } else {
      if (parseIpv6(ip, SCRATCH16, 0) === null) return count;
      const mapped = ipv4FromBytes(SCRATCH16, 0) === 0 && ipv4FromBytes(SCRATCH16, 4) === 0 && ipv4FromBytes(SCRATCH16, 8) === 0xffff;
      if (!mapped) {
        for (let i = 0; i < this.v6Units.length; i++) count = this.addUnit(this.v6Units[i], side, count);
        return count;
      }
      v4 = ipv4FromBytes(SCRATCH16, 12);
    }
    // blocks /24 and longer: the last block starting at or before v4 in its /16, then back
    // while an earlier block may still reach v4
    const b = v4 >>> 16;
    const lo = this.bucket[b];
    let hi = this.bucket[b + 1] - 1;
    let l = lo;
    let idx = lo - 1;
    while (l <= hi) {
      const mid = (l + hi) >> 1;
      if (this.longStart[mid] <= v4) { idx = mid; l = mid + 1; } else hi = mid - 1;
    }
    for (let j = idx; j >= lo && this.longMaxLast[j] >= v4; j--) {
      if (this.longLast[j] >= v4) count = this.addUnit(this.longUnit[j], side, count);
    }
    // shorter blocks: one probe per length present, skipped when the bitmap says none
    const lengths = this.shortLengths;
    for (let k = 0; k < lengths.length; k++) {
      const p = lengths[k];
      const bit = p === 0 ? 0 : v4 >>> (32 - p);
      if ((this.bitmaps[p]![bit >>> 5] & (1 << (bit & 31))) === 0) continue;
      const net = p === 0 ? 0 : ((v4 >>> (32 - p)) << (32 - p)) >>> 0;
      const at = this.slotFor(net, p, false);
      if (at < 0) continue;
      for (let c = this.slots[at + 2]; c >= 0; c = this.chainNext[c]) count = this.addUnit(this.chainUnit[c], side, count);
    }
    return count;
  }

  /**
   * Rules that may match a packet from src to dst (a superset: the matcher checks the whole
   * header), each once, into hits; returns their number. Addresses no unit is tested on are
   * not looked up.
   */
  lookup(src: string, dst: string): number {
    // Packets of one flow come in runs: the same pair gives the same rules.
    if (src === this.lastSrc && dst === this.lastDst && this.lastCount >= 0) return this.lastCount;
    if (++this.gen > 0x7ffffff0) { this.gen = 1; this.unitStamp.fill(0); }
    let n = 0;
    if ((this.sides & SRC) !== 0) n = this.addAddress(src, SRC, n);
    if ((this.sides & DST) !== 0) n = this.addAddress(dst, DST, n);
    this.lastSrc = src;
    this.lastDst = dst;
    this.lastCount = n;
    return n;
  }
}
