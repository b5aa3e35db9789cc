/**
 * Incidents and alerts: incidents (alerts grouped by sensor, signature and source) with
 * acknowledge / escalate / archive / reopen and comments (who and when) for analysts, grouped
 * on the server by cause (signature, device, peer) with each group opening its incidents, and the alerts themselves with filters (time,
 * sensor, detector, severity), server-side cursor pages and CSV/JSON export of the filter; each
 * incident opens its evidence (views/evidence.ts).
 * The filter lives in the address (#/inbox?…), so a view can be bookmarked and reloaded.
 */
import { api, query, type Me, type Page } from '../api.js';
import { h, table } from '../dom.js';
import { formatTime, timeEl, zone } from '../prefs.js';
import type { Incident, Sensor } from './overview.js';
import { archiveRulesPart, archiveSimilarButton } from './archive-rules.js';
import { incidentEvidence } from './evidence.js';

interface AlertItem { id: number; ts: number; sensor_id: number; country: string | null; asn: number | null; event: Eve }
interface Eve { timestamp?: string; src_ip?: string; src_port?: number; dest_ip?: string; dest_port?: number; proto?: string; alert?: { signature_id?: number; signature?: string; severity?: number; category?: string }; minewatch?: { detector?: string } }

const PAGE = 25;
/** What the last action did: shown once, on the next render of the inbox. */
let flash = '';
const EXPORT_MAX = 10_000;

function toInput(ms: number): string {
  const d = new Date(zone() === 'utc' ? ms : ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function fromInput(v: string): number | null {
  if (!v) return null;
  const t = zone() === 'utc' ? Date.parse(`${v}:00Z`) : new Date(v).getTime();
  return Number.isFinite(t) ? t : null;
}

export async function inboxView(params: URLSearchParams, me: Me, go: (hash: string) => void): Promise<HTMLElement> {
  const tab = params.get('tab') === 'alerts' ? 'alerts' : params.get('tab') === 'rules' ? 'rules' : 'incidents';
  // the sensor list loads beside the section's rows (one round trip less before the first page)
  const sensorList = api<{ items: Sensor[] }>('GET', '/api/v1/sensors').then((r) => r.items);
  sensorList.catch(() => {}); // a failure is reported where the section awaits it
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Inbox sections' },
    h('a', { href: '#/inbox', 'aria-current': tab === 'incidents' ? 'page' : null }, 'Incidents'),
    h('a', { href: '#/inbox?tab=alerts', 'aria-current': tab === 'alerts' ? 'page' : null }, 'Alerts'),
    h('a', { href: '#/inbox?tab=rules', 'aria-current': tab === 'rules' ? 'page' : null }, 'Auto-archive rules'));
  const shown = flash;
  flash = '';
  const body = tab === 'incidents' ? await incidentsPart(params, me, sensorList, go, shown)
    : tab === 'rules' ? await archiveRulesPart(me, (await sensorsOf(sensorList)).sensorName, (m) => { flash = m; go('#/inbox?tab=rules'); }, shown)
      : await alertsPart(params, sensorList, go);
  return h('div', { class: 'view' }, h('h1', {}, 'Incidents and alerts'), tabs, body);
}

function sensorSelect(id: string, sensors: Sensor[], value: string | null): HTMLSelectElement {
  return h('select', { id, name: 'sensor_id' }, h('option', { value: '' }, 'All sensors'),
    sensors.map((s) => h('option', { value: s.id, selected: String(s.id) === value }, s.name)));
}

function pager(params: URLSearchParams, next: string | null, go: (hash: string) => void): HTMLElement {
  const first = new URLSearchParams(params);
  first.delete('cursor');
  const after = new URLSearchParams(params);
  if (next) after.set('cursor', next);
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('button', { type: 'button', disabled: !params.get('cursor'), onclick: () => go(`#/inbox?${first}`) }, 'First page'),
    h('button', { type: 'button', disabled: !params.get('cursor'), onclick: () => history.back() }, 'Previous page'),
    h('button', { type: 'button', disabled: !next, id: 'next-page', onclick: () => go(`#/inbox?${after}`) }, 'Next page'));
}

interface IncidentGroup { key: Record<string, string | number>; label: string; incidents: number; alerts: number; severity: number; last_ms: number }
const GROUPINGS: Record<string, string> = { '': 'No grouping', signature: 'Signature', device: 'Device', peer: 'Peer' };
/** A group's cause, as the incident list filters it. */
const CAUSE_KEYS = ['signature_id', 'dest_ip'] as const;

