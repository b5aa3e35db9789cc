/**
 * The telescope's mergeable state: everything a run aggregates, in a form that workers,
 * files, intervals and separate sensors merge exactly (sums, maxima, and UniqueCounter
 * unions). `--json` embeds it under `state`, so `telescope merge` rebuilds the same totals
 * a single run over all inputs would produce.
 */
import { UniqueCounter, type UniqueCounterJson } from './unique.js';
import type { AlertEvent } from '../events/eve.js';
import { HEAVY_K, SpaceSaving, type HeavyEntry, type SpaceSavingJson } from './heavy-hitters.js';
import { parseIpv4 } from '../util/ip.js';

export const SOURCE_CLASSES = ['scanner', 'backscatter', 'other'] as const;
export type SourceClass = (typeof SOURCE_CLASSES)[number];
export const SCANNER_FAMILIES = ['mirai', 'zmap', 'masscan', 'nmap', 'unknown'] as const;
export type ScannerFamily = (typeof SCANNER_FAMILIES)[number];

/** Precision and exact limits: large counters (totals, intervals) and small ones (per port/country/AS/tag). */
export const BIG_P = 14;
export const BIG_LIMIT = 1 << 17;
export const SMALL_P = 12;
export const SMALL_LIMIT = 2048;
export const bigCounter = (): UniqueCounter => new UniqueCounter(BIG_P, BIG_LIMIT);
/**
 * Per-interval counters: precision INTERVAL_P (standard error 1.63 %, within the 2 %:
 * four 4 KB sketches per interval instead of 16 KB ones, most of a state file), exact up to
 * INTERVAL_LIMIT keys (an hour of the project's own darknet capture stays exact).
 */
export const INTERVAL_P = 12;
export const INTERVAL_LIMIT = 4096;
export const intervalCounter = (): UniqueCounter => new UniqueCounter(INTERVAL_P, INTERVAL_LIMIT);
export const smallCounter = (): UniqueCounter => new UniqueCounter(SMALL_P, SMALL_LIMIT);

/** Protocol counter names, index = position (ICMP types are `icmp_<type>`, stored from PROTO_ICMP_BASE). */
export const PROTO_NAMES = ['tcp_syn', 'tcp_synack', 'tcp_rst', 'tcp_other', 'udp', 'icmpv6', 'other', 'fragment'] as const;
export const PROTO_ICMP_BASE = 16;
export const PROTO_SLOTS = PROTO_ICMP_BASE + 256;

export function protocolsToRecord(a: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < PROTO_NAMES.length; i++) if (a[i] > 0) out[PROTO_NAMES[i]] = a[i];
  for (let t = 0; t < 256; t++) if (a[PROTO_ICMP_BASE + t] > 0) out[`icmp_${t}`] = a[PROTO_ICMP_BASE + t];
  return out;
}

/**
 * Ports kept per interval (for per-port trends and surges): a sweep of all 131 072 TCP/UDP
 * ports must not cost a map of that size per interval. The busiest are kept, Space-Saving
 * style: counts of kept ports are exact or low by at most the interval's portsFloor.
 */
export const INTERVAL_PORTS = 1024;

/** An empty interval starting at `start` (µs). */
export function newInterval(start: number): IntervalState {
  return {
    start, packets: 0, bytes: 0, sources: intervalCounter(), src24: intervalCounter(), destinations: intervalCounter(), filteredSources: intervalCounter(),
    burstSources: 0, protocols: {}, ports: new Map(), portsFloor: 0, countries: new Map(),
  };
}

/** Keeps the `keep` busiest ports of an interval, raising portsFloor to the largest count dropped. */
export function trimIntervalPorts(iv: IntervalState, keep = INTERVAL_PORTS): void {
  if (iv.ports.size <= keep) return;
  const all = [...iv.ports].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  iv.portsFloor = Math.max(iv.portsFloor, all[keep][1]);
  iv.ports = new Map(all.slice(0, keep));
}

/**
 * Per-port unique-source counters kept in a state file (the busiest ports by packets): the
 * report lists at most 5000 ports, and a sweep of every port would otherwise put 131 072
 * counters in every file. The other ports keep their packet counts.
 */
