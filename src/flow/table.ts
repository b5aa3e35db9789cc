/**
 * The bidirectional flow table.
 *
 * Layout: a fixed pool of `maxFlows` slots. Each slot's key, links, flags and counters sit
 * in one 128-byte block of a single typed-array store (slot-store.ts), so a flood of
 * one-packet flows touches two cache lines per flow and allocates nothing once a slot's
 * thin FlowRecord view exists. An open-addressing index (slot-index.ts) maps the caller's
 * symmetric flow hash to slots.
 *
 * Timeouts: every slot sits in exactly one of eight doubly-linked LRU lists, one per
 * timeout class (TCP new/established/closed, UDP new/established, ICMP, other
 * new/established). All flows in one list share one idle timeout, and a touched flow moves
 * to its list's tail, so each list's head is always the next to expire: expiry checks
 * eight heads and stops, O(1) when nothing is due. It runs once per `expireIntervalUs`
 * of packet time. On a hit the flow's own idle and active timeouts are checked too, so a
 * packet never joins a flow that should already have ended, however rarely expiry runs.
 * Time is packet time throughout (pcaps replay at any speed); a packet older than the
 * flow's last one does not move time backwards.
 *
 * Memory: fixed at construction (about 200 bytes per slot of typed arrays, plus a small
 * view object per slot on its first use). When every slot is busy, the flow idle the
 * longest (the oldest of the eight list heads) is evicted through the normal end path.
 *
 * Floods of one-packet flows: each new flow costs two random reads of the (large) index,
 * its own probe and the removal of the flow it evicts. Both can be loaded ahead in groups
 * whose cache misses overlap: the victims' entries by the table itself (warmVictims), the
 * probes by a caller that knows its next packets' hashes (warm()).
 */
import type { DirectionValue, FlowEndReason } from '../events/flow.js';
import { IpProto, Layer, TcpFlag, type PacketView } from '../events/packet.js';
import { FlowRecord } from './record.js';
import { FlowSlotIndex } from './slot-index.js';
import {
  B_DIR_TO_CLIENT, B_FIN, B_HAS_MAC, B_HANDSHAKE, B_RST, B_STARTED_WITH_HANDSHAKE, B_SYN, B_SYN_ACK, CLASS_MASK,
  CLASS_SHIFT, F_BYTES, F_FIRST_TS, F_LAST_TS, F_PKTS, F_SEQ, FlowSlotStore, I_BITS, I_CLIENT,
  I_CONSUMERS_ACCEPTED, I_CONSUMERS_ACTIVE, I_LRU_NEXT, I_LRU_PREV, I_META, I_PORTS, I_SERVER,
  I_TCP_FLAGS_TC, I_TCP_FLAGS_TS, I_VLAN, SLOT_F64_SHIFT, SLOT_I32_SHIFT, STATE_CLOSED, STATE_ESTABLISHED,
  STATE_MASK, STATE_NEW,
} from './slot-store.js';

// Hot-path constants as plain bindings (no property load per packet).
const { SYN, ACK, FIN, RST } = TcpFlag;
const { TCP: PROTO_TCP, UDP: PROTO_UDP, ICMP: PROTO_ICMP, ICMPV6: PROTO_ICMPV6 } = IpProto;
const { IP: LAYER_IP } = Layer;

/** Idle timeouts in seconds, by protocol and state (Suricata's spirit). */
export interface FlowTimeouts {
  tcpNew: number;
  tcpEstablished: number;
  tcpClosed: number;
  udpNew: number;
  udpEstablished: number;
  icmp: number;
  otherNew: number;
  otherEstablished: number;
}

export const DEFAULT_FLOW_TIMEOUTS: Readonly<FlowTimeouts> = Object.freeze({
  tcpNew: 60,
  tcpEstablished: 600,
  tcpClosed: 10,
  udpNew: 30,
  udpEstablished: 300,
  icmp: 30,
  otherNew: 30,
  otherEstablished: 300,
});

export const DEFAULT_MAX_FLOWS = 500_000;
export const DEFAULT_ACTIVE_TIMEOUT_S = 1800;

