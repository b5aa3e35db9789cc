/**
 * Rule evaluation: a per-context, per-buffer multi-pattern prefilter (Wu-Manber for long,
 * Aho-Corasick for short patterns) over each rule's fast
 * pattern, then full evaluation of the candidates only (header, flow, content with
 * offset/depth/distance/within and backtracking, pcre, sizes, flowbits, thresholds).
 *
 * Hot path discipline: buffers are (array, start, end) slots filled by the caller, the
 * engine is its own prefilter sink (no closures per call), candidate marking uses a
 * generation stamp instead of clearing arrays. Objects are created only for matches.
 */
import { ASCII_LOWER, type AcSink } from '../match/aho-corasick.js';
import { MultiPatternMatcher } from '../match/multi-pattern.js';
import {
  BUFFER_ID, BUFFER_NAMES, sizeMatches,
  type BufferName, type ContentOp, type MatchOp, type Rule, type RuleContext,
} from './parser.js';
import { addressMatches, portMatches } from './variables.js';
import { PcreRunner } from './pcre.js';

/** Per-call facts about the packet or message being inspected; one object, reused by the caller. */
export interface MatchMeta {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** IP protocol number (6, 17 …). */
  proto: number;
  /** 0 = to_server, 1 = to_client. */
  dir: 0 | 1;
  established: boolean;
  /** App protocol identified for the flow ('' unknown): gates raw-content rules of app-layer protos. */
  appProto: string;
  /** Server port of the flow (for the app-proto port fallback). */
  serverPort: number;
  /** Per-flow flowbits; null when there is no flow (then isset fails, set is dropped). */
  flowbits: Set<string> | null;
  tsUs: number;
}

export function createMatchMeta(): MatchMeta {
  return { srcIp: '', dstIp: '', srcPort: 0, dstPort: 0, proto: 6, dir: 0, established: true, appProto: '', serverPort: 0, flowbits: null, tsUs: 0 };
}

export interface RuleHit {
  rule: Rule;
  evidence: Record<string, unknown>;
}

export interface RuleEngineOptions {
  /** Steps of content backtracking per rule evaluation (hostile payloads cannot stall us). */
  stepBudget?: number;
  /** Threshold tracking entries kept (oldest evicted). */
  thresholdCapacity?: number;
  /** Wall-time budget of one rule evaluation's pcre runs in the backtracking engine (rules/pcre.ts). */
  pcreBudgetMs?: number;
  /** Bytes of each match shown in evidence. */
  evidenceBytes?: number;
  /**
   * Split packet rules into groups by what is known before any byte is scanned (direction,
   * established, IP protocol, app protocol gate), one prefilter per group (Suricata's
   * signature group heads). Default true; false keeps one prefilter for all packet rules
   * (the reference the grouped engine is tested against).
   */
  groupPacketRules?: boolean;
}

const PKT_ID = BUFFER_ID.pkt;
const CONTEXTS: RuleContext[] = ['packet', 'dns', 'tls', 'http-request', 'http-response'];
/**
 * App classes of raw-content rules of app-layer protos (index 0: none of them applies). A
 * packet's class comes from the flow's identified protocol, else from its server port; the
 * default port lists are disjoint, so a packet has exactly one class.
 */
const APP_CLASS_COUNT = 4; // none, dns, http, tls
/** App class by server port (0 = none): one typed-array load per packet instead of a Map lookup. */
const APP_PORT_CLASS = new Uint8Array(65536);
for (const [port, cls] of [[53, 1], [80, 2], [8000, 2], [8008, 2], [8080, 2], [3128, 2], [443, 3], [8443, 3]]) APP_PORT_CLASS[port] = cls;

/** App class of a packet (see APP_CLASS_COUNT) from the flow's identified protocol, else its server port. */
export function appClassOf(appProto: string, serverPort: number): number {
  if (appProto !== '') return appProto === 'dns' ? 1 : appProto === 'http' ? 2 : appProto === 'tls' ? 3 : 0;
  return APP_PORT_CLASS[serverPort & 0xffff];
}

