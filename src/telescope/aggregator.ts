/**
 * The telescope's hot path: one aggregator per worker reads every frame, keeps the packets
 * to the darknet whose source hashes to its partition, and counts them into typed arrays —
 * per-source state (kinds, fingerprint matches, filters, first/last, ports), per-port and
 * per-protocol counters, per-interval unique counters, backscatter victims. No object per
 * packet; objects appear only per new source (geo lookup) and at finish().
 */
import type { FrameBatch } from '../capture/source.js';
import { PacketDecoder } from '../decode/decoder.js';
import {
  cidrContainsIpv6, ip4ToString, ip6ToString, isPrivateOrReservedIpv4, isPrivateOrReservedIpv6, type Cidr,
} from '../decode/address.js';
import { icmpQuotedOffset } from '../decode/icmp.js';
import { createPacketView, type PacketView } from '../events/packet.js';
import { eveTimestamp, protoName, type AlertEvent } from '../events/eve.js';
import { mix32, UniqueCounter } from './unique.js';
import { growArray, U32Index } from './index-table.js';
import {
  FP_MASSCAN, FP_MASSCAN_SHAPE, FP_MIRAI, FP_NMAP, FP_ZMAP, H_BAD_FLAGS, H_FRAGMENT, H_PORT_ZERO, H_SRC_EQ_DST, H_SRC_NET_BCAST,
  HYGIENE_COUNT, HYGIENE_NAMES, isResponseKind, K_ICMP_ERROR, K_OTHER, K_SYN, KIND_COUNT, KIND_NAMES, hygieneReason, packetKind, synFingerprint,
} from './fingerprint.js';
import { classifySource, M_MASSCAN, M_MASSCAN_SHAPE, M_MIRAI, M_NMAP, M_ZMAP, MATCH_COUNT, type SourceEvidence } from './classify.js';
import {
  bigCounter, isDosAttack, PROTO_ICMP_BASE, PROTO_SLOTS, protocolsToRecord, smallCounter, TelescopeState,
  type IntervalState, type SourceRow, type VictimRow,
} from './state.js';
import type { GeoLookup } from './geo.js';
import type { WatchList } from './watch.js';

export interface AggregatorOptions {
  darknets: Cidr[];
  /** CIDR texts as given (recorded in the output). */
  darknetText: string[];
  intervalUs: number;
  workerIndex?: number;
  workerCount?: number;
  geo?: GeoLookup | null;
  watch?: WatchList | null;
  /** Internal-darknet mode: the ranges are unused space inside a network; every source is alerted. */
  internal?: boolean;
  /** Sources tracked individually at most (beyond: counted in sketches only, "spilled"). */
  maxSources?: number;
  /** Per-source rows kept in the output. */
  maxSourceRows?: number;
  sensor?: string;
}

// per-source flag bits
const F_V6 = 1;
const F_BOGON = 2;
const F_SPORT_VARIES = 4;
const F_BURST = 8;

const P_TCP_SYN = 0;
const P_TCP_SYNACK = 1;
const P_TCP_RST = 2;
const P_TCP_OTHER = 3;
const P_UDP = 4;
const P_ICMPV6 = 5;
const P_OTHER = 6;
const P_FRAGMENT = 7;
/** kind → protocol counter slot (ICMP(v4) goes by type instead) */
const KIND_PROTO = Int32Array.of(P_TCP_SYN, P_TCP_SYNACK, P_TCP_RST, P_TCP_OTHER, P_UDP, P_UDP, -1, -1, -1, P_OTHER);

/** One-packet sources sharing a header fingerprint within this window form a burst candidate group. */
const BURST_BUCKET_US = 600e6;
/** Sources needed (across all workers) for a burst: one-packet sources with one fingerprint by chance stay far below. */
export const BURST_MIN_SOURCES = 32;
const MAX_COUNTRIES = 512;
const MAX_WATCHED_PORTS = 64;
const DST_BITMAP_MAX = 1 << 21;
const MAX_VICTIMS = 1 << 20;

interface IntervalAcc {
  state: IntervalState;
  protocols: Float64Array;
  countries: Float64Array;
}