export type FlowEndCallback = (flow: FlowRecord, reason: FlowEndReason) => void;

export interface FlowTableOptions {
  /** Hard bound on concurrent flows (default 500 000). */
  maxFlows?: number;
  /** Idle timeouts in seconds; missing entries take DEFAULT_FLOW_TIMEOUTS. */
  timeouts?: Partial<FlowTimeouts>;
  /** A flow older than this (seconds since its first packet) ends and a new record starts; 0 = never. Default 1800. */
  activeTimeout?: number;
  /** How often (packet time, µs) lookup() runs the expiry check. Default 1 s. */
  expireIntervalUs?: number;
  /** Called once per flow when it leaves the table; the record is reused after it returns. */
  onFlowEnd?: FlowEndCallback;
  /** Flow ids are unique across workers when each table gets its own index (default 0 of 1). */
  workerIndex?: number;
  workerCount?: number;
}

export interface FlowTableStats {
  /** Packets looked up that had an IP layer. */
  packets: number;
  /** Packets without an IP layer (lookup returned null). */
  noIp: number;
  created: number;
  ended: Record<FlowEndReason, number>;
  /** Flows ended because the table was full (same as ended.evicted). */
  evicted: number;
  /** A new SYN on a closed TCP flow (port reuse) ended it early and started a new flow. */
  tcpReused: number;
  active: number;
  peak: number;
}

// Timeout classes, one LRU list each.
const C_TCP_NEW = 0;
const C_TCP_EST = 1;
const C_TCP_CLOSED = 2;
const C_UDP_NEW = 3;
const C_UDP_EST = 4;
const C_ICMP = 5;
const C_OTHER_NEW = 6;
const C_OTHER_EST = 7;
const NUM_CLASSES = 8;

const SYN_ACK = SYN | ACK;

/**
 * How many upcoming eviction victims get their index entries loaded in one go (see
 * warmVictims). Enough to overlap many cache misses, few enough that the lines stay in L1/L2.
 */
const VICTIM_WARM = 32;

function timeoutClass(proto: number, state: number): number {
  switch (proto) {
    case PROTO_TCP:
      return state === STATE_NEW ? C_TCP_NEW : state === STATE_ESTABLISHED ? C_TCP_EST : C_TCP_CLOSED;
    case PROTO_UDP:
      return state === STATE_NEW ? C_UDP_NEW : C_UDP_EST;
    case PROTO_ICMP:
    case PROTO_ICMPV6:
      return C_ICMP;
    default:
      return state === STATE_NEW ? C_OTHER_NEW : C_OTHER_EST;
  }
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`flow table: ${name} must be a non-negative number, got ${v}`);
  return v;
}

export class FlowTable {
  readonly stats: FlowTableStats = {
    packets: 0,
    noIp: 0,
    created: 0,
    ended: { 'idle-timeout': 0, 'active-timeout': 0, 'tcp-closed': 0, evicted: 0, shutdown: 0 },
    evicted: 0,
    tcpReused: 0,
    active: 0,
    peak: 0,
  };

  readonly maxFlows: number;
  private readonly timeoutUs = new Float64Array(NUM_CLASSES);
  private readonly activeUs: number;
  private readonly expireIntervalUs: number;
  private nextExpireUs = -Infinity;
  private readonly onFlowEnd: FlowEndCallback | undefined;
  private sequence = 0;

  private readonly index: FlowSlotIndex;
  private readonly store: FlowSlotStore;
  // The store's views, held directly (one property load less per access).
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly slotHash: Int32Array;
  private readonly listHead = new Int32Array(NUM_CLASSES).fill(-1);
  private readonly listTail = new Int32Array(NUM_CLASSES).fill(-1);
  /** Bit c set: list c is not empty (eviction looks only at those heads). */
  private nonEmptyLists = 0;
  private readonly freeSlots: Int32Array;
  private freeTop: number;
  /** One view per slot below `highWater`, created on the slot's first use and reused with it. */
  private readonly records: FlowRecord[];
  /** Slots [0, highWater) have been handed out at least once. */
  private highWater = 0;
  /** Evictions still covered by the last warmVictims() (their index entries are cached). */
  private victimsWarm = 0;
  /**
   * Folds the words warm() and warmVictims() load, so the optimiser cannot drop the loads
   * as dead (their only purpose is to bring cache lines in). Never read otherwise.
   */
  private warmSink = 0;

