/**
 * Overview: alerts and incidents opened over time by detector, and the mining share of events
 * (GET /api/v1/overview: roll-up counts, so no raw events are shipped), events by type, the
 * latest incidents, and the sensors with their health.
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
interface DetectorSeries { detector: string; mining: boolean; alerts: number; incidents: number; points: Array<[number, number, number]> }
interface OverviewCounts {
  step: number; detectors: DetectorSeries[]; events: number; alerts: number; mining_events: number; mining_share: number | null; mining_detectors: string[];
}

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
  const [ov, byType, incidents, sensors] = await Promise.all([
    api<OverviewCounts>('GET', `/api/v1/overview${query(base)}`),
    api<{ rows: CountRow[] }>('GET', `/api/v1/counts${query({ ...base, group_by: 'event_type', limit: 20 })}`),
    api<Page<Incident>>('GET', `/api/v1/incidents${query({ limit: 200 })}`),
    api<{ items: Sensor[] }>('GET', '/api/v1/sensors'),
  ]);
  const name = (d: DetectorSeries) => d.detector || 'no detector';
  // one series per detector; a point is [bucket, alerts, incidents opened]
  const series = (value: 1 | 2): Series[] => ov.detectors.filter((d) => (value === 1 ? d.alerts : d.incidents) > 0)
    .map((d) => ({ name: name(d), points: fillBuckets(d.points.map((p) => [p[0], p[value]]), from, to, step) }));
  const totalEvents = ov.events;
  const open = incidents.items.filter((i) => i.status === 'open').length;
  const share = ov.mining_share === null ? '—' : `${(100 * ov.mining_share).toFixed(1)} %`;

  const select = h('select', { id: 'range', onchange: (e: Event) => go(`#/overview?range=${(e.target as HTMLSelectElement).value}`) },
    Object.entries(RANGES).map(([k, r]) => h('option', { value: k, selected: k === rangeKey }, r.label)));
  return h('div', { class: 'view' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Overview'), h('label', { for: 'range' }, 'Range '), select),
    h('section', { class: 'stats', 'aria-label': 'Totals' },
      stat('Events', totalEvents), stat('Alerts', ov.alerts), stat('Mining share of events', share), stat('Open incidents (latest 200)', open),
      stat('Sensors ok', `${sensors.items.filter((s) => s.health === 'ok').length} / ${sensors.items.length}`)),
    h('div', { class: 'grid2' },
      timeChart(`Alerts per ${range.step} by detector`, series(1), step, 'alerts'),
      timeChart(`Incidents opened per ${range.step} by detector`, series(2), step, 'incidents')),
    h('section', { class: 'card' }, h('h2', {}, 'By detector'),
      h('p', {}, `Mining share: ${ov.mining_events.toLocaleString('en-US')} of ${totalEvents.toLocaleString('en-US')} events (${share}) were raised by the mining detectors (${ov.mining_detectors.join(', ')}).`),
      table(`Alerts and incidents by detector, ${range.label.toLowerCase()}`, ['Detector', 'Mining', 'Alerts', 'Incidents opened'], ov.detectors, (d) => [
        name(d), d.mining ? 'yes' : 'no', d.alerts.toLocaleString('en-US'), d.incidents.toLocaleString('en-US')], 'no alerts in this range.')),
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