export class TelescopeAggregator {
  readonly decoder = new PacketDecoder({ reassembleFragments: false });
  /** Frames read (all, for progress). */
  framesSeen = 0;
  private readonly pkt: PacketView = createPacketView();
  private readonly workerIndex: number;
  private readonly workerCount: number;
  private readonly intervalUs: number;
  private readonly geo: GeoLookup | null;
  private readonly watch: WatchList | null;
  private readonly internal: boolean;
  private readonly maxSources: number;
  private readonly maxSourceRows: number;

  // darknets
  private readonly dnBase: Uint32Array;
  private readonly dnMask: Uint32Array;
  private readonly dnOffset: Float64Array;
  private readonly dark6: Cidr[];
  private readonly dstSeen: Float64Array | null;

  // totals
  private packets = 0;
  private bytes = 0;
  private firstUs = Infinity;
  private lastUs = -Infinity;
  private ignoredNotDarknet = 0;
  private ignoredNonIp = 0;
  private spilledPackets = 0;
  private readonly protocols = new Float64Array(PROTO_SLOTS);
  private readonly hygiene = new Float64Array(HYGIENE_COUNT);
  private readonly sources = bigCounter();
  private readonly src24 = bigCounter();
  private readonly destinations = bigCounter();
  private readonly portPackets = new Float64Array(131072);
  private readonly portSources: (UniqueCounter | undefined)[] = new Array<UniqueCounter | undefined>(131072);

  // intervals
  private readonly intervals = new Map<number, IntervalAcc>();
  private cur: IntervalAcc | null = null;
  private curIv = NaN;
  private readonly ivPortAcc = new Float64Array(131072);
  private readonly ivPortTouched = new Int32Array(131072);
  private ivPortN = 0;

  // countries
  private readonly countryIndex = new Map<string, number>();
  private readonly countryNames: string[] = [];

  // per-source state (structure of arrays, slot = index)
  private readonly idx4 = new U32Index(1 << 14);
  private readonly idx6 = new U32Index(16);
  private nSources = 0;
  private cap = 0;
  private sKey = new Uint32Array(0);
  private sFlags = new Uint8Array(0);
  private sPackets = new Float64Array(0);
  private sBytes = new Float64Array(0);
  private sFirst = new Float64Array(0);
  private sLast = new Float64Array(0);
  private sLastIv = new Float64Array(0);
  private sLastCleanIv = new Float64Array(0);
  private sClean = new Uint32Array(0);
  private sHard = new Uint32Array(0);
  private sHighTtl = new Uint32Array(0);
  private sKinds = new Uint32Array(0);
  private sMatches = new Uint32Array(0);
  private sFirstSport = new Int32Array(0);
  private sLastPort = new Int32Array(0);
  private sPortChanges = new Uint32Array(0);
  private sPortCand = new Int32Array(0);
  private sPortVotes = new Int32Array(0);
  private sCountry = new Uint16Array(0);
  private sAsn = new Uint32Array(0);
  private sWatch = new Int16Array(0);
  private sFirstTtl = new Uint8Array(0);
  private sFirstWin = new Uint16Array(0);
  private sFirstDport = new Int32Array(0);
  private sFirstFlags = new Uint8Array(0);
  private sFirstProto = new Uint8Array(0);
  private sFirstReply = new Uint8Array(0);
  private readonly v6Text = new Map<number, string>();
  private readonly watchedPorts = new Map<number, Set<number>>();

  // backscatter victims
  private readonly vIndex = new U32Index(1 << 10);
  private nVictims = 0;
  private vCap = 0;
  private vKey = new Uint32Array(0);
  private vPackets = new Float64Array(0);
  private vFirst = new Float64Array(0);
  private vLast = new Float64Array(0);
  private vPortCand = new Int32Array(0);
  private vPortVotes = new Int32Array(0);
  private vMinute = new Float64Array(0);
  private vMinuteCount = new Uint32Array(0);
  private vMaxPpm = new Uint32Array(0);
  private vKinds = new Uint16Array(0);
  private victimsDropped = 0;