  constructor(opts: FlowTableOptions = {}) {
    const maxFlows = Math.floor(opts.maxFlows ?? DEFAULT_MAX_FLOWS);
    if (!(maxFlows >= 1 && maxFlows <= 1 << 26)) throw new RangeError(`flow table: maxFlows must be 1..${1 << 26}, got ${opts.maxFlows}`);
    this.maxFlows = maxFlows;
    const t = { ...DEFAULT_FLOW_TIMEOUTS, ...opts.timeouts };
    const perClass = [t.tcpNew, t.tcpEstablished, t.tcpClosed, t.udpNew, t.udpEstablished, t.icmp, t.otherNew, t.otherEstablished];
    const names = ['tcpNew', 'tcpEstablished', 'tcpClosed', 'udpNew', 'udpEstablished', 'icmp', 'otherNew', 'otherEstablished'];
    for (let c = 0; c < NUM_CLASSES; c++) this.timeoutUs[c] = positive(`timeouts.${names[c]}`, perClass[c]) * 1e6;
    this.activeUs = positive('activeTimeout', opts.activeTimeout ?? DEFAULT_ACTIVE_TIMEOUT_S) * 1e6;
    this.expireIntervalUs = positive('expireIntervalUs', opts.expireIntervalUs ?? 1e6);
    this.onFlowEnd = opts.onFlowEnd;
    const workerCount = Math.max(1, Math.floor(opts.workerCount ?? 1));
    const workerIndex = Math.floor(opts.workerIndex ?? 0);
    if (workerIndex < 0 || workerIndex >= workerCount) throw new RangeError('flow table: workerIndex must be in [0, workerCount)');

    this.index = new FlowSlotIndex(maxFlows);
    this.store = new FlowSlotStore(maxFlows, workerIndex, workerCount);
    this.i32 = this.store.i32;
    this.f64 = this.store.f64;
    this.slotHash = this.store.hash;
    // Released slots are reused first (last released first), then never-used slots in
    // order 0, 1, 2 …, which keeps the slots in use dense while the table is small. Nothing
    // is filled in advance: a table for 500 k flows costs no start-up work (the prefilled
    // free list and a 500 k-element array took 10–25 ms of every run's start).
    this.freeSlots = new Int32Array(maxFlows);
    this.freeTop = 0;
    this.records = [];
  }

  /** Flows in the table now. */
  get size(): number {
    return this.stats.active;
  }

  /**
   * Cache warming for a batch of upcoming packets (optional; results never change).
   *
   * `hashes[0 .. n-1]` are the symmetric flow hashes the caller is about to pass to
   * lookup() for its next packets (the same values, in any order; a wrong or stale value
   * only wastes a load). warm() loads the index entries those lookups will probe first.
   * Issued back to back, these cache misses overlap one another, where lookup() one packet
   * at a time waits for each miss in turn: on floods of new flows that wait is a large
   * part of the cost. (The entries the evictions will remove are warmed by the table
   * itself, see warmVictims.)
   *
   * Contract: warm() has no observable effect on the table (no flow is created, touched,
   * ended or expired; stats do not change). Call it right before processing the batch:
   * the lines it loads must still be in cache when lookup() needs them, so keep n to a
   * few hundred (256 hashes load at most 256 lines, 16 KiB). n is clamped to
   * [0, hashes.length].
   */
  warm(hashes: Int32Array, n: number): void {
    const entries = this.index.entries;
    const mask = this.index.mask;
    const m = Math.min(n, hashes.length);
    let acc = 0;
    for (let i = 0; i < m; i++) {
      const hash = hashes[i];
      // Same spread as lookup().
      let h = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
      h ^= h >>> 16;
      acc ^= entries[2 * (h & mask) + 1];
    }
    this.warmSink ^= acc;
  }

