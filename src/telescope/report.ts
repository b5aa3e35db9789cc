/**
 * The `--json` output: totals, intervals, ports, countries, AS, classes, families, trends and
 * surges derived from a (merged) TelescopeState. The mergeable state itself goes to the
 * binary state file (`--state`, state-file.ts); older JSON outputs that embedded it under
 * `state` are still read by `telescope merge`.
 */
import { InputError, UsageError } from '../util/errors.js';
import { eveTimestamp } from '../events/eve-format.js';
import { ASN_ATTRIBUTION } from './geo.js';
import {
  BIG_P, INTERVAL_LIMIT, INTERVAL_P, portKeyProto, SCANNER_FAMILIES, SMALL_LIMIT, SMALL_P, SOURCE_CLASSES, TelescopeState,
  type BurstRow, type ScannerFamily, type SerializedState, type SourceClass, type SourceRow, type VictimRow,
} from './state.js';
import { sketchError, type UniqueCounter } from './unique.js';
import { formatIpv4 } from '../util/ip.js';
import type { SpaceSaving } from './heavy-hitters.js';
import type { AlertEvent } from '../events/eve.js';

export interface IntervalRow {
  start: string;
  start_us: number;
  packets: number;
  bytes: number;
  sources: number;
  networks_24: number;
  destinations: number;
  /** sources left after the spoofing/noise filters and burst removal */
  sources_filtered: number;
  protocols: Record<string, number>;
}

/** packets: all packets to the port; sources: unique sources that sent probes (not replies) to it */
/**
 * A top talker: its source row, packets from the heavy-hitter summary (high by at most
 * packets_error; both fields are absent in reports written before the summaries). `tracked: false`: a source past the memory bound's source table, known only
 * to the summary (not classified; bytes and times unknown, 0).
 */
export type TalkerRow = SourceRow & { packets_error?: number; tracked?: boolean };

export interface PortRow { proto: 'tcp' | 'udp'; port: number; packets: number; sources: number }
export interface TrendRow { key: string; previous: number; current: number; change: number | null }
export interface SurgeRow { kind: 'port' | 'country'; key: string; interval: string; packets: number; baseline: number; ratio: number }

export interface TelescopeReport {
  kind: 'minewatch-telescope';
  version: 1;
  darknets: string[];
  interval_s: number;
  start: string | null;
  end: string | null;
  totals: { packets: number; bytes: number; sources: number; networks_24: number; destinations: number; sources_filtered: number };
  /** relative standard error of each unique count (0 = exact) */
  unique_error: { sources: number; networks_24: number; destinations: number; per_port_sources: number };
  ignored_packets: number;
  ignored: Record<string, number>;
  malformed: Record<string, number>;
  hygiene: Record<string, number>;
  spilled_packets: number;
  protocols: Record<string, number>;
  intervals: IntervalRow[];
  ports: PortRow[];
  ports_omitted: number;
  /**
   * Per-interval port counts (trends, surges) keep each interval's busiest ports: a port's
   * count in an interval is low by at most this many packets (0: exact).
   */
  interval_port_error: number;
  /** ports beyond the busiest 8192 whose unique sources a merged state file no longer holds (their `sources`: 0) */
  port_sketches_dropped: number;
  /** largest overestimate of a listed top talker's packets (0: every count listed is exact) */
  top_talkers_error: number;
  /**
   * Heavy-hitter summaries (Space-Saving, k keys) behind top_talkers (IPv4 sources) and
   * victims: each listed count is an upper bound, high by at most its own `packets_error` /
   * `error`, and every key with more than error_bound = total/k packets is listed. Ports are
   * counted exactly (131,072 counters: the key space is bounded, no sketch needed).
   */
  heavy_hitters: {
    k: number;
    talkers: { total: number; error_bound: number; floor: number };
    victims: { total: number; error_bound: number; floor: number };
    ports: { exact: true };
  };
  /** workers or merged runs that reached --max-memory: their later new sources are in the sketches only (spilled_packets) */
  memory_limited: number;
  /**
   * Resident memory (MB) when the aggregation started — Node, its worker threads and the fixed
   * tables: the part --max-memory cannot shed (0: run without a bound)
   */
  memory_fixed_mb: number;
  countries: { country: string; packets: number; sources: number }[];
  asns: { asn: number; org: string; packets: number; sources: number }[];
  classes: Record<SourceClass, number>;
  class_packets: Record<SourceClass, number>;
  scanner_families: Record<ScannerFamily, number>;
  family_packets: Record<ScannerFamily, number>;
  tags: Record<string, number>;
  /** the largest sources by packets (IPv4 from the heavy-hitter summary, IPv6 from the source rows) */
  top_talkers: TalkerRow[];
  victims: VictimRow[];
  /** All backscatter victims, and those seen in one packet only (victims lists the top 100). */
  victims_total: number;
  victims_single_packet: number;
  dos_attacks: number;
  bursts: BurstRow[];
  trends: { ports: TrendRow[]; countries: TrendRow[] };
  surges: SurgeRow[];
  alerts: AlertEvent[];
  /**
   * Precision and exact limit of the sketches, read from the counters themselves: p, the totals;
   * interval_p, the per-interval counts; small_p, per country/AS (per port: unique_error).
   */
  sketch: {
    p: number; exact_limit: number; error: number; interval_p: number; interval_exact_limit: number; interval_error: number;
    small_p: number; small_exact_limit: number; small_error: number;
  };
  attribution: string;
  /** content id of the binary state written beside this report (`--state`), if any */
  state_id?: string;
  /** runs merged into this report (ids of their states), when it came from state files */
  lineage?: string[];
}

