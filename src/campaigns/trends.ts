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
 * - darknet packets and sources per period from the telescope intervals (sources summed over
 *   intervals: an upper bound of the unique hosts, since a host active in several intervals is
 *   counted in each), and the top destination ports when intervals carry a `ports` summary
 *   ({"6379": packets} or [{port, packets}]), with their change to the previous period ("surges").
 *   Darknet sources of TCP SYN scans are real; sources of other traffic may be spoofed.
 */
import { sql } from 'kysely';
import type { Store } from '../store/open.js';
import { DAY_MS } from '../store/schema.js';
import { scopePattern } from '../store/scope.js';

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
  darknetPackets: number;
  darknetSources: number;
  topPorts: Array<{ port: string; packets: number; change: number | null }>;
}

export interface TrendReport {
  from: string;
  to: string;
  by: TrendPeriod;
  periods: TrendRow[];
  caveats: string[];
}

const ranked = (m: Map<string, number>, n = 20) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([key, count]) => ({ key, count }));
const bump = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

export async function trendReport(store: Store, opts: { from: number; to: number; by: TrendPeriod; orgId?: number | null }): Promise<TrendReport> {
  const { from, to, by } = opts;
  const orgId = opts.orgId ?? null;
  const acc = new Map<string, { start: number; alerts: number; mining: number; country: Map<string, number>; detector: Map<string, number>; device: Map<string, number>; packets: number; sources: number; ports: Map<string, number> }>();
  const slot = (ms: number) => {
    const p = periodOf(ms, by);
    let a = acc.get(p.label);
    if (!a) acc.set(p.label, (a = { start: p.start, alerts: 0, mining: 0, country: new Map(), detector: new Map(), device: new Map(), packets: 0, sources: 0, ports: new Map() }));
    return a;
  };
  for (let t = periodOf(from, by).start; t < to; t = by === 'month' ? Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth() + 1, 1) : t + 7 * DAY_MS) slot(Math.max(t, from));

  const sigText = new Map<number, string>();
  for (const r of await store.read.selectFrom('incidents').select(['signature_id', 'signature']).distinct().execute()) sigText.set(Number(r.signature_id), r.signature);
  const roll = await store.read.selectFrom('rollup_daily').select(['bucket', 'signature_id', 'country', sql<number>`sum(count)`.as('n')])
    .where('scope_org', '=', orgId ?? 0).where('event_type', '=', 'alert').where('bucket', '>=', from).where('bucket', '<', to)
    .groupBy(['bucket', 'signature_id', 'country']).execute();
  for (const r of roll) {
    const a = slot(Number(r.bucket));
    const n = Number(r.n);
    a.alerts += n;
    if (MINING_SIGNATURE.test(sigText.get(Number(r.signature_id)) ?? '')) a.mining += n;
    bump(a.country, r.country || '??', n);
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
  let tq = store.read.selectFrom('telescope_intervals').select(['start_ms', 'packets', 'sources', 'summary']).where('start_ms', '>=', from).where('start_ms', '<', to);
  if (orgId !== null) tq = tq.where('scope', 'like', scopePattern(orgId));
  for (const r of await tq.execute()) {
    const a = slot(Number(r.start_ms));
    a.packets += Number(r.packets);
    a.sources += Number(r.sources);
    let s: unknown;
    try {
      s = JSON.parse(r.summary);
    } catch {
      continue;
    }
    const ports = (s as { ports?: unknown }).ports;
    if (Array.isArray(ports)) {
      for (const p of ports) if (p && typeof p === 'object' && Number.isFinite(Number((p as { packets?: unknown }).packets))) bump(a.ports, String((p as { port?: unknown }).port), Number((p as { packets: unknown }).packets));
    } else if (ports && typeof ports === 'object') {
      for (const [k, v] of Object.entries(ports)) if (Number.isFinite(Number(v))) bump(a.ports, k, Number(v));
    }
  }

  const rows = [...acc].sort((x, y) => x[1].start - y[1].start);
  const periods: TrendRow[] = rows.map(([label, a], i) => {
    const prev = i > 0 ? rows[i - 1][1] : null;
    return {
      period: label, start: new Date(a.start).toISOString(), alerts: a.alerts, mining: a.mining,
      miningShare: a.alerts ? a.mining / a.alerts : null,
      miningChange: prev && prev.mining > 0 ? a.mining / prev.mining - 1 : null,
      byCountry: ranked(a.country), byDetector: ranked(a.detector), byDeviceType: ranked(a.device),
      darknetPackets: a.packets, darknetSources: a.sources,
      topPorts: [...a.ports].sort((x, y) => y[1] - x[1]).slice(0, 10).map(([port, packets]) => {
        const before = prev?.ports.get(port);
        return { port, packets, change: before ? packets / before - 1 : null };
      }),
    };
  });
  return {
    from: new Date(from).toISOString(), to: new Date(to).toISOString(), by, periods,
    caveats: [
      'Mining-related: alerts whose signature text names mining (coin miner, stratum, pool, XMRig, Monero, CoinHive, cryptojacking).',
      'Darknet sources are summed over telescope intervals: an upper bound of unique hosts. Sources of non-SYN darknet traffic may be spoofed.',
    ],
  };
}

const pct = (x: number | null) => (x === null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(1)} %`);

export function trendMarkdown(r: TrendReport): string {
  const l: string[] = [`# Trends ${r.from.slice(0, 10)} – ${r.to.slice(0, 10)} by ${r.by}`, ''];
  l.push('| period | alerts | mining | mining share | mining change | darknet packets | darknet sources (≤) |', '|---|---|---|---|---|---|---|');
  for (const p of r.periods) l.push(`| ${p.period} | ${p.alerts} | ${p.mining} | ${p.miningShare === null ? '–' : `${(p.miningShare * 100).toFixed(1)} %`} | ${pct(p.miningChange)} | ${p.darknetPackets} | ${p.darknetSources} |`);
  l.push('');
  for (const p of r.periods) {
    if (p.alerts === 0 && p.darknetPackets === 0) continue;
    l.push(`## ${p.period}`, '');
    l.push(`Countries: ${p.byCountry.map((c) => `${c.key} ${c.count}`).join(', ') || '–'}`, '');
    l.push(`Detectors: ${p.byDetector.map((c) => `${c.key} ${c.count}`).join(', ') || '–'}`, '');
    l.push(`Device types: ${p.byDeviceType.map((c) => `${c.key} ${c.count}`).join(', ') || '–'}`, '');
    if (p.topPorts.length) l.push(`Top darknet ports: ${p.topPorts.map((x) => `${x.port} ${x.packets}${x.change === null ? '' : ` (${pct(x.change)})`}`).join(', ')}`, '');
  }
  for (const c of r.caveats) l.push(`- ${c}`);
  return `${l.join('\n')}\n`;
}
