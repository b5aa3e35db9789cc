/** Devices: the inventory (cursor pages) and a device page with the alerts from its address. */
import { api, query, type Page } from '../api.js';
import { h, table } from '../dom.js';
import { timeEl } from '../prefs.js';

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

interface AlertItem { id: number; ts: number; event: { alert?: { signature?: string; severity?: number }; dest_ip?: string; dest_port?: number; minewatch?: { detector?: string } } }

export async function deviceView(id: number): Promise<HTMLElement> {
  const { device: d } = await api<{ device: Device }>('GET', `/api/v1/devices/${id}`);
  const alerts = d.ip ? await api<Page<AlertItem>>('GET', `/api/v1/alerts${query({ src_ip: d.ip, limit: 50 })}`) : { items: [], next_cursor: null };
  const dl = (pairs: Array<[string, Node | string]>) => h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  return h('div', { class: 'view' },
    h('p', {}, h('a', { href: '#/devices' }, '← All devices')),
    h('h1', {}, icon(d.type), ' ', d.name ?? d.ip ?? d.device_key),
    h('section', { class: 'card' }, h('h2', {}, 'Device'),
      dl([['Type', d.type ?? 'unknown'], ['Vendor', d.vendor ?? '—'], ['Address', d.ip ?? '—'], ['MAC', d.mac ?? '—'], ['First seen', timeEl(d.first_seen_ms)],
        ['Last seen', timeEl(d.last_seen_ms)], ['Events', d.events.toLocaleString('en-US')], ['Alerts', d.alerts.toLocaleString('en-US')], ['Risk', risk(d)]])),
    h('section', { class: 'card' }, h('h2', {}, "Alerts from the device's address"),
      table(`Alerts from ${d.ip ?? 'the device'} (latest 50; other devices behind the same address count too)`, ['Time', 'Signature', 'Detector', 'Sev.', 'Destination'], alerts.items, (a) => [
        timeEl(a.ts), a.event?.alert?.signature ?? '—', a.event?.minewatch?.detector ?? '—', a.event?.alert?.severity ?? '—', `${a.event?.dest_ip ?? '—'}:${a.event?.dest_port ?? ''}`], 'none.'),
      d.alerts > 0 ? h('p', { class: 'advice' }, 'Advice: if this device should not mine, check it for unknown software, update its firmware, change its passwords and block the destinations above on the router.') : null));
}