export const PORT_SKETCHES = 8192;
/**
 * Per-source rows kept in a state file (the largest by packets): the report shows the top 100
 * talkers; 100 000 rows would be most of a state file. A source missing from one input's rows
 * is low in a merge by at most that input's smallest kept row (sourceRowsFloor).
 */
export const STATE_SOURCE_ROWS = 10_000;

/** Port key: proto slot (0 TCP, 1 UDP) × 65536 + port. */
export const portKey = (proto: 'tcp' | 'udp', port: number): number => (proto === 'tcp' ? 0 : 65536) + port;
export const portKeyProto = (key: number): 'tcp' | 'udp' => (key >= 65536 ? 'udp' : 'tcp');

export interface IntervalState {
  start: number;
  packets: number;
  bytes: number;
  sources: UniqueCounter;
  src24: UniqueCounter;
  destinations: UniqueCounter;
  /** sources with at least one packet passing the spoofing/noise filters */
  filteredSources: UniqueCounter;
  /** burst ("spoofed") sources that passed the per-packet filters: subtracted from filteredSources */
  burstSources: number;
  protocols: Record<string, number>;
  /**
   * port key → probe packets (replies excluded: they hit random ephemeral ports), for the
   * INTERVAL_PORTS busiest ports of the interval; a port not listed had at most portsFloor.
   */
  ports: Map<number, number>;
  /** upper bound of the packets of any port missing from `ports` (0: the list is complete and exact) */
  portsFloor: number;
  /** country → packets */
  countries: Map<string, number>;
}

export interface SourceRow {
  ip: string;
  packets: number;
  bytes: number;
  first: number;
  last: number;
  class: SourceClass;
  family?: ScannerFamily;
  tag: string;
  spoofed: boolean;
  country: string;
  asn: number;
  /** most frequent destination port (-1 none); `ports`: destination-port changes in the source's packets (≥ distinct ports, = when the scan is ordered) */
  top_port: number;
  ports: number;
}

export interface VictimRow {
  ip: string;
  /** packets, high by at most `error` (a victim that took the slot of one evicted from the bounded table) */
  packets: number;
  /** absent in reports before the bounded victim table: 0 */
  error?: number;
  first: number;
  last: number;
  /** likely attacked port (majority of backscatter source ports / quoted destination ports) */
  port: number;
  kinds: string[];
  /** highest packets in one minute */
  max_ppm: number;
  /** darknet sources (spoofed addresses) that received backscatter about this victim, exact below 2048 */
  attack: boolean;
}

export interface BurstRow {
  fingerprint: string;
  sources: number;
  start: number;
  end: number;
}

export class TelescopeState {
  packets = 0;
  bytes = 0;
  firstUs = Infinity;
  lastUs = -Infinity;
  ignored: Record<string, number> = {};
  malformed: Record<string, number> = {};
  hygiene: Record<string, number> = {};
  /** sources not tracked individually because the source table was full */
  spilledPackets = 0;
  /** packets of the largest source row ever dropped from this state's bounded row list (the error bound of merged top talkers) */
  sourceRowsFloor = 0;
  /** ports whose unique-source counter was dropped (beyond the PORT_SKETCHES busiest) */
  portSketchesDropped = 0;
  /** aggregators (workers, runs) whose source table the memory bound froze */
  memoryLimited = 0;
  /** resident memory of the process when the aggregation started (Node, threads, fixed tables): the part --max-memory cannot shed (largest of the merged runs; 0: no bound) */
  memoryFixedBytes = 0;
  sources = bigCounter();
  src24 = bigCounter();
  destinations = bigCounter();
  filteredSources = bigCounter();
  protocols: Record<string, number> = {};
  intervals = new Map<number, IntervalState>();
  /** per port: packets (all), sources that sent probes (null: replies only) */
  ports = new Map<number, { packets: number; sources: UniqueCounter | null }>();
  countries = new Map<string, { packets: number; sources: UniqueCounter }>();
  asns = new Map<number, { org: string; packets: number; sources: UniqueCounter }>();
  // class, family and tag counts are few and headline numbers: large counters (exact up to BIG_LIMIT)
  classes = Object.fromEntries(SOURCE_CLASSES.map((c) => [c, { packets: 0, sources: bigCounter() }])) as Record<SourceClass, { packets: number; sources: UniqueCounter }>;
  families = Object.fromEntries(SCANNER_FAMILIES.map((c) => [c, { packets: 0, sources: bigCounter() }])) as Record<ScannerFamily, { packets: number; sources: UniqueCounter }>;
  tags = new Map<string, UniqueCounter>();
  /** per-source rows, largest first, bounded */
  sourceRows: SourceRow[] = [];
  sourceRowsDropped = 0;
  victims: VictimRow[] = [];
  bursts: BurstRow[] = [];
  alerts: AlertEvent[] = [];
  /**
   * Heavy hitters (Space-Saving, HEAVY_K keys): IPv4 sources by packets and backscatter
   * victims by packets. Counts are upper bounds, each with its overestimate; merged with the
   * stated error N/k. The rows above carry the attributes of the sources and victims listed.
   */
  heavyTalkers = new SpaceSaving(HEAVY_K);
  heavyVictims = new SpaceSaving(HEAVY_K);