/** Class of a packet rule's app-protocol gate: 0 = not gated (applies in every app class). */
function ruleAppClass(rule: Rule): number {
  if (rule.context !== 'packet') return 0;
  return rule.proto === 'dns' ? 1 : rule.proto === 'http' ? 2 : rule.proto === 'tls' ? 3 : 0;
}

/** IP protocol classes the rule protos distinguish: tcp, udp, icmp (v4 and v6), anything else. */
const PROTO_CLASS_COUNT = 4;
const PROTO_CLASS_REPRESENTATIVE = [6, 17, 1, 255];
function protoClassOf(proto: number): number {
  return proto === 6 ? 0 : proto === 17 ? 1 : proto === 1 || proto === 58 ? 2 : 3;
}

/** Group of a packet by direction, established state and protocol class. */
const GROUP_COUNT = 2 * 2 * PROTO_CLASS_COUNT;
function groupOf(dir: number, established: boolean, protoClass: number): number {
  return ((dir === 0 ? 0 : 2) + (established ? 1 : 0)) * PROTO_CLASS_COUNT + protoClass;
}

/**
 * The header conditions decidable before scanning any byte and before looking at addresses
 * or ports: protocol, app-protocol gate, flow state and direction. Used at evaluation time
 * and, with each group's representative values, to decide group membership, so the grouped
 * and ungrouped engines agree by construction.
 */
function staticHeaderMatches(rule: Rule, proto: number, appClass: number, established: boolean, dir: number): boolean {
  switch (rule.proto) {
    case 'tcp': case 'tcp-pkt': case 'tcp-stream': case 'http': case 'tls':
      if (proto !== 6) return false;
      break;
    case 'udp': if (proto !== 17) return false; break;
    case 'icmp': if (proto !== 1 && proto !== 58) return false; break;
    case 'dns': if (proto !== 6 && proto !== 17) return false; break;
    default: break;
  }
  const gate = ruleAppClass(rule);
  if (gate !== 0 && gate !== appClass) return false;
  const f = rule.flow;
  if (f.established && !established) return false;
  if (f.notEstablished && established) return false;
  if (f.dir >= 0 && f.dir !== dir) return false;
  return true;
}

interface ContextTable {
  /** Per buffer id: automaton over fast patterns and, per pattern id, rule indices. */
  ac: (MultiPatternMatcher | null)[];
  patternRules: (Int32Array[] | null)[];
  /** Rules without a usable fast pattern: always candidates in this context. */
  always: Int32Array;
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
interface PacketGroups {
  plain: ContextTable[];
  /** Index (appClass - 1) * GROUP_COUNT + group. */
  gated: ContextTable[];
  /** Distinct tables (groups with the same rules share one). */
  distinct: ContextTable[];
}

/** `retry`: another match position of this (positive content) op could change the outcome. */
interface CompiledOp { op: MatchOp; index: number; retry: boolean }

/**
 * Whether a later op reads op i's match end (a relative op before the next positive content
 * or pcre resets it). When none does, a failure after op i's first match is final: trying its
 * other positions (as Suricata does only for relative follow-ups) would rerun the same ops on
 * the same input; on a payload where the content occurs everywhere that multiplied every
 * pcre run by up to the step budget.
 */
function readsMatchEnd(ops: readonly MatchOp[], i: number): boolean {
  for (let j = i + 1; j < ops.length; j++) {
    const o = ops[j];
    if ((o.kind === 'content' || o.kind === 'pcre' || o.kind === 'isdataat') && o.relative) return true;
    if ((o.kind === 'content' || o.kind === 'pcre') && !o.negated) return false;
  }
  return false;
}
interface CompiledRule {
  rule: Rule;
  groups: { bufferId: number; ops: CompiledOp[] }[];
  opCount: number;
}

export class RuleEngine implements AcSink {
  readonly rules: readonly Rule[];
  /** evaluations: messages and packets whose buffers were prefiltered (packets with no table to scan are not counted). */
  readonly stats = { evaluations: 0, candidates: 0, matched: 0, suppressed: 0, budgetExhausted: 0 };
  /** Buffer slots, indexed by BUFFER_ID. Callers set them before evaluate(). */
  readonly slotBuf: (Uint8Array | null)[] = BUFFER_NAMES.map(() => null);
  readonly slotStart = new Int32Array(BUFFER_NAMES.length);
  readonly slotEnd = new Int32Array(BUFFER_NAMES.length);