  constructor(readonly opts: AggregatorOptions) {
    this.workerIndex = opts.workerIndex ?? 0;
    this.workerCount = Math.max(1, opts.workerCount ?? 1);
    this.intervalUs = opts.intervalUs;
    this.geo = opts.geo ?? null;
    this.watch = opts.watch ?? null;
    this.internal = opts.internal === true;
    this.maxSources = opts.maxSources ?? 4_000_000;
    this.maxSourceRows = opts.maxSourceRows ?? 100_000;
    const v4 = opts.darknets.filter((c) => c.version === 4);
    this.dark6 = opts.darknets.filter((c) => c.version === 6);
    this.dnBase = Uint32Array.from(v4, (c) => c.v4);
    this.dnMask = Uint32Array.from(v4, (c) => c.mask4);
    this.dnOffset = new Float64Array(v4.length + 1);
    for (let i = 0; i < v4.length; i++) this.dnOffset[i + 1] = this.dnOffset[i] + 2 ** (32 - v4[i].prefix);
    const total = this.dnOffset[v4.length];
    this.dstSeen = total <= DST_BITMAP_MAX ? new Float64Array(total).fill(-1) : null;
    this.growSources(1 << 14);
  }

  /** Darknet packets counted by this aggregator (its partition). */
  get darknetPackets(): number {
    return this.packets;
  }

  processBatch(b: FrameBatch): void {
    const pkt = this.pkt;
    const dec = this.decoder;
    const n = b.count;
    const wc = this.workerCount;
    const wi = this.workerIndex;
    const nDark4 = this.dnBase.length;
    const base = this.dnBase;
    const mask = this.dnMask;
    for (let i = 0; i < n; i++) {
      dec.decode(pkt, b.buf, b.offsets[i], b.capLens[i], b.wireLens[i], b.tsUs[i], b.linkTypes[i], b.ifIndexes[i]);
      const v = pkt.ipVersion;
      let dstIdx = -1;
      if (v === 4) {
        const d = pkt.dst4;
        for (let k = 0; k < nDark4; k++) {
          if (((d & mask[k]) >>> 0) === base[k]) { dstIdx = this.dnOffset[k] + (d - base[k]); break; }
        }
      } else if (v === 6) {
        for (let k = 0; k < this.dark6.length; k++) if (cidrContainsIpv6(this.dark6[k], pkt.buf, pkt.dst6Offset)) { dstIdx = -2; break; }
      }
      if (dstIdx === -1) {
        if (wi === 0) {
          if (v === 0) this.ignoredNonIp++;
          else this.ignoredNotDarknet++;
        }
        continue;
      }
      if (wc > 1 && mix32(pkt.src4) % wc !== wi) continue;
      this.onDarknetPacket(pkt, dstIdx);
    }
    this.framesSeen += n;
  }