  /**
   * Finds or creates the flow of this packet and accounts the packet to it (counters,
   * flags, state, lastDir). `hash` must be the same for both directions of a flow.
   * Returns null for packets without an IP layer.
   */
  lookup(pkt: PacketView, hash: number): FlowRecord | null {
    if ((pkt.layers & LAYER_IP) === 0 || pkt.ipVersion === 0) {
      this.stats.noIp++;
      return null;
    }
    this.stats.packets++;
    const ts = pkt.tsUs;
    if (ts >= this.nextExpireUs) this.expire(ts);

    // Spread the caller's hash over the low bits we index with (cheap murmur finaliser step).
    let h = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
    h ^= h >>> 16;
    const meta = pkt.proto | (pkt.ipVersion << 8);
    const vlanKey = (pkt.vlan << 12) | pkt.vlanInner;
    const src = pkt.src4 | 0;
    const dst = pkt.dst4 | 0;
    const fwdPorts = (pkt.srcPort << 16) | pkt.dstPort;
    const revPorts = (pkt.dstPort << 16) | pkt.srcPort;
    const i32 = this.i32;
    const entries = this.index.entries;
    const mask = this.index.mask;
    for (let e = h & mask; entries[2 * e + 1] !== 0; e = (e + 1) & mask) {
      if (entries[2 * e] !== h) continue;
      const slot = entries[2 * e + 1] - 1;
      const b = slot << SLOT_I32_SHIFT;
      if (i32[b + I_META] !== meta || i32[b + I_VLAN] !== vlanKey) continue;
      let dir: DirectionValue;
      const client = i32[b + I_CLIENT];
      const server = i32[b + I_SERVER];
      const ports = i32[b + I_PORTS];
      if (client === src && server === dst && ports === fwdPorts && this.sameAddr6(slot, pkt, false)) {
        dir = 0;
      } else if (client === dst && server === src && ports === revPorts && this.sameAddr6(slot, pkt, true)) {
        dir = 1;
      } else {
        continue;
      }
      return this.hit(slot, pkt, h, dir);
    }
    return this.create(pkt, h, !FlowTable.senderIsServer(pkt), false);
  }

  /** Ends every flow whose idle timeout has passed at packet time `nowUs`. */
  expire(nowUs: number): void {
    this.nextExpireUs = nowUs + this.expireIntervalUs;
    const f64 = this.f64;
    for (let c = 0; c < NUM_CLASSES; c++) {
      const tmo = this.timeoutUs[c];
      const reason: FlowEndReason = c === C_TCP_CLOSED ? 'tcp-closed' : 'idle-timeout';
      for (let slot = this.listHead[c]; slot !== -1; slot = this.listHead[c]) {
        if (nowUs - f64[(slot << SLOT_F64_SHIFT) + F_LAST_TS] <= tmo) break;
        this.end(slot, reason);
      }
    }
  }

  /**
   * Ends every flow with reason 'shutdown', in first-seen order. O(n): the LRU lists are
   * merged by creation sequence when each is already in that order (always so for flows
   * of one packet, the flood case); otherwise the slots are sorted by it.
   */
  finish(): void {
    const order = this.slotsInCreationOrder();
    // Every flow leaves: one clear of the index instead of a random-access removal each.
    this.index.clear();
    let i = 0;
    try {
      for (; i < order.length; i++) this.end(order[i], 'shutdown', false);
    } finally {
      // A callback threw: the flows not yet ended stay in the table, so index them again.
      for (let j = i + 1; j < order.length; j++) this.index.insert(this.slotHash[order[j]], order[j]);
    }
  }

  /** Visits every flow in the table (for stats and debugging; not for the hot path). */
  forEach(fn: (flow: FlowRecord) => void): void {
    for (let c = 0; c < NUM_CLASSES; c++) {
      for (let slot = this.listHead[c]; slot !== -1; slot = this.i32[(slot << SLOT_I32_SHIFT) + I_LRU_NEXT]) fn(this.records[slot]);
    }
  }

  /** The first packet's sender is the client, except a first-seen SYN-ACK, which the server sends. */
  private static senderIsServer(pkt: PacketView): boolean {
    return pkt.proto === PROTO_TCP && (pkt.tcpFlags & SYN_ACK) === SYN_ACK;
  }