  private readonly compiled: CompiledRule[];
  private readonly tables = new Map<RuleContext, ContextTable>();
  private readonly packetGroups: PacketGroups | null;
  /** Per group (see groupOf): 1 when some plain or gated table of the group has rules. */
  private readonly packetGroupLive: Uint8Array | null;
  /** Per group: 1 when its ungated table has rules (else the scan is skipped). */
  private readonly packetPlainLive: Uint8Array | null;
  /** Per group: bit a set when app class a's gated table has rules (0: the app class does not matter). */
  private readonly packetGatedClasses: Uint8Array | null;
  private readonly stamp: Int32Array;
  private readonly cands: Int32Array;
  private candCount = 0;
  private gen = 0;
  private curPatternRules: Int32Array[] | null = null;
  private readonly posStart: Int32Array;
  private readonly posEnd: Int32Array;
  private readonly posBuf: Int32Array;
  private steps = 0;
  private readonly stepBudget: number;
  /** Evaluates `pcre` (linear engine; budgeted fallback) and counts budget hits per rule. */
  readonly pcre: PcreRunner;
  private readonly evidenceBytes: number;
  private readonly thresholdCapacity: number;
  private readonly thresholds = new Map<string, { start: number; count: number }>();
  private readonly strCache: (string | null)[] = BUFFER_NAMES.map(() => null);
  /** Ids of the slots set since the last clearSlots (each at most once). */
  private readonly setIds = new Int32Array(BUFFER_NAMES.length);
  private readonly isSet = new Uint8Array(BUFFER_NAMES.length);
  private setCount = 0;
  private readonly hits: RuleHit[] = [];

  constructor(rules: readonly Rule[], options: RuleEngineOptions = {}) {
    this.rules = rules;
    this.stepBudget = options.stepBudget ?? 4096;
    this.pcre = new PcreRunner(options.pcreBudgetMs);
    this.thresholdCapacity = options.thresholdCapacity ?? 65536;
    this.evidenceBytes = options.evidenceBytes ?? 64;
    let maxOps = 1;
    this.compiled = rules.map((rule) => {
      let index = 0;
      const groups = rule.buffers.map((b) => ({
        bufferId: BUFFER_ID[b.buffer],
        ops: b.ops.map((op, i) => ({ op, index: index++, retry: readsMatchEnd(b.ops, i) })),
      }));
      maxOps = Math.max(maxOps, index);
      return { rule, groups, opCount: index };
    });
    this.posStart = new Int32Array(maxOps);
    this.posEnd = new Int32Array(maxOps);
    this.posBuf = new Int32Array(maxOps);
    this.stamp = new Int32Array(rules.length);
    this.cands = new Int32Array(rules.length);

    const grouped = options.groupPacketRules ?? true;
    for (const ctx of CONTEXTS) {
      const members: number[] = [];
      rules.forEach((rule, ri) => { if (rule.context === ctx) members.push(ri); });
      // Grouped packet rules get their prefilters per group; the context table then only
      // answers which buffers are used and whether there are rules.
      this.tables.set(ctx, this.buildTable(members, !(grouped && ctx === 'packet')));
    }
    this.packetGroups = grouped ? this.buildPacketGroups() : null;
    this.packetGroupLive = null;
    this.packetPlainLive = null;
    this.packetGatedClasses = null;
    if (this.packetGroups) {
      const live = new Uint8Array(GROUP_COUNT);
      const plainLive = new Uint8Array(GROUP_COUNT);
      const gatedClasses = new Uint8Array(GROUP_COUNT);
      const { plain, gated } = this.packetGroups;
      const hasRules = (t: ContextTable): boolean => t.prefilterIds.length > 0 || t.always.length > 0;
      for (let g = 0; g < GROUP_COUNT; g++) {
        for (let a = 1; a < APP_CLASS_COUNT; a++) if (hasRules(gated[(a - 1) * GROUP_COUNT + g])) gatedClasses[g] |= 1 << a;
        plainLive[g] = hasRules(plain[g]) ? 1 : 0;
        live[g] = gatedClasses[g] !== 0 || plainLive[g] === 1 ? 1 : 0;
      }
      this.packetGroupLive = live;
      this.packetPlainLive = plainLive;
      this.packetGatedClasses = gatedClasses;
    }
  }

