/**
 * The telescope's hot path: one aggregator per worker reads every frame, keeps the packets
 * to the darknet whose source hashes to its partition, and counts them into typed arrays —
 * per-source state (kinds, fingerprint matches, filters, first/last, ports), per-port and
 * per-protocol counters, per-interval unique counters, backscatter victims. No object per
 * packet; objects appear only per new source (geo lookup) and at finish().
 */
import type { FrameBatch } from '../capture/source.js';
import { ROUTE_ALL, partitionOf } from '../capture/fanout.js';
import { PacketDecoder } from '../decode/decoder.js';
import { ReasonCounter } from '../events/counters.js';
import { cidrContainsIpv6, formatIpv4, formatIpv6, isPublicIpv4, isPublicIpv6, type Cidr } from '../util/ip.js';
import { createPacketView, type PacketView } from '../events/packet.js';
import { protoName } from '../events/eve-format.js';
import type { AlertEvent } from '../events/eve.js';
import { mix32, UniqueCounter } from './unique.js';
import { decodePlainIpv4, ipv4SrcAt, isEthernetIpv4 } from '../decode/plain-ipv4.js';
import { growArray, U32Index } from './index-table.js';
import {
  FP_MASSCAN, FP_MASSCAN_SHAPE, FP_MIRAI, FP_NMAP, FP_ZMAP, H_BAD_FLAGS, H_FRAGMENT, H_PORT_ZERO, H_SRC_EQ_DST, H_SRC_NET_BCAST,
  HYGIENE_COUNT, HYGIENE_NAMES, isResponseKind, K_OTHER, K_SYN, KIND_COUNT, hygieneReason, packetKind, synFingerprint,
} from './fingerprint.js';
import { classifySource, M_MASSCAN, M_MASSCAN_SHAPE, M_MIRAI, M_NMAP, M_ZMAP, MATCH_COUNT, type SourceEvidence } from './classify.js';
import {
  bigCounter, INTERVAL_PORTS, newInterval, PORT_SKETCHES, STATE_SOURCE_ROWS, PROTO_ICMP_BASE, PROTO_SLOTS, protocolsToRecord, smallCounter, TelescopeState, trimIntervalPorts,
  type IntervalState, type SourceRow,
} from './state.js';
import type { GeoLookup } from './geo.js';
import type { WatchList } from './watch.js';
import { sourceAlert } from './alerts.js';
import { ArpSweeps } from './arp-sweeps.js';
import { VictimTable } from './victims.js';
import { SpilledSources } from './spilled-sources.js';
import { PortSources, type PortSourcesParts } from './port-sources.js';
import { HEAVY_K, SpaceSaving, type HeavyEntry } from './heavy-hitters.js';

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
  /**
   * Memory bound of the whole process (bytes; none when absent, the CLI's default is 512 MiB): it caps this
   * worker's source table at its share, and once the process's resident memory passes it the
   * source table stops taking new sources (they are counted in the sketches only, "spilled").
   */
  maxMemoryBytes?: number;
  sensor?: string;
}

// Per-source state in typed-array records. The hot record holds everything a typical packet
// reads or updates, 128 bytes (two adjacent cache lines) per source: Int32 and Float64 views
// over one buffer, Int32 fields at int index, Float64 fields at float index (float f = ints
// 2f and 2f + 1). The cold record holds what is written once or rarely (key, AS, the first
// packet's header, filter failures), and the first-seen time has its own array: it is read
// only for a packet older than the source's last one. So a packet touches one index entry
// and one hot record.
const S_FLAGS = 0;
const S_CLEAN = 1;
const S_FIRST_SPORT = 2;
const S_LAST_PORT = 3;
const S_PORT_CHANGES = 4;
const S_PORT_CAND = 5;
const S_PORT_VOTES = 6;
const S_COUNTRY = 7;
const S_WATCH = 8;
const S_PACKETS = 9;
/** ordinal (1-based, 0 = none) of the last interval the source was counted in, and the last with a clean packet */
const S_LAST_IV = 10;
const S_LAST_CLEAN_IV = 11;
// Float64 fields (float index 6 and 7 = ints 12–15)
const SF_BYTES = 6;
const SF_LAST = 7;
/** kind counters: ints 16–25, fingerprint matches: ints 26–30 */
const S_KINDS = 16;
const S_MATCHES = S_KINDS + KIND_COUNT;
/** the port key before the last one (its source counter already holds this source) */
const S_PREV_PORT = S_MATCHES + MATCH_COUNT;
/** Int32 fields per hot record (128 bytes). */
const SI = 32;
/** Float64 fields per hot record. */
const SF = SI / 2;
// cold record (Int32; uint32 values such as the key and AS are read with >>> 0)
const C_KEY = 0;
const C_ASN = 1;
const C_FIRST_TTL = 2;
const C_FIRST_WIN = 3;
const C_FIRST_DPORT = 4;
const C_FIRST_FLAGS = 5;
const C_FIRST_PROTO = 6;
const C_FIRST_REPLY = 7;
/** packets failing a hard noise filter, and probes with TTL ≥ 200 */
const C_HARD = 8;
const C_HIGH_TTL = 9;
/** Int32 fields per cold record. */
const SC = 10;
/** Bytes per tracked source: hot and cold record, first-seen time, index entry at load ≤ 1/2. */
const SOURCE_BYTES = SI * 4 + SC * 4 + 8 + 16;
/** Share of the memory bound the source tables may take. */
const SOURCE_SHARE = 0.4;
/** Batches between two checks of the process's resident memory. */
const MEMORY_CHECK_BATCHES = 16;
/** Transient bytes finish() needs per tracked source (measured: 300,000 sources raised the peak by 154 MB). */
const FINISH_SOURCE_BYTES = 512;
/** Share of the degradable budget (the budget less the fixed part) past which the per-port counters turn coarse. */
const COARSEN_SHARE = 0.8;
/**
 * Memory kept free for the end of the run, which cannot degrade: finish(), merging the workers'
 * states, building the report and writing the outputs. Measured on (b) with a 300 MB bound:
 * about 90 MB past the aggregation's last check (the per-port map of 131,072 entries, the
 * state's serialisation and the clone between threads are most of it).
 */