/** Sensors and their names by id, once the list (loading beside the rows) is in. */
async function sensorsOf(list: Promise<Sensor[]>): Promise<{ sensors: Sensor[]; sensorName: Map<number, string> }> {
  const sensors = await list;
  return { sensors, sensorName: new Map(sensors.map((s) => [s.id, s.name])) };
}

async function incidentsPart(params: URLSearchParams, me: Me, sensorList: Promise<Sensor[]>, go: (hash: string) => void, shown: string): Promise<HTMLElement> {
  const status = params.get('status') ?? 'open';
  const by = params.get('group') ?? '';
  const filter = {
    status: status === 'all' ? undefined : status, sensor_id: params.get('sensor_id'), from: params.get('from'), to: params.get('to'),
    detector: params.get('detector'), severity: params.get('severity'), country: params.get('country'),
    signature_id: params.get('signature_id'), src_ip: params.get('src_ip'), dest_ip: params.get('dest_ip'),
  };
  const reload = (m: string) => { flash = m; go(`#/inbox?${params}`); };
  if (by in GROUPINGS && by !== '') return groupsPart(params, by, filter, me, sensorList, go, reload);
  const page = await api<Page<Incident>>('GET', `/api/v1/incidents${query({ ...filter, limit: PAGE, cursor: params.get('cursor') })}`);
  const { sensors, sensorName } = await sensorsOf(sensorList);
  const canTriage = me.role !== 'viewer';
  const form = incidentForm(params, status, by, sensors, go);
  const msg = h('p', { role: 'status', class: 'status-line' }, shown);
  const act = (i: Incident, to: Incident['status'], label: string) => h('button', {
    type: 'button', class: 'small', 'aria-label': `${label} incident ${i.id}`,
    onclick: () => {
      api('PATCH', `/api/v1/incidents/${i.id}`, { status: to })
        .then(() => { flash = `Incident ${i.id}: ${to}.`; go(`#/inbox?${params}`); })
        .catch((err: unknown) => { msg.textContent = (err as Error).message; });
    },
  }, label);
  const cause = CAUSE_KEYS.filter((k) => params.get(k));
  const clear = new URLSearchParams(params);
  for (const k of [...CAUSE_KEYS, 'cursor']) clear.delete(k);
  return h('section', {},
    form, msg,
    cause.length > 0 ? h('p', { class: 'toolbar' }, `Cause: ${cause.map((k) => `${k} = ${params.get(k)}`).join(', ')} `,
      h('button', { type: 'button', class: 'small', onclick: () => go(`#/inbox?${clear}`) }, 'Show all causes')) : null,
    table(`Incidents (${status})`, ['Last seen', 'Signature', 'Source → destination', 'Sensor', 'Detector', 'Sev.', 'Alerts', 'Country', 'Status', 'Comments', 'Evidence', ...(canTriage ? ['Actions'] : [])], page.items, (i) => [
      timeEl(i.last_ms), i.signature ?? String(i.signature_id ?? '—'),
      `${i.src_ip ?? '—'} → ${i.dest_ip ?? '—'}`, sensorName.get(i.sensor_id) ?? String(i.sensor_id), i.detector ?? '—', i.severity ?? '—', i.count, i.country ?? '—',
      [h('span', { class: `badge status-${i.status}` }, i.status),
        i.status === 'archived' && i.archived_rule ? h('a', { class: 'rule-ref', href: '#/inbox?tab=rules' }, `by rule ${i.archived_rule}`) : null],
      commentsPart(i.id, canTriage),
      incidentEvidence(i.id),
      ...(canTriage ? [h('span', { class: 'actions' },
        i.status !== 'acknowledged' ? act(i, 'acknowledged', 'Acknowledge') : null,
        i.status !== 'escalated' ? act(i, 'escalated', 'Escalate') : null,
        i.status !== 'archived' ? act(i, 'archived', 'Archive') : null,
        i.status !== 'open' ? act(i, 'open', 'Reopen') : null,
        archiveSimilarButton({
          label: `incident ${i.id}`, signature_id: i.signature_id, sensor_id: i.sensor_id, src_ip: i.src_ip, dest_ip: i.dest_ip, detector: i.detector, country: i.country,
        }, me, sensors, reload))] : []),
    ], 'no incidents match.'),
    pager(params, page.next_cursor, go));
}

