/**
 * Wu-Manber multi-pattern search with 3-byte blocks: a hashed shift table (2^12..2^16 slots,
 * sized to the pattern count) lets the scan jump up to
 * m-2 bytes at a time (m = shortest pattern length, capped at 16) over bytes that cannot end
 * the m-byte prefix of any pattern — most of encrypted or unrelated traffic. Case-folded
 * tables, byte-exact verification (nocase honoured), so results equal a naive search.
 */
import { ASCII_LOWER, patternAt, type AcPattern, type AcSink } from './aho-corasick.js';

const BLOCK = 3;
/**
 * Shift-table size: 2^12..2^16 slots by pattern count. Larger tables were measured slower
 * (10,000 patterns: a 2^20 table lost to Aho-Corasick on cache misses and text-like traffic).
 */
const MIN_BITS = 12;
const MAX_BITS = 16;
/** Target share of slots holding some pattern block. */
const TARGET_LOAD = 0.05;

/** Fibonacci hashing of the 24-bit block into the table's top bits. */
function hash3(a: number, b: number, c: number, drop: number): number {
  return Math.imul((a << 16) | (b << 8) | c, 0x9e3779b1) >>> drop;
}

/** Table bits for a pattern count and window length. */
export function wuManberTableBits(patterns: number, m: number): number {
  const entries = patterns * Math.max(1, m - BLOCK + 1);
  return Math.max(MIN_BITS, Math.min(MAX_BITS, Math.ceil(Math.log2(entries / TARGET_LOAD))));
}

export class WuManber {
  readonly patternCount: number;
  /** Window length: the shortest pattern, at most 16. */
  readonly m: number;
  private readonly shift: Uint8Array;
  /**
   * Per raw byte: a safe shift from the window's last byte alone (Horspool over the m-byte
   * prefixes; both cases for nocase patterns), 0 when that byte ends some prefix. One L1 load
   * and no hash: on bytes no pattern prefix contains (most of ciphertext) the scan jumps m.
   */
  private readonly byteShift: Uint8Array;
  /**
   * One bit per byte pair (first byte << 8 | second) that occurs at some position of some
   * m-byte prefix (both cases of nocase patterns' letters): the scan's sample filter.
   */
  private readonly pairs: Uint8Array;
  /** 32 - table bits: the hash keeps the top bits. */
  private readonly drop: number;
  readonly tableBits: number;
  /** CSR buckets of pattern ids whose m-prefix ends with a block hashing here. */
  private readonly bucketStart: Int32Array;
  private readonly bucketEnd: Int32Array;
  private readonly bucketIds: Int32Array;
  private readonly patterns: AcPattern[];

  constructor(patterns: readonly AcPattern[]) {
    this.patterns = patterns.map((p) => ({ bytes: p.bytes, nocase: p.nocase }));
    this.patternCount = patterns.length;
    let m = 16;
    for (const p of patterns) m = Math.min(m, p.bytes.length);
    if (m < BLOCK) throw new RangeError(`Wu-Manber needs patterns of at least ${BLOCK} bytes`);
    this.m = m;
    const bits = wuManberTableBits(patterns.length, m);
    const size = 1 << bits;
    const drop = 32 - bits;
    this.tableBits = bits;
    this.drop = drop;
    const maxShift = m - BLOCK + 1;
    const shift = new Uint8Array(size).fill(maxShift);
    const lastHash = new Int32Array(patterns.length);
    for (let id = 0; id < patterns.length; id++) {
      const b = patterns[id].bytes;
      for (let j = BLOCK - 1; j < m; j++) {
        const h = hash3(ASCII_LOWER[b[j - 2]], ASCII_LOWER[b[j - 1]], ASCII_LOWER[b[j]], drop);
        const s = m - 1 - j;
        if (s < shift[h]) shift[h] = s;
        if (s === 0) lastHash[id] = h;
      }
    }
    // Buckets as [start, end) per slot, filled from the ids sorted by slot: work in the
    // number of patterns, not in the 2^16 slots (start-up runs this as cold code).
    const ids = Int32Array.from(patterns.keys()).sort((a, b) => lastHash[a] - lastHash[b] || a - b);
    const bucketStart = new Int32Array(size);
    const bucketEnd = new Int32Array(size);
    for (let k = 0; k < ids.length; k++) {
      const h = lastHash[ids[k]];
      if (k === 0 || lastHash[ids[k - 1]] !== h) bucketStart[h] = k;
      bucketEnd[h] = k + 1;
    }
    this.shift = shift;
    // Exact bytes for case-sensitive patterns, both cases only for nocase ones: the fewer
    // byte values a prefix can contain, the more windows the last byte alone rules out (the
    // hash path after it stays case-folded and exact).
    const byteShift = new Uint8Array(256).fill(m);
    for (const p of patterns) {
      for (let j = 0; j < m; j++) {
        const s = m - 1 - j;
        const b = p.bytes[j];
        if (s < byteShift[b]) byteShift[b] = s;
        if (p.nocase) {
          const l = ASCII_LOWER[b];
          const u = l >= 0x61 && l <= 0x7a ? l - 0x20 : l;
          if (s < byteShift[l]) byteShift[l] = s;
          if (s < byteShift[u]) byteShift[u] = s;
        }
      }
    }
    this.byteShift = byteShift;
    const pairs = new Uint8Array(8192);
    const cases = (b: number, nocase: boolean): number[] => {
      const l = ASCII_LOWER[b];
      return nocase && l >= 0x61 && l <= 0x7a ? [l, l - 0x20] : [b];
    };
    for (const p of patterns) {
      for (let j = 0; j + 1 < m; j++) {
        for (const a of cases(p.bytes[j], p.nocase)) {
          for (const b of cases(p.bytes[j + 1], p.nocase)) pairs[(a << 5) | (b >>> 3)] |= 1 << (b & 7);
        }
      }
    }
    this.pairs = pairs;
    this.bucketStart = bucketStart;
    this.bucketEnd = bucketEnd;
    this.bucketIds = ids;
  }