const MAX_PORT_ROWS = 5000;
/** A surge: at least this many packets, ≥ SURGE_RATIO × the median of the previous intervals, and far outside their spread. */
const SURGE_MIN_PACKETS = 50;
const SURGE_RATIO = 4;
const SURGE_BASELINE = 6;
const SURGE_MIN_SHARE = 0.002;

const iso = (us: number): string => eveTimestamp(us);
const err = (exact: boolean, p: number): number => (exact ? 0 : Math.round(sketchError(p) * 10000) / 10000);

/** The largest standard error of the per-port source counts (coarse per-port sketches: see port-sources.ts). */
function portSourcesError(state: TelescopeState): number {
  let p = Infinity;
  for (const v of state.ports.values()) if (v.sources !== null && !v.sources.isExact) p = Math.min(p, v.sources.p);
  return Number.isFinite(p) ? err(false, p) : 0;
}

const TOP_ROWS = 100;

/** Top talkers: the summary's IPv4 sources and the IPv6 source rows, largest first, with their attributes from the rows. */
function topTalkers(state: TelescopeState): TalkerRow[] {
  const rows = new Map(state.sourceRows.map((r) => [r.ip, r]));
  const out: TalkerRow[] = state.heavyTalkers.top(TOP_ROWS).map((e) => {
    const ip = formatIpv4(e.key);
    const row = rows.get(ip);
    if (row !== undefined) return { ...row, packets: e.count, packets_error: e.error, tracked: true };
    return {
      ip, packets: e.count, packets_error: e.error, tracked: false, bytes: 0, first: 0, last: 0, class: 'other', tag: 'untracked',
      spoofed: false, country: '', asn: 0, top_port: -1, ports: 0,
    };
  });
  for (const r of state.sourceRows) if (r.ip.includes(':')) out.push({ ...r, packets_error: 0, tracked: true });
  return out.sort((a, b) => b.packets - a.packets || (a.ip < b.ip ? -1 : 1)).slice(0, TOP_ROWS);
}

/** Top victims: the summary's counts with the attributes of their rows (a victim without a row is listed with what the summary knows). */
function topVictims(state: TelescopeState): VictimRow[] {
  const rows = new Map(state.victims.map((r) => [r.ip, r]));
  return state.heavyVictims.top(TOP_ROWS).map((e) => {
    const ip = formatIpv4(e.key);
    const row = rows.get(ip);
    return row !== undefined ? { ...row, packets: e.count, error: e.error } : { ip, packets: e.count, error: e.error, first: 0, last: 0, port: 0, kinds: [], max_ppm: 0, attack: false };
  });
}

const summaryStats = (s: SpaceSaving): { total: number; error_bound: number; floor: number } => ({ total: s.total, error_bound: Math.ceil(s.errorBound), floor: s.floor });

/** Precision of a counter, when it holds a sketch or will turn into one (an empty interval list: the default). */
const precisionOf = (u: UniqueCounter | undefined, fallback: number): number => u?.p ?? fallback;