  constructor(readonly intervalUs: number, readonly darknets: string[]) {}

  /** Keeps the `keep` largest source rows (see STATE_SOURCE_ROWS); rows are sorted by packets. */
  trimSourceRows(keep = STATE_SOURCE_ROWS): void {
    if (this.sourceRows.length <= keep) return;
    this.sourceRowsFloor = Math.max(this.sourceRowsFloor, this.sourceRows[keep].packets);
    this.sourceRowsDropped += this.sourceRows.length - keep;
    this.sourceRows = this.sourceRows.slice(0, keep);
  }

  /** Drops the unique-source counters of all but the `keep` busiest ports (see PORT_SKETCHES). */
  trimPortSketches(keep = PORT_SKETCHES): void {
    const withSketch = [...this.ports].filter(([, v]) => v.sources !== null);
    if (withSketch.length <= keep) return;
    withSketch.sort((a, b) => b[1].packets - a[1].packets || a[0] - b[0]);
    for (const [, v] of withSketch.slice(keep)) v.sources = null;
    this.portSketchesDropped += withSketch.length - keep;
  }

  interval(start: number): IntervalState {
    let s = this.intervals.get(start);
    if (!s) {
      s = newInterval(start);
      this.intervals.set(start, s);
    }
    return s;
  }

  /**
   * A state that crossed a thread boundary by structured clone (worker → main thread) as a
   * TelescopeState again: the clone keeps every field, Map and typed array, only the class
   * prototypes are lost. Restoring them costs nothing per key, where toJSON/fromJSON
   * base64-encoded, sorted and re-hashed every exact set (about a second on 10 M packets).
   */
  static revive(cloned: unknown): TelescopeState {
    const s = Object.setPrototypeOf(cloned as object, TelescopeState.prototype) as TelescopeState;
    s.heavyTalkers = SpaceSaving.revive(s.heavyTalkers);
    s.heavyVictims = SpaceSaving.revive(s.heavyVictims);
    s.forEachCounter((u) => Object.setPrototypeOf(u, UniqueCounter.prototype));
    return s;
  }

  /**
   * Before posting this state to another thread: moves the storage of every counter (there
   * is one per port, up to 131 072, each with its own small table) into one ArrayBuffer and
   * returns it for the transfer list, so the structured clone moves one buffer instead of
   * copying a hundred thousand small typed arrays.
   */
  packForTransfer(): ArrayBuffer {
    let bytes = 0;
    this.forEachCounter((u) => { bytes += u.storageBytes(); });
    const buffer = new ArrayBuffer(bytes);
    let offset = 0;
    this.forEachCounter((u) => { offset = u.moveStorageTo(buffer, offset); });
    return buffer;
  }

  /** Every UniqueCounter of the state (the traversal revive and packForTransfer share). */
  private forEachCounter(fn: (u: UniqueCounter) => void): void {
    fn(this.sources);
    fn(this.src24);
    fn(this.destinations);
    fn(this.filteredSources);
    for (const i of this.intervals.values()) {
      fn(i.sources);
      fn(i.src24);
      fn(i.destinations);
      fn(i.filteredSources);
    }
    for (const v of this.ports.values()) if (v.sources !== null) fn(v.sources);
    for (const v of this.countries.values()) fn(v.sources);
    for (const v of this.asns.values()) fn(v.sources);
    for (const c of SOURCE_CLASSES) fn(this.classes[c].sources);
    for (const f of SCANNER_FAMILIES) fn(this.families[f].sources);
    for (const u of this.tags.values()) fn(u);
  }