  private onDarknetPacket(pkt: PacketView, dstIdx: number): void {
    const ts = pkt.tsUs;
    const wire = pkt.wireLength;
    this.packets++;
    this.bytes += wire;
    if (ts < this.firstUs) this.firstUs = ts;
    if (ts > this.lastUs) this.lastUs = ts;
    const iv = Math.floor(ts / this.intervalUs);
    if (iv !== this.curIv) this.switchInterval(iv);
    const cur = this.cur!;
    const ivs = cur.state;
    ivs.packets++;
    ivs.bytes += wire;

    const kind = packetKind(pkt);
    const proto = pkt.proto;
    let pslot: number;
    if (pkt.isFragment) pslot = P_FRAGMENT;
    else if (proto === 1 && pkt.icmpType >= 0) pslot = PROTO_ICMP_BASE + pkt.icmpType;
    else if (proto === 58) pslot = P_ICMPV6;
    else pslot = KIND_PROTO[kind] >= 0 ? KIND_PROTO[kind] : P_OTHER;
    this.protocols[pslot]++;
    cur.protocols[pslot]++;

    let pkey = -1;
    if ((proto === 6 || proto === 17) && !pkt.isFragment && (pkt.layers & 8) !== 0) {
      pkey = (proto === 17 ? 65536 : 0) + pkt.dstPort;
      this.portPackets[pkey]++;
      if (this.ivPortAcc[pkey]++ === 0) this.ivPortTouched[this.ivPortN++] = pkey;
    }

    const dst = pkt.dst4;
    const seen = this.dstSeen;
    if (dstIdx >= 0 && seen !== null) {
      const s = seen[dstIdx];
      if (s !== iv) {
        if (s === -1) this.destinations.add(dst);
        seen[dstIdx] = iv;
        ivs.destinations.add(dst);
      }
    } else {
      this.destinations.add(dst);
      ivs.destinations.add(dst);
    }

    const fp = kind === K_SYN ? synFingerprint(pkt) : 0;
    const src = pkt.src4;
    const v6 = pkt.ipVersion === 6;
    let slot = v6 ? this.idx6.get(src) : this.idx4.get(src);
    if (slot < 0) slot = this.addSource(pkt, kind);
    const hyg = hygieneReason(pkt, kind, fp, slot >= 0 ? (this.sFlags[slot] & F_BOGON) !== 0 : false);
    this.hygiene[hyg]++;
    if (slot < 0) {
      // source table full: the source still counts in every sketch, but is not classified
      this.spilledPackets++;
      this.sources.add(src);
      ivs.sources.add(src);
      if (!v6) { this.src24.add(src >>> 8); ivs.src24.add(src >>> 8); }
      if (hyg === 0) ivs.filteredSources.add(src);
      return;
    }
    if (this.sLastIv[slot] !== iv) {
      this.sLastIv[slot] = iv;
      ivs.sources.add(src);
      if (!v6) ivs.src24.add(src >>> 8);
    }
    if (hyg === 0) {
      this.sClean[slot]++;
      if (this.sLastCleanIv[slot] !== iv) {
        this.sLastCleanIv[slot] = iv;
        ivs.filteredSources.add(src);
      }
    } else if (hyg === H_SRC_NET_BCAST || hyg === H_SRC_EQ_DST || hyg === H_PORT_ZERO || hyg === H_FRAGMENT || hyg === H_BAD_FLAGS) this.sHard[slot]++;
    // probes sent with TTL near 255 (counted even when a fingerprint exempts them from the filter;
    // the classifier decides whether the fingerprint is corroborated)
    if (pkt.ttl >= 200 && !isResponseKind(kind)) this.sHighTtl[slot]++;
    this.sPackets[slot]++;
    this.sBytes[slot] += wire;
    if (ts > this.sLast[slot]) this.sLast[slot] = ts;
    if (ts < this.sFirst[slot]) this.sFirst[slot] = ts;
    this.sKinds[slot * KIND_COUNT + kind]++;
    cur.countries[this.sCountry[slot]]++;
    if (kind === K_SYN) {
      if (fp !== 0) {
        const mb = slot * MATCH_COUNT;
        if ((fp & FP_MIRAI) !== 0) this.sMatches[mb + M_MIRAI]++;
        if ((fp & FP_MASSCAN) !== 0) this.sMatches[mb + M_MASSCAN]++;
        if ((fp & FP_MASSCAN_SHAPE) !== 0) this.sMatches[mb + M_MASSCAN_SHAPE]++;
        if ((fp & FP_ZMAP) !== 0) this.sMatches[mb + M_ZMAP]++;
        if ((fp & FP_NMAP) !== 0) this.sMatches[mb + M_NMAP]++;
      }
      const sp = this.sFirstSport[slot];
      if (sp === -1) this.sFirstSport[slot] = pkt.srcPort;
      else if (sp !== pkt.srcPort) this.sFlags[slot] |= F_SPORT_VARIES;
    }
    if (pkey >= 0) {
      const dport = pkt.dstPort;
      if (this.sLastPort[slot] !== pkey) {
        this.sLastPort[slot] = pkey;
        this.sPortChanges[slot]++;
        let u = this.portSources[pkey];
        if (u === undefined) this.portSources[pkey] = u = smallCounter();
        u.add(src);
      }
      if (this.sPortCand[slot] === dport) this.sPortVotes[slot]++;
      else if (this.sPortVotes[slot] === 0) { this.sPortCand[slot] = dport; this.sPortVotes[slot] = 1; }
      else this.sPortVotes[slot]--;
      if (this.sWatch[slot] >= 0) {
        const set = this.watchedPorts.get(slot);
        if (set !== undefined && set.size < MAX_WATCHED_PORTS) set.add(dport);
      }
    }
    if (isResponseKind(kind) && !v6) this.onBackscatter(pkt, kind, ts);
  }