  private slotsInCreationOrder(): Int32Array {
    const i32 = this.i32;
    const f64 = this.f64;
    const order = new Int32Array(this.stats.active);
    // Is every list already sorted by creation sequence?
    let sorted = true;
    for (let c = 0; c < NUM_CLASSES && sorted; c++) {
      let prevSeq = -1;
      for (let slot = this.listHead[c]; slot !== -1; slot = i32[(slot << SLOT_I32_SHIFT) + I_LRU_NEXT]) {
        const seq = f64[(slot << SLOT_F64_SHIFT) + F_SEQ];
        if (seq < prevSeq) {
          sorted = false;
          break;
        }
        prevSeq = seq;
      }
    }
    if (sorted) {
      // k-way merge of the (at most eight) list heads.
      const cursor = Int32Array.from(this.listHead);
      for (let n = 0; n < order.length; n++) {
        let best = -1;
        let bestSeq = Infinity;
        for (let c = 0; c < NUM_CLASSES; c++) {
          const slot = cursor[c];
          if (slot !== -1 && f64[(slot << SLOT_F64_SHIFT) + F_SEQ] < bestSeq) {
            bestSeq = f64[(slot << SLOT_F64_SHIFT) + F_SEQ];
            best = c;
          }
        }
        order[n] = cursor[best];
        cursor[best] = i32[(cursor[best] << SLOT_I32_SHIFT) + I_LRU_NEXT];
      }
      return order;
    }
    let n = 0;
    for (let c = 0; c < NUM_CLASSES; c++) {
      for (let slot = this.listHead[c]; slot !== -1; slot = i32[(slot << SLOT_I32_SHIFT) + I_LRU_NEXT]) order[n++] = slot;
    }
    // Sequence numbers are unique; packing (seq, slot) into one double lets the native
    // numeric sort do the work when the product stays exact.
    const slotBits = Math.max(1, Math.ceil(Math.log2(this.maxFlows)));
    const slotScale = 2 ** slotBits;
    if (this.sequence * slotScale < Number.MAX_SAFE_INTEGER) {
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = f64[(order[i] << SLOT_F64_SHIFT) + F_SEQ] * slotScale + order[i];
      keys.sort();
      for (let i = 0; i < n; i++) order[i] = keys[i] % slotScale;
    } else {
      order.sort((a, b) => f64[(a << SLOT_F64_SHIFT) + F_SEQ] - f64[(b << SLOT_F64_SHIFT) + F_SEQ]);
    }
    return order;
  }

  private hit(slot: number, pkt: PacketView, h: number, dir: DirectionValue): FlowRecord {
    const i32 = this.i32;
    const f64 = this.f64;
    const ib = slot << SLOT_I32_SHIFT;
    const fb = slot << SLOT_F64_SHIFT;
    const ts = pkt.tsUs;
    const bits = i32[ib + I_BITS];
    const cls = (bits & CLASS_MASK) >>> CLASS_SHIFT;
    if (ts - f64[fb + F_LAST_TS] > this.timeoutUs[cls]) {
      // Expiry has not run yet, but this flow is over: the packet starts a new one.
      this.end(slot, cls === C_TCP_CLOSED ? 'tcp-closed' : 'idle-timeout');
      return this.create(pkt, h, !FlowTable.senderIsServer(pkt), false);
    }
    if (this.activeUs > 0 && ts - f64[fb + F_FIRST_TS] >= this.activeUs) {
      // Long-lived flow: report it and continue in a fresh record with the same roles.
      const established = (bits & STATE_MASK) === STATE_ESTABLISHED;
      this.end(slot, 'active-timeout');
      return this.create(pkt, h, dir === 0, established);
    }
    if ((bits & STATE_MASK) === STATE_CLOSED && (i32[ib + I_META] & 0xff) === PROTO_TCP && (pkt.tcpFlags & SYN_ACK) === SYN) {
      // Port reuse: a fresh SYN on a finished connection is a new connection.
      this.stats.tcpReused++;
      this.end(slot, 'tcp-closed');
      return this.create(pkt, h, true, false);
    }
    const newCls = this.account(slot, pkt, dir);
    if (newCls !== cls || this.listTail[newCls] !== slot) {
      this.lruUnlink(slot);
      this.lruAppend(slot, newCls);
    }
    return this.records[slot];
  }