/** The incident filter form (status, sensor, time, detector, severity, grouping); applying it navigates. */
function incidentForm(params: URLSearchParams, status: string, by: string, sensors: Sensor[], go: (hash: string) => void): HTMLFormElement {
  const num = (k: string) => (params.get(k) ? Number(params.get(k)) : null);
  const zoneLabel = zone() === 'utc' ? 'UTC' : 'local time';
  const form = h('form', { class: 'filters', 'aria-label': 'Incident filters' },
    h('label', { for: 'f-status' }, 'Status'),
    h('select', { id: 'f-status', name: 'status' }, ['open', 'acknowledged', 'escalated', 'archived', 'all'].map((s) => h('option', { value: s, selected: s === status }, s))),
    h('label', { for: 'f-isensor' }, 'Sensor'), sensorSelect('f-isensor', sensors, params.get('sensor_id')),
    h('label', { for: 'f-ifrom' }, `Last alert from (${zoneLabel})`), h('input', { id: 'f-ifrom', type: 'datetime-local', value: num('from') !== null ? toInput(num('from')!) : '' }),
    h('label', { for: 'f-ito' }, `to (${zoneLabel})`), h('input', { id: 'f-ito', type: 'datetime-local', value: num('to') !== null ? toInput(num('to')!) : '' }),
    h('label', { for: 'f-idetector' }, 'Detector'), h('input', { id: 'f-idetector', name: 'detector', value: params.get('detector') ?? '', placeholder: 'e.g. stratum' }),
    h('label', { for: 'f-iseverity' }, 'Severity (this or worse)'),
    h('select', { id: 'f-iseverity', name: 'severity' }, h('option', { value: '' }, 'Any'), [1, 2, 3, 4].map((n) => h('option', { value: n, selected: String(n) === params.get('severity') }, String(n)))),
    h('label', { for: 'f-idevice' }, 'Device (address)'), h('input', { id: 'f-idevice', name: 'src_ip', value: params.get('src_ip') ?? '', placeholder: 'e.g. 192.168.1.10', maxlength: 45 }),
    h('label', { for: 'f-icountry' }, 'Country'),
    h('input', { id: 'f-icountry', name: 'country', value: params.get('country') ?? '', placeholder: 'e.g. TH', maxlength: 2, pattern: '[A-Za-z]{2}', title: 'two-letter country code' }),
    h('label', { for: 'f-igroup' }, 'Group by'),
    h('select', { id: 'f-igroup', name: 'group' }, Object.entries(GROUPINGS).map(([v, l]) => h('option', { value: v, selected: v === by }, l))),
    h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    // a group's cause stays until cleared (the form has no field for it)
    if (!form.querySelector<HTMLSelectElement>('#f-igroup')?.value) for (const k of CAUSE_KEYS) if (params.get(k)) q.set(k, params.get(k)!);
    for (const [k, v] of new FormData(form)) if (String(v).trim()) q.set(k, k === 'country' ? String(v).trim().toUpperCase() : String(v).trim());
    const val = (id: string) => (form.querySelector(`#${id}`) as HTMLInputElement).value.trim();
    const from = fromInput(val('f-ifrom'));
    const to = fromInput(val('f-ito'));
    if (from !== null) q.set('from', String(from));
    if (to !== null) q.set('to', String(to));
    go(`#/inbox?${q}`);
  });
  return form;
}

