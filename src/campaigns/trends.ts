/**
 * Trend reports (`minewatch report trends`): what national reports on home-network threats
 * show, computed from the collector's store for periods of a month or an ISO week (UTC):
 *
 * - security events (alerts) per period from the daily roll-up, the mining-related share and
 *   its change to the previous period. An alert is mining-related when its signature's text
 *   (from the incidents table) names mining (coin miner, stratum, mining pool, XMRig, Monero,
 *   CoinHive, cryptojacking) — the roll-up keys on signature ids only;
 * - detections by country (ranked, from the roll-up), by detector and by device type (from the
 *   events' detector column and the device inventory);
 * - darknet packets and sources per period from the telescope intervals (`minewatch telescope
 *   --db/--send` stores one per interval, telescope/interval-events.ts): unique sources per
 *   period from the intervals' merged source sketches (exact up to 4096 sources per interval,
 *   HyperLogLog ±0.8 % above; null when an interval has no sketch), beside the per-interval
 *   sums (an upper bound, since a host active in several intervals is counted in each) before
 *   and after the telescope's spoofing/noise filters; source countries by packets; the top
 *   destination ports ({"6379": packets}, or [{port, proto?, packets}]) with their change to the
 *   previous period and surges: a port with at least SURGE_SHARE of the period's packets that
 *   at least doubled (or was absent before). Darknet sources of TCP SYN scans are real; sources
 *   of other traffic may be spoofed.
 */
import { sql } from 'kysely';
import type { Store } from '../store/open.js';
import { DAY_MS } from '../store/schema.js';
import { scopePattern } from '../store/scope.js';
import { decodeSketch } from '../telescope/interval-events.js';
import { UniqueCounter } from '../telescope/unique.js';
import { asSizeLookup, per100k, type AsSize } from './as-size.js';

export type TrendPeriod = 'month' | 'week';

export const MINING_SIGNATURE = /coin ?miner|mining|stratum|xmrig|monero|coinhive|cryptojack|cryptonight/i;

/** The start of the period containing `ms` (UTC), and its label (2026-03, 2026-W10). */
export function periodOf(ms: number, by: TrendPeriod): { start: number; label: string } {
  const d = new Date(ms);
  if (by === 'month') return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), label: `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}` };
  const day = Math.floor(ms / DAY_MS);
  const monday = day - ((new Date(day * DAY_MS).getUTCDay() + 6) % 7);
  const thursday = new Date((monday + 3) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((Math.floor(thursday.getTime() / DAY_MS) - Math.floor(Date.UTC(year, 0, 1) / DAY_MS)) / 7) + 1;
  return { start: monday * DAY_MS, label: `${year}-W${String(week).padStart(2, '0')}` };
}

export interface TrendRow {
  period: string;
  start: string;
  alerts: number;
  mining: number;
  /** mining / alerts (null without alerts). */
  miningShare: number | null;
  /** Relative change of mining alerts to the previous period (null for the first or from zero). */
  miningChange: number | null;
  byCountry: Array<{ key: string; count: number }>;
  byDetector: Array<{ key: string; count: number }>;
  byDeviceType: Array<{ key: string; count: number }>;
  /** Alerts per source AS (roll-up), with the AS's announced IPv4 addresses and alerts per 100,000 of them (null: size unknown). */
  byAsn: Array<{ asn: number; count: number; announced: number | null; per100k: number | null }>;
  darknetPackets: number;
  /** Per-interval unique sources summed (an upper bound of the period's unique hosts). */
  darknetSources: number;
  /** The same after the telescope's spoofing/noise filters, summed. */
  darknetSourcesFiltered: number;
  /** Unique sources in the period from the merged interval sketches; null when an interval has none. */
  darknetUniqueSources: number | null;
  darknetIntervals: number;
  darknetCountries: Array<{ key: string; count: number }>;
  topPorts: Array<{ port: string; packets: number; change: number | null; surge: boolean }>;
}

/** A port surges when it carries at least this share of the period's darknet packets and at least doubled (or is new). */
export const SURGE_SHARE = 0.01;

export interface TrendReport {
  from: string;
  to: string;
  by: TrendPeriod;
  periods: TrendRow[];
  /** Every port surge, in period order. */
  surges: Array<{ period: string; port: string; packets: number; previous: number; change: number | null }>;
  caveats: string[];
}

const ranked = (m: Map<string, number>, n = 20) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([key, count]) => ({ key, count }));
const bump = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

type Acc = { packets: number; sources: number; filtered: number; intervals: number; unique: UniqueCounter | null; sketchless: number; darkCountry: Map<string, number>; ports: Map<string, number> };