  /**
   * Adds another run's state. `disjointSources`: the two states never saw the same source
   * (worker partitions), so their source rows are concatenated instead of matched by address.
   */
  merge(o: TelescopeState, maxRows = 100_000, disjointSources = false): void {
    if (o.intervalUs !== this.intervalUs) throw new Error(`cannot merge runs with intervals of ${o.intervalUs / 1e6} s and ${this.intervalUs / 1e6} s`);
    for (const d of o.darknets) if (!this.darknets.includes(d)) this.darknets.push(d);
    this.packets += o.packets;
    this.bytes += o.bytes;
    this.firstUs = Math.min(this.firstUs, o.firstUs);
    this.lastUs = Math.max(this.lastUs, o.lastUs);
    addRecord(this.ignored, o.ignored);
    addRecord(this.malformed, o.malformed);
    addRecord(this.hygiene, o.hygiene);
    addRecord(this.protocols, o.protocols);
    this.spilledPackets += o.spilledPackets;
    this.portSketchesDropped += o.portSketchesDropped;
    this.memoryLimited += o.memoryLimited;
    this.memoryFixedBytes = Math.max(this.memoryFixedBytes, o.memoryFixedBytes);
    this.sourceRowsFloor += o.sourceRowsFloor;
    this.sources.merge(o.sources);
    this.src24.merge(o.src24);
    this.destinations.merge(o.destinations);
    this.filteredSources.merge(o.filteredSources);
    for (const [start, b] of o.intervals) {
      const a = this.interval(start);
      a.packets += b.packets;
      a.bytes += b.bytes;
      a.sources.merge(b.sources);
      a.src24.merge(b.src24);
      a.destinations.merge(b.destinations);
      a.filteredSources.merge(b.filteredSources);
      a.burstSources += b.burstSources;
      addRecord(a.protocols, b.protocols);
      for (const [k, v] of b.ports) a.ports.set(k, (a.ports.get(k) ?? 0) + v);
      a.portsFloor += b.portsFloor;
      trimIntervalPorts(a);
      for (const [k, v] of b.countries) a.countries.set(k, (a.countries.get(k) ?? 0) + v);
    }
    for (const [k, v] of o.ports) {
      const a = this.ports.get(k);
      if (!a) this.ports.set(k, { packets: v.packets, sources: v.sources ? cloneCounter(v.sources) : null });
      else {
        a.packets += v.packets;
        if (v.sources) { if (a.sources) a.sources.merge(v.sources); else a.sources = cloneCounter(v.sources); }
      }
    }
    mergeKeyed(this.countries, o.countries, smallCounter);
    for (const [k, v] of o.asns) {
      const a = this.asns.get(k);
      if (a) { a.packets += v.packets; a.sources.merge(v.sources); } else this.asns.set(k, { org: v.org, packets: v.packets, sources: cloneCounter(v.sources) });
    }
    for (const c of SOURCE_CLASSES) { this.classes[c].packets += o.classes[c].packets; this.classes[c].sources.merge(o.classes[c].sources); }
    for (const f of SCANNER_FAMILIES) { this.families[f].packets += o.families[f].packets; this.families[f].sources.merge(o.families[f].sources); }
    for (const [k, v] of o.tags) {
      const a = this.tags.get(k);
      if (a) a.merge(v); else this.tags.set(k, cloneCounter(v));
    }
    if (disjointSources) this.concatSourceRows(o.sourceRows, maxRows);
    else this.mergeSourceRows(o.sourceRows, maxRows);
    this.sourceRowsDropped += o.sourceRowsDropped;
    this.mergeVictims(o.victims);
    // worker partitions own disjoint sources; victims named by ICMP errors can reach two workers
    this.heavyTalkers.merge(o.heavyTalkers, disjointSources);
    this.heavyVictims.merge(o.heavyVictims);
    if (disjointSources) {
      // Worker partitions each saw part of the same burst's sources: one row per burst.
      for (const b of o.bursts) {
        const a = this.bursts.find((x) => x.fingerprint === b.fingerprint && x.start <= b.end && b.start <= x.end);
        if (a === undefined) this.bursts.push({ ...b });
        else { a.sources += b.sources; a.start = Math.min(a.start, b.start); a.end = Math.max(a.end, b.end); }
      }
    } else this.bursts.push(...o.bursts);
    this.alerts.push(...o.alerts);
  }

