/**
 * Content inspection of one rule buffer: content with offset/depth/distance/within and
 * Suricata-style backtracking, pcre, sizes and isdataat, bounded by a step budget per
 * evaluation (hostile payloads cannot stall us). Records where each op matched (evidence).
 */
import { ASCII_LOWER } from '../match/aho-corasick.js';
import { BUFFER_NAMES, sizeMatches, type ContentOp, type MatchOp, type Rule } from './parser.js';
import type { MatchMeta } from './match-meta.js';
import type { PcreRunner } from './pcre.js';

/** `retry`: another match position of this (positive content) op could change the outcome. */
export interface CompiledOp { op: MatchOp; index: number; retry: boolean }

/**
 * Whether a later op reads op i's match end (a relative op before the next positive content
 * or pcre resets it). When none does, a failure after op i's first match is final: trying its
 * other positions (as Suricata does only for relative follow-ups) would rerun the same ops on
 * the same input; on a payload where the content occurs everywhere that multiplied every
 * pcre run by up to the step budget.
 */
export function readsMatchEnd(ops: readonly MatchOp[], i: number): boolean {
  for (let j = i + 1; j < ops.length; j++) {
    const o = ops[j];
    if ((o.kind === 'content' || o.kind === 'pcre' || o.kind === 'isdataat') && o.relative) return true;
    if ((o.kind === 'content' || o.kind === 'pcre') && !o.negated) return false;
  }
  return false;
}
export interface CompiledRule {
  rule: Rule;
  groups: { bufferId: number; ops: CompiledOp[] }[];
  opCount: number;
}

export class ContentInspector {
  /** Per op index: match start, end (relative to the buffer start) and buffer id of the last match. */
  readonly posStart: Int32Array;
  readonly posEnd: Int32Array;
  readonly posBuf: Int32Array;
  /** Steps used by the current evaluation (reset by the caller per buffer). */
  steps = 0;
  /** Latin1 text of each buffer for pcre, built on first use; the engine clears it when a slot changes. */
  readonly strCache: (string | null)[] = BUFFER_NAMES.map(() => null);

  /** `pcre`: evaluates expressions (linear engine; budgeted fallback) and counts budget hits. */
  constructor(maxOps: number, readonly stepBudget: number, readonly pcre: PcreRunner) {
    this.posStart = new Int32Array(maxOps);
    this.posEnd = new Int32Array(maxOps);
    this.posBuf = new Int32Array(maxOps);
  }

  /** Recursive evaluation of a buffer's ops with Suricata-style backtracking of content matches. */
  matchOps(ops: CompiledOp[], i: number, bufId: number, buf: Uint8Array, start: number, end: number, prevEnd: number, meta: MatchMeta): boolean {
    if (i === ops.length) return true;
    if (++this.steps > this.stepBudget) return false;
    const { op, index } = ops[i];
    const len = end - start;
    switch (op.kind) {
      case 'content': {
        const plen = op.bytes.length;
        let lo: number;
        let hiEnd: number; // exclusive limit for the match end
        if (op.relative) {
          const base = prevEnd < 0 ? 0 : prevEnd;
          lo = base + op.distance;
          hiEnd = op.within >= 0 ? lo + op.within : len;
          if (lo < 0) lo = 0;
        } else {
          lo = op.offset;
          hiEnd = op.depth >= 0 ? op.offset + op.depth : len;
        }
        if (hiEnd > len) hiEnd = len;
        if (op.endswith) lo = Math.max(lo, len - plen);
        const last = op.startswith ? Math.min(lo, hiEnd - plen) : hiEnd - plen;
        if (op.negated) {
          if (findBytes(buf, start, lo, last, op) >= 0) return false;
          return this.matchOps(ops, i + 1, bufId, buf, start, end, prevEnd, meta);
        }
        let from = lo;
        for (;;) {
          const pos = findBytes(buf, start, from, last, op);
          if (pos < 0) return false;
          if (!op.endswith || pos + plen === len) {
            this.posStart[index] = pos;
            this.posEnd[index] = pos + plen;
            this.posBuf[index] = bufId;
            if (this.matchOps(ops, i + 1, bufId, buf, start, end, pos + plen, meta)) return true;
            if (this.steps > this.stepBudget || !ops[i].retry) return false;
          }
          from = pos + 1;
        }
      }
      case 'pcre': {
        const str = this.bufferString(bufId, buf, start, end);
        const from = op.relative && prevEnd > 0 ? prevEnd : 0;
        const s = this.pcre.exec(op.compiled, str, from);
        if (op.negated) {
          if (s >= 0) return false;
          return this.matchOps(ops, i + 1, bufId, buf, start, end, prevEnd, meta);
        }
        if (s < 0) return false;
        const e = this.pcre.end;
        this.posStart[index] = s;
        this.posEnd[index] = e;
        this.posBuf[index] = bufId;
        return this.matchOps(ops, i + 1, bufId, buf, start, end, e, meta);
      }
      case 'bsize': case 'urilen':
        if (!sizeMatches(op, len)) return false;
        return this.matchOps(ops, i + 1, bufId, buf, start, end, prevEnd, meta);
      case 'dsize':
        if (!sizeMatches(op, len)) return false;
        return this.matchOps(ops, i + 1, bufId, buf, start, end, prevEnd, meta);
      case 'isdataat': {
        const at = op.relative ? (prevEnd < 0 ? 0 : prevEnd) + op.n : op.n;
        // Suricata: relative data exists when prevEnd + n <= length; absolute when n < length.
        const has = op.relative ? at <= len : at < len;
        if (has === op.negated) return false;
        return this.matchOps(ops, i + 1, bufId, buf, start, end, prevEnd, meta);
      }
    }
  }

  private bufferString(id: number, buf: Uint8Array, start: number, end: number): string {
    let s = this.strCache[id];
    if (s === null) {
      s = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
      this.strCache[id] = s;
    }
    return s;
  }
}

/** First position p in [from, last] (relative to start) where the content occurs, or -1. */
function findBytes(buf: Uint8Array, start: number, from: number, last: number, op: ContentOp): number {
  const p = op.bytes;
  const n = p.length;
  if (from < 0) from = 0;
  if (op.nocase) {
    const first = ASCII_LOWER[p[0]];
    outer: for (let i = from; i <= last; i++) {
      if (ASCII_LOWER[buf[start + i]] !== first) continue;
      for (let j = 1; j < n; j++) if (ASCII_LOWER[buf[start + i + j]] !== ASCII_LOWER[p[j]]) continue outer;
      return i;
    }
  } else {
    const first = p[0];
    outer2: for (let i = from; i <= last; i++) {
      if (buf[start + i] !== first) continue;
      for (let j = 1; j < n; j++) if (buf[start + i + j] !== p[j]) continue outer2;
      return i;
    }
  }
  return -1;
}