  scan(buf: Uint8Array, start: number, end: number, sink: AcSink): void {
    // Sample a byte pair every m-1 bytes: each m-byte window holds exactly one sampled pair
    // (at window offset 0 .. m-2), so a window can start a match only if its pair occurs in
    // some pattern prefix. The sample positions are fixed, so their loads do not wait on each
    // other (a skip loop's next address depends on its last load: one cache latency per
    // step), and a pair rules out far more text than one byte does (HTTP bodies: the letters
    // of a few patterns cover most text, their pairs do not). Windows around a dirty pair get
    // the full Wu-Manber scan, in order, so matches still come in order.
    const m = this.m;
    const pairs = this.pairs;
    // The pair at q, q+1 lies in the windows ending at q+1 .. q+m-1 (all start at or after start).
    for (let q = start + m - 2; q + 1 < end; q += m - 1) {
      const b = buf[q + 1];
      if ((pairs[(buf[q] << 5) | (b >>> 3)] & (1 << (b & 7))) !== 0 &&
          !this.scanRange(buf, start, end, q + 1, Math.min(end, q + m), sink)) return;
    }
  }

  /**
   * Wu-Manber over window ends i in [from, to) (windows start at or after `start`, matches end
   * at or before `end`). Returns false when the sink asked to stop.
   */
  private scanRange(buf: Uint8Array, start: number, end: number, from: number, to: number, sink: AcSink): boolean {
    const shift = this.shift;
    const byteShift = this.byteShift;
    const m = this.m;
    const drop = this.drop;
    let i = from;
    while (i < to) {
      // The last byte alone rules out most windows of binary data; both shifts are safe
      // (each at most the distance to the next possible prefix end), so the larger is taken.
      const s1 = byteShift[buf[i]];
      if (s1 >= m - 2) { i += s1; continue; }
      const h = hash3(ASCII_LOWER[buf[i - 2]], ASCII_LOWER[buf[i - 1]], ASCII_LOWER[buf[i]], drop);
      const s = shift[h];
      if (s !== 0 || s1 !== 0) { i += s > s1 ? s : s1; continue; }
      const at = i - m + 1;
      for (let k = this.bucketStart[h], ke = this.bucketEnd[h]; k < ke; k++) {
        const id = this.bucketIds[k];
        const len = this.patterns[id].bytes.length;
        if (at + len <= end && this.verify(id, buf, at) && !sink.onMatch(id, at + len)) return false;
      }
      i++;
    }
    return true;
  }

  private verify(id: number, buf: Uint8Array, from: number): boolean {
    return patternAt(this.patterns[id], buf, from);
  }

  get memoryBytes(): number {
    return this.shift.byteLength + this.byteShift.byteLength + this.pairs.byteLength + this.bucketStart.byteLength + this.bucketEnd.byteLength + this.bucketIds.byteLength;
  }
}