  private mergeSourceRows(rows: SourceRow[], maxRows: number): void {
    const byIp = new Map(this.sourceRows.map((r) => [r.ip, r]));
    for (const r of rows) {
      const a = byIp.get(r.ip);
      if (!a) { byIp.set(r.ip, { ...r }); continue; }
      // the same source seen by two sensors: sum, keep the classification of the larger share
      if (r.packets > a.packets) { a.class = r.class; a.family = r.family; a.tag = r.tag; a.top_port = r.top_port; }
      a.packets += r.packets;
      a.bytes += r.bytes;
      a.first = Math.min(a.first, r.first);
      a.last = Math.max(a.last, r.last);
      a.spoofed = a.spoofed || r.spoofed;
      a.ports = Math.max(a.ports, r.ports);
    }
    const all = [...byIp.values()].sort((x, y) => y.packets - x.packets || (x.ip < y.ip ? -1 : 1));
    if (all.length > maxRows) this.sourceRowsDropped += all.length - maxRows;
    this.sourceRows = all.slice(0, maxRows);
  }

  /** Both row lists are sorted (packets descending, then address); merged in one pass. */
  private concatSourceRows(rows: SourceRow[], maxRows: number): void {
    const a = this.sourceRows;
    const out: SourceRow[] = [];
    let i = 0;
    let j = 0;
    while (out.length < maxRows && (i < a.length || j < rows.length)) {
      const x = a[i];
      const y = rows[j];
      if (y === undefined || (x !== undefined && (x.packets > y.packets || (x.packets === y.packets && x.ip < y.ip)))) { out.push(x); i++; }
      else { out.push(y); j++; }
    }
    this.sourceRowsDropped += a.length - i + rows.length - j;
    this.sourceRows = out;
  }

  private mergeVictims(rows: VictimRow[]): void {
    const byIp = new Map(this.victims.map((r) => [r.ip, r]));
    for (const r of rows) {
      const a = byIp.get(r.ip);
      if (!a) { byIp.set(r.ip, { ...r, kinds: [...r.kinds] }); continue; }
      if (r.packets > a.packets) a.port = r.port;
      a.packets += r.packets;
      a.error = (a.error ?? 0) + (r.error ?? 0);
      a.first = Math.min(a.first, r.first);
      a.last = Math.max(a.last, r.last);
      a.max_ppm = Math.max(a.max_ppm, r.max_ppm);
      for (const k of r.kinds) if (!a.kinds.includes(k)) a.kinds.push(k);
      a.attack = isDosAttack(a);
    }
    this.victims = [...byIp.values()].sort((x, y) => y.packets - x.packets || (x.ip < y.ip ? -1 : 1)).slice(0, 10_000);
  }

  toJSON(): SerializedState {
    return this.serialize((u) => u.toJSON());
  }