export function buildReport(state: TelescopeState): TelescopeReport {
  const intervals = [...state.intervals.values()].sort((a, b) => a.start - b.start);
  const intervalRows: IntervalRow[] = intervals.map((s) => ({
    start: iso(s.start), start_us: s.start, packets: s.packets, bytes: s.bytes, sources: s.sources.count(), networks_24: s.src24.count(),
    destinations: s.destinations.count(), sources_filtered: Math.max(0, s.filteredSources.count() - s.burstSources), protocols: s.protocols,
  }));
  const allPorts: PortRow[] = [...state.ports].map(([k, v]) => ({ proto: portKeyProto(k), port: k & 0xffff, packets: v.packets, sources: v.sources ? v.sources.count() : 0 }));
  allPorts.sort((a, b) => b.packets - a.packets || a.port - b.port || (a.proto < b.proto ? -1 : 1));
  const countries = [...state.countries].map(([country, v]) => ({ country, packets: v.packets, sources: v.sources.count() }))
    .sort((a, b) => b.packets - a.packets || (a.country < b.country ? -1 : 1));
  const asns = [...state.asns].map(([asn, v]) => ({ asn, org: v.org, packets: v.packets, sources: v.sources.count() }))
    .sort((a, b) => b.packets - a.packets || a.asn - b.asn).slice(0, 1000);
  const classes = Object.fromEntries(SOURCE_CLASSES.map((c) => [c, state.classes[c].sources.count()])) as Record<SourceClass, number>;
  const classPackets = Object.fromEntries(SOURCE_CLASSES.map((c) => [c, state.classes[c].packets])) as Record<SourceClass, number>;
  const families = Object.fromEntries(SCANNER_FAMILIES.map((c) => [c, state.families[c].sources.count()])) as Record<ScannerFamily, number>;
  const familyPackets = Object.fromEntries(SCANNER_FAMILIES.map((c) => [c, state.families[c].packets])) as Record<ScannerFamily, number>;
  const tags = Object.fromEntries([...state.tags].map(([k, v]) => [k, v.count()] as const).sort((a, b) => b[1] - a[1]));

  // series per port (top ports only: surges on ports with a handful of packets are noise) and per country
  const topPortKeys = [...state.ports].sort((a, b) => b[1].packets - a[1].packets).slice(0, 200).map(([k]) => k);
  const portSeries = new Map<string, number[]>(topPortKeys.map((k) => [`${portKeyProto(k)}/${k & 0xffff}`, intervals.map((s) => s.ports.get(k) ?? 0)]));
  const countrySeries = new Map<string, number[]>(countries.map((c) => [c.country, intervals.map((s) => s.countries.get(c.country) ?? 0)]));
  const trends = { ports: trendRows(portSeries), countries: trendRows(countrySeries) };
  const starts = intervals.map((s) => s.start);
  const totalsPerInterval = intervals.map((s) => s.packets);
  // strongest first by packets above the baseline: a small country going from 0 to 70 packets is less news than a port tripling
  const surges = [...findSurges('port', portSeries, starts, totalsPerInterval), ...findSurges('country', countrySeries, starts, totalsPerInterval)]
    .sort((a, b) => (b.packets - b.baseline) - (a.packets - a.baseline) || b.ratio - a.ratio);

  const ignored = state.ignored;
  const talkers = topTalkers(state);
  const bigP = precisionOf(state.sources, BIG_P);
  const intervalP = precisionOf(intervals[0]?.sources, INTERVAL_P);
  const firstCountry = state.countries.values().next().value?.sources;
  const smallP = precisionOf(firstCountry, SMALL_P);
  return {
    kind: 'minewatch-telescope',
    version: 1,
    darknets: state.darknets,
    interval_s: state.intervalUs / 1e6,
    start: Number.isFinite(state.firstUs) ? iso(state.firstUs) : null,
    end: Number.isFinite(state.lastUs) ? iso(state.lastUs) : null,
    totals: {
      packets: state.packets, bytes: state.bytes, sources: state.sources.count(), networks_24: state.src24.count(),
      destinations: state.destinations.count(), sources_filtered: state.filteredSources.count(),
    },
    unique_error: {
      sources: err(state.sources.isExact, state.sources.p), networks_24: err(state.src24.isExact, state.src24.p), destinations: err(state.destinations.isExact, state.destinations.p),
      per_port_sources: portSourcesError(state),
    },
    ignored_packets: Object.values(ignored).reduce((a, b) => a + b, 0),
    ignored,
    malformed: sortedRecord(state.malformed),
    hygiene: sortedRecord(state.hygiene),
    spilled_packets: state.spilledPackets,
    protocols: sortedRecord(state.protocols),
    intervals: intervalRows,
    ports: allPorts.slice(0, MAX_PORT_ROWS),
    ports_omitted: Math.max(0, allPorts.length - MAX_PORT_ROWS),
    countries,
    asns,
    classes,
    class_packets: classPackets,
    scanner_families: families,
    family_packets: familyPackets,
    tags,
    top_talkers: talkers,
    victims: topVictims(state),
    victims_total: state.victims.length,
    victims_single_packet: state.victims.filter((v) => v.packets <= 1).length,
    dos_attacks: state.victims.filter((v) => v.attack).length,
    bursts: mergeBursts(state.bursts),
    trends,
    surges,
    alerts: state.alerts,
    sketch: {
      p: bigP, exact_limit: state.sources.limit, error: err(false, bigP),
      interval_p: intervalP, interval_exact_limit: intervals[0]?.sources.limit ?? INTERVAL_LIMIT, interval_error: err(false, intervalP),
      small_p: smallP, small_exact_limit: firstCountry?.limit ?? SMALL_LIMIT, small_error: err(false, smallP),
    },
    attribution: ASN_ATTRIBUTION,
    interval_port_error: intervals.reduce((m, s) => Math.max(m, s.portsFloor), 0),
    port_sketches_dropped: state.portSketchesDropped,
    memory_limited: state.memoryLimited,
    memory_fixed_mb: Math.round(state.memoryFixedBytes / 1048576),
    top_talkers_error: talkers.reduce((m, t) => Math.max(m, t.packets_error ?? 0), 0),
    heavy_hitters: { k: state.heavyTalkers.k, talkers: summaryStats(state.heavyTalkers), victims: summaryStats(state.heavyVictims), ports: { exact: true } },
  };
}

