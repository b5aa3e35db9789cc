/**
 * Rule `pcre` evaluation without catastrophic backtracking.
 *
 * A hostile payload must not hold the sensor: `/(a+)+$/` on 32 `a` and a `!` backtracks for
 * minutes in V8's default engine. Each expression therefore runs in V8's linear-time engine
 * (the experimental NFA engine behind the `l` flag, enabled below before any expression is
 * built; the flag is process-wide, so worker threads and the bundle see it too):
 *
 * - `linear`: the expression runs in the linear engine as is. Case-insensitive (`i`)
 *   expressions are not accepted by the Node 20 linear engine, so they are rewritten with
 *   explicit case classes (`a` → `[Aa]`, classes expanded over the 256 latin1 characters the
 *   buffers are decoded to).
 * - `prefiltered`: constructs that need backtracking (back-references, lookaround, counted
 *   repetitions too large for the linear engine) run in the backtracking engine only after an
 *   over-approximating linear expression (lookaround dropped, back-references as `[\s\S]*`,
 *   counts as `*`/`+`) has matched, and then under a time budget.
 * - `budgeted`: no linear form at all; every run is under the budget.
 *
 * The budget is wall time per rule evaluation (all pcre calls of one rule on one inspection
 * share it), enforced by running the expression through `vm` with a timeout, which
 * interrupts the regular-expression engine. A run that exhausts the budget counts as no
 * match and is counted per rule (`PcreRunner.budgetHits`, in the summary as
 * `rules.pcre_budget_hits`).
 */
import vm from 'node:vm';
import v8 from 'node:v8';

v8.setFlagsFromString('--enable-experimental-regexp-engine');

/** True when this Node accepts the linear engine's `l` flag. */
export const LINEAR_ENGINE = ((): boolean => {
  try {
    const linearFlag = 'l';
    return new RegExp('a', linearFlag).flags.includes(linearFlag);
  } catch {
    return false;
  }
})();

export type PcreMode = 'linear' | 'prefiltered' | 'budgeted';

export interface CompiledPcre {
  mode: PcreMode;
  /** The expression with JS semantics (backtracking engine). */
  regex: RegExp;
  /** Linear-engine expression: exact for 'linear', a superset for 'prefiltered'. */
  linear: RegExp | null;
  /** The linear expression is sticky with its leading `^` removed (runs at `from` without a slice). */
  anchored: boolean;
}

/** Whether `s` (an RegExp source) can be compiled with `flags`. */
function tryRegExp(source: string, flags: string): RegExp | null {
  try {
    return new RegExp(source, flags);
  } catch {
    return null;
  }
}

const hex2 = (c: number): string => `\\x${c.toString(16).padStart(2, '0')}`;

/** Explicit class over latin1 of the characters `re` matches as a whole (one-character test). */
function classOf(test: RegExp): string {
  const members: number[] = [];
  for (let c = 0; c < 256; c++) if (test.test(String.fromCharCode(c))) members.push(c);
  if (members.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < members.length;) {
    let j = i;
    while (j + 1 < members.length && members[j + 1] === members[j] + 1) j++;
    out += j === i ? hex2(members[i]) : `${hex2(members[i])}-${hex2(members[j])}`;
    i = j + 1;
  }
  return `${out}]`;
}

const foldCache = new Map<number, string>();
/** A literal character case-folded over latin1: `a` → `[Aa]`; unchanged when it has no other case. */
function foldChar(code: number, escaped: string): string {
  let f = foldCache.get(code);
  if (f === undefined) {
    const test = new RegExp(`^${escaped}$`, 'i');
    let n = 0;
    for (let c = 0; c < 256; c++) if (test.test(String.fromCharCode(c))) n++;
    f = n <= 1 ? escaped : classOf(test);
    foldCache.set(code, f);
  }
  return f;
}

interface Rewrite {
  /** Rewrite literals and classes with explicit case (for an `i` expression). */
  fold: boolean;
  /** Over-approximate the constructs that need backtracking. */
  approx: boolean;
}

const ANY = '[\\s\\S]*';
const SIMPLE_ESCAPE = /[dDwWsSbBfnrtv]/;

/**
 * Rewrites a JS (non-unicode) RegExp source: case folding and/or the over-approximation.
 * Returns null when the source has a shape this walker does not follow (then no linear form).
 */