/** Built when grouping: the filter form, then one row per cause with a link to its incidents. */
async function groupsPart(params: URLSearchParams, by: string, filter: Record<string, string | null | undefined>, me: Me, sensorList: Promise<Sensor[]>,
  go: (hash: string) => void, reload: (message: string) => void): Promise<HTMLElement> {
  const res = await api<{ items: IncidentGroup[]; truncated: boolean }>('GET', `/api/v1/incidents/groups${query({ ...filter, by, limit: 200 })}`);
  const { sensors, sensorName } = await sensorsOf(sensorList);
  // the same form as the list (grouping is one of its fields): built by the list view with no rows
  const list = new URLSearchParams(params);
  list.delete('group');
  const open = (g: IncidentGroup) => {
    const q = new URLSearchParams(list);
    q.delete('cursor');
    for (const [k, v] of Object.entries(g.key)) q.set(k, String(v));
    return `#/inbox?${q}`;
  };
  const form = incidentForm(params, params.get('status') ?? 'open', by, sensors, go);
  return h('section', {}, form,
    table(`Incidents by ${GROUPINGS[by].toLowerCase()}${res.truncated ? ' (the 200 most recent causes)' : ''}`, ['Cause', 'Incidents', 'Alerts', 'Worst sev.', 'Last seen', ...(me.role !== 'viewer' ? ['Actions'] : [])], res.items, (g) => [
      h('a', { href: open(g) }, by === 'device' ? `${g.label} on ${sensorName.get(Number(g.key.sensor_id)) ?? String(g.key.sensor_id)}` : g.label),
      g.incidents, g.alerts, g.severity, timeEl(g.last_ms),
      ...(me.role !== 'viewer' ? [archiveSimilarButton({ ...g.key, label: `${GROUPINGS[by].toLowerCase()} ${g.label}` }, me, sensors, reload)] : []),
    ], 'no incidents match.'));
}

interface Comment { id: number; author: string; body: string; created_ms: number }

/** An incident's comments, loaded when opened; analysts add one (the server records who and when). Text only: nodes, never HTML. */
function commentsPart(id: number, canComment: boolean): HTMLElement {
  const list = h('ol', { class: 'comments' });
  const status = h('p', { role: 'status', class: 'status-line' });
  const load = () => api<{ items: Comment[] }>('GET', `/api/v1/incidents/${id}/comments`).then((r) => {
    list.replaceChildren(...r.items.map((c) => h('li', {}, h('span', { class: 'comment-meta' }, c.author, ', ', timeEl(c.created_ms)), ': ', c.body)));
    status.textContent = r.items.length === 0 ? 'No comments yet.' : '';
  }).catch((err: unknown) => { status.textContent = (err as Error).message; });
  const text = h('textarea', { id: `comment-${id}`, rows: 2, maxlength: 4000, required: true });
  const form = canComment ? h('form', { class: 'comment-form' },
    h('label', { for: `comment-${id}` }, `Comment on incident ${id}`), text, h('button', { type: 'submit', class: 'small' }, 'Add comment')) : null;
  form?.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    api('POST', `/api/v1/incidents/${id}/comments`, { body: text.value }).then(() => { text.value = ''; return load(); })
      .catch((err: unknown) => { status.textContent = (err as Error).message; });
  });
  const box = h('details', { class: 'incident-comments' }, h('summary', {}, 'Comments'), list, status, form);
  box.addEventListener('toggle', () => { if (box.open) void load(); });
  return box;
}

function alertFilter(params: URLSearchParams): Record<string, string | undefined> {
  const f: Record<string, string | undefined> = {};
  for (const k of ['from', 'to', 'sensor_id', 'detector', 'severity', 'src_ip']) f[k] = params.get(k) ?? undefined;
  return f;
}