/** Rebuilds the state from one or more legacy `--json` outputs (with an embedded `state`) and merges them. */
export function mergeReports(docs: unknown[]): TelescopeState {
  if (docs.length === 0) throw new UsageError('nothing to merge', 'usage.nothing-to-merge');
  const states = docs.map((d, i) => legacyState(d, `input ${i + 1}`));
  for (const s of states.slice(1)) states[0].merge(s);
  return states[0];
}

/** The state embedded in a legacy `--json` output (InputError naming `name` when there is none or it is unreadable). */
export function legacyState(doc: unknown, name: string): TelescopeState {
  const st = (doc as { state?: SerializedState } | null)?.state;
  if (!st) throw new InputError('input.not-telescope-json', `${name} is neither a telescope state file (--state) nor a JSON output with an embedded "state"`, { subject: name });
  try {
    return TelescopeState.fromJSON(st);
  } catch (e) {
    throw new InputError('input.bad-state', `${name}: unreadable embedded state (${(e as Error).message})`, { subject: name });
  }
}

function sortedRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

function mergeBursts(rows: BurstRow[]): BurstRow[] {
  // workers and 10-minute buckets split one burst: join rows of one fingerprint that touch in time
  const sorted = [...rows].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : a.start - b.start));
  const out: BurstRow[] = [];
  for (const r of sorted) {
    const a = out.length > 0 ? out[out.length - 1] : null;
    if (a && a.fingerprint === r.fingerprint && r.start - a.end <= 600e6) {
      a.sources += r.sources;
      a.end = Math.max(a.end, r.end);
    } else out.push({ ...r });
  }
  return out.sort((a, b) => b.sources - a.sources);
}

/** Last interval versus the one before, for each series. */
function trendRows(series: Map<string, number[]>): TrendRow[] {
  const rows: TrendRow[] = [];
  for (const [key, x] of series) {
    const current = x.length > 0 ? x[x.length - 1] : 0;
    const previous = x.length > 1 ? x[x.length - 2] : 0;
    rows.push({ key, previous, current, change: previous > 0 ? Math.round(((current - previous) / previous) * 1000) / 1000 : null });
  }
  return rows.sort((a, b) => b.current - a.current);
}

/**
 * Surge detector: an interval whose count is at least SURGE_MIN_PACKETS (and SURGE_MIN_SHARE
 * of all packets in that interval), at least
 * SURGE_RATIO × the median of up to SURGE_BASELINE previous intervals, and more than six
 * robust deviations (MAD) above it. The first such interval of each series is reported.
 */
export function findSurges(kind: 'port' | 'country', series: Map<string, number[]>, starts: number[], intervalPackets?: number[]): SurgeRow[] {
  const out: SurgeRow[] = [];
  for (const [key, x] of series) {
    for (let t = 1; t < x.length; t++) {
      const prev = x.slice(Math.max(0, t - SURGE_BASELINE), t);
      const med = median(prev);
      const mad = median(prev.map((v) => Math.abs(v - med))) * 1.4826;
      const cur = x[t];
      const min = Math.max(SURGE_MIN_PACKETS, SURGE_MIN_SHARE * (intervalPackets?.[t] ?? 0));
      if (cur >= min && cur >= SURGE_RATIO * Math.max(med, 1) && cur - med > 6 * Math.max(mad, 1)) {
        out.push({ kind, key, interval: eveTimestamp(starts[t]), packets: cur, baseline: med, ratio: Math.round((cur / Math.max(med, 1)) * 100) / 100 });
        break;
      }
    }
  }
  return out;
}

function median(a: number[]): number {
  if (a.length === 0) return 0;
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