export function rewriteSource(src: string, how: Rewrite): string | null {
  let out = '';
  /** Open groups: output position and whether it is a lookaround. */
  const stack: { at: number; look: boolean }[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const ch = src[i];
    if (ch === '\\') {
      const e = src[i + 1];
      if (e === undefined) return null;
      if (e >= '1' && e <= '9') {
        let j = i + 1;
        while (j < n && src[j] >= '0' && src[j] <= '9') j++;
        out += how.approx ? ANY : src.slice(i, j);
        i = j;
        continue;
      }
      if (e === 'k' && src[i + 2] === '<') {
        const end = src.indexOf('>', i);
        if (end < 0) return null;
        out += how.approx ? ANY : src.slice(i, end + 1);
        i = end + 1;
        continue;
      }
      let lit = -1;
      let len = 2;
      if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) { lit = parseInt(src.slice(i + 2, i + 4), 16); len = 4; } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) { lit = parseInt(src.slice(i + 2, i + 6), 16); len = 6; } else if (e === 'c' && /[a-zA-Z]/.test(src[i + 2] ?? '')) { len = 3; } else if (e === '0' || SIMPLE_ESCAPE.test(e)) { /* no case */ } else lit = e.charCodeAt(0);
      const text = src.slice(i, i + len);
      out += how.fold && lit >= 0 ? foldChar(lit, text) : text;
      i += len;
      continue;
    }
    if (ch === '[') {
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++; // `[]` is the empty class in JS; `[]]` is not a thing there
      else {
        while (j < n && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
      }
      if (j >= n) return null;
      const cls = src.slice(i, j + 1);
      if (how.fold) {
        const test = tryRegExp(`^${cls}$`, 'i');
        if (test === null) return null;
        out += classOf(test);
      } else out += cls;
      i = j + 1;
      continue;
    }
    if (ch === '(') {
      const look = src.startsWith('(?=', i) || src.startsWith('(?!', i) || src.startsWith('(?<=', i) || src.startsWith('(?<!', i);
      stack.push({ at: out.length, look });
      if (src.startsWith('(?<', i) && !look) {
        const end = src.indexOf('>', i);
        if (end < 0) return null;
        out += src.slice(i, end + 1);
        i = end + 1;
      } else if (src.startsWith('(?', i)) {
        const end = look ? (src[i + 2] === '<' ? i + 4 : i + 3) : i + 3;
        out += src.slice(i, end);
        i = end;
      } else {
        out += ch;
        i++;
      }
      continue;
    }
    if (ch === ')') {
      const g = stack.pop();
      if (g === undefined) return null;
      if (g.look && how.approx) out = `${out.slice(0, g.at)}(?:)`;
      else out += ch;
      i++;
      continue;
    }
    if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 24));
      if (m) {
        out += how.approx ? (Number(m[1]) === 0 ? '*' : '+') : m[0];
        i += m[0].length;
        continue;
      }
    }
    if (how.fold && /[a-zA-Z\u00c0-\u00ff]/.test(ch)) out += foldChar(ch.charCodeAt(0), ch);
    else out += ch;
    i++;
  }
  return stack.length === 0 ? out : null;
}

/** True when `src` starts with `^` that anchors every alternative (no top-level `|`). */
function anchoredAtStart(src: string): boolean {
  if (!src.startsWith('^')) return false;
  let depth = 0;
  for (let i = 1; i < src.length; i++) {
    const ch = src[i];
    if (ch === '\\') { i++; continue; }
    if (ch === '[') {
      i++;
      if (src[i] === '^') i++;
      if (src[i] === ']') continue;
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) return false;
  }
  return true;
}

function linearOf(src: string, flags: string, approx: boolean): { re: RegExp; anchored: boolean } | null {
  if (!LINEAR_ENGINE) return null;
  const fold = flags.includes('i');
  const rest = flags.replace('i', '');
  const body = fold || approx ? rewriteSource(src, { fold, approx }) : src;
  if (body === null) return null;
  if (!flags.includes('m') && anchoredAtStart(body)) {
    const re = tryRegExp(body.slice(1), `${rest}ly`);
    if (re !== null) return { re, anchored: true };
  }
  const re = tryRegExp(body, `${rest}l`);
  return re === null ? null : { re, anchored: false };
}

/**
 * Compiles a translated PCRE body (JS RegExp source) with JS flags (`i`, `s`, `m`). Throws
 * the RegExp's SyntaxError when the source does not compile at all.
 */
