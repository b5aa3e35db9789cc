/** Devices: the inventory (cursor pages) and a device page: its baseline, anomalies, incidents with their evidence, and what to do. */
import { api, query, type Page } from '../api.js';
import { h, table } from '../dom.js';
import { timeEl } from '../prefs.js';
import { adviceEl, evidenceList, incidentEvidence, type EvidencePage, type Remediation } from './evidence.js';

interface Device { id: number; sensor_id: number; device_key: string; ip: string | null; mac: string | null; type: string | null; vendor: string | null; name: string | null; first_seen_ms: number; last_seen_ms: number; alerts: number; events: number }

/** Short labels for device types (text, not emoji: a missing emoji font would draw empty boxes). */
const ICONS: Record<string, string> = { router: 'RTR', camera: 'CAM', 'ip-camera': 'CAM', phone: 'PHN', laptop: 'PC', pc: 'PC', desktop: 'PC', server: 'SRV', tv: 'TV', printer: 'PRN', nas: 'NAS', iot: 'IoT', speaker: 'SPK' };

function icon(type: string | null): HTMLElement {
  return h('span', { class: 'icon', 'aria-hidden': 'true' }, ICONS[(type ?? '').toLowerCase()] ?? '?');
}

function risk(d: Device): HTMLElement {
  const level = d.alerts >= 10 ? 'high' : d.alerts > 0 ? 'medium' : 'low';
  return h('span', { class: `badge risk-${level}` }, level);
}

export async function devicesView(params: URLSearchParams, go: (hash: string) => void): Promise<HTMLElement> {
  const page = await api<Page<Device>>('GET', `/api/v1/devices${query({ limit: 50, cursor: params.get('cursor') })}`);
  const next = new URLSearchParams(params);
  if (page.next_cursor) next.set('cursor', page.next_cursor);
  return h('div', { class: 'view' }, h('h1', {}, 'Devices'),
    table('Device inventory', ['Device', 'Type', 'Vendor', 'Addresses', 'Last seen', 'Alerts', 'Risk'], page.items, (d) => [
      h('a', { href: `#/devices/${d.id}` }, d.name ?? d.ip ?? d.device_key), h('span', {}, icon(d.type), ' ', d.type ?? 'unknown'), d.vendor ?? '—',
      [d.ip, d.mac].filter(Boolean).join(' · ') || '—', timeEl(d.last_seen_ms), d.alerts, risk(d)], 'no devices named in events yet.'),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { type: 'button', disabled: !params.get('cursor'), onclick: () => go('#/devices') }, 'First page'),
      h('button', { type: 'button', disabled: !page.next_cursor, onclick: () => go(`#/devices?${next}`) }, 'Next page')));
}