/** Adds one stored telescope interval to its period; a summary or sketch it cannot read is skipped, never thrown. */
function addInterval(a: Acc, r: { packets: number; sources: number; sketch: Uint8Array | null; summary: string }): void {
  a.packets += Number(r.packets);
  a.sources += Number(r.sources);
  a.intervals++;
  const sk = r.sketch ? decodeSketch(r.sketch) : null;
  if (sk) {
    if (!a.unique) a.unique = new UniqueCounter(sk.p);
    if (a.unique.p === sk.p) a.unique.merge(sk);
    else a.sketchless++;
  } else a.sketchless++;
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(r.summary) as Record<string, unknown>;
  } catch {
    return;
  }
  if (!s || typeof s !== 'object') return;
  a.filtered += Number.isFinite(Number(s.sources_filtered)) ? Number(s.sources_filtered) : Number(r.sources);
  const ports = s.ports;
  if (Array.isArray(ports)) {
    for (const p of ports as Array<Record<string, unknown> | null>) {
      if (!p || typeof p !== 'object' || !Number.isFinite(Number(p.packets))) continue;
      bump(a.ports, typeof p.proto === 'string' ? `${String(p.port)}/${p.proto}` : String(p.port), Number(p.packets));
    }
  } else if (ports && typeof ports === 'object') {
    for (const [k, v] of Object.entries(ports)) if (Number.isFinite(Number(v))) bump(a.ports, k, Number(v));
  }
  const countries = s.countries;
  if (Array.isArray(countries)) {
    for (const c of countries as Array<Record<string, unknown> | null>) if (c && typeof c.country === 'string' && Number.isFinite(Number(c.packets))) bump(a.darkCountry, c.country, Number(c.packets));
  }
}

export async function trendReport(store: Store, opts: { from: number; to: number; by: TrendPeriod; orgId?: number | null; asSize?: AsSize }): Promise<TrendReport> {
  const { from, to, by } = opts;
  const asSize = opts.asSize ?? asSizeLookup();
  const orgId = opts.orgId ?? null;
  const acc = new Map<string, {
    start: number; alerts: number; mining: number; country: Map<string, number>; detector: Map<string, number>; device: Map<string, number>; asn: Map<string, number>;
    packets: number; sources: number; filtered: number; intervals: number; unique: UniqueCounter | null; sketchless: number; darkCountry: Map<string, number>; ports: Map<string, number>;
  }>();
  const slot = (ms: number) => {
    const p = periodOf(ms, by);
    let a = acc.get(p.label);
    if (!a) {
      acc.set(p.label, (a = {
        start: p.start, alerts: 0, mining: 0, country: new Map(), detector: new Map(), device: new Map(), asn: new Map(),
        packets: 0, sources: 0, filtered: 0, intervals: 0, unique: null, sketchless: 0, darkCountry: new Map(), ports: new Map(),
      }));
    }
    return a;
  };
  for (let t = periodOf(from, by).start; t < to; t = by === 'month' ? Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth() + 1, 1) : t + 7 * DAY_MS) slot(Math.max(t, from));

  const sigText = new Map<number, string>();
  for (const r of await store.read.selectFrom('incidents').select(['signature_id', 'signature']).distinct().execute()) sigText.set(Number(r.signature_id), r.signature);
  const roll = await store.read.selectFrom('rollup_daily').select(['bucket', 'signature_id', 'country', 'asn', sql<number>`sum(count)`.as('n')])
    .where('scope_org', '=', orgId ?? 0).where('event_type', '=', 'alert').where('bucket', '>=', from).where('bucket', '<', to)
    .groupBy(['bucket', 'signature_id', 'country', 'asn']).execute();
  for (const r of roll) {
    const a = slot(Number(r.bucket));
    const n = Number(r.n);
    a.alerts += n;
    if (MINING_SIGNATURE.test(sigText.get(Number(r.signature_id)) ?? '')) a.mining += n;
    bump(a.country, r.country || '??', n);
    if (Number(r.asn) > 0) bump(a.asn, String(r.asn), n);
  }
  let eq = store.read.selectFrom('events').leftJoin('devices', (j) => j.onRef('devices.sensor_id', '=', 'events.sensor_id').onRef('devices.device_key', '=', 'events.device_id'))
    .select([sql<number>`events.ts - (events.ts % ${sql.lit(DAY_MS)})`.as('day'), 'events.detector', 'devices.type', sql<number>`count(*)`.as('n')])
    .where('events.event_type', '=', 'alert').where('events.ts', '>=', from).where('events.ts', '<', to);
  if (orgId !== null) eq = eq.where('events.scope', 'like', scopePattern(orgId));
  for (const r of await eq.groupBy([sql`events.ts - (events.ts % ${sql.lit(DAY_MS)})`, 'events.detector', 'devices.type']).execute()) {
    const a = slot(Number(r.day));
    bump(a.detector, r.detector ?? 'unknown', Number(r.n));
    bump(a.device, r.type ?? 'unknown', Number(r.n));
  }
  // telescope intervals, a page at a time (each row carries a sketch of up to 16 KB)
  let lastId = 0;
  for (;;) {
    let tq = store.read.selectFrom('telescope_intervals').select(['id', 'start_ms', 'packets', 'sources', 'sketch', 'summary'])
      .where('kind', '=', 'interval').where('start_ms', '>=', from).where('start_ms', '<', to).where('id', '>', lastId).orderBy('id').limit(1000);
    if (orgId !== null) tq = tq.where('scope', 'like', scopePattern(orgId));
    const page = await tq.execute();
    for (const r of page) addInterval(slot(Number(r.start_ms)), r);
    if (page.length < 1000) break;
    lastId = Number(page[page.length - 1].id);
  }

  const rows = [...acc].sort((x, y) => x[1].start - y[1].start);
  const periods: TrendRow[] = rows.map(([label, a], i) => {
    const prev = i > 0 ? rows[i - 1][1] : null;
    return {
      period: label, start: new Date(a.start).toISOString(), alerts: a.alerts, mining: a.mining,
      miningShare: a.alerts ? a.mining / a.alerts : null,
      miningChange: prev && prev.mining > 0 ? a.mining / prev.mining - 1 : null,
      byCountry: ranked(a.country), byDetector: ranked(a.detector), byDeviceType: ranked(a.device),
      byAsn: ranked(a.asn).map(({ key, count }) => {
        const announced = asSize(Number(key));
        return { asn: Number(key), count, announced: announced ?? null, per100k: per100k(count, announced) };
      }),
      darknetPackets: a.packets, darknetSources: a.sources, darknetSourcesFiltered: a.filtered,
      darknetUniqueSources: a.unique && a.sketchless === 0 ? a.unique.count() : null, darknetIntervals: a.intervals,
      darknetCountries: ranked(a.darkCountry, 10),
      topPorts: [...a.ports].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 10).map(([port, packets]) => {
        const before = prev?.ports.get(port);
        const surge = prev !== null && prev.intervals > 0 && packets >= SURGE_SHARE * a.packets && (before === undefined || packets >= 2 * before);
        return { port, packets, change: before ? packets / before - 1 : null, surge };
      }),
    };
  });
  const surges = periods.flatMap((p, i) => p.topPorts.filter((x) => x.surge).map((x) => ({ period: p.period, port: x.port, packets: x.packets, previous: rows[i - 1][1].ports.get(x.port) ?? 0, change: x.change })));
  return {
    from: new Date(from).toISOString(), to: new Date(to).toISOString(), by, periods, surges,
    caveats: [
      'Mining-related: alerts whose signature text names mining (coin miner, stratum, pool, XMRig, Monero, CoinHive, cryptojacking).',
      'Darknet unique sources per period come from the intervals\' merged source sketches (exact up to 4096 sources per interval, ±0.8 % above); the summed per-interval counts beside them are upper bounds.',
      'Spoofing: sources of TCP SYN scans completed no handshake but are real senders; sources of other darknet traffic (floods, backscatter aside) may be forged — the filtered count drops sources the telescope\'s spoofing/noise filters reject and spoofed bursts.',
    ],
  };
}

