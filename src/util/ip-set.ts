/**
 * Sets of addresses for fast lookup, built on util/ip.ts:
 * - CidrSet<T>: many CIDRs, each with a payload (which list entry said so); ranges may nest or
 *   overlap and the most specific one answers. A sorted interval table searched in O(log n).
 * - IpRangeSet: a plain set of addresses as sorted disjoint ranges per family, closed under
 *   union, intersection and complement, so a whole address expression (`[a,b,!c]`) compiles to
 *   one table and one binary search.
 */
import {
  ipv4FromBytes, ipv6FromWords, newCidrScan, parseCidrStrict, parseIpv4, parseIpv6, scanCidr, type Cidr, type CidrReason, type CidrScan,
} from './ip.js';

function cmp6(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let i = 0; i < 4; i++) {
    const x = a[ai + i];
    const y = b[bi + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Index of the last entry whose start (table[i * stride]) is ≤ ip, or -1 (starts ascending). */
function lastStart4(table: Float64Array, stride: number, ip: number): number {
  let lo = 0;
  let hi = table.length / stride - 1;
  let idx = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (table[mid * stride] <= ip) { idx = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return idx;
}

/** The same over IPv6 starts (4 words at table[i * stride]). */
function lastStart6(table: Uint32Array, stride: number, ip: Uint32Array): number {
  let lo = 0;
  let hi = table.length / stride - 1;
  let idx = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cmp6(table, mid * stride, ip, 0) <= 0) { idx = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return idx;
}

/**
 * Text → lookup form, with the last two texts remembered: a packet's rule header checks ask
 * about the same source and destination text once per rule. Module state is per thread
 * (each worker has its own instance). Returns the family (4 for IPv4 and IPv4-mapped IPv6,
 * with the integer in words[3]; 6 with 4 words) or 0 for text that is no address.
 */
const cacheText = ['', ''];
const cacheFamily = new Uint8Array(2);
const cacheWords = [new Uint32Array(4), new Uint32Array(4)];
const SCRATCH_BYTES = new Uint8Array(16);
let cacheNext = 0;
let found = 0;

function parseForLookup(ip: string): number {
  if (ip === cacheText[0]) { found = 0; return cacheFamily[0]; }
  if (ip === cacheText[1]) { found = 1; return cacheFamily[1]; }
  const slot = cacheNext;
  cacheNext ^= 1;
  const words = cacheWords[slot];
  let family = 0;
  const v4 = parseIpv4(ip); // stops at the first character no dotted quad has
  if (v4 >= 0) { words[3] = v4; family = 4; } else if (ip.includes(':') && parseIpv6(ip, SCRATCH_BYTES, 0) !== null) {
    for (let i = 0; i < 4; i++) words[i] = ipv4FromBytes(SCRATCH_BYTES, 4 * i);
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address.
    family = words[0] === 0 && words[1] === 0 && words[2] === 0xffff ? 4 : 6;
  }
  cacheText[slot] = ip;
  cacheFamily[slot] = family;
  found = slot;
  return family;
}

export class CidrSet<T = number> {
  private v4: { start: number; end: number; value: T }[] = [];
  private v6: { start: Uint32Array; end: Uint32Array; value: T }[] = [];
  private built = false;
  private s4 = new Float64Array(0);
  private e4 = new Float64Array(0);
  private maxEnd4 = new Float64Array(0);
  private s6 = new Uint32Array(0);
  private e6 = new Uint32Array(0);
  private e6max = new Uint32Array(0);
  private values4: T[] = [];
  private values6: T[] = [];

  /** Adds "a.b.c.d[/n]" or an IPv6 address/prefix. Returns a reason if unusable. */
  add(text: string, value: T): CidrReason | null {
    const r = parseCidrStrict(text.trim());
    if (typeof r === 'string') return r;
    this.addCidr(r, value);
    return null;
  }

  addCidr(c: Cidr, value: T): void {
    if (c.version === 4) this.v4.push({ start: c.v4, end: c.last4, value });
    else this.v6.push({ start: c.first6, end: c.last6, value });
    this.built = false;
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  private build(): void {
    this.v4.sort((a, b) => a.start - b.start || b.end - a.end);
    const n4 = this.v4.length;
    this.s4 = new Float64Array(n4);
    this.e4 = new Float64Array(n4);
    this.maxEnd4 = new Float64Array(n4);
    this.values4 = this.v4.map((r) => r.value);
    let m = -1;
    for (let i = 0; i < n4; i++) {
      const r = this.v4[i];
      this.s4[i] = r.start;
      this.e4[i] = r.end;
      m = Math.max(m, r.end);
      this.maxEnd4[i] = m;
    }
    this.v6.sort((a, b) => cmp6(a.start, 0, b.start, 0) || cmp6(b.end, 0, a.end, 0));
    const n6 = this.v6.length;
    this.s6 = new Uint32Array(n6 * 4);
    this.e6 = new Uint32Array(n6 * 4);
    this.e6max = new Uint32Array(n6 * 4);
    this.values6 = this.v6.map((r) => r.value);
    let best: Uint32Array = new Uint32Array(4);
    for (let i = 0; i < n6; i++) {
      const r = this.v6[i];
      this.s6.set(r.start, i * 4);
      this.e6.set(r.end, i * 4);
      if (i === 0 || cmp6(r.end, 0, best, 0) > 0) best = r.end;
      this.e6max.set(best, i * 4);
    }
    this.built = true;
  }

  /** Value of the most specific range containing the IPv4 integer, or undefined. */
  lookup4(ip: number): T | undefined {
    if (!this.built) this.build();
    const idx = lastStart4(this.s4, 1, ip);
    // Step back over ranges that start earlier; the running max tells when none can contain ip.
    for (let i = idx; i >= 0 && this.maxEnd4[i] >= ip; i--) {
      if (this.e4[i] >= ip) return this.values4[i];
    }
    return undefined;
  }

  /** Value of the most specific range containing the IPv6 address given as 4 big-endian words. */
  lookup6(ip: Uint32Array): T | undefined {
    if (!this.built) this.build();
    const idx = lastStart6(this.s6, 4, ip);
    for (let i = idx; i >= 0 && cmp6(this.e6max, i * 4, ip, 0) >= 0; i--) {
      if (cmp6(this.e6, i * 4, ip, 0) >= 0) return this.values6[i];
    }
    return undefined;
  }

  /** Text address lookup (v4 or v6; IPv4-mapped IPv6 is its IPv4); undefined for no match or bad text. */
  lookup(ip: string): T | undefined {
    const v = parseForLookup(ip);
    if (v === 0) return undefined;
    const words = cacheWords[found];
    return v === 4 ? this.lookup4(words[3]) : this.lookup6(words);
  }

  has(ip: string): boolean {
    return this.lookup(ip) !== undefined;
  }
}

// --- IpRangeSet ------------------------------------------------------------------------------

const TWO32 = 2 ** 32;
const POW2 = Float64Array.from({ length: 33 }, (_, i) => 2 ** i);
const V6_END = 1n << 128n;

/**
 * IPv4 ranges as sorted disjoint half-open [start, end) pairs, interleaved in a Float64Array
 * (ends reach 2^32). IPv6 ranges the same as BigInt pairs (compile time only).
 */
type Bounds6 = bigint[];

/** Merge two sorted disjoint interleaved range lists (touching ranges join). */
function union4(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let s: number;
    let e: number;
    if (j >= b.length || (i < a.length && a[i] <= b[j])) { s = a[i]; e = a[i + 1]; i += 2; } else { s = b[j]; e = b[j + 1]; j += 2; }
    if (n > 0 && s <= out[n - 1]) { if (e > out[n - 1]) out[n - 1] = e; } else { out[n++] = s; out[n++] = e; }
  }
  return out.slice(0, n);
}

function complement4(a: Float64Array): Float64Array {
  const out: number[] = [];
  let at = 0;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] > at) out.push(at, a[i]);
    at = a[i + 1];
  }
  if (at < TWO32) out.push(at, TWO32);
  return Float64Array.from(out);
}

