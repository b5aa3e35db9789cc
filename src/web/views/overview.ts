/**
 * Overview: alerts over time by signature (roll-up counts, so no raw events are shipped),
 * events by type, the latest incidents, and the sensors with their health.
 */
import { api, query, type Page } from '../api.js';
import { fillBuckets, timeChart, type Series } from '../chart.js';
import { h, table } from '../dom.js';
import { timeEl } from '../prefs.js';

export interface Incident {
  id: number; sensor_id: number; signature_id: number | null; signature: string | null; src_ip: string | null; dest_ip: string | null;
  severity: number | null; first_ms: number; last_ms: number; count: number; status: 'open' | 'acknowledged' | 'escalated' | 'archived'; detector?: string | null; country?: string | null;
  /** the auto-archive rule that archived it */
  archived_rule?: number | null;
}
export interface Sensor { id: number; name: string; org: string; last_seen_ms: number | null; events_total: number; batches_total: number; duplicates_total: number; health: string }
interface CountRow { key: string | number | null; count: number }

const RANGES: Record<string, { label: string; ms: number; step: 'hour' | 'day' }> = {
  '24h': { label: 'Last 24 hours', ms: 24 * 3600_000, step: 'hour' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, step: 'hour' },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, step: 'day' },
  '365d': { label: 'Last year', ms: 365 * 86_400_000, step: 'day' },
};

export function healthBadge(health: string): HTMLElement {
  return h('span', { class: `badge health-${health}` }, health);
}

export async function overviewView(params: URLSearchParams, go: (hash: string) => void): Promise<HTMLElement> {
  const rangeKey = params.get('range') && RANGES[params.get('range')!] ? params.get('range')! : '24h';
  const range = RANGES[rangeKey];
  const now = Date.now();
  const step = range.step === 'hour' ? 3600_000 : 86_400_000;
  const to = now - (now % step) + step;
  const from = to - range.ms;
  const base = { from, to, granularity: range.step };
  const [bySig, byType, incidents, sensors] = await Promise.all([
    api<{ rows: CountRow[] }>('GET', `/api/v1/counts${query({ ...base, event_type: 'alert', group_by: 'signature_id', limit: 6 })}`),
    api<{ rows: CountRow[] }>('GET', `/api/v1/counts${query({ ...base, group_by: 'event_type', limit: 20 })}`),
    api<Page<Incident>>('GET', `/api/v1/incidents${query({ limit: 200 })}`),
    api<{ items: Sensor[] }>('GET', '/api/v1/sensors'),
  ]);
  const names = new Map<number, string>();
  for (const i of incidents.items) if (i.signature_id !== null && i.signature) names.set(i.signature_id, i.signature);
  const series: Series[] = await Promise.all(bySig.rows.map(async (r) => {
    const t = await api<{ rows: CountRow[] }>('GET', `/api/v1/counts${query({ ...base, event_type: 'alert', signature_id: r.key ?? undefined, group_by: 'time', limit: 10_000 })}`);
    const id = Number(r.key);
    return { name: names.get(id) ?? `signature ${id}`, points: fillBuckets(t.rows.map((x) => [Number(x.key), x.count]), from, to, step) };
  }));
  const totalEvents = byType.rows.reduce((a, r) => a + r.count, 0);
  const alerts = byType.rows.find((r) => r.key === 'alert')?.count ?? 0;
  const open = incidents.items.filter((i) => i.status === 'open').length;

  const select = h('select', { id: 'range', onchange: (e: Event) => go(`#/overview?range=${(e.target as HTMLSelectElement).value}`) },
    Object.entries(RANGES).map(([k, r]) => h('option', { value: k, selected: k === rangeKey }, r.label)));
  return h('div', { class: 'view' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Overview'), h('label', { for: 'range' }, 'Range '), select),
    h('section', { class: 'stats', 'aria-label': 'Totals' },
      stat('Events', totalEvents), stat('Alerts', alerts), stat('Open incidents (latest 200)', open),
      stat('Sensors ok', `${sensors.items.filter((s) => s.health === 'ok').length} / ${sensors.items.length}`)),
    timeChart(`Alerts per ${range.step} by signature (top ${series.length})`, series, step),
    h('div', { class: 'grid2' },
      h('section', { class: 'card' }, h('h2', {}, 'Latest incidents'),
        table('Latest incidents', ['Last seen', 'Signature', 'Source', 'Alerts', 'Status'], incidents.items.slice(0, 8), (i) => [
          timeEl(i.last_ms), i.signature ?? String(i.signature_id ?? '—'), i.src_ip ?? '—', i.count, h('span', { class: `badge status-${i.status}` }, i.status)]),
        h('a', { href: '#/inbox' }, 'All incidents and alerts')),
      h('section', { class: 'card' }, h('h2', {}, 'Sensors'),
        table('Sensors and their health', ['Sensor', 'Organisation', 'Health', 'Last seen', 'Events'], sensors.items, (s) => [
          s.name, s.org, healthBadge(s.health), timeEl(s.last_seen_ms), s.events_total.toLocaleString('en-US')]))),
    h('section', { class: 'card' }, h('h2', {}, 'Events by type'),
      table(`Events by type, ${range.label.toLowerCase()}`, ['Type', 'Events', 'Share'], byType.rows, (r) => [
        String(r.key), r.count.toLocaleString('en-US'), totalEvents > 0 ? `${((100 * r.count) / totalEvents).toFixed(1)} %` : '—'])));
}

function stat(label: string, value: number | string): HTMLElement {
  return h('div', { class: 'stat card' }, h('span', { class: 'stat-value' }, typeof value === 'number' ? value.toLocaleString('en-US') : value), h('span', { class: 'stat-label' }, label));
}
