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
import type { AcSink } from '../match/aho-corasick.js';
import { BUFFER_ID, BUFFER_NAMES, type BufferName, type Rule, type RuleContext } from './parser.js';
import type { MatchMeta, RuleHit } from './match-meta.js';
import { APP_CLASS_COUNT, appClassOf, GROUP_COUNT, groupOf, headerMatches, protoClassOf } from './header.js';
import { buildContextTable, buildPacketGroups, type ContextTable, type PacketGroups } from './prefilter-groups.js';
import { ContentInspector, readsMatchEnd, type CompiledRule } from './content.js';
import { ThresholdTracker } from './thresholds.js';
import { buildEvidence } from './evidence.js';
import { AddressRuleIndex } from './address-index.js';
import { PcreRunner } from './pcre.js';

export { createMatchMeta, type MatchMeta, type RuleHit } from './match-meta.js';
export { appClassOf } from './header.js';
export { printable } from './evidence.js';

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
  /** Shared address index of rules without fast pattern but with a selective address group. */
  private readonly addressIndex: AddressRuleIndex | null;
  /** Gated-rule masks of the tables the last prefilter visited (their rules come from the index). */
  private readonly pendingGated: Uint8Array[] = [];
  private pendingCount = 0;
  private gen = 0;
  private curPatternRules: Int32Array[] | null = null;
  /** Content inspection of the candidates (positions of matches, step budget, pcre text). */
  private readonly inspector: ContentInspector;
  /** Evaluates `pcre` (linear engine; budgeted fallback) and counts budget hits per rule. */
  readonly pcre: PcreRunner;
  /** Latin1 text cache of the slots (the inspector's), cleared when a slot changes. */
  private readonly strCache: (string | null)[];
  private readonly evidenceBytes: number;
  private readonly thresholds: ThresholdTracker;
  /** Ids of the slots set since the last clearSlots (each at most once). */
  private readonly setIds = new Int32Array(BUFFER_NAMES.length);
  private readonly isSet = new Uint8Array(BUFFER_NAMES.length);
  private setCount = 0;
  private readonly hits: RuleHit[] = [];

  constructor(rules: readonly Rule[], options: RuleEngineOptions = {}) {
    this.rules = rules;
    this.thresholds = new ThresholdTracker(options.thresholdCapacity ?? 65536);
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
    this.pcre = new PcreRunner(options.pcreBudgetMs);
    this.inspector = new ContentInspector(maxOps, options.stepBudget ?? 4096, this.pcre);
    this.strCache = this.inspector.strCache;
    this.stamp = new Int32Array(rules.length);
    this.cands = new Int32Array(rules.length);
    this.addressIndex = AddressRuleIndex.build(rules, (ri) => !rules[ri].fastPattern);
    const indexed = this.addressIndex?.indexed ?? null;

    const grouped = options.groupPacketRules ?? true;
    for (const ctx of CONTEXTS) {
      const members: number[] = [];
      rules.forEach((rule, ri) => { if (rule.context === ctx) members.push(ri); });
      // Grouped packet rules get their prefilters per group; the context table then only
      // answers which buffers are used and whether there are rules.
      this.tables.set(ctx, buildContextTable(rules, members, !(grouped && ctx === 'packet'), false, indexed));
    }
    this.packetGroups = grouped ? buildPacketGroups(rules, indexed) : null;
    this.packetGroupLive = null;
    this.packetPlainLive = null;
    this.packetGatedClasses = null;
    if (this.packetGroups) {
      const live = new Uint8Array(GROUP_COUNT);
      const plainLive = new Uint8Array(GROUP_COUNT);
      const gatedClasses = new Uint8Array(GROUP_COUNT);
      const { plain, gated } = this.packetGroups;
      const hasRules = (t: ContextTable): boolean => t.prefilterIds.length > 0 || t.always.length > 0 || t.gated !== null;
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
    this.pendingCount = 0;
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
    return this.candCount + this.pendingCount;
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
    if (table.gated !== null) this.pendingGated[this.pendingCount++] = table.gated;
  }

  /** Number of distinct packet-rule prefilter tables (1 when grouping is off). */
  get packetGroupCount(): number {
    return this.packetGroups ? this.packetGroups.distinct.length : 1;
  }

  hasRules(ctx: RuleContext): boolean {
    const t = this.tables.get(ctx)!;
    return t.used.size > 0 || t.always.length > 0 || t.gated !== null;
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
    this.pendingCount = 0;
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
    return this.candCount + this.pendingCount;
  }

  /** Second half of evaluate: full evaluation of the prefilter's candidates. */
  evaluateCandidates(meta: MatchMeta): RuleHit[] {
    if (this.pendingCount > 0) this.collectIndexed(meta);
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
    if (table.gated !== null) this.pendingGated[this.pendingCount++] = table.gated;
  }

  /** The visited tables' gated rules whose key address group holds the source or destination. */
  private collectIndexed(meta: MatchMeta): void {
    const index = this.addressIndex!;
    const n = index.lookup(meta.srcIp, meta.dstIp);
    for (let i = 0; i < n; i++) {
      const r = index.hits[i];
      if (this.stamp[r] === this.gen) continue;
      for (let t = 0; t < this.pendingCount; t++) {
        if (this.pendingGated[t][r] === 1) { this.stamp[r] = this.gen; this.cands[this.candCount++] = r; break; }
      }
    }
    this.pendingCount = 0;
  }

  private evaluateRule(c: CompiledRule, meta: MatchMeta): void {
    const rule = c.rule;
    if (!headerMatches(rule, meta)) return;
    for (const g of c.groups) {
      const buf = this.slotBuf[g.bufferId];
      if (buf === null) return;
      const ins = this.inspector;
      ins.steps = 0;
      this.pcre.begin(rule.sid);
      if (!ins.matchOps(g.ops, 0, g.bufferId, buf, this.slotStart[g.bufferId], this.slotEnd[g.bufferId], -1, meta)) {
        if (ins.steps >= ins.stepBudget) this.stats.budgetExhausted++;
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
    if (rule.threshold && !this.thresholds.allows(rule, meta)) { this.stats.suppressed++; return; }
    this.hits.push({ rule, evidence: buildEvidence(c, this.inspector, this.slotBuf, this.slotStart, this.evidenceBytes) });
  }
}