function normalize6(ranges: [bigint, bigint][]): Bounds6 {
  ranges.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Bounds6 = [];
  for (const [s, e] of ranges) {
    if (out.length > 0 && s <= out[out.length - 1]) {
      if (e > out[out.length - 1]) out[out.length - 1] = e;
    } else out.push(s, e);
  }
  return out;
}

function union6(a: Bounds6, b: Bounds6): Bounds6 {
  const all: [bigint, bigint][] = [];
  for (let i = 0; i < a.length; i += 2) all.push([a[i], a[i + 1]]);
  for (let i = 0; i < b.length; i += 2) all.push([b[i], b[i + 1]]);
  return normalize6(all);
}

function complement6(a: Bounds6): Bounds6 {
  const out: Bounds6 = [];
  let at = 0n;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] > at) out.push(at, a[i]);
    at = a[i + 1];
  }
  if (at < V6_END) out.push(at, V6_END);
  return out;
}

/**
 * Collects CIDRs of both families and builds sorted disjoint ranges. IPv4 ranges are sorted
 * as packed keys (start * 64 + prefix) in a Float64Array, so 10^6 CIDRs sort natively.
 */
class RangeBuilder {
  private keys = new Float64Array(64);
  private n4 = 0;
  private readonly r6: [bigint, bigint][] = [];