  /** The state as plain data, each counter through enc (JSON: base64 sketches; the binary state file: counter indexes). */
  serialize<C>(enc: (u: UniqueCounter) => C): SerializedState<C> {
    return {
      version: 2,
      interval_us: this.intervalUs,
      darknets: this.darknets,
      packets: this.packets,
      bytes: this.bytes,
      first_us: Number.isFinite(this.firstUs) ? this.firstUs : null,
      last_us: Number.isFinite(this.lastUs) ? this.lastUs : null,
      ignored: this.ignored,
      malformed: this.malformed,
      hygiene: this.hygiene,
      spilled_packets: this.spilledPackets,
      port_sketches_dropped: this.portSketchesDropped,
      memory_limited: this.memoryLimited,
      memory_fixed_bytes: this.memoryFixedBytes,
      source_rows_floor: this.sourceRowsFloor,
      sources: enc(this.sources),
      src24: enc(this.src24),
      destinations: enc(this.destinations),
      filtered_sources: enc(this.filteredSources),
      protocols: this.protocols,
      intervals: [...this.intervals.values()].sort((a, b) => a.start - b.start).map((s) => ({
        start: s.start, packets: s.packets, bytes: s.bytes, sources: enc(s.sources), src24: enc(s.src24),
        destinations: enc(s.destinations), filtered_sources: enc(s.filteredSources), burst_sources: s.burstSources,
        protocols: s.protocols, ports: [...s.ports], ports_floor: s.portsFloor, countries: [...s.countries],
      })),
      ports: [...this.ports].map(([k, v]) => [k, v.packets, v.sources ? enc(v.sources) : null]),
      countries: [...this.countries].map(([k, v]) => [k, v.packets, enc(v.sources)]),
      asns: [...this.asns].map(([k, v]) => [k, v.org, v.packets, enc(v.sources)]),
      classes: Object.fromEntries(SOURCE_CLASSES.map((c) => [c, [this.classes[c].packets, enc(this.classes[c].sources)]])) as SerializedState<C>['classes'],
      families: Object.fromEntries(SCANNER_FAMILIES.map((c) => [c, [this.families[c].packets, enc(this.families[c].sources)]])) as SerializedState<C>['families'],
      tags: [...this.tags].map(([k, v]) => [k, enc(v)]),
      source_rows: this.sourceRows,
      source_rows_dropped: this.sourceRowsDropped,
      victims: this.victims,
      bursts: this.bursts,
      alerts: this.alerts,
      heavy_hitters: { talkers: this.heavyTalkers.toJSON(), victims: this.heavyVictims.toJSON() },
    };
  }

  static fromJSON(j: SerializedState): TelescopeState {
    return TelescopeState.deserialize(j, (u) => UniqueCounter.fromJSON(u));
  }

  /** Rebuilds a state from serialize's data, each counter through dec. */
  static deserialize<C>(j: SerializedState<C>, dec: (c: C) => UniqueCounter): TelescopeState {
    if (j === null || typeof j !== 'object' || (j.version !== 1 && j.version !== 2)) throw new Error(`not a minewatch telescope state this minewatch reads (version ${String((j as { version?: unknown } | null)?.version)}, readable: 1 and 2)`);
    const s = new TelescopeState(j.interval_us, [...j.darknets]);
    s.packets = j.packets;
    s.bytes = j.bytes;
    s.firstUs = j.first_us ?? Infinity;
    s.lastUs = j.last_us ?? -Infinity;
    s.ignored = { ...j.ignored };
    s.malformed = { ...j.malformed };
    s.hygiene = { ...j.hygiene };
    s.spilledPackets = j.spilled_packets;
    s.portSketchesDropped = j.port_sketches_dropped ?? 0;
    s.memoryLimited = j.memory_limited ?? 0;
    s.memoryFixedBytes = j.memory_fixed_bytes ?? 0;
    s.sourceRowsFloor = j.source_rows_floor ?? 0;
    s.sources = dec(j.sources);
    s.src24 = dec(j.src24);
    s.destinations = dec(j.destinations);
    s.filteredSources = dec(j.filtered_sources);
    s.protocols = { ...j.protocols };
    for (const i of j.intervals) {
      s.intervals.set(i.start, {
        start: i.start, packets: i.packets, bytes: i.bytes, sources: dec(i.sources), src24: dec(i.src24),
        destinations: dec(i.destinations), filteredSources: dec(i.filtered_sources),
        burstSources: i.burst_sources, protocols: { ...i.protocols }, ports: new Map(i.ports), portsFloor: i.ports_floor ?? 0,
        countries: new Map(i.countries),
      });
    }
    for (const [k, p, u] of j.ports) s.ports.set(k, { packets: p, sources: u ? dec(u) : null });
    for (const [k, p, u] of j.countries) s.countries.set(k, { packets: p, sources: dec(u) });
    for (const [k, org, p, u] of j.asns) s.asns.set(k, { org, packets: p, sources: dec(u) });
    for (const c of SOURCE_CLASSES) s.classes[c] = { packets: j.classes[c][0], sources: dec(j.classes[c][1]) };
    for (const c of SCANNER_FAMILIES) s.families[c] = { packets: j.families[c][0], sources: dec(j.families[c][1]) };
    for (const [k, u] of j.tags) s.tags.set(k, dec(u));
    s.sourceRows = j.source_rows.map((r) => ({ ...r }));
    s.sourceRowsDropped = j.source_rows_dropped;
    s.victims = j.victims.map((r) => ({ ...r, error: r.error ?? 0, kinds: [...r.kinds] }));
    s.bursts = j.bursts.map((b) => ({ ...b }));
    s.alerts = j.alerts.map((a) => ({ ...a }));
    if (j.heavy_hitters !== undefined) {
      s.heavyTalkers = SpaceSaving.fromJSON(j.heavy_hitters.talkers);
      s.heavyVictims = SpaceSaving.fromJSON(j.heavy_hitters.victims);
      if (s.heavyTalkers.k !== HEAVY_K || s.heavyVictims.k !== HEAVY_K) throw new Error(`heavy-hitter summaries of k = ${s.heavyTalkers.k}, this minewatch merges k = ${HEAVY_K}`);
    } else {
      // version 1 (before the summaries): built from the bounded rows. A merged v1 source row is
      // low by at most source_rows_floor: as a summary entry it is that much high, with that error.
      const floor = s.sourceRowsFloor;
      const entries = (rows: { ip: string; packets: number }[], error: number): HeavyEntry[] =>
        rows.map((r) => ({ key: parseIpv4(r.ip), count: r.packets + error, error })).filter((e) => e.key >= 0);
      s.heavyTalkers = SpaceSaving.of(HEAVY_K, entries(s.sourceRows, floor), s.packets);
      s.heavyVictims = SpaceSaving.of(HEAVY_K, entries(s.victims, 0), s.victims.reduce((a, r) => a + r.packets, 0));
    }
    return s;
  }
}