  /**
   * One prefilter table over the given rules (indices ascending). withPrefilter false:
   * bookkeeping only. preferBounded: prefilter on a depth-bounded content instead of an
   * unbounded fast pattern (see prefilterPattern).
   */
  private buildTable(members: readonly number[], withPrefilter = true, preferBounded = false): ContextTable {
    const rules = this.rules;
    const perBuffer = new Map<number, { patterns: { bytes: Uint8Array; nocase: boolean }[]; rules: number[][]; byKey: Map<string, number>; limit: number }>();
    const always: number[] = [];
    const used = new Set<number>();
    for (const ri of members) {
      const rule = rules[ri];
      for (const b of rule.buffers) used.add(BUFFER_ID[b.buffer]);
      if (!rule.fastPattern) { always.push(ri); continue; }
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
      used,
      prefilterIds: Int32Array.from([...perBuffer.keys()].sort((a, b) => a - b)),
      scanLimit: new Int32Array(BUFFER_NAMES.length).fill(-1),
      pkt: null,
      pktRules: null,
      pktLimit: -1,
    };
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
  private buildPacketGroups(): PacketGroups {
    // One pass over the rules: each packet rule joins the groups its header admits, in its
    // own app class (0 = ungated). Member lists come out in rule order. Then groups with the
    // same members share one table (hash key, confirmed by comparing the lists), so 10,000
    // ungated rules build one automaton, not sixteen, without joining 10,000-index strings.
    const lists: number[][] = [];
    for (let i = 0; i < APP_CLASS_COUNT * GROUP_COUNT; i++) lists.push([]);
    const rules = this.rules;
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
      const table = this.buildTable(members, true, true);
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

  /** Buffer names rules in this context read: callers build only those. */
  buffersUsed(ctx: RuleContext): BufferName[] {
    return [...(this.tables.get(ctx)?.used ?? [])].map((id) => BUFFER_NAMES[id]);
  }

  /** Size of one prefilter automaton (for benchmarks and stats). */
  automatonStats(ctx: RuleContext, buffer: BufferName): { states: number; bytes: number } {
    const id = BUFFER_ID[buffer];
    const tables = ctx === 'packet' && this.packetGroups ? this.packetGroups.distinct : [this.tables.get(ctx)];
    let states = 0;
    let bytes = 0;
    for (const t of tables) {
      const ac = t?.ac[id];
      if (ac) { states += ac.stateCount; bytes += ac.memoryBytes; }
    }
    return { states, bytes };
  }

  /**
   * Whether any packet rule can pass the header checks known before scanning (direction,
   * established, IP protocol; any app class). False lets the caller skip the packet without
   * filling buffers or metadata: the common case for payloads against rules of the other
   * direction. Always true when grouping is off.
   */
  packetMayMatch(dir: 0 | 1, established: boolean, proto: number): boolean {
    return this.packetGroupLive === null || this.packetGroupLive[groupOf(dir, established, protoClassOf(proto))] === 1;
  }

  /**
   * The detector's per-packet fast path (grouping on): the packet's group, or -1 when no
   * packet rule can pass its direction, established state and protocol. Same decision as
   * packetMayMatch; the group is then handed to prefilterPacket.
   */
  packetGroupOf(dir: 0 | 1, established: boolean, proto: number): number {
    const g = groupOf(dir, established, protoClassOf(proto));
    return this.packetGroupLive![g] === 1 ? g : -1;
  }

  /** Whether the app class (flow's identified protocol or server port) matters in group g. */
  packetGroupGated(g: number): boolean {
    return this.packetGatedClasses![g] !== 0;
  }

  /** True when packet rules are grouped (packetGroupOf / prefilterPacket are usable). */
  get groupsPacketRules(): boolean {
    return this.packetGroups !== null;
  }

  /**
   * prefilter('packet', meta) for a packet whose group and app class the caller computed
   * (packetGroupOf, appClassOf; app class 0 when the group is not gated), scanning
   * buf[start, end) directly: no map lookups, slots or metadata, so a packet without
   * candidates costs a group lookup and the scan. With candidates the caller sets the pkt
   * slot (setPacketSlot) and the metadata, then calls evaluateCandidates.
   */
  prefilterPacket(g: number, appClass: number, buf: Uint8Array, start: number, end: number): number {
    // Nothing to scan in this group for this app class (e.g. only app-gated rules of another
    // protocol): no bookkeeping either; the counters count packets that were scanned.
    if (this.packetPlainLive![g] === 0 && ((this.packetGatedClasses![g] >> appClass) & 1) === 0) return 0;
    if (this.hits.length !== 0) this.hits.length = 0;
    this.candCount = 0;
    this.stats.evaluations++;
    if (++this.gen > 0x7ffffff0) { this.gen = 1; this.stamp.fill(0); }
    const groups = this.packetGroups!;
    // Tables without rules are not visited (e.g. a group whose rules are all app-gated).
    if (this.packetPlainLive![g] === 1) this.collectPacket(groups.plain[g], buf, start, end);
    if (((this.packetGatedClasses![g] >> appClass) & 1) !== 0) this.collectPacket(groups.gated[(appClass - 1) * GROUP_COUNT + g], buf, start, end);
    return this.candCount;
  }

  /**
   * collectCandidates for a packet-rule table, on the payload directly: packet rules read only
   * the pkt buffer, so no slots are touched until there are candidates.
   */
  private collectPacket(table: ContextTable, buf: Uint8Array, start: number, end: number): void {
    const ac = table.pkt;
    if (ac !== null) {
      this.curPatternRules = table.pktRules;
      const limit = table.pktLimit;
      ac.scan(buf, start, limit >= 0 && start + limit < end ? start + limit : end, this);
    }
    const always = table.always;
    for (let i = 0; i < always.length; i++) {
      const r = always[i];
      if (this.stamp[r] !== this.gen) { this.stamp[r] = this.gen; this.cands[this.candCount++] = r; }
    }
  }

  /** Number of distinct packet-rule prefilter tables (1 when grouping is off). */
  get packetGroupCount(): number {
    return this.packetGroups ? this.packetGroups.distinct.length : 1;
  }

  hasRules(ctx: RuleContext): boolean {
    const t = this.tables.get(ctx)!;
    return t.used.size > 0 || t.always.length > 0;
  }

  clearSlots(): void {
    // Only the slots set since the last clear: a packet sets one, so this stays O(1) per packet.
    for (let k = 0; k < this.setCount; k++) {
      const i = this.setIds[k];
      this.slotBuf[i] = null;
      this.strCache[i] = null;
      this.isSet[i] = 0;
    }
    this.setCount = 0;
  }

  /** setSlot('pkt', …) without the name lookup (called for every payload packet). */
  setPacketSlot(buf: Uint8Array, start: number, end: number): void {
    const id = PKT_ID;
    if (this.isSet[id] === 0) { this.isSet[id] = 1; this.setIds[this.setCount++] = id; }
    this.slotBuf[id] = buf;
    this.slotStart[id] = start;
    this.slotEnd[id] = end;
    this.strCache[id] = null;
  }

  setSlot(buffer: BufferName, buf: Uint8Array | null, start = 0, end = buf ? buf.length : 0): void {
    const id = BUFFER_ID[buffer];
    if (this.isSet[id] === 0) { this.isSet[id] = 1; this.setIds[this.setCount++] = id; }
    this.slotBuf[id] = buf;
    this.slotStart[id] = start;
    this.slotEnd[id] = end;
    this.strCache[id] = null;
  }

  /** AcSink: mark every rule using this fast pattern as a candidate. */
  onMatch(id: number): boolean {
    const list = this.curPatternRules![id];
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      if (this.stamp[r] !== this.gen) { this.stamp[r] = this.gen; this.cands[this.candCount++] = r; }
    }
    return true;
  }

  /**
   * Evaluate the rules of one context against the current slots. Returns the hits (an array
   * owned by the engine, valid until the next call).
   */
  evaluate(ctx: RuleContext, meta: MatchMeta): RuleHit[] {
    if (this.prefilter(ctx, meta) === 0) return this.hits;
    return this.evaluateCandidates(meta);
  }

  /**
   * First half of evaluate: the prefilter. Reads only meta.dir, established, proto, appProto
   * and serverPort, so a caller may fill addresses, ports and flowbits only when this
   * returns candidates and then call evaluateCandidates. Clears the previous hits.
   */
  prefilter(ctx: RuleContext, meta: MatchMeta): number {
    if (this.hits.length !== 0) this.hits.length = 0;
    this.candCount = 0;
    const table = this.tables.get(ctx);
    if (!table) return 0;
    this.stats.evaluations++;
    this.gen++;
    if (this.gen > 0x7ffffff0) { this.gen = 1; this.stamp.fill(0); }
    const groups = ctx === 'packet' ? this.packetGroups : null;
    if (groups !== null) {
      const g = groupOf(meta.dir, meta.established, protoClassOf(meta.proto));
      this.collectCandidates(groups.plain[g]);
      const app = appClassOf(meta.appProto, meta.serverPort);
      if (app > 0) this.collectCandidates(groups.gated[(app - 1) * GROUP_COUNT + g]);
    } else this.collectCandidates(table);
    return this.candCount;
  }

  /** Second half of evaluate: full evaluation of the prefilter's candidates. */
  evaluateCandidates(meta: MatchMeta): RuleHit[] {
    if (this.candCount === 0) return this.hits;
    // Rule file order: a flowbits 'set' earlier in the file is seen by an 'isset' later.
    if (this.candCount > 1) this.cands.subarray(0, this.candCount).sort();
    this.stats.candidates += this.candCount;
    for (let i = 0; i < this.candCount; i++) this.evaluateRule(this.compiled[this.cands[i]], meta);
    this.candCount = 0;
    return this.hits;
  }

  /** Prefilter scan of the filled slots plus the always-candidates of one table. */
  private collectCandidates(table: ContextTable): void {
    const ids = table.prefilterIds;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const buf = this.slotBuf[id];
      if (buf === null) continue;
      const ac = table.ac[id]!;
      this.curPatternRules = table.patternRules[id];
      const start = this.slotStart[id];
      let end = this.slotEnd[id];
      const limit = table.scanLimit[id];
      if (limit >= 0 && start + limit < end) end = start + limit;
      ac.scan(buf, start, end, this);
    }
    for (let i = 0; i < table.always.length; i++) {
      const r = table.always[i];
      if (this.stamp[r] !== this.gen) { this.stamp[r] = this.gen; this.cands[this.candCount++] = r; }
    }
  }

