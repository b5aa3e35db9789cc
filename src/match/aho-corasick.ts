/**
 * Multi-pattern byte matcher (Aho-Corasick), built once, scanned millions of times.
 *
 * Why this layout: the scan loop is one table read per input byte. Transitions are a
 * dense Int32Array indexed by state * classCount + class, where bytes are first mapped to
 * a small set of equivalence classes (every byte that appears in no pattern shares class
 * 0). That keeps 10,000 patterns to a few megabytes instead of states × 256 entries.
 *
 * Case: the automaton runs over ASCII-lowercased input; case-sensitive patterns are
 * verified byte-exactly when they are reported, so results are exact for both kinds.
 */

export interface AcPattern {
  bytes: Uint8Array;
  nocase: boolean;
}

/** Receives matches; a long-lived object so scanning creates no closures. */
export interface AcSink {
  /** Pattern `id` ends at `end` (exclusive index into the scanned buffer). Return false to stop. */
  onMatch(id: number, end: number): boolean;
}

const LOWER = new Uint8Array(256);
for (let i = 0; i < 256; i++) LOWER[i] = i >= 0x41 && i <= 0x5a ? i + 0x20 : i;
export const ASCII_LOWER: Readonly<Uint8Array> = LOWER;

/**
 * Whether `pattern` occurs in `buf` at `from` (ASCII case folded when nocase): the exact
 * check both matchers make of each candidate their filters let through. The caller makes
 * sure the pattern fits in `buf`.
 */
export function patternAt(pattern: AcPattern, buf: Uint8Array, from: number): boolean {
  const p = pattern.bytes;
  if (pattern.nocase) {
    for (let i = 0; i < p.length; i++) if (LOWER[buf[from + i]] !== LOWER[p[i]]) return false;
  } else {
    for (let i = 0; i < p.length; i++) if (buf[from + i] !== p[i]) return false;
  }
  return true;
}

export class AhoCorasick {
  readonly patternCount: number;
  readonly stateCount: number;
  private readonly classOf: Uint8Array;
  private readonly classCount: number;
  /** Row-offset transition table (see scan). */
  private readonly next: Int32Array;
  /** First state (self or via failure links) with an output, or -1. */
  private readonly outHead: Int32Array;
  /** Next state with output along the failure chain, or -1. */
  private readonly outNext: Int32Array;
  /** Patterns ending at a state: CSR offsets into outIds. */
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;
  private readonly patterns: AcPattern[];
  /** Per pattern: bytes of it in the trie (a prefix when prefixLength truncates). */
  private readonly trieLen: Int32Array;