const END_RESERVE_BYTES = 96 * 1024 * 1024;
const END_RESERVE_SHARE = 0.05;
if (S_PREV_PORT >= SI || SF_BYTES * 2 <= S_LAST_CLEAN_IV || SF_LAST * 2 + 2 > S_KINDS) throw new Error('telescope source record layout overlaps');

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

/** Set bits per byte value. */
const BITS_SET = Uint8Array.from({ length: 256 }, (_, v) => {
  let n = 0;
  for (let b = v; b !== 0; b &= b - 1) n++;
  return n;
});

/** One-packet sources sharing a header fingerprint within this window form a burst candidate group. */
const BURST_BUCKET_US = 600e6;
/** Sources needed (across all workers) for a burst: one-packet sources with one fingerprint by chance stay far below. */
export const BURST_MIN_SOURCES = 32;
/** Port keys: TCP port p is key p, UDP port p is key UDP_PORT_KEY_BASE + p. */
const UDP_PORT_KEY_BASE = 65536;
const PORT_KEYS = 2 * UDP_PORT_KEY_BASE;
const MAX_COUNTRIES = 512;
const MAX_WATCHED_PORTS = 64;
const DST_BITMAP_MAX = 1 << 21;

interface IntervalAcc {
  state: IntervalState;
  protocols: Float64Array;
  countries: Float64Array;
  /** darknet addresses hit in this interval, one bit per address (small darknets), else null */
  dstBits: Uint8Array | null;
  /** 1-based number of this interval in order of first appearance (per-source "counted in" marks) */
  ordinal: number;
}

/**
 * The worker that owns a source address. The high 16 bits of the hash keep the modulo on
 * small integers (a uint32 above 2^31 is a double in V8, and double % is a libm call).
 */
function ownerOf(src: number, workerCount: number): number {
  return partitionOf(mix32(src), workerCount);
}

/**
 * Route word of a frame for the worker fan-out (capture/fanout.ts): a plain Ethernet/IPv4
 * frame belongs to the worker its source address hashes to, read straight from the header;
 * every other frame is ROUTE_ALL (each worker decodes it and owns it after decoding).
 */
export function telescopeRoute(buf: Uint8Array, off: number, capLen: number, linkType: number, workers: number): number {
  if (isEthernetIpv4(buf, off, capLen, linkType)) return ownerOf(ipv4SrcAt(buf, off), workers);
  return ROUTE_ALL;
}

/** The k-th largest value (0 when there are at most k): values below it are outside the top k. */
function kthLargest(values: Int32Array | Float64Array, k: number): number {
  if (values.length <= k) return 0;
  return selectLargest(Float64Array.from(values), values.length, k - 1);
}

/**
 * Reorders a[0, n) so that a[r] is the (r+1)-th largest value, a[0, r) are ≥ it and a(r, n)
 * ≤ it, and returns it (quickselect, Hoare partition, median of three): O(n), where a sort
 * was O(n log n) and, for a Map of port counts, an array pair per port.
 */
export function selectLargest(a: Float64Array, n: number, r: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot
    let x = a[lo];
    let y = a[mid];
    const z = a[hi];
    if (x < y) { const t = x; x = y; y = t; }
    if (y < z) { y = z; if (x < y) y = x; }
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else break;
  }
  return a[r];
}

/** A partition's per-port tables (TelescopeAggregator.portTables). */
export interface PortTables {
  /** packets per port key */
  packets: Float64Array;
  sources: PortSourcesParts;
  /** ports with fewer packets get no counter (the memory bound; 0: all) */
  counterMin: number;
}

/** Buffers of port tables to transfer to another thread. */
export function portTablesTransfer(t: PortTables): ArrayBuffer[] {
  return [t.packets.buffer as ArrayBuffer, ...PortSources.transferList(t.sources)];
}

export class TelescopeAggregator {
  /** Decodes frames every worker reads (reported by worker 0). Fragments are counted, not reassembled: they are noise here. */
  readonly decoder = new PacketDecoder({ reassembleFragments: false });
  /** Decodes the frames this worker owns before decoding (reported by every worker: disjoint). */
  readonly ownedDecoder = new PacketDecoder({ reassembleFragments: false });
  /** Frames read (all, for progress). */
  framesSeen = 0;
  private readonly pkt: PacketView = createPacketView();
  private readonly workerIndex: number;
  private readonly workerCount: number;
  private readonly intervalUs: number;
  private readonly geo: GeoLookup | null;
  private readonly watch: WatchList | null;
  private readonly internal: boolean;
  private maxSources: number;
  private maxSourceRows: number;
  private readonly maxMemory: number;
  private batchesSinceCheck = 0;
  /** resident memory when the first batch arrived: Node, its threads and the fixed tables (-1: not yet) */
  private fixedRss = -1;
  /** sources in the table when the memory bound froze it (-1: never) */
  private frozenAt = -1;
  /** the per-port counters were coarsened for the memory bound */
  private portsCoarsened = false;

  // darknets
  private readonly dnBase: Uint32Array;
  private readonly dnMask: Uint32Array;
  private readonly dnOffset: Float64Array;
  private readonly dark6: Cidr[];
  /** darknet addresses ever hit, one bit per address, when the darknets hold ≤ DST_BITMAP_MAX addresses */
  private readonly dstBits: Uint8Array | null;

  // totals
  private packets = 0;
  private bytes = 0;
  private firstUs = Infinity;
  private lastUs = -Infinity;
  private ignoredNotDarknet = 0;
  private ignoredNonIp = 0;
  private spilledPackets = 0;
  /** country and AS unique counts of the sources past the source table */
  private readonly spilled: SpilledSources;
  /** IPv4 sources past the source table by packets (tracked ones are counted exactly in their records) */
  private readonly spilledTalkers = new SpaceSaving(HEAVY_K);
  /** spilled sources with a packet that passed the noise filters (tracked ones are judged at finish) */
  private readonly spilledFiltered = bigCounter();
  private readonly protocols = new Float64Array(PROTO_SLOTS);
  private readonly hygiene = new Float64Array(HYGIENE_COUNT);
  private readonly sources = bigCounter();
  private readonly src24 = bigCounter();
  private readonly destinations = bigCounter();
  private readonly portPackets = new Float64Array(PORT_KEYS);
  /** unique probing sources per port key */
  private portSources = new PortSources(PORT_KEYS);