export function compilePcre(source: string, flags: string): CompiledPcre {
  const regex = new RegExp(source, flags);
  const exact = linearOf(source, flags, false);
  if (exact !== null) return { mode: 'linear', regex, linear: exact.re, anchored: exact.anchored };
  const approx = linearOf(source, flags, true);
  if (approx !== null) return { mode: 'prefiltered', regex, linear: approx.re, anchored: approx.anchored };
  return { mode: 'budgeted', regex, linear: null, anchored: false };
}

/** Default time budget of one rule evaluation's pcre runs (all of them together). */
export const DEFAULT_PCRE_BUDGET_MS = 20;

/**
 * Subjects longer than this run under the vm watchdog even in the linear engine (it needs
 * about 0.3–0.7 µs a character here, so a long body alone could outlast the budget); shorter
 * ones run directly (the watchdog costs ~0.1 ms a run) and their time is counted.
 */
export const WATCHED_SUBJECT_CHARS = 16_384;

const TIMED_OUT = -2;

/**
 * Runs compiled expressions for one rule engine: keeps the per-evaluation budget and the
 * counts. `begin(sid)` at the start of each rule evaluation; `exec` then returns the match
 * start (or -1) and leaves the match end in `end`.
 */
export class PcreRunner {
  /** End of the last match (exclusive). */
  end = 0;
  /** Evaluations cut short by the budget, by rule sid. */
  readonly budgetHits = new Map<number, number>();
  readonly stats = { linear: 0, prefilterRejects: 0, backtracking: 0, budgetHits: 0 };
  private sid = 0;
  private remainingMs = 0;
  private exhausted = false;
  private counted = false;
  private readonly ctx: { re: RegExp | null; s: string; m: RegExpExecArray | null };
  private readonly script = new vm.Script('m = re.exec(s)');
  private readonly context: vm.Context;

  constructor(private readonly budgetMs = DEFAULT_PCRE_BUDGET_MS) {
    this.ctx = { re: null, s: '', m: null };
    this.context = vm.createContext(this.ctx);
  }

  begin(sid: number): void {
    this.sid = sid;
    this.remainingMs = this.budgetMs;
    this.exhausted = false;
    this.counted = false;
  }

  exec(p: CompiledPcre, str: string, from: number): number {
    if (this.exhausted) {
      // The budget is spent: the rest of this evaluation is cut short (counted once).
      if (!this.counted) this.hit();
      return -1;
    }
    const watched = str.length - from > WATCHED_SUBJECT_CHARS;
    if (p.linear !== null) {
      this.stats.linear++;
      const s = this.run(p.linear, p.anchored, str, from, watched);
      if (s === TIMED_OUT) return -1;
      if (p.mode === 'linear') return s;
      if (s < 0) { this.stats.prefilterRejects++; return -1; }
      if (this.exhausted) { this.hit(); return -1; }
    }
    this.stats.backtracking++;
    const s = this.run(p.regex, false, str, from, true);
    return s === TIMED_OUT ? -1 : s;
  }

  private hit(): void {
    this.counted = true;
    this.stats.budgetHits++;
    this.budgetHits.set(this.sid, (this.budgetHits.get(this.sid) ?? 0) + 1);
  }

  /** One run; the match start, -1, or TIMED_OUT (budget spent, counted). */
  private run(re: RegExp, sticky: boolean, str: string, from: number, watched: boolean): number {
    const subject = sticky || from === 0 ? str : str.slice(from);
    re.lastIndex = sticky ? from : 0;
    const t0 = performance.now();
    let m: RegExpExecArray | null;
    if (watched) {
      this.ctx.re = re;
      this.ctx.s = subject;
      this.ctx.m = null;
      try {
        this.script.runInContext(this.context, { timeout: Math.max(1, Math.floor(this.remainingMs)) });
      } catch {
        // Timed out (or the engine gave up, e.g. on its stack): no match this time.
        this.exhausted = true;
        this.hit();
        return TIMED_OUT;
      } finally {
        this.ctx.s = '';
        this.ctx.re = null;
      }
      m = this.ctx.m as RegExpExecArray | null;
      this.ctx.m = null;
    } else {
      m = re.exec(subject);
    }
    this.remainingMs -= performance.now() - t0;
    if (this.remainingMs <= 0) this.exhausted = true;
    if (m === null) return -1;
    const st = sticky ? m.index : from + m.index;
    this.end = st + m[0].length;
    return st;
  }
}