  private evaluateRule(c: CompiledRule, meta: MatchMeta): void {
    const rule = c.rule;
    if (!this.headerMatches(rule, meta)) return;
    for (const g of c.groups) {
      const buf = this.slotBuf[g.bufferId];
      if (buf === null) return;
      this.steps = 0;
      this.pcre.begin(rule.sid);
      if (!this.matchOps(g.ops, 0, g.bufferId, buf, this.slotStart[g.bufferId], this.slotEnd[g.bufferId], -1, meta)) {
        if (this.steps >= this.stepBudget) this.stats.budgetExhausted++;
        return;
      }
    }
    // Flowbit conditions, then actions.
    let noalert = false;
    for (const fb of rule.flowbits) {
      const bits = meta.flowbits;
      if (fb.cmd === 'isset') {
        if (!bits) return;
        if (fb.any ? !fb.names.some((n) => bits.has(n)) : !fb.names.every((n) => bits.has(n))) return;
      } else if (fb.cmd === 'isnotset') {
        if (bits && fb.names.some((n) => bits.has(n))) return;
      }
    }
    for (const fb of rule.flowbits) {
      const bits = meta.flowbits;
      if (fb.cmd === 'noalert') noalert = true;
      else if (!bits) continue;
      else if (fb.cmd === 'set') for (const n of fb.names) bits.add(n);
      else if (fb.cmd === 'unset') for (const n of fb.names) bits.delete(n);
      else if (fb.cmd === 'toggle') for (const n of fb.names) { if (bits.has(n)) bits.delete(n); else bits.add(n); }
    }
    this.stats.matched++;
    if (noalert) return;
    if (rule.threshold && !this.thresholdAllows(rule, meta)) { this.stats.suppressed++; return; }
    this.hits.push({ rule, evidence: this.buildEvidence(c) });
  }