  // intervals
  private readonly intervals = new Map<number, IntervalAcc>();
  private cur: IntervalAcc | null = null;
  private curIv = NaN;
  /** ordinal of the current interval (1-based), stored per source to count it once per interval */
  private curOrd = 0;
  private readonly ivPortAcc = new Float64Array(PORT_KEYS);
  private readonly ivPortTouched = new Int32Array(PORT_KEYS);
  private ivPortN = 0;
  /** counts of the touched ports, reordered by keepBusiestIntervalPorts */
  private readonly ivPortScratch = new Float64Array(PORT_KEYS);

  // countries
  private readonly countryIndex = new Map<string, number>();
  private readonly countryNames: string[] = [];

  // per-source state (structure of arrays, slot = index)
  private idx4 = new U32Index(1 << 14);
  private idx6 = new U32Index(16);
  private nSources = 0;
  private cap = 0;
  /** hot per-source records as Int32 (SI fields each) … */
  private si = new Int32Array(0);
  /** … and as Float64 (SF fields each), over the same buffer */
  private sf = new Float64Array(0);
  /** cold per-source records, SC Int32 fields each */
  private sc = new Int32Array(0);
  /** first-seen time per source */
  private firstSeen = new Float64Array(0);
  private readonly v6Text = new Map<number, string>();
  private readonly watchedPorts = new Map<number, Set<number>>();
  /** backscatter victims */
  private readonly victims = new VictimTable();
  /** internal mode: ARP requests for darknet addresses, by sender */
  private readonly arpSweeps: ArpSweeps;


  constructor(readonly opts: AggregatorOptions) {
    this.workerIndex = opts.workerIndex ?? 0;
    this.workerCount = Math.max(1, opts.workerCount ?? 1);
    this.intervalUs = opts.intervalUs;
    this.geo = opts.geo ?? null;
    this.watch = opts.watch ?? null;
    this.internal = opts.internal === true;
    this.maxMemory = opts.maxMemoryBytes ?? Infinity;
    const share = Math.floor((this.maxMemory * SOURCE_SHARE) / this.workerCount / SOURCE_BYTES);
    this.maxSources = Math.max(1024, Math.min(opts.maxSources ?? 2_000_000, share));
    this.maxSourceRows = opts.maxSourceRows ?? 100_000;
    const v4 = opts.darknets.filter((c) => c.version === 4);
    this.dark6 = opts.darknets.filter((c) => c.version === 6);
    this.dnBase = Uint32Array.from(v4, (c) => c.v4);
    this.dnMask = Uint32Array.from(v4, (c) => c.mask4);
    this.dnOffset = new Float64Array(v4.length + 1);
    for (let i = 0; i < v4.length; i++) this.dnOffset[i + 1] = this.dnOffset[i] + 2 ** (32 - v4[i].prefix);
    const total = this.dnOffset[v4.length];
    this.dstBits = total <= DST_BITMAP_MAX ? new Uint8Array((total + 7) >>> 3) : null;
    this.arpSweeps = new ArpSweeps(this.dnBase, this.dnMask);
    const geo = this.geo;
    this.spilled = new SpilledSources(MAX_COUNTRIES, {
      countryIndex: (pkt) => this.countryIdx(geo === null ? '??' : geo.country(pkt.ipVersion === 6 ? formatIpv6(pkt.buf, pkt.src6Offset) : formatIpv4(pkt.src4))),
      asn: (pkt) => geo !== null && geo.asn !== null && pkt.ipVersion !== 6 ? geo.asn.lookup(pkt.src4) : 0,
    });
    this.growSources(1 << 14);
  }

  /** Darknet packets counted by this aggregator (its partition). */
  get darknetPackets(): number {
    return this.packets;
  }