async function alertsPart(params: URLSearchParams, sensorList: Promise<Sensor[]>, go: (hash: string) => void): Promise<HTMLElement> {
  const filter = alertFilter(params);
  const page = await api<Page<AlertItem>>('GET', `/api/v1/alerts${query({ ...filter, limit: PAGE, cursor: params.get('cursor') })}`);
  const { sensors, sensorName } = await sensorsOf(sensorList);
  const num = (k: string) => (params.get(k) ? Number(params.get(k)) : null);
  const zoneLabel = zone() === 'utc' ? 'UTC' : 'local time';
  const form = h('form', { class: 'filters', 'aria-label': 'Alert filters' },
    h('label', { for: 'f-from' }, `From (${zoneLabel})`), h('input', { id: 'f-from', type: 'datetime-local', value: num('from') !== null ? toInput(num('from')!) : '' }),
    h('label', { for: 'f-to' }, `To (${zoneLabel})`), h('input', { id: 'f-to', type: 'datetime-local', value: num('to') !== null ? toInput(num('to')!) : '' }),
    h('label', { for: 'f-sensor' }, 'Sensor'), sensorSelect('f-sensor', sensors, params.get('sensor_id')),
    h('label', { for: 'f-detector' }, 'Detector'), h('input', { id: 'f-detector', value: params.get('detector') ?? '', placeholder: 'e.g. stratum' }),
    h('label', { for: 'f-severity' }, 'Severity'),
    h('select', { id: 'f-severity' }, h('option', { value: '' }, 'Any'), [1, 2, 3, 4].map((s) => h('option', { value: s, selected: String(s) === params.get('severity') }, String(s)))),
    h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ tab: 'alerts' });
    const val = (id: string) => (form.querySelector(`#${id}`) as HTMLInputElement).value.trim();
    const from = fromInput(val('f-from'));
    const to = fromInput(val('f-to'));
    if (from !== null) q.set('from', String(from));
    if (to !== null) q.set('to', String(to));
    if (val('f-sensor')) q.set('sensor_id', val('f-sensor'));
    if (val('f-detector')) q.set('detector', val('f-detector'));
    if (val('f-severity')) q.set('severity', val('f-severity'));
    go(`#/inbox?${q}`);
  });
  const exportMsg = h('p', { role: 'status', class: 'status-line' });
  const exporter = (kind: 'csv' | 'json') => h('button', {
    type: 'button', onclick: () => {
      exportMsg.textContent = 'Exporting…';
      exportAlerts(filter, kind, sensorName).then((n) => { exportMsg.textContent = `Exported ${n.toLocaleString('en-US')} alerts${n >= EXPORT_MAX ? ` (the first ${EXPORT_MAX.toLocaleString('en-US')}; narrow the filter for the rest)` : ''}.`; })
        .catch((err: unknown) => { exportMsg.textContent = (err as Error).message; });
    },
  }, `Export ${kind.toUpperCase()}`);
  return h('section', {},
    form,
    h('div', { class: 'toolbar' }, h('p', {}, page.total !== null && page.total !== undefined ? `${page.total.toLocaleString('en-US')} alerts match.` : 'Count not available for this filter (it uses a field the roll-ups do not have).'),
      exporter('csv'), exporter('json')),
    exportMsg,
    table('Alerts', ['Time', 'Signature', 'Detector', 'Sev.', 'Source', 'Destination', 'Sensor', 'Country'], page.items, (a) => [
      timeEl(a.ts), a.event?.alert?.signature ?? '—', a.event?.minewatch?.detector ?? '—', a.event?.alert?.severity ?? '—',
      `${a.event?.src_ip ?? '—'}${a.event?.src_port !== undefined ? `:${a.event.src_port}` : ''}`,
      `${a.event?.dest_ip ?? '—'}${a.event?.dest_port !== undefined ? `:${a.event.dest_port}` : ''}`,
      sensorName.get(a.sensor_id) ?? String(a.sensor_id), a.country ?? '—',
    ], 'no alerts match.'),
    pager(params, page.next_cursor, go));
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s; // no formula injection in spreadsheets
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Pages through the filter (up to EXPORT_MAX alerts) and downloads them; returns how many. */
async function exportAlerts(filter: Record<string, string | undefined>, kind: 'csv' | 'json', sensorName: Map<number, string>): Promise<number> {
  const all: AlertItem[] = [];
  let cursor: string | null = null;
  do {
    const p: Page<AlertItem> = await api<Page<AlertItem>>('GET', `/api/v1/alerts${query({ ...filter, limit: 1000, cursor })}`);
    all.push(...p.items);
    cursor = p.next_cursor;
  } while (cursor && all.length < EXPORT_MAX);
  const rows = all.slice(0, EXPORT_MAX);
  let blob: Blob;
  if (kind === 'json') {
    blob = new Blob([JSON.stringify(rows.map((a) => a.event), null, 1)], { type: 'application/json' });
  } else {
    const head = ['time', 'sensor', 'signature_id', 'signature', 'detector', 'severity', 'src_ip', 'src_port', 'dest_ip', 'dest_port', 'proto', 'country', 'asn'];
    const lines = rows.map((a) => [new Date(a.ts).toISOString(), sensorName.get(a.sensor_id) ?? a.sensor_id, a.event?.alert?.signature_id, a.event?.alert?.signature, a.event?.minewatch?.detector,
      a.event?.alert?.severity, a.event?.src_ip, a.event?.src_port, a.event?.dest_ip, a.event?.dest_port, a.event?.proto, a.country, a.asn].map(csvCell).join(','));
    blob = new Blob([[head.join(','), ...lines].join('\r\n') + '\r\n'], { type: 'text/csv' });
  }
  const a = h('a', { href: URL.createObjectURL(blob), download: `minewatch-alerts-${formatTime(Date.now()).replace(/[^0-9A-Za-z]+/g, '-')}.${kind}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  return rows.length;
}