export interface SerializedState<C = UniqueCounterJson> {
  /** 2: with heavy_hitters; 1 (read compatibly: the summaries are built from the rows) */
  version: 1 | 2;
  interval_us: number;
  darknets: string[];
  packets: number;
  bytes: number;
  first_us: number | null;
  last_us: number | null;
  ignored: Record<string, number>;
  malformed: Record<string, number>;
  hygiene: Record<string, number>;
  spilled_packets: number;
  port_sketches_dropped?: number;
  memory_limited?: number;
  memory_fixed_bytes?: number;
  source_rows_floor?: number;
  sources: C;
  src24: C;
  destinations: C;
  filtered_sources: C;
  protocols: Record<string, number>;
  intervals: {
    start: number; packets: number; bytes: number; sources: C; src24: C; destinations: C;
    filtered_sources: C; burst_sources: number; protocols: Record<string, number>; ports: [number, number][];
    /** absent from files of versions before the per-interval port limit (0: exact) */
    ports_floor?: number; countries: [string, number][];
  }[];
  ports: [number, number, C | null][];
  countries: [string, number, C][];
  asns: [number, string, number, C][];
  classes: Record<SourceClass, [number, C]>;
  families: Record<ScannerFamily, [number, C]>;
  tags: [string, C][];
  source_rows: SourceRow[];
  source_rows_dropped: number;
  victims: VictimRow[];
  bursts: BurstRow[];
  alerts: AlertEvent[];
  heavy_hitters?: { talkers: SpaceSavingJson; victims: SpaceSavingJson };
}

/**
 * CAIDA corsaro dos plugin's thresholds for calling backscatter an attack: at least 25
 * packets, lasting at least 60 s, and a peak of at least 30 packets in one minute.
 */
export const DOS_MIN_PACKETS = 25;
export const DOS_MIN_DURATION_US = 60e6;
export const DOS_MIN_PPM = 30;
export function isDosAttack(v: { packets: number; first: number; last: number; max_ppm: number }): boolean {
  return v.packets >= DOS_MIN_PACKETS && v.last - v.first >= DOS_MIN_DURATION_US && v.max_ppm >= DOS_MIN_PPM;
}

function addRecord(a: Record<string, number>, b: Record<string, number>): void {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
}

function cloneCounter(u: UniqueCounter): UniqueCounter {
  const c = new UniqueCounter(u.p, u.limit);
  c.merge(u);
  return c;
}

function mergeKeyed<K>(a: Map<K, { packets: number; sources: UniqueCounter }>, b: Map<K, { packets: number; sources: UniqueCounter }>, make: () => UniqueCounter): void {
  for (const [k, v] of b) {
    let x = a.get(k);
    if (!x) { x = { packets: 0, sources: make() }; a.set(k, x); }
    x.packets += v.packets;
    x.sources.merge(v.sources);
  }
}