  private create(pkt: PacketView, h: number, senderIsClient: boolean, continuesEstablished: boolean): FlowRecord {
    let slot: number;
    let rec: FlowRecord;
    if (this.freeTop === 0 && this.highWater < this.maxFlows) {
      slot = this.highWater++;
      rec = new FlowRecord(slot, this.store);
      this.records.push(rec);
    } else {
      if (this.freeTop === 0) this.evictOldestIdle();
      slot = this.freeSlots[--this.freeTop];
      rec = this.records[slot];
    }
    const i32 = this.i32;
    const f64 = this.f64;
    const ib = slot << SLOT_I32_SHIFT;
    const fb = slot << SLOT_F64_SHIFT;
    const src = pkt.src4 | 0;
    const dst = pkt.dst4 | 0;
    const proto = pkt.proto;
    const ipVersion = pkt.ipVersion;
    this.slotHash[slot] = h;
    i32[ib + I_META] = proto | (ipVersion << 8);
    i32[ib + I_VLAN] = (pkt.vlan << 12) | pkt.vlanInner;
    i32[ib + I_CLIENT] = senderIsClient ? src : dst;
    i32[ib + I_SERVER] = senderIsClient ? dst : src;
    i32[ib + I_PORTS] = senderIsClient ? (pkt.srcPort << 16) | pkt.dstPort : (pkt.dstPort << 16) | pkt.srcPort;
    this.index.insert(h, slot);

    let bits = continuesEstablished ? STATE_ESTABLISHED : STATE_NEW;
    if (proto === PROTO_TCP && (pkt.tcpFlags & SYN) !== 0) bits |= B_STARTED_WITH_HANDSHAKE;
    const buf = pkt.buf;
    if (ipVersion === 6) {
      const addr6 = this.store.addr6;
      const clientOff = senderIsClient ? pkt.src6Offset : pkt.dst6Offset;
      const serverOff = senderIsClient ? pkt.dst6Offset : pkt.src6Offset;
      const base = slot * 32;
      for (let i = 0; i < 16; i++) {
        addr6[base + i] = buf[clientOff + i];
        addr6[base + 16 + i] = buf[serverOff + i];
      }
    }
    if (pkt.macSrcOffset >= 0 && pkt.macDstOffset >= 0) {
      const c = senderIsClient ? pkt.macSrcOffset : pkt.macDstOffset;
      const v = senderIsClient ? pkt.macDstOffset : pkt.macSrcOffset;
      const words = this.store.macWords;
      const base = slot * 3;
      words[base] = (buf[c] << 24) | (buf[c + 1] << 16) | (buf[c + 2] << 8) | buf[c + 3];
      words[base + 1] = (buf[c + 4] << 24) | (buf[c + 5] << 16) | (buf[v] << 8) | buf[v + 1];
      words[base + 2] = (buf[v + 2] << 24) | (buf[v + 3] << 16) | (buf[v + 4] << 8) | buf[v + 5];
      bits |= B_HAS_MAC;
    }
    // Every field of the block is (re)initialised here, so ending a flow need not clear it.
    i32[ib + I_BITS] = bits;
    i32[ib + I_TCP_FLAGS_TS] = 0;
    i32[ib + I_TCP_FLAGS_TC] = 0;
    // I_ISN_*: meaningful only once their isnKnown bit (cleared above) is set.
    i32[ib + I_CONSUMERS_ACCEPTED] = 0;
    i32[ib + I_CONSUMERS_ACTIVE] = 0;
    f64[fb + F_FIRST_TS] = pkt.tsUs;
    f64[fb + F_LAST_TS] = pkt.tsUs;
    f64[fb + F_PKTS] = 0;
    f64[fb + F_PKTS + 1] = 0;
    f64[fb + F_BYTES] = 0;
    f64[fb + F_BYTES + 1] = 0;
    f64[fb + F_SEQ] = ++this.sequence;
    this.lruAppend(slot, this.account(slot, pkt, senderIsClient ? 0 : 1));

    const stats = this.stats;
    stats.created++;
    if (++stats.active > stats.peak) stats.peak = stats.active;
    return rec;
  }

