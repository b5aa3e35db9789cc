/**
 * The evidence drill-down, shared by the inbox and the device page: an incident opens its
 * alerts (server-side pages, read under the server's time budget) and each alert its evidence —
 * the flow, the time, what matched, the payload excerpt — with the advice for its kind. Every
 * value is a text node: payloads and names from the network never become markup.
 */
import { api, query } from '../api.js';
import { h } from '../dom.js';
import { timeEl } from '../prefs.js';

export interface EvidenceFact { label: string; value: string }
export interface AlertEvidence {
  id: number; ts: number; country: string | null; signature_id: number | null; signature: string | null; severity: number | null; detector: string | null;
  flow: { flow_id: number | null; proto: string | null; app_proto: string | null; src_ip: string | null; src_port: number | null; dest_ip: string | null; dest_port: number | null };
  facts: EvidenceFact[]; payload: string | null; other: EvidenceFact[];
}
export interface Remediation { cause: string; steps: string[] }
export interface EvidencePage { items: AlertEvidence[]; next_cursor: string | null; partial: boolean }

const PAGE = 10;

function endpoint(ip: string | null, port: number | null): string {
  if (!ip) return '—';
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === null ? host : `${host}:${port}`;
}

/** One alert's evidence as a description list. */
export function alertEvidenceEl(a: AlertEvidence): HTMLElement {
  const f = a.flow;
  const rows: Array<[string, Node | string]> = [
    ['Time', timeEl(a.ts)],
    ['Flow', `${endpoint(f.src_ip, f.src_port)} → ${endpoint(f.dest_ip, f.dest_port)} ${f.proto ?? ''}${f.app_proto ? ` (${f.app_proto})` : ''}`],
    ...a.facts.map((x): [string, string] => [x.label, x.value]),
    ...a.other.map((x): [string, string] => [x.label, x.value]),
  ];
  return h('article', { class: 'evidence' },
    h('h4', {}, a.signature ?? `signature ${a.signature_id ?? '—'}`, a.severity !== null ? ` · severity ${a.severity}` : ''),
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    a.payload !== null ? [h('p', { class: 'evidence-label' }, 'Payload excerpt (control bytes escaped)'), h('pre', { class: 'payload' }, a.payload)] : null);
}

/** Advice for an incident's kind: the cause and the steps, most important first. */
export function adviceEl(r: Remediation, heading: 'h3' | 'h4' = 'h4'): HTMLElement {
  return h('section', { class: 'advice' }, h(heading, {}, `What to do: ${r.cause}`), h('ol', {}, r.steps.map((s) => h('li', {}, s))));
}

/**
 * A list of alerts' evidence with a "More" button while the server has a next page; `load`
 * fetches one page. A partial page (the time budget ended it) says so.
 */
export function evidenceList(label: string, load: (cursor: string | null) => Promise<EvidencePage>, first?: EvidencePage): HTMLElement {
  const list = h('div', { class: 'evidence-list', role: 'list', 'aria-label': label });
  const status = h('p', { role: 'status', class: 'status-line' });
  const more = h('button', { type: 'button', class: 'small', hidden: true }, 'More alerts');
  let cursor: string | null = null;
  const show = (p: EvidencePage) => {
    list.append(...p.items.map((a) => h('div', { role: 'listitem' }, alertEvidenceEl(a))));
    cursor = p.next_cursor;
    more.hidden = cursor === null;
    status.textContent = list.childElementCount === 0 ? 'No alerts.' : p.partial ? `Showing ${list.childElementCount} alerts: the server stopped at its time budget; “More alerts” continues.` : '';
  };
  more.addEventListener('click', () => {
    more.disabled = true;
    load(cursor).then(show).catch((err: unknown) => { status.textContent = (err as Error).message; }).finally(() => { more.disabled = false; });
  });
  if (first) show(first);
  else void load(null).then(show).catch((err: unknown) => { status.textContent = (err as Error).message; });
  return h('div', {}, list, status, more);
}

/** An incident's evidence, loaded when opened: the advice, then its alerts newest first. */
export function incidentEvidence(id: number): HTMLElement {
  const body = h('div', {});
  const box = h('details', { class: 'incident-evidence' }, h('summary', {}, 'Evidence'), body);
  const load = (cursor: string | null) => api<EvidencePage & { remediation: Remediation }>('GET', `/api/v1/incidents/${id}/alerts${query({ limit: PAGE, cursor })}`);
  box.addEventListener('toggle', () => {
    if (!box.open || body.childElementCount > 0) return;
    body.append(h('p', { role: 'status', class: 'status-line' }, 'Loading…'));
    load(null).then((p) => {
      body.replaceChildren(adviceEl(p.remediation), evidenceList(`Alerts of incident ${id}`, load, p));
    }).catch((err: unknown) => { body.replaceChildren(h('p', { class: 'error', role: 'alert' }, (err as Error).message)); });
  });
  return box;
}