  /**
   * prefixLength: build the trie over at most this many leading bytes of each pattern and
   * verify the rest when the prefix is seen (as Wu-Manber does with its window). Fewer states
   * for many long patterns: a smaller table to build and to keep in cache while scanning.
   * Matches are then reported when their prefix ends (each still with its true end), so
   * reports are not ordered by end.
   */
  constructor(patterns: readonly AcPattern[], options: { prefixLength?: number } = {}) {
    this.patterns = patterns.map((p) => ({ bytes: p.bytes, nocase: p.nocase }));
    const prefixLength = options.prefixLength ?? Infinity;
    this.trieLen = Int32Array.from(patterns, (p) => Math.min(p.bytes.length, prefixLength));
    this.patternCount = patterns.length;

    // Byte classes over lowercased pattern bytes.
    const classOf = new Uint8Array(256);
    let classes = 1;
    const seen = new Int16Array(256).fill(-1);
    for (const p of patterns) {
      for (const b of p.bytes) {
        const l = LOWER[b];
        if (seen[l] < 0) {
          if (classes >= 255) { seen[l] = 0; continue; }
          seen[l] = classes++;
        }
      }
    }
    for (let b = 0; b < 256; b++) classOf[b] = Math.max(0, seen[LOWER[b]]);
    this.classOf = classOf;
    this.classCount = classes;
    // If more than 254 distinct bytes occur, the overflow bytes share class 0 with absent
    // bytes; verification below keeps results exact (class 0 then only over-reports).

    // Trie in growable arrays; plain loops and a per-pattern end state instead of one array
    // per state (10,000 patterns make ~100k states: start-up time and garbage).
    let cap = 1; // the root plus at most one state per pattern byte: no regrowth
    for (let id = 0; id < patterns.length; id++) cap += this.trieLen[id];
    let goto = new Int32Array(cap * classes).fill(-1);
    let nStates = 1;
    const endState = new Int32Array(patterns.length);
    for (let id = 0; id < patterns.length; id++) {
      const bytes = patterns[id].bytes;
      const len = this.trieLen[id];
      let s = 0;
      for (let j = 0; j < len; j++) {
        const c = classOf[bytes[j]];
        let t = goto[s * classes + c];
        if (t < 0) {
          if (nStates >= cap) {
            cap *= 2;
            const g = new Int32Array(cap * classes).fill(-1);
            g.set(goto);
            goto = g;
          }
          t = nStates++;
          goto[s * classes + c] = t;
        }
        s = t;
      }
      endState[id] = s;
    }
    this.stateCount = nStates;

    // BFS: failure links, full transition function.
    const delta = goto.subarray(0, nStates * classes);
    const fail = new Int32Array(nStates);
    const queue = new Int32Array(nStates);
    let qh = 0;
    let qt = 0;
    for (let c = 0; c < classes; c++) {
      const t = delta[c];
      if (t < 0) delta[c] = 0;
      else { fail[t] = 0; queue[qt++] = t; }
    }
    while (qh < qt) {
      const s = queue[qh++];
      const f = fail[s];
      for (let c = 0; c < classes; c++) {
        const t = delta[s * classes + c];
        if (t < 0) delta[s * classes + c] = delta[f * classes + c];
        else { fail[t] = delta[f * classes + c]; queue[qt++] = t; }
      }
    }

    // CSR of pattern ids per end state, ids ascending within a state (counting sort).
    const outStart = new Int32Array(nStates + 1);
    for (let id = 0; id < patterns.length; id++) outStart[endState[id] + 1]++;
    for (let s = 0; s < nStates; s++) outStart[s + 1] += outStart[s];
    const outIds = new Int32Array(patterns.length);
    const fillAt = outStart.slice(0, nStates);
    for (let id = 0; id < patterns.length; id++) outIds[fillAt[endState[id]]++] = id;
    this.outStart = outStart;
    this.outIds = outIds;

    // Output chains in BFS order so a state's failure target is already resolved.
    const outHead = new Int32Array(nStates).fill(-1);
    const outNext = new Int32Array(nStates).fill(-1);
    const headOf = (s: number): number => (s === 0 ? -1 : outHead[s]);
    for (let i = 0; i < qt; i++) {
      const s = queue[i];
      const viaFail = headOf(fail[s]);
      if (outStart[s + 1] > outStart[s]) { outHead[s] = s; outNext[s] = viaFail; } else outHead[s] = viaFail;
    }
    this.outHead = outHead;
    this.outNext = outNext;

    // In place: entry i of the scan table depends only on delta[i] (saves a second table
    // of states × classes at build time).
    const next = delta;
    for (let i = 0; i < next.length; i++) {
      const t = delta[i];
      next[i] = outHead[t] >= 0 && t !== 0 ? ~(t * classes) : t * classes;
    }
    this.next = next;
  }

  /** Scan buf[start, end); reports every (pattern, end) occurrence, overlapping included. */
  scan(buf: Uint8Array, start: number, end: number, sink: AcSink): void {
    // Transitions hold the next state's row offset (state * classCount), bit-inverted when
    // that state has outputs: the common no-output case costs one load and one sign test.
    const next = this.next;
    const classOf = this.classOf;
    const k = this.classCount;
    let row = 0;
    for (let i = start; i < end; i++) {
      row = next[row + classOf[buf[i]]];
      if (row < 0) {
        row = ~row;
        if (!this.report(row / k, buf, i + 1, start, end, sink)) return;
      }
    }
  }

  private report(state: number, buf: Uint8Array, end: number, start: number, limit: number, sink: AcSink): boolean {
    let o = this.outHead[state];
    while (o >= 0) {
      for (let j = this.outStart[o], je = this.outStart[o + 1]; j < je; j++) {
        const id = this.outIds[j];
        const from = end - this.trieLen[id];
        const len = this.patterns[id].bytes.length;
        if (from >= start && from + len <= limit && this.verify(id, buf, from) && !sink.onMatch(id, from + len)) return false;
      }
      o = this.outNext[o];
    }
    return true;
  }

  /** Exact check of pattern id starting at `from` (class folding may merge bytes). */
  private verify(id: number, buf: Uint8Array, from: number): boolean {
    return patternAt(this.patterns[id], buf, from);
  }

  /** Convenience for tests and tools: all matches as [id, end] pairs. */
  findAll(buf: Uint8Array): [number, number][] {
    const out: [number, number][] = [];
    this.scan(buf, 0, buf.length, { onMatch: (id, end) => { out.push([id, end]); return true; } });
    return out;
  }

  /** Approximate memory of the tables, bytes. */
  get memoryBytes(): number {
    return this.next.byteLength + this.outHead.byteLength * 2 + this.outStart.byteLength + this.outIds.byteLength;
  }
}