interface Baseline {
  status: 'learning' | 'learned'; since_ms: number; last_ms: number; learn_days: number; learned_at_ms: number; device_type: string;
  figures: { learned_days: number; flows: number; hosts_known: number; top_hosts: string[]; top_ports: number[]; top_countries: string[]; upload_hourly_mean: number; upload_hourly_max: number; active_hours_of_week: number; flows_per_active_hour: number };
  busiest_hours_utc: number[];
}
interface Advice extends Remediation { detectors: string[]; signatures: string[] }

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** Bytes in words a home user reads: "23 MB". */
function size(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

function list(xs: Array<string | number>, none: string): string {
  return xs.length > 0 ? xs.join(', ') : none;
}

/** The learned behaviour in plain words: what is normal for this device, so a departure stands out. */
function baselinePart(b: Baseline | null): HTMLElement {
  const head = h('h2', {}, 'Normal behaviour (baseline)');
  if (!b) {
    return h('section', { class: 'card', 'aria-label': 'Normal behaviour (baseline)' }, head,
      h('p', {}, 'No baseline for this device yet. A home sensor learns one from the device\'s own connections (over a week by default) and only then reports departures from it.'));
  }
  const f = b.figures;
  const state = b.status === 'learned'
    ? h('p', {}, h('span', { class: 'badge baseline-learned' }, 'learned'), ' Watched since ', timeEl(b.since_ms), ` (${f.learned_days} days); departures from this are reported as anomalies.`)
    : h('p', {}, h('span', { class: 'badge baseline-learning' }, 'learning'), ' Watching since ', timeEl(b.since_ms), `; nothing is judged until ${b.learn_days} days have passed, from `, timeEl(b.learned_at_ms), '.');
  const hours = b.busiest_hours_utc.map((w) => `${DAYS[Math.floor(w / 24)]} ${String(w % 24).padStart(2, '0')}:00`);
  const pairs: Array<[string, string | Node]> = [
    ['Connections learned', `${f.flows.toLocaleString('en-US')}, last on `],
    ['Usual hosts', `${f.hosts_known} known; most often ${list(f.top_hosts, 'none yet')}`],
    ['Usual ports', list(f.top_ports, 'none yet')],
    ['Usual countries', list(f.top_countries, 'not known (no country database)')],
    ['Upload per hour', f.upload_hourly_mean > 0 ? `${size(f.upload_hourly_mean)} on average, ${size(f.upload_hourly_max)} at most` : 'nothing learned yet'],
    ['Active hours', hours.length > 0 ? `${f.active_hours_of_week} hours of the week; busiest ${hours.join(', ')} (UTC)` : 'none yet'],
  ];
  pairs[0][1] = h('span', {}, pairs[0][1] as string, timeEl(b.last_ms));
  return h('section', { class: 'card', 'aria-label': 'Normal behaviour (baseline)' }, head, state,
    h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
}

interface DeviceIncident { id: number; signature: string | null; signature_id: number | null; detector: string | null; count: number; status: string; last_ms: number; dest_ip: string | null }

export async function deviceView(id: number): Promise<HTMLElement> {
  const { device: d, baseline, advice } = await api<{ device: Device; baseline: Baseline | null; advice: Advice[] }>('GET', `/api/v1/devices/${id}`);
  const anomalies = await api<EvidencePage>('GET', `/api/v1/devices/${id}/anomalies${query({ limit: 10 })}`);
  const incidents = d.ip ? await api<Page<DeviceIncident>>('GET', `/api/v1/incidents${query({ sensor_id: d.sensor_id, src_ip: d.ip, limit: 25 })}`) : { items: [], next_cursor: null };
  const dl = (pairs: Array<[string, Node | string]>) => h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  return h('div', { class: 'view' },
    h('p', {}, h('a', { href: '#/devices' }, '← All devices')),
    h('h1', {}, icon(d.type), ' ', d.name ?? d.ip ?? d.device_key),
    h('section', { class: 'card' }, h('h2', {}, 'Device'),
      dl([['Type', d.type ?? 'unknown'], ['Vendor', d.vendor ?? '—'], ['Address', d.ip ?? '—'], ['MAC', d.mac ?? '—'], ['First seen', timeEl(d.first_seen_ms)],
        ['Last seen', timeEl(d.last_seen_ms)], ['Events', d.events.toLocaleString('en-US')], ['Alerts', d.alerts.toLocaleString('en-US')], ['Risk', risk(d)]])),
    baselinePart(baseline),
    h('section', { class: 'card', 'aria-label': 'Anomalies' }, h('h2', {}, 'Anomalies'),
      h('p', {}, 'Times this device did something unlike its baseline: a long connection to a new host on a mining port, or an upload far above its usual.'),
      anomalies.items.length === 0 && !anomalies.next_cursor
        ? h('p', { class: 'empty' }, baseline?.status === 'learned' ? 'None: the device has kept to its baseline.' : 'None: anomalies are reported only once the baseline is learned.')
        : evidenceList('Anomalies of this device', (cursor) => api<EvidencePage>('GET', `/api/v1/devices/${id}/anomalies${query({ limit: 10, cursor })}`), anomalies)),
    h('section', { class: 'card', 'aria-label': 'Incidents' }, h('h2', {}, 'Incidents'),
      table(`Incidents of ${d.ip ?? 'the device'} (latest 25)`, ['Last seen', 'Signature', 'Detector', 'Alerts', 'Status', 'Evidence'], incidents.items, (i) => [
        timeEl(i.last_ms), i.signature ?? String(i.signature_id ?? '—'), i.detector ?? '—', i.count, h('span', { class: `badge status-${i.status}` }, i.status), incidentEvidence(i.id)], 'none.')),
    advice.length > 0 ? h('section', { class: 'card', 'aria-label': 'What to do' }, h('h2', {}, 'What to do'),
      advice.map((a) => [adviceEl(a, 'h3'), h('p', { class: 'note' }, `Because of: ${a.signatures.join('; ')}`)])) : null);
}