  private onBackscatter(pkt: PacketView, kind: number, ts: number): void {
    let victim = pkt.src4;
    let port = pkt.proto === 6 || pkt.proto === 17 ? pkt.srcPort : 0;
    if (kind === K_ICMP_ERROR) {
      // the error quotes the (spoofed) packet that provoked it: its destination is the victim
      const q = icmpQuotedOffset(pkt);
      if (q < 0) return;
      const buf = pkt.buf;
      victim = ((buf[q + 16] << 24) | (buf[q + 17] << 16) | (buf[q + 18] << 8) | buf[q + 19]) >>> 0;
      const ihl = (buf[q] & 15) * 4;
      const end = pkt.payloadOffset + pkt.payloadLength;
      const qp = buf[q + 9];
      port = (qp === 6 || qp === 17) && q + ihl + 4 <= end ? (buf[q + ihl + 2] << 8) | buf[q + ihl + 3] : 0;
    }
    let v = this.vIndex.get(victim);
    if (v < 0) {
      if (this.nVictims >= MAX_VICTIMS) { this.victimsDropped++; return; }
      if (this.nVictims >= this.vCap) this.growVictims(this.vCap * 2);
      v = this.nVictims++;
      this.vIndex.insert(victim, v);
      this.vKey[v] = victim;
      this.vFirst[v] = ts;
      this.vLast[v] = ts;
      this.vPortCand[v] = port;
      this.vMinute[v] = Math.floor(ts / 60e6);
    }
    this.vPackets[v]++;
    if (ts > this.vLast[v]) this.vLast[v] = ts;
    if (ts < this.vFirst[v]) this.vFirst[v] = ts;
    if (this.vPortCand[v] === port) this.vPortVotes[v]++;
    else if (this.vPortVotes[v] === 0) { this.vPortCand[v] = port; this.vPortVotes[v] = 1; }
    else this.vPortVotes[v]--;
    const minute = Math.floor(ts / 60e6);
    if (minute === this.vMinute[v]) this.vMinuteCount[v]++;
    else { this.vMinute[v] = minute; this.vMinuteCount[v] = 1; }
    if (this.vMinuteCount[v] > this.vMaxPpm[v]) this.vMaxPpm[v] = this.vMinuteCount[v];
    this.vKinds[v] |= 1 << kind;
  }

  private addSource(pkt: PacketView, kind: number): number {
    if (this.nSources >= this.maxSources) return -1;
    if (this.nSources >= this.cap) this.growSources(Math.min(this.maxSources, this.cap * 2));
    const slot = this.nSources++;
    const key = pkt.src4;
    const v6 = pkt.ipVersion === 6;
    if (v6) this.idx6.insert(key, slot); else this.idx4.insert(key, slot);
    this.sKey[slot] = key;
    const ts = pkt.tsUs;
    this.sFirst[slot] = ts;
    this.sLast[slot] = ts;
    this.sFirstTtl[slot] = pkt.ttl;
    this.sFirstWin[slot] = pkt.window;
    this.sFirstDport[slot] = pkt.proto === 6 || pkt.proto === 17 ? pkt.dstPort : pkt.icmpType;
    this.sFirstFlags[slot] = pkt.tcpFlags;
    this.sFirstProto[slot] = kind === K_OTHER ? 0 : pkt.proto;
    this.sFirstReply[slot] = isResponseKind(kind) ? 1 : 0;
    let flags = v6 ? F_V6 : 0;
    const bogon = v6 ? isPrivateOrReservedIpv6(pkt.buf, pkt.src6Offset) : isPrivateOrReservedIpv4(key);
    // inside a network, the sources of an internal darknet are private addresses by design
    if (bogon && !this.internal) flags |= F_BOGON;
    this.sFlags[slot] = flags;
    this.sources.add(key);
    if (!v6) this.src24.add(key >>> 8);
    const text = v6 ? ip6ToString(pkt.buf, pkt.src6Offset) : null;
    if (text !== null) this.v6Text.set(slot, text);
    if (this.geo !== null) {
      const ipText = text ?? ip4ToString(key);
      this.sCountry[slot] = this.countryIdx(this.geo.country(ipText));
      this.sAsn[slot] = !v6 && this.geo.asn !== null ? this.geo.asn.lookup(key) : 0;
    } else {
      this.sCountry[slot] = this.countryIdx('??');
    }
    let w = -1;
    if (this.internal) w = 0;
    else if (this.watch !== null) w = v6 ? this.watch.matchIpv6(pkt.buf, pkt.src6Offset) : this.watch.matchIpv4(key);
    this.sWatch[slot] = w;
    if (w >= 0) this.watchedPorts.set(slot, new Set());
    return slot;
  }

  private countryIdx(cc: string): number {
    let i = this.countryIndex.get(cc);
    if (i === undefined) {
      i = Math.min(this.countryNames.length, MAX_COUNTRIES - 1);
      if (this.countryNames.length < MAX_COUNTRIES) {
        this.countryNames.push(cc);
        this.countryIndex.set(cc, i);
      }
    }
    return i;
  }

