/**
 * Sets of addresses for fast lookup, built on util/ip.ts:
 * - CidrSet<T>: many CIDRs, each with a payload (which list entry said so); ranges may nest or
 *   overlap and the most specific one answers. A sorted interval table searched in O(log n).
 * - IpRangeSet: a plain set of addresses as sorted disjoint ranges per family, closed under
 *   union, intersection and complement, so a whole address expression (`[a,b,!c]`) compiles to
 *   one table and one binary search.
 */
import { ipv4FromBytes, ipv6FromWords, parseCidrStrict, parseIpv4, parseIpv6, type Cidr, type CidrReason } from './ip.js';

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
  if (!ip.includes(':')) {
    const v4 = parseIpv4(ip);
    if (v4 >= 0) { words[3] = v4; family = 4; }
  } else if (parseIpv6(ip, SCRATCH_BYTES, 0) !== null) {
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
const V6_END = 1n << 128n;

/** Sorted disjoint half-open ranges [b[0], b[1]), [b[2], b[3]) … over numbers. */
type Bounds4 = number[];
/** The same over 128-bit integers (compile time only). */
type Bounds6 = bigint[];

function union<T extends number | bigint>(a: T[], b: T[]): T[] {
  const all: [T, T][] = [];
  for (let i = 0; i < a.length; i += 2) all.push([a[i], a[i + 1]]);
  for (let i = 0; i < b.length; i += 2) all.push([b[i], b[i + 1]]);
  return normalize(all);
}

/** Sorted disjoint half-open ranges from any list of half-open ranges (merging touching ones). */
function normalize<T extends number | bigint>(ranges: [T, T][]): T[] {
  ranges.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: T[] = [];
  for (const [s, e] of ranges) {
    if (out.length > 0 && s <= out[out.length - 1]) {
      if (e > out[out.length - 1]) out[out.length - 1] = e;
    } else out.push(s, e);
  }
  return out;
}

function complement<T extends number | bigint>(a: T[], zero: T, end: T): T[] {
  const out: T[] = [];
  let at = zero;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] > at) out.push(at, a[i]);
    at = a[i + 1];
  }
  if (at < end) out.push(at, end);
  return out;
}

function words6(c: Cidr): bigint {
  return (BigInt(c.first6[0]) << 96n) | (BigInt(c.first6[1]) << 64n) | (BigInt(c.first6[2]) << 32n) | BigInt(c.first6[3]);
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
  /** Compile-time forms kept for set algebra. */
  private readonly b4: Bounds4;
  private readonly b6: Bounds6;
  readonly invalid: boolean;

  private constructor(b4: Bounds4, b6: Bounds6, invalid: boolean) {
    this.b4 = b4;
    this.b6 = b6;
    this.invalid = invalid;
    this.r4 = Float64Array.from(b4);
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

  static readonly EMPTY = new IpRangeSet([], [], false);
  static readonly ALL = new IpRangeSet([0, TWO32], [0n, V6_END], true);

  /**
   * The union of address/CIDR texts; `bad address <text> (<reason>)` for the first that is
   * not one. The parser is passed in (util/ip's parseCidrStrict) so callers choose nothing else.
   */
  static fromTexts(texts: readonly string[], parse: (t: string) => Cidr | CidrReason): IpRangeSet | string {
    const cidrs: Cidr[] = [];
    for (const t of texts) {
      const c = parse(t);
      if (typeof c === 'string') return `bad address ${t} (${c})`;
      cidrs.push(c);
    }
    return IpRangeSet.fromCidrs(cidrs);
  }

  /** Every address and "no address" too (what `any` means). */
  get isAll(): boolean {
    return this.invalid && this.b4.length === 2 && this.b4[0] === 0 && this.b4[1] === TWO32
      && this.b6.length === 2 && this.b6[0] === 0n && this.b6[1] === V6_END;
  }

  static fromCidrs(cidrs: readonly Cidr[]): IpRangeSet {
    const r4: [number, number][] = [];
    const r6: [bigint, bigint][] = [];
    for (const c of cidrs) {
      if (c.version === 4) r4.push([c.v4, c.last4 + 1]);
      else {
        const s = words6(c);
        r6.push([s, s + (1n << BigInt(128 - c.prefix))]);
      }
    }
    return new IpRangeSet(normalize(r4), normalize(r6), false);
  }

  union(o: IpRangeSet): IpRangeSet {
    return new IpRangeSet(union(this.b4, o.b4), union(this.b6, o.b6), this.invalid || o.invalid);
  }

  complement(): IpRangeSet {
    return new IpRangeSet(complement(this.b4, 0, TWO32), complement(this.b6, 0n, V6_END), !this.invalid);
  }

  /** this ∖ o = this ∩ ¬o (De Morgan: ¬(¬this ∪ o)). */
  minus(o: IpRangeSet): IpRangeSet {
    return this.complement().union(o).complement();
  }

  /** The IPv4 ranges, merged, as inclusive [first, last] integers in ascending order. */
  ranges4(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.b4.length; i += 2) out.push([this.b4[i], this.b4[i + 1] - 1]);
    return out;
  }

  /** The IPv6 ranges, merged, as inclusive [first, last] 16-byte addresses in ascending order. */
  ranges6(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < this.r6.length; i += 8) out.push([ipv6FromWords(this.r6.subarray(i, i + 4)), ipv6FromWords(this.r6.subarray(i + 4, i + 8))]);
    return out;
  }

  /** Number of disjoint ranges (both families). */
  get rangeCount(): number {
    return (this.b4.length + this.b6.length) / 2;
  }

  /** Bytes held by the lookup tables. */
  get tableBytes(): number {
    return this.r4.byteLength + this.r6.byteLength;
  }

  /** A key equal for equal sets (for sharing one instance between identical groups). */
  key(): string {
    return `${this.invalid ? 1 : 0}|${this.b4.join(',')}|${this.b6.map((x) => x.toString(16)).join(',')}`;
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