  /** Per-packet accounting: counters, flags, handshake and state. Returns the flow's timeout class. */
  private account(slot: number, pkt: PacketView, dir: DirectionValue): number {
    const i32 = this.i32;
    const f64 = this.f64;
    const ib = slot << SLOT_I32_SHIFT;
    const fb = slot << SLOT_F64_SHIFT;
    let bits = dir === 0 ? i32[ib + I_BITS] & ~B_DIR_TO_CLIENT : i32[ib + I_BITS] | B_DIR_TO_CLIENT;
    if (pkt.tsUs > f64[fb + F_LAST_TS]) f64[fb + F_LAST_TS] = pkt.tsUs;
    // Frame bytes on the wire (Suricata counts the whole packet); capLength when the
    // source did not give the original length.
    f64[fb + F_PKTS + dir]++;
    f64[fb + F_BYTES + dir] += pkt.wireLength > 0 ? pkt.wireLength : pkt.capLength;
    const proto = i32[ib + I_META] & 0xff;
    let state = bits & STATE_MASK;
    if (proto === PROTO_TCP) {
      const f = pkt.tcpFlags;
      let toServer = i32[ib + I_TCP_FLAGS_TS];
      let toClient = i32[ib + I_TCP_FLAGS_TC];
      if (dir === 0) i32[ib + I_TCP_FLAGS_TS] = toServer |= f;
      else i32[ib + I_TCP_FLAGS_TC] = toClient |= f;
      if ((f & SYN) !== 0) {
        bits |= B_SYN;
        if ((f & ACK) !== 0 && dir === 1) bits |= B_SYN_ACK;
      } else if ((f & ACK) !== 0 && dir === 0 && (bits & B_SYN_ACK) !== 0 && (toServer & SYN) !== 0) {
        bits |= B_HANDSHAKE;
      }
      if ((f & FIN) !== 0) bits |= B_FIN;
      if ((f & RST) !== 0) bits |= B_RST;
      if (state !== STATE_CLOSED) {
        if ((bits & B_RST) !== 0 || (toServer & toClient & FIN) !== 0) {
          state = STATE_CLOSED;
        } else if (
          state === STATE_NEW &&
          ((bits & B_HANDSHAKE) !== 0 ||
            // Picked up mid-stream (no client SYN): established once both sides talked.
            ((toServer & SYN) === 0 && f64[fb + F_PKTS] > 0 && f64[fb + F_PKTS + 1] > 0))
        ) {
          state = STATE_ESTABLISHED;
        }
      }
    } else if (state === STATE_NEW && f64[fb + F_PKTS] > 0 && f64[fb + F_PKTS + 1] > 0) {
      state = STATE_ESTABLISHED;
    }
    i32[ib + I_BITS] = (bits & ~STATE_MASK) | state;
    return timeoutClass(proto, state);
  }

  private sameAddr6(slot: number, pkt: PacketView, reversed: boolean): boolean {
    if (pkt.ipVersion !== 6) return true;
    const addr6 = this.store.addr6;
    const buf = pkt.buf;
    const clientOff = reversed ? pkt.dst6Offset : pkt.src6Offset;
    const serverOff = reversed ? pkt.src6Offset : pkt.dst6Offset;
    const base = slot * 32;
    for (let i = 0; i < 16; i++) {
      if (addr6[base + i] !== buf[clientOff + i] || addr6[base + 16 + i] !== buf[serverOff + i]) return false;
    }
    return true;
  }

  /** The list whose head was idle the longest: its head is the next eviction victim. */
  private oldestClass(): number {
    const lists = this.nonEmptyLists;
    // One list in use (a flood of one kind of flow): that one, without reading its head's block.
    if ((lists & (lists - 1)) === 0) return 31 - Math.clz32(lists);
    const f64 = this.f64;
    let oldest = -1;
    let oldestTs = Infinity;
    for (let c = 0, m = lists; m !== 0; c++, m >>>= 1) {
      if ((m & 1) === 0) continue;
      const ts = f64[(this.listHead[c] << SLOT_F64_SHIFT) + F_LAST_TS];
      if (ts < oldestTs) {
        oldestTs = ts;
        oldest = c;
      }
    }
    return oldest;
  }