  private switchInterval(iv: number): void {
    this.flushIntervalPorts();
    let acc = this.intervals.get(iv);
    if (acc === undefined) {
      const state: IntervalState = {
        start: iv * this.intervalUs, packets: 0, bytes: 0, sources: bigCounter(), src24: bigCounter(), destinations: bigCounter(),
        filteredSources: bigCounter(), burstSources: 0, protocols: {}, ports: new Map(), countries: new Map(),
      };
      acc = { state, protocols: new Float64Array(PROTO_SLOTS), countries: new Float64Array(MAX_COUNTRIES) };
      this.intervals.set(iv, acc);
    }
    this.cur = acc;
    this.curIv = iv;
  }

  private flushIntervalPorts(): void {
    if (this.cur === null) return;
    const ports = this.cur.state.ports;
    const acc = this.ivPortAcc;
    for (let i = 0; i < this.ivPortN; i++) {
      const k = this.ivPortTouched[i];
      ports.set(k, (ports.get(k) ?? 0) + acc[k]);
      acc[k] = 0;
    }
    this.ivPortN = 0;
  }

  private growSources(n: number): void {
    this.sKey = growArray(this.sKey, n);
    this.sFlags = growArray(this.sFlags, n);
    this.sPackets = growArray(this.sPackets, n);
    this.sBytes = growArray(this.sBytes, n);
    this.sFirst = growArray(this.sFirst, n);
    this.sLast = growArray(this.sLast, n);
    this.sLastIv = growArray(this.sLastIv, n, NaN);
    this.sLastCleanIv = growArray(this.sLastCleanIv, n, NaN);
    this.sClean = growArray(this.sClean, n);
    this.sHard = growArray(this.sHard, n);
    this.sHighTtl = growArray(this.sHighTtl, n);
    this.sKinds = growArray(this.sKinds, n * KIND_COUNT);
    this.sMatches = growArray(this.sMatches, n * MATCH_COUNT);
    this.sFirstSport = growArray(this.sFirstSport, n, -1);
    this.sLastPort = growArray(this.sLastPort, n, -1);
    this.sPortChanges = growArray(this.sPortChanges, n);
    this.sPortCand = growArray(this.sPortCand, n, -1);
    this.sPortVotes = growArray(this.sPortVotes, n);
    this.sCountry = growArray(this.sCountry, n);
    this.sAsn = growArray(this.sAsn, n);
    this.sWatch = growArray(this.sWatch, n, -1);
    this.sFirstTtl = growArray(this.sFirstTtl, n);
    this.sFirstWin = growArray(this.sFirstWin, n);
    this.sFirstDport = growArray(this.sFirstDport, n);
    this.sFirstFlags = growArray(this.sFirstFlags, n);
    this.sFirstProto = growArray(this.sFirstProto, n);
    this.sFirstReply = growArray(this.sFirstReply, n);
    this.cap = n;
  }

  private growVictims(n: number): void {
    n = Math.max(n, 1024);
    this.vKey = growArray(this.vKey, n);
    this.vPackets = growArray(this.vPackets, n);
    this.vFirst = growArray(this.vFirst, n);
    this.vLast = growArray(this.vLast, n);
    this.vPortCand = growArray(this.vPortCand, n);
    this.vPortVotes = growArray(this.vPortVotes, n);
    this.vMinute = growArray(this.vMinute, n);
    this.vMinuteCount = growArray(this.vMinuteCount, n);
    this.vMaxPpm = growArray(this.vMaxPpm, n);
    this.vKinds = growArray(this.vKinds, n);
    this.vCap = n;
  }

  private sourceText(slot: number): string {
    return (this.sFlags[slot] & F_V6) !== 0 ? this.v6Text.get(slot) ?? '' : ip4ToString(this.sKey[slot]);
  }