  private headerMatches(rule: Rule, meta: MatchMeta): boolean {
    const appClass = ruleAppClass(rule) === 0 ? 0 : appClassOf(meta.appProto, meta.serverPort);
    if (!staticHeaderMatches(rule, meta.proto, appClass, meta.established, meta.dir)) return false;
    const fwd = portMatches(rule.srcPorts, meta.srcPort) && portMatches(rule.dstPorts, meta.dstPort)
      && addressMatches(rule.src, meta.srcIp) && addressMatches(rule.dst, meta.dstIp);
    if (fwd) return true;
    return rule.bidirectional && portMatches(rule.srcPorts, meta.dstPort) && portMatches(rule.dstPorts, meta.srcPort)
      && addressMatches(rule.src, meta.dstIp) && addressMatches(rule.dst, meta.srcIp);
  }

  /** Recursive evaluation of a buffer's ops with Suricata-style backtracking of content matches. */
  private matchOps(ops: CompiledOp[], i: number, bufId: number, buf: Uint8Array, start: number, end: number, prevEnd: number, meta: MatchMeta): boolean {
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

  private thresholdAllows(rule: Rule, meta: MatchMeta): boolean {
    const t = rule.threshold!;
    const who = t.track === 'by_src' ? meta.srcIp : t.track === 'by_dst' ? meta.dstIp : t.track === 'by_both' ? `${meta.srcIp}|${meta.dstIp}` : '';
    const key = `${rule.gid}:${rule.sid}|${who}`;
    const nowS = meta.tsUs / 1e6;
    let st = this.thresholds.get(key);
    if (!st || nowS - st.start >= t.seconds) {
      if (!st && this.thresholds.size >= this.thresholdCapacity) {
        const oldest = this.thresholds.keys().next().value;
        if (oldest !== undefined) this.thresholds.delete(oldest);
      }
      st = { start: nowS, count: 0 };
      this.thresholds.delete(key);
      this.thresholds.set(key, st);
    }
    st.count++;
    if (t.keyword === 'detection_filter') return st.count > t.count;
    switch (t.type) {
      case 'limit': return st.count <= t.count;
      case 'threshold': return st.count % t.count === 0;
      case 'both': return st.count === t.count;
    }
  }

  private buildEvidence(c: CompiledRule): Record<string, unknown> {
    const matches: { buffer: string; offset: number; length: number; text: string; hex: string }[] = [];
    let primary = -1;
    const fp = c.rule.fastPattern;
    for (const g of c.groups) {
      for (const { op, index } of g.ops) {
        if ((op.kind !== 'content' && op.kind !== 'pcre') || op.negated) continue;
        const id = this.posBuf[index];
        const buf = this.slotBuf[id]!;
        const s = this.posStart[index];
        const e = this.posEnd[index];
        const base = this.slotStart[id];
        const shown = buf.subarray(base + s, base + Math.min(e, s + this.evidenceBytes));
        if (op.kind === 'content' && fp && op.bytes === fp.bytes) primary = matches.length;
        if (matches.length < 6) {
          matches.push({ buffer: BUFFER_NAMES[id], offset: s, length: e - s, text: printable(shown), hex: Buffer.from(shown).toString('hex') });
        }
      }
    }
    const p = matches[primary >= 0 ? primary : 0];
    const ev: Record<string, unknown> = {};
    if (p) {
      ev.buffer = p.buffer;
      ev.offset = p.offset;
      ev.matched = p.text;
      ev.matched_hex = p.hex;
    } else {
      ev.buffer = c.groups[0] ? BUFFER_NAMES[c.groups[0].bufferId] : 'none';
    }
    ev.matches = matches;
    ev.rule_sid = c.rule.sid;
    return ev;
  }
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

/** Bytes as text with non-printables as '.', for evidence. */
export function printable(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  return s;
}