  private evictOldestIdle(): void {
    const victim = this.listHead[this.oldestClass()];
    // Removing a victim's index entry is a cache miss of its own (the entry sits wherever
    // its hash put it). Load the entries of the next victims together, ahead of time.
    if (--this.victimsWarm <= 0) this.warmVictims(victim);
    this.stats.evicted++;
    this.end(victim, 'evicted');
  }

  /**
   * Loads the index entries of the flows in the VICTIM_WARM slots from `first` on. In a
   * flood those are the next victims: once the table is full each new flow takes the
   * slot of the flow it evicted, so eviction order is slot order, whatever mix of LRU
   * lists the flows are in. The loads read the dense hash array sequentially and are
   * independent of one another, so their cache misses overlap; walking the LRU links
   * instead would read each victim's block one dependent miss after another. Only a hint:
   * when eviction order is not slot order the removals just miss the cache as before.
   */
  private warmVictims(first: number): void {
    const slotHash = this.slotHash;
    const entries = this.index.entries;
    const mask = this.index.mask;
    const maxFlows = this.maxFlows;
    let acc = 0;
    for (let i = 0, slot = first; i < VICTIM_WARM; i++) {
      acc ^= entries[2 * (slotHash[slot] & mask) + 1];
      if (++slot === maxFlows) slot = 0;
    }
    this.warmSink ^= acc;
    this.victimsWarm = VICTIM_WARM;
  }

  private end(slot: number, reason: FlowEndReason, indexed = true): void {
    // Unlink first so the table is consistent even if the callback throws.
    if (indexed) this.index.remove(this.slotHash[slot], slot);
    this.lruUnlink(slot);
    const stats = this.stats;
    stats.active--;
    // A named property per reason: a keyed increment with a varying string key is slow on floods.
    const ended = stats.ended;
    switch (reason) {
      case 'evicted': ended.evicted++; break;
      case 'idle-timeout': ended['idle-timeout']++; break;
      case 'shutdown': ended.shutdown++; break;
      case 'tcp-closed': ended['tcp-closed']++; break;
      case 'active-timeout': ended['active-timeout']++; break;
    }
    const rec = this.records[slot];
    try {
      if (this.onFlowEnd !== undefined) this.onFlowEnd(rec, reason);
    } finally {
      rec.release();
      this.freeSlots[this.freeTop++] = slot;
    }
  }

  private lruAppend(slot: number, cls: number): void {
    const i32 = this.i32;
    const ib = slot << SLOT_I32_SHIFT;
    i32[ib + I_BITS] = (i32[ib + I_BITS] & ~CLASS_MASK) | (cls << CLASS_SHIFT);
    const tail = this.listTail[cls];
    i32[ib + I_LRU_PREV] = tail;
    i32[ib + I_LRU_NEXT] = -1;
    if (tail === -1) {
      this.listHead[cls] = slot;
      this.nonEmptyLists |= 1 << cls;
    } else {
      i32[(tail << SLOT_I32_SHIFT) + I_LRU_NEXT] = slot;
    }
    this.listTail[cls] = slot;
  }

  private lruUnlink(slot: number): void {
    const i32 = this.i32;
    const ib = slot << SLOT_I32_SHIFT;
    const cls = (i32[ib + I_BITS] & CLASS_MASK) >>> CLASS_SHIFT;
    const prev = i32[ib + I_LRU_PREV];
    const next = i32[ib + I_LRU_NEXT];
    if (prev === -1) this.listHead[cls] = next;
    else i32[(prev << SLOT_I32_SHIFT) + I_LRU_NEXT] = next;
    if (next === -1) {
      this.listTail[cls] = prev;
      if (prev === -1) this.nonEmptyLists &= ~(1 << cls);
    } else {
      i32[(next << SLOT_I32_SHIFT) + I_LRU_PREV] = prev;
    }
  }
}
