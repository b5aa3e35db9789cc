/**
 * Rule grouping and prefilter tables: per context (and, for packet rules, per signature
 * group: direction, established, protocol class, app class) one multi-pattern automaton per
 * buffer over the rules' fast patterns, and the rules that are always candidates.
 */
import { ASCII_LOWER } from '../match/aho-corasick.js';
import { MultiPatternMatcher } from '../match/multi-pattern.js';
import { BUFFER_ID, BUFFER_NAMES, type BufferName, type ContentOp, type Rule } from './parser.js';
import { APP_CLASS_COUNT, GROUP_COUNT, PROTO_CLASS_COUNT, PROTO_CLASS_REPRESENTATIVE, ruleAppClass, staticHeaderMatches } from './header.js';

const PKT_ID = BUFFER_ID.pkt;

export interface ContextTable {
  /** Per buffer id: automaton over fast patterns and, per pattern id, rule indices. */
  ac: (MultiPatternMatcher | null)[];
  patternRules: (Int32Array[] | null)[];
  /** Rules without a usable fast pattern: always candidates in this context. */
  always: Int32Array;
  /** Per rule index, 1 for this table's rules found through the address index instead (null: none). */
  gated: Uint8Array | null;
  /** Buffer ids any rule of this context reads (callers fill only those). */
  used: Set<number>;
  /** Buffer ids that have a prefilter automaton (the scan loop visits only these). */
  prefilterIds: Int32Array;
  /**
   * Per buffer id: bytes from the buffer start the prefilter must scan (-1: all). Bounded
   * when every fast pattern of the table is an absolute content with depth, so a match
   * cannot end later (the Stratum server-response rules look only at the first bytes).
   */
  scanLimit: Int32Array;
  /**
   * Packet fast path (prefilterPacket): the pkt buffer's automaton, its pattern → rules map
   * and scan limit, unpacked; nothing when the table has no pkt prefilter.
   */
  pkt: MultiPatternMatcher | null;
  pktRules: Int32Array[] | null;
  pktLimit: number;
}

/** Packet rules split by group (see groupOf): ungated rules, and per app class the gated ones. */
export interface PacketGroups {
  plain: ContextTable[];
  /** Index (appClass - 1) * GROUP_COUNT + group. */
  gated: ContextTable[];
  /** Distinct tables (groups with the same rules share one). */
  distinct: ContextTable[];
}

/**
 * One prefilter table over the given rules (indices ascending). withPrefilter false:
 * bookkeeping only. preferBounded: prefilter on a depth-bounded content instead of an
 * unbounded fast pattern (see prefilterPattern).
 */
export function buildContextTable(rules: readonly Rule[], members: readonly number[], withPrefilter = true, preferBounded = false, indexed: Uint8Array | null = null): ContextTable {
  const perBuffer = new Map<number, { patterns: { bytes: Uint8Array; nocase: boolean }[]; rules: number[][]; byKey: Map<string, number>; limit: number }>();
  const always: number[] = [];
  const gated: number[] = [];
  const used = new Set<number>();
  for (const ri of members) {
    const rule = rules[ri];
    for (const b of rule.buffers) used.add(BUFFER_ID[b.buffer]);
    if (!rule.fastPattern) { (indexed?.[ri] === 1 ? gated : always).push(ri); continue; }
    if (!withPrefilter) continue;
    const fp = prefilterPattern(rule, preferBounded);
    const id = BUFFER_ID[fp.buffer];
    if (!perBuffer.has(id)) perBuffer.set(id, { patterns: [], rules: [], byKey: new Map(), limit: 0 });
    const pb = perBuffer.get(id)!;
    pb.limit = pb.limit < 0 || fp.bound < 0 ? -1 : Math.max(pb.limit, fp.bound);
    // Identical patterns share one automaton entry; case-insensitive if any user needs it.
    const key = foldedKey(fp.bytes);
    let pid = pb.byKey.get(key);
    if (pid === undefined) {
      pid = pb.patterns.length;
      pb.byKey.set(key, pid);
      pb.patterns.push({ bytes: fp.bytes, nocase: fp.nocase });
      pb.rules.push([]);
    } else if (fp.nocase) pb.patterns[pid].nocase = true;
    else if (!pb.patterns[pid].nocase && !sameBytes(pb.patterns[pid].bytes, fp.bytes)) {
      pb.patterns[pid].nocase = true; // same letters, different case: prefilter loosely, rule verifies
    }
    pb.rules[pid].push(ri);
  }
  const table: ContextTable = {
    ac: BUFFER_NAMES.map(() => null),
    patternRules: BUFFER_NAMES.map(() => null),
    always: Int32Array.from(always),
    gated: gated.length === 0 ? null : new Uint8Array(rules.length),
    used,
    prefilterIds: Int32Array.from([...perBuffer.keys()].sort((a, b) => a - b)),
    scanLimit: new Int32Array(BUFFER_NAMES.length).fill(-1),
    pkt: null,
    pktRules: null,
    pktLimit: -1,
  };
  for (const ri of gated) table.gated![ri] = 1;
  for (const [id, pb] of perBuffer) {
    table.ac[id] = new MultiPatternMatcher(pb.patterns);
    table.patternRules[id] = pb.rules.map((r) => Int32Array.from(r));
    table.scanLimit[id] = pb.limit;
  }
  table.pkt = table.ac[PKT_ID];
  table.pktRules = table.patternRules[PKT_ID];
  table.pktLimit = table.scanLimit[PKT_ID];
  return table;
}