  add(c: CidrScan | Cidr): void {
    if (c.version === 4) {
      if (this.n4 === this.keys.length) {
        const grown = new Float64Array(this.keys.length * 2);
        grown.set(this.keys);
        this.keys = grown;
      }
      this.keys[this.n4++] = c.v4 * 64 + c.prefix;
    } else {
      let start = 0n;
      for (let i = 0; i < 16; i++) start = (start << 8n) | BigInt(c.bytes[i]);
      this.r6.push([start, start + (1n << BigInt(128 - c.prefix))]);
    }
  }

  build(): IpRangeSet {
    const keys = this.keys.subarray(0, this.n4).sort();
    const out = new Float64Array(this.n4 * 2);
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const prefix = k % 64;
      const s = (k - prefix) / 64;
      const e = s + 2 ** (32 - prefix);
      if (n > 0 && s <= out[n - 1]) { if (e > out[n - 1]) out[n - 1] = e; } else { out[n++] = s; out[n++] = e; }
    }
    return IpRangeSet.of(out.slice(0, n), normalize6(this.r6), false);
  }
}

/**
 * An immutable set of addresses: sorted disjoint ranges per family, plus whether text that is
 * no address (a packet without an IP layer) belongs to it, so that negation is exact: the
 * complement of a set holds everything the set does not, including "no address". IPv4-mapped
 * IPv6 addresses are looked up as their IPv4 address.
 */
export class IpRangeSet {
  /** IPv4 range starts and (exclusive) ends, interleaved: [s0, e0, s1, e1 …]. */
  private readonly r4: Float64Array;
  /** IPv6 ranges as words: per range 4 start words then 4 inclusive end words. */
  private readonly r6: Uint32Array;
  /** IPv6 ranges as BigInt pairs, kept for set algebra. */
  private readonly b6: Bounds6;
  readonly invalid: boolean;
  private hashValue = -1;

  private constructor(r4: Float64Array, b6: Bounds6, invalid: boolean) {
    this.r4 = r4;
    this.b6 = b6;
    this.invalid = invalid;
    this.r6 = new Uint32Array((b6.length / 2) * 8);
    for (let i = 0; i < b6.length; i += 2) {
      const s = b6[i];
      const e = b6[i + 1] - 1n;
      for (let w = 0; w < 4; w++) {
        const shift = BigInt(96 - 32 * w);
        this.r6[i * 4 + w] = Number((s >> shift) & 0xffffffffn);
        this.r6[i * 4 + 4 + w] = Number((e >> shift) & 0xffffffffn);
      }
    }
  }

  /** @internal (RangeBuilder) */
  static of(r4: Float64Array, b6: Bounds6, invalid: boolean): IpRangeSet {
    return new IpRangeSet(r4, b6, invalid);
  }

  static readonly EMPTY = new IpRangeSet(new Float64Array(0), [], false);
  static readonly ALL = new IpRangeSet(Float64Array.of(0, TWO32), [0n, V6_END], true);

  static fromCidrs(cidrs: readonly Cidr[]): IpRangeSet {
    const b = new RangeBuilder();
    for (const c of cidrs) b.add(c);
    return b.build();
  }

  /**
   * The union of address/CIDR texts (util/ip's scanCidr, host bits cleared); `bad address
   * <text> (<reason>)` for the first that is not one. Parses into one scratch: no object per entry.
   */
  static fromTexts(texts: readonly string[]): IpRangeSet | string {
    const b = new RangeBuilder();
    const scan = newCidrScan();
    for (const t of texts) {
      const err = scanCidr(t, 'clear', scan);
      if (err !== null) return `bad address ${t} (${err})`;
      b.add(scan);
    }
    return b.build();
  }

  /** Every address and "no address" too (what `any` means). */
  get isAll(): boolean {
    return this.invalid && this.r4.length === 2 && this.r4[0] === 0 && this.r4[1] === TWO32
      && this.b6.length === 2 && this.b6[0] === 0n && this.b6[1] === V6_END;
  }