const pct = (x: number | null) => (x === null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(1)} %`);

export function trendMarkdown(r: TrendReport): string {
  const l: string[] = [`# Trends ${r.from.slice(0, 10)} – ${r.to.slice(0, 10)} by ${r.by}`, ''];
  l.push('| period | alerts | mining | mining share | mining change | darknet packets | darknet unique sources | summed per interval (≤) | after spoofing filters (≤) |', '|---|---|---|---|---|---|---|---|---|');
  for (const p of r.periods) l.push(`| ${p.period} | ${p.alerts} | ${p.mining} | ${p.miningShare === null ? '–' : `${(p.miningShare * 100).toFixed(1)} %`} | ${pct(p.miningChange)} | ${p.darknetPackets} | ${p.darknetUniqueSources ?? '–'} | ${p.darknetSources} | ${p.darknetSourcesFiltered} |`);
  l.push('');
  for (const p of r.periods) {
    if (p.alerts === 0 && p.darknetPackets === 0) continue;
    l.push(`## ${p.period}`, '');
    l.push(`Countries: ${p.byCountry.map((c) => `${c.key} ${c.count}`).join(', ') || '–'}`, '');
    l.push(`Detectors: ${p.byDetector.map((c) => `${c.key} ${c.count}`).join(', ') || '–'}`, '');
    l.push(`Device types: ${p.byDeviceType.map((c) => `${c.key} ${c.count}`).join(', ') || '–'}`, '');
    if (p.byAsn.length) l.push(`Source AS (alerts; per 100k announced IPv4 addresses): ${p.byAsn.map((a) => `AS${a.asn} ${a.count}${a.per100k === null ? '' : ` (${a.per100k.toFixed(2)})`}`).join(', ')}`, '');
    if (p.topPorts.length) l.push(`Top darknet ports: ${p.topPorts.map((x) => `${x.port} ${x.packets}${x.change === null ? '' : ` (${pct(x.change)})`}${x.surge ? ' **surge**' : ''}`).join(', ')}`, '');
    if (p.darknetCountries.length) l.push(`Darknet source countries (packets): ${p.darknetCountries.map((c) => `${c.key} ${c.count}`).join(', ')}`, '');
  }
  if (r.surges.length) l.push(`Surges: ${r.surges.map((x) => `${x.period} port ${x.port} ${x.previous} → ${x.packets}`).join('; ')}`, '');
  for (const c of r.caveats) l.push(`- ${c}`);
  return `${l.join('\n')}\n`;
}