/**
 * Suricata-style signature group heads for packet rules: per (direction, established,
 * protocol class) the rules whose header can pass, and separately per app class the
 * app-gated rules (alert http/tls/dns with raw content), so that e.g. a to_client payload
 * with only to_server rules loaded costs one lookup and no scan. Groups with the same
 * rules share one table, so 10,000 ungated rules build one automaton, not sixteen.
 */
export function buildPacketGroups(rules: readonly Rule[], indexed: Uint8Array | null = null): PacketGroups {
  // One pass over the rules: each packet rule joins the groups its header admits, in its
  // own app class (0 = ungated). Member lists come out in rule order. Then groups with the
  // same members share one table (hash key, confirmed by comparing the lists), so 10,000
  // ungated rules build one automaton, not sixteen, without joining 10,000-index strings.
  const lists: number[][] = [];
  for (let i = 0; i < APP_CLASS_COUNT * GROUP_COUNT; i++) lists.push([]);
  for (let ri = 0; ri < rules.length; ri++) {
    const rule = rules[ri];
    if (rule.context !== 'packet') continue;
    const gate = ruleAppClass(rule);
    for (let g = 0; g < GROUP_COUNT; g++) {
      const dir = g >= 2 * PROTO_CLASS_COUNT ? 1 : 0;
      const established = Math.floor(g / PROTO_CLASS_COUNT) % 2 === 1;
      const proto = PROTO_CLASS_REPRESENTATIVE[g % PROTO_CLASS_COUNT];
      if (staticHeaderMatches(rule, proto, gate, established, dir)) lists[gate * GROUP_COUNT + g].push(ri);
    }
  }
  const byKey = new Map<string, { members: number[]; table: ContextTable }[]>();
  const distinct: ContextTable[] = [];
  const tableFor = (members: number[]): ContextTable => {
    let h = 0x811c9dc5;
    for (let i = 0; i < members.length; i++) h = Math.imul(h ^ members[i], 0x01000193);
    const key = `${members.length}:${h >>> 0}`;
    let bucket = byKey.get(key);
    if (!bucket) { bucket = []; byKey.set(key, bucket); }
    for (const e of bucket) {
      if (e.members.length === members.length && e.members.every((x, i) => x === members[i])) return e.table;
    }
    const table = buildContextTable(rules, members, true, true, indexed);
    bucket.push({ members, table });
    distinct.push(table);
    return table;
  };
  const plain: ContextTable[] = [];
  const gated: ContextTable[] = [];
  for (let appClass = 0; appClass < APP_CLASS_COUNT; appClass++) {
    for (let g = 0; g < GROUP_COUNT; g++) (appClass === 0 ? plain : gated).push(tableFor(lists[appClass * GROUP_COUNT + g]));
  }
  return { plain, gated, distinct };
}

/** Case-folded bytes as a latin1 string: identical keys for patterns equal up to ASCII case. */
function foldedKey(bytes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(ASCII_LOWER[bytes[i]]);
  return key;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytes from the buffer start within which the content must match, or -1 when unbounded. */
function contentBound(op: ContentOp): number {
  return !op.relative && op.depth >= 0 ? op.offset + op.depth : -1;
}

/**
 * The content a rule is prefiltered on. Every positive content must occur for the rule to
 * match, so any of them yields a superset of the candidates; the fast pattern is the default.
 * preferBounded: when the fast pattern may match anywhere but another positive content of at
 * least 4 bytes is anchored with a depth, prefilter on that (longest such) instead, so the
 * scan stops after its depth: ET's Stratum server-response rules pick a relative content as
 * the fast pattern, which would otherwise scan every to_client payload in full.
 */
function prefilterPattern(rule: Rule, preferBounded: boolean): { buffer: BufferName; bytes: Uint8Array; nocase: boolean; bound: number } {
  const fp = rule.fastPattern!;
  let fastBound = -1;
  let best: { buffer: BufferName; op: ContentOp } | null = null;
  for (const b of rule.buffers) {
    for (const op of b.ops) {
      if (op.kind !== 'content' || op.negated) continue;
      if (op.bytes === fp.bytes) fastBound = contentBound(op);
      else if (contentBound(op) >= 0 && op.bytes.length >= 4 && (!best || op.bytes.length > best.op.bytes.length)) best = { buffer: b.buffer, op };
    }
  }
  if (fastBound >= 0 || !preferBounded || !best) return { buffer: fp.buffer, bytes: fp.bytes, nocase: fp.nocase, bound: fastBound };
  return { buffer: best.buffer, bytes: best.op.bytes, nocase: best.op.nocase, bound: contentBound(best.op) };
}
