/**
 * The bidirectional flow table.
 *
 * Layout: a fixed pool of `maxFlows` slots. Keys live in parallel typed arrays indexed by
 * slot (no object per lookup, cache-friendly compares); each slot owns one pooled
 * FlowRecord. A power-of-two bucket array chains slots by the caller's symmetric flow hash.
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
 * Memory: fixed at construction (about 100 bytes per slot of typed arrays, records created
 * on first use of a slot). When every slot is busy, the flow idle the longest (the oldest
 * of the eight list heads) is evicted through the normal end path.
 */
import type { DirectionValue, FlowEndReason } from '../events/flow.js';
import { IpProto, Layer, TcpFlag, type PacketView } from '../events/packet.js';
import { flowIdFromSequence } from './flow-id.js';
import { FlowRecord, type FlowAddressStore } from './record.js';

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

function timeoutClass(rec: FlowRecord): number {
  const state = rec.state;
  switch (rec.proto) {
    case PROTO_TCP:
      return state === 'new' ? C_TCP_NEW : state === 'established' ? C_TCP_EST : C_TCP_CLOSED;
    case PROTO_UDP:
      return state === 'new' ? C_UDP_NEW : C_UDP_EST;
    case PROTO_ICMP:
    case PROTO_ICMPV6:
      return C_ICMP;
    default:
      return state === 'new' ? C_OTHER_NEW : C_OTHER_EST;
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
  private readonly workerIndex: number;
  private readonly workerCount: number;
  private sequence = 0;

  // Hash buckets → first slot of the chain, -1 = empty.
  private readonly buckets: Int32Array;
  private readonly bucketMask: number;
  // Per-slot key and links.
  private readonly kHash: Int32Array;
  /** proto | ipVersion << 8 */
  private readonly kMeta: Int32Array;
  /** vlan << 12 | vlanInner */
  private readonly kVlan: Int32Array;
  /** client / server IPv4 (the decoder's 32-bit fold for IPv6; the full bytes are compared too) */
  private readonly kClient: Int32Array;
  private readonly kServer: Int32Array;
  /** clientPort << 16 | serverPort */
  private readonly kPorts: Int32Array;
  private readonly chainNext: Int32Array;
  private readonly lruPrev: Int32Array;
  private readonly lruNext: Int32Array;
  private readonly slotClass: Uint8Array;
  private readonly listHead = new Int32Array(NUM_CLASSES).fill(-1);
  private readonly listTail = new Int32Array(NUM_CLASSES).fill(-1);
  private readonly freeSlots: Int32Array;
  private freeTop: number;
  private readonly records: (FlowRecord | undefined)[];
  private readonly addrs: FlowAddressStore;

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
    this.workerCount = Math.max(1, Math.floor(opts.workerCount ?? 1));
    this.workerIndex = Math.floor(opts.workerIndex ?? 0);
    if (this.workerIndex < 0 || this.workerIndex >= this.workerCount) throw new RangeError('flow table: workerIndex must be in [0, workerCount)');

    let nBuckets = 1;
    while (nBuckets < maxFlows) nBuckets <<= 1;
    this.buckets = new Int32Array(nBuckets).fill(-1);
    this.bucketMask = nBuckets - 1;
    this.kHash = new Int32Array(maxFlows);
    this.kMeta = new Int32Array(maxFlows);
    this.kVlan = new Int32Array(maxFlows);
    this.kClient = new Int32Array(maxFlows);
    this.kServer = new Int32Array(maxFlows);
    this.kPorts = new Int32Array(maxFlows);
    this.chainNext = new Int32Array(maxFlows);
    this.lruPrev = new Int32Array(maxFlows);
    this.lruNext = new Int32Array(maxFlows);
    this.slotClass = new Uint8Array(maxFlows);
    this.freeSlots = new Int32Array(maxFlows);
    // Pop order 0, 1, 2 … keeps the slots in use dense while the table is small.
    for (let i = 0; i < maxFlows; i++) this.freeSlots[i] = maxFlows - 1 - i;
    this.freeTop = maxFlows;
    this.records = new Array<FlowRecord | undefined>(maxFlows);
    this.addrs = { addr6: new Uint8Array(maxFlows * 32), macs: new Uint8Array(maxFlows * 12) };
  }

  /** Flows in the table now. */
  get size(): number {
    return this.stats.active;
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
    const kHash = this.kHash;
    for (let slot = this.buckets[h & this.bucketMask]; slot !== -1; slot = this.chainNext[slot]) {
      if (kHash[slot] !== h || this.kMeta[slot] !== meta || this.kVlan[slot] !== vlanKey) continue;
      let dir: DirectionValue;
      if (this.kClient[slot] === src && this.kServer[slot] === dst && this.kPorts[slot] === fwdPorts && this.sameAddr6(slot, pkt, false)) {
        dir = 0;
      } else if (this.kClient[slot] === dst && this.kServer[slot] === src && this.kPorts[slot] === revPorts && this.sameAddr6(slot, pkt, true)) {
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
    for (let c = 0; c < NUM_CLASSES; c++) {
      const tmo = this.timeoutUs[c];
      const reason: FlowEndReason = c === C_TCP_CLOSED ? 'tcp-closed' : 'idle-timeout';
      for (let slot = this.listHead[c]; slot !== -1; slot = this.listHead[c]) {
        if (nowUs - this.records[slot]!.lastTsUs <= tmo) break;
        this.end(slot, reason);
      }
    }
  }

  /** Ends every flow with reason 'shutdown', in first-seen order. */
  finish(): void {
    const slots: number[] = [];
    for (let c = 0; c < NUM_CLASSES; c++) {
      for (let slot = this.listHead[c]; slot !== -1; slot = this.lruNext[slot]) slots.push(slot);
    }
    const recs = this.records;
    slots.sort((a, b) => recs[a]!.createSeq - recs[b]!.createSeq);
    for (const slot of slots) this.end(slot, 'shutdown');
  }

  /** Visits every flow in the table (for stats and debugging; not for the hot path). */
  forEach(fn: (flow: FlowRecord) => void): void {
    for (let c = 0; c < NUM_CLASSES; c++) {
      for (let slot = this.listHead[c]; slot !== -1; slot = this.lruNext[slot]) fn(this.records[slot]!);
    }
  }

  /** The first packet's sender is the client, except a first-seen SYN-ACK, which the server sends. */
  private static senderIsServer(pkt: PacketView): boolean {
    return pkt.proto === PROTO_TCP && (pkt.tcpFlags & SYN_ACK) === SYN_ACK;
  }

  private hit(slot: number, pkt: PacketView, h: number, dir: DirectionValue): FlowRecord {
    const rec = this.records[slot]!;
    const ts = pkt.tsUs;
    if (ts - rec.lastTsUs > this.timeoutUs[this.slotClass[slot]]) {
      // Expiry has not run yet, but this flow is over: the packet starts a new one.
      this.end(slot, this.slotClass[slot] === C_TCP_CLOSED ? 'tcp-closed' : 'idle-timeout');
      return this.create(pkt, h, !FlowTable.senderIsServer(pkt), false);
    }
    if (this.activeUs > 0 && ts - rec.firstTsUs >= this.activeUs) {
      // Long-lived flow: report it and continue in a fresh record with the same roles.
      const established = rec.state === 'established';
      this.end(slot, 'active-timeout');
      return this.create(pkt, h, dir === 0, established);
    }
    if (rec.state === 'closed' && rec.proto === PROTO_TCP && (pkt.tcpFlags & SYN_ACK) === SYN) {
      // Port reuse: a fresh SYN on a finished connection is a new connection.
      this.stats.tcpReused++;
      this.end(slot, 'tcp-closed');
      return this.create(pkt, h, true, false);
    }
    this.account(rec, pkt, dir);
    const cls = timeoutClass(rec);
    if (cls !== this.slotClass[slot] || this.listTail[cls] !== slot) {
      this.lruUnlink(slot);
      this.lruAppend(slot, cls);
    }
    return rec;
  }

  private create(pkt: PacketView, h: number, senderIsClient: boolean, continuesEstablished: boolean): FlowRecord {
    if (this.freeTop === 0) this.evictOldestIdle();
    const slot = this.freeSlots[--this.freeTop];
    let rec = this.records[slot];
    if (rec === undefined) {
      rec = new FlowRecord(slot, this.addrs);
      this.records[slot] = rec;
    }
    const src = pkt.src4 | 0;
    const dst = pkt.dst4 | 0;
    this.kHash[slot] = h;
    this.kMeta[slot] = pkt.proto | (pkt.ipVersion << 8);
    this.kVlan[slot] = (pkt.vlan << 12) | pkt.vlanInner;
    this.kClient[slot] = senderIsClient ? src : dst;
    this.kServer[slot] = senderIsClient ? dst : src;
    this.kPorts[slot] = senderIsClient ? (pkt.srcPort << 16) | pkt.dstPort : (pkt.dstPort << 16) | pkt.srcPort;
    const bucket = h & this.bucketMask;
    this.chainNext[slot] = this.buckets[bucket];
    this.buckets[bucket] = slot;

    rec.proto = pkt.proto;
    rec.ipVersion = pkt.ipVersion;
    rec.vlan = pkt.vlan;
    rec.vlanInner = pkt.vlanInner;
    rec.client4 = pkt.ipVersion === 4 ? (senderIsClient ? pkt.src4 : pkt.dst4) >>> 0 : 0;
    rec.server4 = pkt.ipVersion === 4 ? (senderIsClient ? pkt.dst4 : pkt.src4) >>> 0 : 0;
    rec.clientPort = senderIsClient ? pkt.srcPort : pkt.dstPort;
    rec.serverPort = senderIsClient ? pkt.dstPort : pkt.srcPort;
    const buf = pkt.buf;
    if (pkt.ipVersion === 6) {
      const addr6 = this.addrs.addr6;
      const clientOff = senderIsClient ? pkt.src6Offset : pkt.dst6Offset;
      const serverOff = senderIsClient ? pkt.dst6Offset : pkt.src6Offset;
      const base = slot * 32;
      for (let i = 0; i < 16; i++) {
        addr6[base + i] = buf[clientOff + i];
        addr6[base + 16 + i] = buf[serverOff + i];
      }
    }
    if (pkt.macSrcOffset >= 0 && pkt.macDstOffset >= 0) {
      const macs = this.addrs.macs;
      const clientOff = senderIsClient ? pkt.macSrcOffset : pkt.macDstOffset;
      const serverOff = senderIsClient ? pkt.macDstOffset : pkt.macSrcOffset;
      const base = slot * 12;
      for (let i = 0; i < 6; i++) {
        macs[base + i] = buf[clientOff + i];
        macs[base + 6 + i] = buf[serverOff + i];
      }
      rec.hasMac = true;
    }
    this.sequence++;
    rec.id = flowIdFromSequence(this.sequence * this.workerCount + this.workerIndex);
    rec.createSeq = this.sequence;
    rec.firstTsUs = pkt.tsUs;
    rec.lastTsUs = pkt.tsUs;
    rec.startedWithHandshake = pkt.proto === PROTO_TCP && (pkt.tcpFlags & SYN) !== 0;
    if (continuesEstablished) rec.state = 'established';
    this.account(rec, pkt, senderIsClient ? 0 : 1);
    this.lruAppend(slot, timeoutClass(rec));

    const stats = this.stats;
    stats.created++;
    if (++stats.active > stats.peak) stats.peak = stats.active;
    return rec;
  }

  /** Per-packet accounting: counters, flags, handshake and state. */
  private account(rec: FlowRecord, pkt: PacketView, dir: DirectionValue): void {
    rec.lastDir = dir;
    if (pkt.tsUs > rec.lastTsUs) rec.lastTsUs = pkt.tsUs;
    // Frame bytes on the wire (Suricata counts the whole packet); capLength when the
    // source did not give the original length.
    const bytes = pkt.wireLength > 0 ? pkt.wireLength : pkt.capLength;
    if (dir === 0) {
      rec.pktsToServer++;
      rec.bytesToServer += bytes;
    } else {
      rec.pktsToClient++;
      rec.bytesToClient += bytes;
    }
    if (rec.proto === PROTO_TCP) {
      const f = pkt.tcpFlags;
      if (dir === 0) rec.tcpFlagsToServer |= f;
      else rec.tcpFlagsToClient |= f;
      if ((f & SYN) !== 0) {
        rec.synSeen = true;
        if ((f & ACK) !== 0 && dir === 1) rec.synAckSeen = true;
      } else if ((f & ACK) !== 0 && dir === 0 && rec.synAckSeen && (rec.tcpFlagsToServer & SYN) !== 0) {
        rec.handshakeSeen = true;
      }
      if ((f & FIN) !== 0) rec.finSeen = true;
      if ((f & RST) !== 0) rec.rstSeen = true;
      if (rec.state !== 'closed') {
        if (rec.rstSeen || (rec.tcpFlagsToServer & rec.tcpFlagsToClient & FIN) !== 0) {
          rec.state = 'closed';
        } else if (
          rec.state === 'new' &&
          (rec.handshakeSeen ||
            // Picked up mid-stream (no client SYN): established once both sides talked.
            ((rec.tcpFlagsToServer & SYN) === 0 && rec.pktsToServer > 0 && rec.pktsToClient > 0))
        ) {
          rec.state = 'established';
        }
      }
    } else if (rec.state === 'new' && rec.pktsToServer > 0 && rec.pktsToClient > 0) {
      rec.state = 'established';
    }
  }

  private sameAddr6(slot: number, pkt: PacketView, reversed: boolean): boolean {
    if (pkt.ipVersion !== 6) return true;
    const addr6 = this.addrs.addr6;
    const buf = pkt.buf;
    const clientOff = reversed ? pkt.dst6Offset : pkt.src6Offset;
    const serverOff = reversed ? pkt.src6Offset : pkt.dst6Offset;
    const base = slot * 32;
    for (let i = 0; i < 16; i++) {
      if (addr6[base + i] !== buf[clientOff + i] || addr6[base + 16 + i] !== buf[serverOff + i]) return false;
    }
    return true;
  }

  private evictOldestIdle(): void {
    let oldest = -1;
    let oldestTs = Infinity;
    for (let c = 0; c < NUM_CLASSES; c++) {
      const head = this.listHead[c];
      if (head !== -1 && this.records[head]!.lastTsUs < oldestTs) {
        oldestTs = this.records[head]!.lastTsUs;
        oldest = head;
      }
    }
    this.stats.evicted++;
    this.end(oldest, 'evicted');
  }

  private end(slot: number, reason: FlowEndReason): void {
    // Unlink first so the table is consistent even if the callback throws.
    const bucket = this.kHash[slot] & this.bucketMask;
    let prev = -1;
    for (let s = this.buckets[bucket]; s !== -1; s = this.chainNext[s]) {
      if (s === slot) {
        if (prev === -1) this.buckets[bucket] = this.chainNext[s];
        else this.chainNext[prev] = this.chainNext[s];
        break;
      }
      prev = s;
    }
    this.lruUnlink(slot);
    this.stats.active--;
    this.stats.ended[reason]++;
    const rec = this.records[slot]!;
    try {
      this.onFlowEnd?.(rec, reason);
    } finally {
      rec.reset();
      this.freeSlots[this.freeTop++] = slot;
    }
  }

  private lruAppend(slot: number, cls: number): void {
    this.slotClass[slot] = cls;
    const tail = this.listTail[cls];
    this.lruPrev[slot] = tail;
    this.lruNext[slot] = -1;
    if (tail === -1) this.listHead[cls] = slot;
    else this.lruNext[tail] = slot;
    this.listTail[cls] = slot;
  }

  private lruUnlink(slot: number): void {
    const cls = this.slotClass[slot];
    const prev = this.lruPrev[slot];
    const next = this.lruNext[slot];
    if (prev === -1) this.listHead[cls] = next;
    else this.lruNext[prev] = next;
    if (next === -1) this.listTail[cls] = prev;
    else this.lruPrev[next] = prev;
  }
}