  processBatch(b: FrameBatch): void {
    const pkt = this.pkt;
    const n = b.count;
    const wc = this.workerCount;
    const wi = this.workerIndex;
    const nDark4 = this.dnBase.length;
    const base = this.dnBase;
    const mask = this.dnMask;
    const buf = b.buf;
    const offsets = b.offsets;
    const capLens = b.capLens;
    const linkTypes = b.linkTypes;
    const routes = b.routes;
    for (let i = 0; i < n; i++) {
      // With several workers, a plain Ethernet/IPv4 frame is owned by the worker its source
      // hashes to (the route the fan-out reader computed, see telescopeRoute): the others skip
      // it without decoding. Every other frame is decoded by all workers and owned after decode.
      const off = offsets[i];
      const capLen = capLens[i];
      let owned = false;
      let decoded = false;
      if (wc > 1) {
        const r = routes !== undefined ? routes[i] : telescopeRoute(buf, off, capLen, linkTypes[i], wc);
        if (r !== ROUTE_ALL) {
          if (r !== wi) continue;
          owned = true;
        }
      }
      if (isEthernetIpv4(buf, off, capLen, linkTypes[i])) {
        decoded = decodePlainIpv4(pkt, buf, off, capLen, b.wireLens[i], b.tsUs[i], b.ifIndexes[i]);
      }
      if (!decoded) (owned ? this.ownedDecoder : this.decoder).decode(pkt, buf, off, capLen, b.wireLens[i], b.tsUs[i], linkTypes[i], b.ifIndexes[i]);
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
        if (owned || wi === 0) {
          if (v === 0) {
            this.ignoredNonIp++;
            if (this.internal && (pkt.layers & 2 /* Layer.ARP */) !== 0) this.arpSweeps.onArp(pkt);
          } else this.ignoredNotDarknet++;
        }
        continue;
      }
      if (!owned && wc > 1 && ownerOf(pkt.src4, wc) !== wi) continue;
      this.onDarknetPacket(pkt, dstIdx);
    }
    this.framesSeen += n;
    if (this.maxMemory === Infinity) return;
    if (this.fixedRss < 0) this.fixedRss = process.memoryUsage.rss();
    if (++this.batchesSinceCheck >= MEMORY_CHECK_BATCHES) this.checkMemory();
  }

  /**
   * Degrades in two steps as the process's resident memory nears the bound. Past
   * COARSEN_SHARE of it, the per-port counters turn coarse (COARSE_P) and no new full one is
   * made, and what finish() builds shrinks to what a state file keeps: the STATE_SOURCE_ROWS
   * largest source rows and the PORT_SKETCHES busiest ports' source counters (a row object
   * and a counter object each: a sweep of every port by 100,000 sources otherwise raised
   * finish()'s peak by about 150 MB). Past the bound, the source table takes no new sources:
   * they still count in every sketch (totals, intervals, ports, countries, AS, the talkers'
   * heavy hitters) but are not classified. Each step is counted
   * (telescope.memory-coarsened-ports, port_sketches_dropped; memoryLimited and spilled
   * packets) and reported.
   */
  private checkMemory(): void {
    this.batchesSinceCheck = 0;
    if (this.frozenAt >= 0) return;
    // the aggregation's budget: the bound less the end-of-run reserve; of it, the fixed part
    // (resident at the first batch) cannot degrade, the rest is what the steps below shed
    const budget = this.maxMemory * (1 - END_RESERVE_SHARE) - END_RESERVE_BYTES;
    const fixed = Math.min(this.fixedRss, budget);
    // finish() builds rows, classes and burst groups for every tracked source: its peak counts too
    const rss = process.memoryUsage.rss() + this.nSources * FINISH_SOURCE_BYTES;
    if (!this.portsCoarsened && rss > fixed + COARSEN_SHARE * (budget - fixed)) {
      this.portsCoarsened = true;
      this.portSources.coarsenAll();
      this.maxSourceRows = Math.min(this.maxSourceRows, STATE_SOURCE_ROWS);
    }
    if (rss <= budget) return;
    this.frozenAt = this.nSources;
    this.maxSources = this.nSources;
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
    const ord = this.curOrd;
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
    if ((proto === 6 || proto === 17) && !pkt.isFragment && (pkt.layers & 8 /* Layer.L4 */) !== 0) {
      pkey = (proto === 17 ? UDP_PORT_KEY_BASE : 0) + pkt.dstPort;
      this.portPackets[pkey]++;
      // Replies (backscatter) arrive at the darknet's random ephemeral ports: they count in
      // the port packets, but per-interval trends and per-port sources are about probes.
      if (!isResponseKind(kind) && this.ivPortAcc[pkey]++ === 0) this.ivPortTouched[this.ivPortN++] = pkey;
    }

    // destinations: a bit per darknet address (set-union exact, converted to counters at finish)
    const ivBits = cur.dstBits;
    if (dstIdx >= 0 && ivBits !== null) {
      const byte = dstIdx >>> 3;
      const bit = 1 << (dstIdx & 7);
      ivBits[byte] |= bit;
      this.dstBits![byte] |= bit;
    } else {
      this.destinations.add(pkt.dst4);
      ivs.destinations.add(pkt.dst4);
    }

    const fp = kind === K_SYN ? synFingerprint(pkt) : 0;
    const src = pkt.src4;
    const v6 = pkt.ipVersion === 6;
    let slot = v6 ? this.idx6.get(src) : this.idx4.get(src);
    if (slot < 0) slot = this.addSource(pkt, kind);
    const hyg = hygieneReason(pkt, kind, fp, slot >= 0 ? (this.si[slot * SI + S_FLAGS] & F_BOGON) !== 0 : false);
    this.hygiene[hyg]++;
    if (slot < 0) {
      this.onSpilledPacket(pkt, src, v6, hyg, pkey, kind, cur);
      return;
    }
    const si = this.si;
    const sf = this.sf;
    const r = slot * SI;
    const fr = slot * SF;
    if (si[r + S_LAST_IV] !== ord) {
      si[r + S_LAST_IV] = ord;
      ivs.sources.add(src);
      if (!v6) ivs.src24.add(src >>> 8);
    }
    if (hyg === 0) {
      si[r + S_CLEAN]++;
      if (si[r + S_LAST_CLEAN_IV] !== ord) {
        si[r + S_LAST_CLEAN_IV] = ord;
        ivs.filteredSources.add(src);
      }
    } else if (hyg === H_SRC_NET_BCAST || hyg === H_SRC_EQ_DST || hyg === H_PORT_ZERO || hyg === H_FRAGMENT || hyg === H_BAD_FLAGS) this.sc[slot * SC + C_HARD]++;
    // probes sent with TTL near 255 (counted even when a fingerprint exempts them from the filter;
    // the classifier decides whether the fingerprint is corroborated)
    if (pkt.ttl >= 200 && !isResponseKind(kind)) this.sc[slot * SC + C_HIGH_TTL]++;
    si[r + S_PACKETS]++;
    sf[fr + SF_BYTES] += wire;
    // first ≤ last, so only a packet not after the last one can be older than the first
    if (ts > sf[fr + SF_LAST]) sf[fr + SF_LAST] = ts;
    else if (ts < this.firstSeen[slot]) this.firstSeen[slot] = ts;
    si[r + S_KINDS + kind]++;
    cur.countries[si[r + S_COUNTRY]]++;
    if (kind === K_SYN) {
      if (fp !== 0) {
        const mb = r + S_MATCHES;
        if ((fp & FP_MIRAI) !== 0) si[mb + M_MIRAI]++;
        if ((fp & FP_MASSCAN) !== 0) si[mb + M_MASSCAN]++;
        if ((fp & FP_MASSCAN_SHAPE) !== 0) si[mb + M_MASSCAN_SHAPE]++;
        if ((fp & FP_ZMAP) !== 0) si[mb + M_ZMAP]++;
        if ((fp & FP_NMAP) !== 0) si[mb + M_NMAP]++;
      }
      const sp = si[r + S_FIRST_SPORT];
      if (sp === -1) si[r + S_FIRST_SPORT] = pkt.srcPort;
      else if (sp !== pkt.srcPort) si[r + S_FLAGS] |= F_SPORT_VARIES;
    }
    if (pkey >= 0 && !isResponseKind(kind)) {
      const dport = pkt.dstPort;
      const last = si[r + S_LAST_PORT];
      if (last !== pkey) {
        // a source alternating between two ports (Mirai: 23 and 2323) is in both counters already
        if (si[r + S_PREV_PORT] !== pkey) this.portSources.add(pkey, src);
        si[r + S_PREV_PORT] = last;
        si[r + S_LAST_PORT] = pkey;
        si[r + S_PORT_CHANGES]++;
      }
      if (si[r + S_PORT_CAND] === dport) si[r + S_PORT_VOTES]++;
      else if (si[r + S_PORT_VOTES] === 0) { si[r + S_PORT_CAND] = dport; si[r + S_PORT_VOTES] = 1; }
      else si[r + S_PORT_VOTES]--;
      if (si[r + S_WATCH] >= 0) {
        const set = this.watchedPorts.get(slot);
        if (set !== undefined && set.size < MAX_WATCHED_PORTS) set.add(dport);
      }
    }
    if (isResponseKind(kind) && !v6) this.victims.add(pkt, kind, ts);
  }

  /**
   * A packet of a source past the source table (full): the source still counts in every
   * sketch — totals, interval, per port (probes, as for tracked sources), country and AS, the
   * talkers' heavy hitters, and a reply its victim — but is not classified. Apart from onDarknetPacket to keep that one small.
   */
  private onSpilledPacket(pkt: PacketView, src: number, v6: boolean, hyg: number, pkey: number, kind: number, cur: IntervalAcc): void {
    const ivs = cur.state;
    this.spilledPackets++;
    this.sources.add(src);
    ivs.sources.add(src);
    if (!v6) { this.src24.add(src >>> 8); ivs.src24.add(src >>> 8); }
    if (hyg === 0) { ivs.filteredSources.add(src); this.spilledFiltered.add(src); }
    if (pkey >= 0 && !isResponseKind(kind)) this.portSources.add(pkey, src);
    cur.countries[this.spilled.add(pkt, src, v6)]++;
    if (!v6) {
      this.spilledTalkers.add(src);
      // a reply names a victim whatever the table: the victim table is bounded on its own
      if (isResponseKind(kind)) this.victims.add(pkt, kind, pkt.tsUs);
    }
  }

  private addSource(pkt: PacketView, kind: number): number {
    if (this.nSources >= this.maxSources) return -1;
    if (this.nSources >= this.cap) this.growSources(Math.min(this.maxSources, this.cap * 2));
    const slot = this.nSources++;
    const key = pkt.src4;
    const v6 = pkt.ipVersion === 6;
    if (v6) this.idx6.insert(key, slot); else this.idx4.insert(key, slot);
    // a fresh record (grown arrays are zeroed): set the fields whose "unset" is not 0
    const r = slot * SI;
    this.sc[slot * SC + C_KEY] = key;
    this.si[r + S_FIRST_SPORT] = -1;
    this.si[r + S_LAST_PORT] = -1;
    this.si[r + S_PREV_PORT] = -1;
    this.si[r + S_PORT_CAND] = -1;
    const ts = pkt.tsUs;
    this.firstSeen[slot] = ts;
    this.sf[slot * SF + SF_LAST] = ts;
    this.sc[slot * SC + C_FIRST_TTL] = pkt.ttl;
    this.sc[slot * SC + C_FIRST_WIN] = pkt.window;
    this.sc[slot * SC + C_FIRST_DPORT] = pkt.proto === 6 || pkt.proto === 17 ? pkt.dstPort : pkt.icmpType;
    this.sc[slot * SC + C_FIRST_FLAGS] = pkt.tcpFlags;
    this.sc[slot * SC + C_FIRST_PROTO] = kind === K_OTHER ? 0 : pkt.proto;
    this.sc[slot * SC + C_FIRST_REPLY] = isResponseKind(kind) ? 1 : 0;
    let flags = v6 ? F_V6 : 0;
    const bogon = v6 ? !isPublicIpv6(pkt.buf, pkt.src6Offset) : !isPublicIpv4(key);
    // inside a network, the sources of an internal darknet are private addresses by design
    if (bogon && !this.internal) flags |= F_BOGON;
    this.si[slot * SI + S_FLAGS] = flags;
    this.sources.add(key);
    if (!v6) this.src24.add(key >>> 8);
    const text = v6 ? formatIpv6(pkt.buf, pkt.src6Offset) : null;
    if (text !== null) this.v6Text.set(slot, text);
    if (this.geo !== null) {
      const ipText = text ?? formatIpv4(key);
      this.si[slot * SI + S_COUNTRY] = this.countryIdx(this.geo.country(ipText));
      this.sc[slot * SC + C_ASN] = !v6 && this.geo.asn !== null ? this.geo.asn.lookup(key) : 0;
    } else {
      this.si[slot * SI + S_COUNTRY] = this.countryIdx('??');
    }
    let w = -1;
    // internal mode: only internal (private) hosts are alerted; replies from outside reaching the range are not infections
    if (this.internal) w = bogon ? 0 : -1;
    else if (this.watch !== null) w = v6 ? this.watch.matchIpv6(pkt.buf, pkt.src6Offset) : this.watch.matchIpv4(key);
    this.si[slot * SI + S_WATCH] = w;
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
      const state = newInterval(iv * this.intervalUs);
      acc = {
        state, protocols: new Float64Array(PROTO_SLOTS), countries: new Float64Array(MAX_COUNTRIES),
        dstBits: this.dstBits === null ? null : new Uint8Array(this.dstBits.length), ordinal: this.intervals.size + 1,
      };
      this.intervals.set(iv, acc);
    }
    this.cur = acc;
    this.curIv = iv;
    this.curOrd = acc.ordinal;
  }

  private flushIntervalPorts(): void {
    if (this.cur === null) return;
    const ports = this.cur.state.ports;
    const acc = this.ivPortAcc;
    // A sweep touches tens of thousands of ports an interval: keep the busiest straight from
    // the typed counters instead of a Map entry per port, sorted and trimmed (the same ports
    // and floor as trimIntervalPorts). A revisited interval (input not in time order) merges.
    if (ports.size === 0 && this.ivPortN > 2 * INTERVAL_PORTS) {
      this.keepBusiestIntervalPorts(this.cur.state);
      return;
    }
    for (let i = 0; i < this.ivPortN; i++) {
      const k = this.ivPortTouched[i];
      ports.set(k, (ports.get(k) ?? 0) + acc[k]);
      acc[k] = 0;
    }
    this.ivPortN = 0;
    // bounded: trimmed to INTERVAL_PORTS when twice that (at finish: to INTERVAL_PORTS)
    if (ports.size > 2 * INTERVAL_PORTS) trimIntervalPorts(this.cur.state);
  }

  /**
   * Puts the INTERVAL_PORTS busiest touched ports of the interval's accumulator into its
   * (empty) port map, busiest first, ties by port key, and sets portsFloor to the largest
   * count left out: what trimIntervalPorts gives for a map of every touched port.
   */
  private keepBusiestIntervalPorts(iv: IntervalState): void {
    const acc = this.ivPortAcc;
    const touched = this.ivPortTouched;
    const n = this.ivPortN;
    const keep = INTERVAL_PORTS;
    const counts = this.ivPortScratch;
    for (let i = 0; i < n; i++) counts[i] = acc[touched[i]];
    // counts[0, keep) are now the keep largest (unordered), counts[keep] the next: the floor
    const floor = selectLargest(counts, n, keep);
    let least = Infinity;
    for (let i = 0; i < keep; i++) if (counts[i] < least) least = counts[i];
    // every port above the least kept count is in; ports at it are taken by key until keep are in
    const kept: number[] = [];
    const ties: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = touched[i];
      const c = acc[k];
      if (c > least) kept.push(k);
      else if (c === least) ties.push(k);
    }
    ties.sort((x, y) => x - y);
    for (let i = 0; kept.length < keep; i++) kept.push(ties[i]);
    kept.sort((x, y) => acc[y] - acc[x] || x - y);
    for (const k of kept) iv.ports.set(k, acc[k]);
    iv.portsFloor = Math.max(iv.portsFloor, floor);
    for (let i = 0; i < n; i++) acc[touched[i]] = 0;
    this.ivPortN = 0;
  }

  private growSources(n: number): void {
    const hot = new Int32Array(n * SI);
    hot.set(this.si);
    this.si = hot;
    this.sf = new Float64Array(hot.buffer);
    this.sc = growArray(this.sc, n * SC);
    this.firstSeen = growArray(this.firstSeen, n);
    this.cap = n;
  }

  /** Adds the darknet address of every set bit to a counter (byte-wise: empty bytes cost one test). */
  private addBitsTo(bits: Uint8Array, out: UniqueCounter): void {
    let set = 0;
    for (let i = 0; i < bits.length; i++) set += BITS_SET[bits[i]];
    out.reserve(set);
    for (let k = 0; k < this.dnBase.length; k++) {
      // the bitmap exists only for darknets of at most DST_BITMAP_MAX addresses: small integers
      const from = this.dnOffset[k] | 0;
      const to = this.dnOffset[k + 1] | 0;
      const base = this.dnBase[k];
      for (let byte = from >>> 3; byte <= (to - 1) >>> 3; byte++) {
        const v = bits[byte];
        if (v === 0) continue;
        for (let j = 0; j < 8; j++) {
          const i = (byte << 3) | j;
          if ((v & (1 << j)) !== 0 && i >= from && i < to) out.add((base + (i - from)) >>> 0);
        }
      }
    }
  }

  private sourceText(slot: number): string {
    return (this.si[slot * SI + S_FLAGS] & F_V6) !== 0 ? this.v6Text.get(slot) ?? '' : formatIpv4(this.sc[slot * SC + C_KEY] >>> 0);
  }

  /**
   * Marks one-packet sources that share a header fingerprint with many others in a short
   * window. Grouped by two numbers (no string per source): protocol, TTL, window and first
   * port in one (49 bits), TCP flags and the window's bucket in the other.
   */
  private findBursts(state: TelescopeState): void {
    const groups = new Map<number, Map<number, number[]>>();
    const sc = this.sc;
    for (let s = 0; s < this.nSources; s++) {
      // replies come one per source by nature (backscatter); a burst is of probes
      const c = s * SC;
      if (this.si[s * SI + S_PACKETS] > 2 || sc[c + C_HARD] > 0 || sc[c + C_FIRST_REPLY] !== 0) continue;
      const header = (sc[c + C_FIRST_PROTO] & 0xff) * 2 ** 41 + (sc[c + C_FIRST_TTL] & 0xff) * 2 ** 33 + (sc[c + C_FIRST_WIN] & 0xffff) * 2 ** 17
        + ((sc[c + C_FIRST_DPORT] + 1) & 0x1ffff);
      const when = (sc[c + C_FIRST_FLAGS] & 0xfff) * 2 ** 32 + Math.floor(this.firstSeen[s] / BURST_BUCKET_US);
      let byTime = groups.get(header);
      if (byTime === undefined) groups.set(header, byTime = new Map());
      let g = byTime.get(when);
      if (g === undefined) byTime.set(when, g = []);
      g.push(s);
    }
    // each worker sees 1/workerCount of the sources
    const min = Math.ceil(BURST_MIN_SOURCES / this.workerCount);
    for (const byTime of groups.values()) {
      for (const slots of byTime.values()) {
        if (slots.length < min) continue;
        let start = Infinity;
        let end = -Infinity;
        for (const s of slots) {
          this.si[s * SI + S_FLAGS] |= F_BURST;
          start = Math.min(start, this.firstSeen[s]);
          end = Math.max(end, this.sf[s * SF + SF_LAST]);
          if (this.si[s * SI + S_CLEAN] > 0) state.interval(Math.floor(this.firstSeen[s] / this.intervalUs) * this.intervalUs).burstSources++;
        }
        // the group's fields, read from its first source
        const c = slots[0] * SC;
        const proto = sc[c + C_FIRST_PROTO];
        const fingerprint = `${protoName(proto)} ttl=${sc[c + C_FIRST_TTL]}${proto === 6 ? ` window=${sc[c + C_FIRST_WIN]} flags=0x${sc[c + C_FIRST_FLAGS].toString(16)}` : ''} ${proto === 1 ? 'type' : 'dport'}=${sc[c + C_FIRST_DPORT]}`;
        state.bursts.push({ fingerprint, sources: slots.length, start, end });
      }
    }
  }

  /**
   * The per-port tables (packets, unique sources) as plain data, for the aggregator of
   * partition 0 to build every partition's per-port counters at once (buildPorts): after
   * finish(false), before release(); the buffers may then be transferred (portTablesTransfer).
   */
  portTables(): PortTables {
    return { packets: this.portPackets, sources: this.portSources.parts(), counterMin: this.portCounterMin() };
  }

  /** Past the memory bound, only the busiest ports' counters are built (as a state file keeps them). */
  private portCounterMin(): number {
    return this.portsCoarsened || this.frozenAt >= 0 ? kthLargest(this.portPackets, PORT_SKETCHES) : 0;
  }

  /**
   * Builds state.ports from this aggregator's per-port tables and then those of the other
   * partitions, in that order: the counters and order a merge of each partition's finished
   * state gives, without a UniqueCounter object per port and partition to build, clone
   * between threads and merge (131,072 port keys each on a sweep of every port: a third of
   * the time after the last packet on capture (b)).
   */
  buildPorts(state: TelescopeState, others: PortTables[]): void {
    for (let t = -1; t < others.length; t++) {
      const sources = t < 0 ? this.portSources : new PortSources(PORT_KEYS, 0, others[t].sources);
      const packetsOf = t < 0 ? this.portPackets : others[t].packets;
      const counterMin = t < 0 ? this.portCounterMin() : others[t].counterMin;
      for (let k = 0; k < PORT_KEYS; k++) {
        const packets = packetsOf[k];
        if (packets === 0) continue;
        const dropped = packets < counterMin;
        if (dropped) state.portSketchesDropped++;
        const a = state.ports.get(k);
        if (a === undefined) state.ports.set(k, { packets, sources: dropped ? null : sources.counter(k) });
        else {
          a.packets += packets;
          if (!dropped) { if (a.sources !== null) sources.mergeInto(k, a.sources); else a.sources = sources.counter(k); }
        }
      }
    }
  }

  /**
   * Ends the run: classifies every source and returns the mergeable state. `buildPorts`
   * false: state.ports is left empty, the per-port tables kept for portTables() or
   * buildPorts() (a partition's hand-over, see run.ts).
   */
  finish(buildPorts = true): TelescopeState {
    this.flushIntervalPorts();
    const dn = this.opts.darknetText;
    const state = new TelescopeState(this.intervalUs, [...dn]);
    state.packets = this.packets;
    state.bytes = this.bytes;
    state.firstUs = this.firstUs;
    state.lastUs = this.lastUs;
    if (this.ignoredNotDarknet > 0) state.ignored['not-darknet'] = this.ignoredNotDarknet;
    if (this.ignoredNonIp > 0) state.ignored['non-ip'] = this.ignoredNonIp;
    const malformed = new ReasonCounter();
    if (this.workerIndex === 0) malformed.merge(this.decoder.malformed);
    malformed.merge(this.ownedDecoder.malformed);
    // decoder reasons already name their layer (ipv4.truncated), as in analyze's summary
    state.malformed = malformed.toJSON();
    for (let h = 1; h < HYGIENE_COUNT; h++) if (this.hygiene[h] > 0) state.hygiene[HYGIENE_NAMES[h]] = this.hygiene[h];
    state.spilledPackets = this.spilledPackets;
    if (this.frozenAt >= 0) state.memoryLimited++;
    state.memoryFixedBytes = Math.max(0, this.fixedRss);
    if (this.portSources.coarsened > 0) state.malformed['telescope.memory-coarsened-ports'] = this.portSources.coarsened;
    state.sources = this.sources;
    state.src24 = this.src24;
    if (this.dstBits !== null) this.addBitsTo(this.dstBits, this.destinations);
    state.destinations = this.destinations;
    state.protocols = protocolsToRecord(this.protocols);
    for (const acc of this.intervals.values()) {
      const s = acc.state;
      if (acc.dstBits !== null) this.addBitsTo(acc.dstBits, s.destinations);
      s.protocols = protocolsToRecord(acc.protocols);
      trimIntervalPorts(s);
      for (let c = 0; c < this.countryNames.length; c++) if (acc.countries[c] > 0) s.countries.set(this.countryNames[c], acc.countries[c]);
      state.intervals.set(s.start, s);
    }
    if (buildPorts) this.buildPorts(state, []);
    this.findBursts(state);

    const filtered = bigCounter();
    const rows: SourceRow[] = [];
    // row objects only for sources that can be kept (the maxSourceRows largest, ties included) or alerted
    const rowMin = this.rowThreshold();
    const ev: SourceEvidence = {
      packets: 0, kinds: this.si, kindBase: 0, matches: this.si, matchBase: 0, hardFailures: 0, highTtlProbes: 0,
      fixedSourcePort: false, burst: false, topPort: -1,
    };
    const countryAgg = new Map<string, { packets: number; sources: UniqueCounter }>();
    for (let s = 0; s < this.nSources; s++) {
      const key = this.sc[s * SC + C_KEY] >>> 0;
      const packets = this.si[s * SI + S_PACKETS];
      ev.packets = packets;
      ev.kindBase = s * SI + S_KINDS;
      ev.matchBase = s * SI + S_MATCHES;
      ev.hardFailures = this.sc[s * SC + C_HARD];
      ev.highTtlProbes = this.sc[s * SC + C_HIGH_TTL];
      ev.fixedSourcePort = (this.si[s * SI + S_FLAGS] & F_SPORT_VARIES) === 0 && this.si[s * SI + S_FIRST_SPORT] >= 0;
      ev.burst = (this.si[s * SI + S_FLAGS] & F_BURST) !== 0;
      ev.topPort = this.si[s * SI + S_PORT_CAND];
      const c = classifySource(ev);
      state.classes[c.cls].packets += packets;
      state.classes[c.cls].sources.add(key);
      if (c.family) { state.families[c.family].packets += packets; state.families[c.family].sources.add(key); }
      let tagCounter = state.tags.get(c.tag);
      if (!tagCounter) state.tags.set(c.tag, tagCounter = bigCounter());
      tagCounter.add(key);
      if (this.si[s * SI + S_CLEAN] > 0 && !ev.burst) filtered.add(key);
      const country = this.countryNames[this.si[s * SI + S_COUNTRY]];
      let ca = countryAgg.get(country);
      if (!ca) countryAgg.set(country, ca = { packets: 0, sources: smallCounter() });
      ca.packets += packets;
      ca.sources.add(key);
      const asn = this.sc[s * SC + C_ASN] >>> 0;
      if (asn !== 0) {
        let aa = state.asns.get(asn);
        if (!aa) state.asns.set(asn, aa = { org: this.geo?.asn?.org(asn) ?? '', packets: 0, sources: smallCounter() });
        aa.packets += packets;
        aa.sources.add(key);
      }
      if (packets < rowMin && this.si[s * SI + S_WATCH] < 0) continue;
      const ip = this.sourceText(s);
      const bytes = this.sf[s * SF + SF_BYTES];
      const first = this.firstSeen[s];
      const last = this.sf[s * SF + SF_LAST];
      const topPort = this.si[s * SI + S_PORT_CAND];
      const portChanges = this.si[s * SI + S_PORT_CHANGES];
      // two literals in one field order (not a spread per row: up to 100,000 rows per partition)
      const row: SourceRow = c.family
        ? { ip, packets, bytes, first, last, class: c.cls, family: c.family, tag: c.tag, spoofed: c.spoofed, country, asn, top_port: topPort, ports: portChanges }
        : { ip, packets, bytes, first, last, class: c.cls, tag: c.tag, spoofed: c.spoofed, country, asn, top_port: topPort, ports: portChanges };
      rows.push(row);
      if (this.si[s * SI + S_WATCH] >= 0) state.alerts.push(this.alertFor(s, row));
    }
    for (const alert of this.arpSweeps.alerts(this.opts.sensor)) state.alerts.push(alert);
    // sources past the source table: in the country and AS counts too
    for (let c = 0; c < this.countryNames.length; c++) {
      const u = this.spilled.countrySources[c];
      if (u === undefined) continue;
      const country = this.countryNames[c];
      let ca = countryAgg.get(country);
      if (!ca) countryAgg.set(country, ca = { packets: 0, sources: smallCounter() });
      ca.packets += this.spilled.countryPackets[c];
      ca.sources.merge(u);
    }
    for (const [asn, a] of this.spilled.asns) {
      let aa = state.asns.get(asn);
      if (!aa) state.asns.set(asn, aa = { org: this.geo?.asn?.org(asn) ?? '', packets: 0, sources: smallCounter() });
      aa.packets += a.packets;
      aa.sources.merge(a.sources);
    }
    state.countries = countryAgg;
    filtered.merge(this.spilledFiltered);
    state.filteredSources = filtered;
    rows.sort((a, b) => b.packets - a.packets || (a.ip < b.ip ? -1 : 1));
    if (this.nSources > this.maxSourceRows) state.sourceRowsDropped = this.nSources - this.maxSourceRows;
    state.sourceRows = rows.slice(0, this.maxSourceRows);

    state.victims = this.victims.rows();
    state.heavyVictims = this.victims.summary();
    if (this.victims.evicted > 0) state.malformed['telescope.victims-evicted'] = this.victims.evicted;
    state.heavyTalkers = this.talkerSummary();
    return state;
  }

  /**
   * Top IPv4 talkers as a Space-Saving summary: the tracked sources' exact counts (the
   * HEAVY_K largest, error 0), joined by the summary of the sources past the table (disjoint
   * from the tracked ones: a source is either tracked from its first packet or never).
   */
  private talkerSummary(): SpaceSaving {
    const packets = new Int32Array(this.nSources);
    let total = 0;
    for (let s = 0; s < this.nSources; s++) {
      if ((this.si[s * SI + S_FLAGS] & F_V6) !== 0) continue;
      packets[s] = this.si[s * SI + S_PACKETS];
      total += packets[s];
    }
    const min = Math.max(1, kthLargest(packets, HEAVY_K));
    const entries: HeavyEntry[] = [];
    for (let s = 0; s < this.nSources; s++) if (packets[s] >= min) entries.push({ key: this.sc[s * SC + C_KEY] >>> 0, count: packets[s], error: 0 });
    const talkers = SpaceSaving.of(HEAVY_K, entries, total);
    talkers.merge(this.spilledTalkers, true);
    return talkers;
  }

  /** Packets of the maxSourceRows-th largest source (0 when all fit): sources below it get no row. */
  private rowThreshold(): number {
    const packets = new Int32Array(this.nSources);
    for (let s = 0; s < this.nSources; s++) packets[s] = this.si[s * SI + S_PACKETS];
    return kthLargest(packets, this.maxSourceRows);
  }

  /**
   * Frees the per-source and per-port tables once finish() has built the state (which keeps
   * what it needs), so a worker hands its state over without holding both. No packet may
   * follow.
   */
  release(): void {
    this.releaseSources();
    this.portSources = new PortSources(0);
  }

  /** Frees the per-source tables only: the per-port tables stay for portTables() or buildPorts() after finish(false). */
  releaseSources(): void {
    this.si = new Int32Array(0);
    this.sf = new Float64Array(0);
    this.sc = new Int32Array(0);
    this.firstSeen = new Float64Array(0);
    this.idx4 = new U32Index(16);
    this.idx6 = new U32Index(16);
    this.nSources = 0;
    this.cap = 0;
    this.maxSources = 0;
  }

  private alertFor(slot: number, row: SourceRow): AlertEvent {
    const org = !this.internal && this.watch ? this.watch.entries[this.si[slot * SI + S_WATCH]] : null;
    const ports = [...(this.watchedPorts.get(slot) ?? [])].sort((a, b) => a - b);
    return sourceAlert(row, ports, this.internal, org, this.opts.sensor);
  }
}
