/**
 * The prefilter used per rule buffer: patterns of 6+ bytes go to Wu-Manber (skips ahead over
 * irrelevant bytes), shorter ones to Aho-Corasick (one table step per byte). Both report
 * exact matches with the caller's pattern ids, so the split is invisible to users.
 */
import { AhoCorasick, type AcPattern, type AcSink } from './aho-corasick.js';
import { WuManber, wuManberTableBits } from './wu-manber.js';

/** Shortest pattern length routed to Wu-Manber: shorter windows would skip too little. */
export const WU_MANBER_MIN_LENGTH = 6;
/**
 * Above this share of shift-table slots taken by pattern blocks, most windows stop (shift 0)
 * and Wu-Manber loses to Aho-Corasick's steady one step per byte (measured on the 2^16 table:
 * 1,000 patterns of 8+ bytes, ~9 % load, won; 10,000, ~90 %, lost badly). So: Wu-Manber up
 * to roughly 1,600 long patterns, Aho-Corasick beyond.
 */
export const WU_MANBER_MAX_LOAD = 0.15;
/**
 * Aho-Corasick here indexes only the first bytes of each pattern and verifies the rest:
 * 10,000 generated 8–16 byte patterns make 60k states instead of 100k (12 MB of table
 * instead of 21 MB, built in about half the time), same matches.
 */
export const AC_PREFIX_LENGTH = 8;

class IdMapSink implements AcSink {
  target: AcSink | null = null;
  map: Int32Array = new Int32Array(0);
  onMatch(id: number, end: number): boolean {
    return this.target!.onMatch(this.map[id], end);
  }
}

export class MultiPatternMatcher {
  readonly patternCount: number;
  private readonly long: WuManber | null;
  private readonly short: AhoCorasick | null;
  private readonly longSink = new IdMapSink();
  private readonly shortSink = new IdMapSink();

  constructor(patterns: readonly AcPattern[], options: { minLongLength?: number } = {}) {
    this.patternCount = patterns.length;
    const minLong = options.minLongLength ?? WU_MANBER_MIN_LENGTH;
    const longIds: number[] = [];
    const shortIds: number[] = [];
    patterns.forEach((p, id) => (p.bytes.length >= minLong ? longIds : shortIds).push(id));
    let window = 16; // a loop, not Math.min(...spread): no argument-count limit for huge rule sets
    for (const i of longIds) window = Math.min(window, patterns[i].bytes.length);
    if (longIds.length * (window - 2) > WU_MANBER_MAX_LOAD * 2 ** wuManberTableBits(longIds.length, window)) {
      shortIds.push(...longIds.splice(0));
      shortIds.sort((a, b) => a - b);
    }
    this.long = longIds.length > 0 ? new WuManber(longIds.map((i) => patterns[i])) : null;
    this.short = shortIds.length > 0 ? new AhoCorasick(shortIds.map((i) => patterns[i]), { prefixLength: AC_PREFIX_LENGTH }) : null;
    this.longSink.map = Int32Array.from(longIds);
    this.shortSink.map = Int32Array.from(shortIds);
  }

  scan(buf: Uint8Array, start: number, end: number, sink: AcSink): void {
    if (this.long) {
      this.longSink.target = sink;
      this.long.scan(buf, start, end, this.longSink);
    }
    if (this.short) {
      this.shortSink.target = sink;
      this.short.scan(buf, start, end, this.shortSink);
    }
  }

  findAll(buf: Uint8Array): [number, number][] {
    const out: [number, number][] = [];
    this.scan(buf, 0, buf.length, { onMatch: (id, end) => { out.push([id, end]); return true; } });
    return out;
  }

  get stateCount(): number {
    return this.short?.stateCount ?? 0;
  }

  get memoryBytes(): number {
    return (this.long?.memoryBytes ?? 0) + (this.short?.memoryBytes ?? 0);
  }

  get windowLength(): number {
    return this.long?.m ?? 0;
  }
}