  /** Marks one-packet sources that share a header fingerprint with many others in a short window. */
  private findBursts(state: TelescopeState): void {
    const groups = new Map<string, number[]>();
    for (let s = 0; s < this.nSources; s++) {
      // replies come one per source by nature (backscatter); a burst is of probes
      if (this.sPackets[s] > 2 || this.sHard[s] > 0 || this.sFirstReply[s] !== 0) continue;
      const key = `${this.sFirstProto[s]}/${this.sFirstTtl[s]}/${this.sFirstWin[s]}/${this.sFirstDport[s]}/${this.sFirstFlags[s]}@${Math.floor(this.sFirst[s] / BURST_BUCKET_US)}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, g = []);
      g.push(s);
    }
    // each worker sees 1/workerCount of the sources
    const min = Math.ceil(BURST_MIN_SOURCES / this.workerCount);
    for (const [key, slots] of groups) {
      if (slots.length < min) continue;
      let start = Infinity;
      let end = -Infinity;
      for (const s of slots) {
        this.sFlags[s] |= F_BURST;
        start = Math.min(start, this.sFirst[s]);
        end = Math.max(end, this.sLast[s]);
        if (this.sClean[s] > 0) state.interval(Math.floor(this.sFirst[s] / this.intervalUs) * this.intervalUs).burstSources++;
      }
      const [proto, ttl, win, port, flags] = key.split('@')[0].split('/').map(Number);
      state.bursts.push({ fingerprint: `${protoName(proto)} ttl=${ttl}${proto === 6 ? ` window=${win} flags=0x${flags.toString(16)}` : ''} ${proto === 1 ? 'type' : 'dport'}=${port}`, sources: slots.length, start, end });
    }
  }

  /** Ends the run: classifies every source and returns the mergeable state. */
  finish(): TelescopeState {
    this.flushIntervalPorts();
    const dn = this.opts.darknetText;
    const state = new TelescopeState(this.intervalUs, [...dn]);
    state.packets = this.packets;
    state.bytes = this.bytes;
    state.firstUs = this.firstUs;
    state.lastUs = this.lastUs;
    if (this.workerIndex === 0) {
      if (this.ignoredNotDarknet > 0) state.ignored['not-darknet'] = this.ignoredNotDarknet;
      if (this.ignoredNonIp > 0) state.ignored['non-ip'] = this.ignoredNonIp;
      state.malformed = Object.fromEntries(Object.entries(this.decoder.malformed.toJSON()).map(([k, v]) => [`decode.${k}`, v]));
    }
    for (let h = 1; h < HYGIENE_COUNT; h++) if (this.hygiene[h] > 0) state.hygiene[HYGIENE_NAMES[h]] = this.hygiene[h];
    state.spilledPackets = this.spilledPackets;
    state.sources = this.sources;
    state.src24 = this.src24;
    state.destinations = this.destinations;
    state.protocols = protocolsToRecord(this.protocols);
    for (const acc of this.intervals.values()) {
      const s = acc.state;
      s.protocols = protocolsToRecord(acc.protocols);
      for (let c = 0; c < this.countryNames.length; c++) if (acc.countries[c] > 0) s.countries.set(this.countryNames[c], acc.countries[c]);
      state.intervals.set(s.start, s);
    }
    for (let k = 0; k < 131072; k++) {
      const u = this.portSources[k];
      if (this.portPackets[k] > 0) state.ports.set(k, { packets: this.portPackets[k], sources: u ?? smallCounter() });
    }
    this.findBursts(state);

    const filtered = bigCounter();
    const rows: SourceRow[] = [];
    const ev: SourceEvidence = {
      packets: 0, kinds: this.sKinds, kindBase: 0, matches: this.sMatches, matchBase: 0, hardFailures: 0, highTtlProbes: 0,
      fixedSourcePort: false, burst: false, topPort: -1,
    };
    const countryAgg = new Map<string, { packets: number; sources: UniqueCounter }>();
    for (let s = 0; s < this.nSources; s++) {
      const key = this.sKey[s];
      const packets = this.sPackets[s];
      ev.packets = packets;
      ev.kindBase = s * KIND_COUNT;
      ev.matchBase = s * MATCH_COUNT;
      ev.hardFailures = this.sHard[s];
      ev.highTtlProbes = this.sHighTtl[s];
      ev.fixedSourcePort = (this.sFlags[s] & F_SPORT_VARIES) === 0 && this.sFirstSport[s] >= 0;
      ev.burst = (this.sFlags[s] & F_BURST) !== 0;
      ev.topPort = this.sPortCand[s];
      const c = classifySource(ev);
      state.classes[c.cls].packets += packets;
      state.classes[c.cls].sources.add(key);
      if (c.family) { state.families[c.family].packets += packets; state.families[c.family].sources.add(key); }
      let tagCounter = state.tags.get(c.tag);
      if (!tagCounter) state.tags.set(c.tag, tagCounter = bigCounter());
      tagCounter.add(key);
      if (this.sClean[s] > 0 && !ev.burst) filtered.add(key);
      const country = this.countryNames[this.sCountry[s]];
      let ca = countryAgg.get(country);
      if (!ca) countryAgg.set(country, ca = { packets: 0, sources: smallCounter() });
      ca.packets += packets;
      ca.sources.add(key);
      const asn = this.sAsn[s];
      if (asn !== 0) {
        let aa = state.asns.get(asn);
        if (!aa) state.asns.set(asn, aa = { org: this.geo?.asn?.org(asn) ?? '', packets: 0, sources: smallCounter() });
        aa.packets += packets;
        aa.sources.add(key);
      }
      const ip = this.sourceText(s);
      const row: SourceRow = {
        ip, packets, bytes: this.sBytes[s], first: this.sFirst[s], last: this.sLast[s], class: c.cls,
        ...(c.family ? { family: c.family } : {}), tag: c.tag, spoofed: c.spoofed, country, asn,
        top_port: this.sPortCand[s], ports: this.sPortChanges[s],
      };
      rows.push(row);
      if (this.sWatch[s] >= 0) state.alerts.push(this.alertFor(s, row));
    }
    if (this.spilledPackets > 0) {
      const ca = countryAgg.get('??') ?? { packets: 0, sources: smallCounter() };
      ca.packets += this.spilledPackets;
      countryAgg.set('??', ca);
    }
    state.countries = countryAgg;
    state.filteredSources = filtered;
    rows.sort((a, b) => b.packets - a.packets || (a.ip < b.ip ? -1 : 1));
    if (rows.length > this.maxSourceRows) state.sourceRowsDropped = rows.length - this.maxSourceRows;
    state.sourceRows = rows.slice(0, this.maxSourceRows);

    const victims: VictimRow[] = [];
    for (let v = 0; v < this.nVictims; v++) {
      const kinds: string[] = [];
      for (let k = 0; k < KIND_COUNT; k++) if ((this.vKinds[v] & (1 << k)) !== 0) kinds.push(KIND_NAMES[k]);
      const row: VictimRow = {
        ip: ip4ToString(this.vKey[v]), packets: this.vPackets[v], first: this.vFirst[v], last: this.vLast[v], port: this.vPortCand[v],
        kinds, max_ppm: this.vMaxPpm[v], attack: false,
      };
      row.attack = isDosAttack(row);
      victims.push(row);
    }
    victims.sort((a, b) => b.packets - a.packets || (a.ip < b.ip ? -1 : 1));
    state.victims = victims.slice(0, 10_000);
    if (this.victimsDropped > 0) state.malformed['telescope.victim-table-full'] = this.victimsDropped;
    return state;
  }

  private alertFor(slot: number, row: SourceRow): AlertEvent {
    const internal = this.internal;
    const org = !internal && this.watch ? this.watch.entries[this.sWatch[slot]] : null;
    const ports = [...(this.watchedPorts.get(slot) ?? [])].sort((a, b) => a - b);
    const family = row.family && row.family !== 'unknown' ? row.family : null;
    const signature = internal
      ? `MINEWATCH internal host touched unused internal address space (likely infected${family ? `, ${family}` : ''})`
      : `MINEWATCH watched address seen as a darknet source (${org?.name ?? '?'}${family ? `, ${family}` : ''})`;
    return {
      timestamp: eveTimestamp(row.first),
      event_type: 'alert',
      src_ip: row.ip,
      ...(ports.length > 0 ? { dest_port: ports[0], proto: 'TCP' } : {}),
      alert: {
        action: 'allowed', gid: 1, signature_id: internal ? 9_500_002 : 9_500_001, rev: 1, signature,
        category: internal ? 'A Network Trojan was detected' : 'Attempted Information Leak', severity: internal ? 1 : 2,
      },
      minewatch: {
        detector: internal ? 'internal-darknet' : 'darknet-source',
        ...(this.opts.sensor ? { sensor: this.opts.sensor } : {}),
        evidence: {
          ...(org ? { organisation: org.name, ranges: org.rangeText } : {}),
          first_seen: eveTimestamp(row.first), last_seen: eveTimestamp(row.last), packets: row.packets, ports,
          class: row.class, tag: row.tag, likely_family: family ?? (row.class === 'scanner' ? 'unknown' : null),
        },
      },
    };
  }
}