  union(o: IpRangeSet): IpRangeSet {
    return new IpRangeSet(union4(this.r4, o.r4), union6(this.b6, o.b6), this.invalid || o.invalid);
  }

  complement(): IpRangeSet {
    return new IpRangeSet(complement4(this.r4), complement6(this.b6), !this.invalid);
  }

  /** this ∖ o = this ∩ ¬o (De Morgan: ¬(¬this ∪ o)). */
  minus(o: IpRangeSet): IpRangeSet {
    return this.complement().union(o).complement();
  }

  /** The IPv4 ranges, merged, as inclusive [first, last] integers in ascending order. */
  ranges4(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.r4.length; i += 2) out.push([this.r4[i], this.r4[i + 1] - 1]);
    return out;
  }

  /** The IPv6 ranges, merged, as inclusive [first, last] 16-byte addresses in ascending order. */
  ranges6(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < this.r6.length; i += 8) out.push([ipv6FromWords(this.r6.subarray(i, i + 4)), ipv6FromWords(this.r6.subarray(i + 4, i + 8))]);
    return out;
  }

  /** Number of IPv4 addresses in the set. */
  get size4(): number {
    let n = 0;
    for (let i = 0; i < this.r4.length; i += 2) n += this.r4[i + 1] - this.r4[i];
    return n;
  }

  /** Whether the set holds any IPv6 address. */
  get hasV6(): boolean {
    return this.r6.length > 0;
  }

  /**
   * The IPv4 part as the fewest aligned CIDR blocks (network, prefix), in ascending order;
   * never more blocks than the CIDRs the set was built from.
   */
  forEachCidr4(fn: (net: number, prefix: number) => void): void {
    for (let i = 0; i < this.r4.length; i += 2) {
      let start = this.r4[i];
      const end = this.r4[i + 1];
      while (start < end) {
        // the largest block aligned at start (trailing zero bits) that fits before end
        const left = end - start;
        const fits = left >= TWO32 ? 32 : 31 - Math.clz32(left);
        const aligned = start === 0 ? 32 : 31 - Math.clz32(start & -start);
        const bits = aligned < fits ? aligned : fits;
        fn(start, 32 - bits);
        start += POW2[bits];
      }
    }
  }

  /** Number of disjoint ranges (both families). */
  get rangeCount(): number {
    return (this.r4.length + this.b6.length) / 2;
  }

  /** Bytes held by the lookup tables. */
  get tableBytes(): number {
    return this.r4.byteLength + this.r6.byteLength;
  }

  /** A hash equal for equal sets (FNV-1a over the tables); see equals. */
  hash(): number {
    if (this.hashValue >= 0) return this.hashValue;
    let h = this.invalid ? 0x811c9dc5 : 0x01000193;
    const w4 = new Uint32Array(this.r4.buffer, this.r4.byteOffset, this.r4.length * 2);
    for (let i = 0; i < w4.length; i++) h = Math.imul(h ^ w4[i], 0x01000193);
    for (let i = 0; i < this.r6.length; i++) h = Math.imul(h ^ this.r6[i], 0x01000193);
    this.hashValue = h >>> 0;
    return this.hashValue;
  }

  equals(o: IpRangeSet): boolean {
    if (this === o) return true;
    if (this.invalid !== o.invalid || this.r4.length !== o.r4.length || this.r6.length !== o.r6.length) return false;
    for (let i = 0; i < this.r4.length; i++) if (this.r4[i] !== o.r4[i]) return false;
    for (let i = 0; i < this.r6.length; i++) if (this.r6[i] !== o.r6[i]) return false;
    return true;
  }

  has4(ip: number): boolean {
    // last range start ≤ ip, then ip < its end
    const idx = lastStart4(this.r4, 2, ip);
    return idx >= 0 && ip < this.r4[2 * idx + 1];
  }

  has6(ip: Uint32Array): boolean {
    const idx = lastStart6(this.r6, 8, ip);
    return idx >= 0 && cmp6(this.r6, idx * 8 + 4, ip, 0) >= 0;
  }

  /** Membership of address text ('' or bad text: the set's `invalid` flag). */
  has(ip: string): boolean {
    const v = parseForLookup(ip);
    if (v === 0) return this.invalid;
    const words = cacheWords[found];
    return v === 4 ? this.has4(words[3]) : this.has6(words);
  }
}
