/**
 * Auto-archive rules for known noise, in the inbox: "Archive similar…" on an incident or a
 * group opens a dialog pre-filled with its cause keys (each one can be left out, addresses
 * widened to a CIDR), and the rules tab lists the organisation's rules with what each archived,
 * to disable, enable or delete them. Keyboard: the dialog is modal (Escape closes it, focus
 * returns to the button that opened it).
 */
import { api, type Me } from '../api.js';
import { h, table } from '../dom.js';
import { timeEl } from '../prefs.js';
import type { Sensor } from './overview.js';

export interface ArchiveRule {
  id: number; org: string | null; signature_id: number | null; detector: string | null; sensor_id: number | null; src_ip: string | null; dest_ip: string | null;
  country: string | null; severity_min: number | null; comment: string | null; enabled: boolean; created_by: string; created_ms: number; hits: number; last_hit_ms: number | null;
}

/** The cause keys a rule may name, in the order the dialog shows them. */
const FIELDS = [
  ['signature_id', 'Signature id'], ['detector', 'Detector'], ['sensor_id', 'Sensor'], ['src_ip', 'Device (address or CIDR)'],
  ['dest_ip', 'Peer (address or CIDR)'], ['country', 'Country'], ['severity_min', 'Severity (this or less severe)'],
] as const;
type Field = (typeof FIELDS)[number][0];
export type RuleSeed = Partial<Record<Field, string | number | null | undefined>> & { label: string };

/** One rule's conditions in words. */
export function describeRule(r: ArchiveRule, sensorName: Map<number, string>): string {
  const parts: string[] = [];
  if (r.signature_id !== null) parts.push(`signature ${r.signature_id}`);
  if (r.detector !== null) parts.push(`detector ${r.detector}`);
  if (r.sensor_id !== null) parts.push(`sensor ${sensorName.get(r.sensor_id) ?? r.sensor_id}`);
  if (r.src_ip !== null) parts.push(`device ${r.src_ip}`);
  if (r.dest_ip !== null) parts.push(`peer ${r.dest_ip}`);
  if (r.country !== null) parts.push(`country ${r.country}`);
  if (r.severity_min !== null) parts.push(`severity ${r.severity_min} or less severe`);
  return parts.join(', ');
}

/**
 * The "Archive similar…" dialog for one incident or group. On success it calls `done` with a
 * sentence saying what happened (the inbox shows it and reloads).
 */
export function openArchiveDialog(seed: RuleSeed, me: Me, sensors: Sensor[], done: (message: string) => void): void {
  const status = h('p', { role: 'status', class: 'status-line' });
  const rows = FIELDS.map(([key, label]) => {
    const value = seed[key];
    const id = `rule-${key}`;
    const on = h('input', { type: 'checkbox', id: `${id}-on`, checked: value !== undefined && value !== null && value !== '', 'aria-label': `Use ${label}` });
    const input = key === 'sensor_id'
      ? h('select', { id }, sensors.map((s) => h('option', { value: s.id, selected: String(s.id) === String(value ?? '') }, s.name)))
      : h('input', { id, value: value === undefined || value === null ? '' : String(value), maxlength: 128, ...(key === 'severity_min' ? { type: 'number', min: 1, max: 255 } : {}) });
    return { key, on, input, row: h('div', { class: 'rule-field' }, on, h('label', { for: id }, label), input) };
  });
  // a collector-wide user names the organisation unless the rule names a sensor (its organisation is then the sensor's)
  const org = me.org === null ? h('input', { id: 'rule-org', maxlength: 64, placeholder: 'needed without a sensor' }) : null;
  const comment = h('input', { id: 'rule-comment', maxlength: 500, placeholder: 'why this is noise' });
  const apply = h('input', { type: 'checkbox', id: 'rule-apply' });
  const form = h('form', { method: 'dialog', class: 'rule-form' },
    h('h2', { id: 'rule-title' }, 'Archive similar incidents'),
    h('p', { class: 'note' }, `New incidents that meet every ticked condition will be stored archived. From: ${seed.label}`),
    rows.map((r) => r.row),
    org ? h('div', { class: 'rule-field' }, h('label', { for: 'rule-org' }, 'Organisation'), org) : null,
    h('div', { class: 'rule-field' }, h('label', { for: 'rule-comment' }, 'Comment'), comment),
    h('div', { class: 'rule-field' }, apply, h('label', { for: 'rule-apply' }, 'Also archive the open incidents it matches now')),
    status,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'rule-create' }, 'Create rule'),
      h('button', { type: 'button', id: 'rule-cancel', onclick: () => dialog.close() }, 'Cancel')));
  const dialog = h('dialog', { class: 'rule-dialog', 'aria-labelledby': 'rule-title' }, form);
  const opener = document.activeElement as HTMLElement | null;
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    for (const r of rows) {
      const v = r.input.value.trim();
      if (!r.on.checked || v === '') continue;
      body[r.key] = r.key === 'signature_id' || r.key === 'sensor_id' || r.key === 'severity_min' ? Number(v) : r.key === 'country' ? v.toUpperCase() : v;
    }
    if (org?.value.trim()) body.org = org.value.trim();
    if (comment.value.trim()) body.comment = comment.value.trim();
    if (apply.checked) body.apply_to_existing = true;
    if (Object.keys(body).every((k) => !FIELDS.some(([f]) => f === k))) {
      status.textContent = 'Tick at least one condition: a rule without one would archive everything.';
      return;
    }
    status.textContent = 'Creating…';
    api<{ rule: ArchiveRule; applied: { archived: number; truncated: boolean } | null }>('POST', '/api/v1/archive-rules', body).then((r) => {
      dialog.close();
      const applied = r.applied ? ` It archived ${r.applied.archived} open incident${r.applied.archived === 1 ? '' : 's'}${r.applied.truncated ? ' (the most recent ones; apply again for more)' : ''}.` : '';
      done(`Rule ${r.rule.id} created.${applied}`);
    }).catch((err: unknown) => { status.textContent = (err as Error).message; });
  });
  document.body.append(dialog);
  dialog.showModal();
  (rows.find((r) => r.on.checked)?.on ?? comment).focus();
}

/** The "Archive similar…" button (analysts and admins). */
export function archiveSimilarButton(seed: RuleSeed, me: Me, sensors: Sensor[], done: (message: string) => void): HTMLButtonElement | null {
  if (me.role === 'viewer') return null;
  return h('button', { type: 'button', class: 'small', 'aria-label': `Archive similar… (${seed.label})`, onclick: () => openArchiveDialog(seed, me, sensors, done) }, 'Archive similar…');
}

/** Delete in two presses (the first asks "Really delete?"), so a stray key press deletes nothing. */
function deleteButton(r: ArchiveRule, msg: HTMLElement, reload: (message: string) => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'small', 'aria-label': `Delete rule ${r.id}` }, 'Delete');
  b.addEventListener('click', () => {
    if (b.dataset.armed !== 'yes') {
      b.dataset.armed = 'yes';
      b.textContent = 'Really delete?';
      b.setAttribute('aria-label', `Really delete rule ${r.id}? What it archived stays archived.`);
      return;
    }
    api('DELETE', `/api/v1/archive-rules/${r.id}`).then(() => reload(`Rule ${r.id} deleted.`)).catch((err: unknown) => { msg.textContent = (err as Error).message; });
  });
  return b;
}

/** The rules tab: every rule of the organisation, what it archived and when it last did; analysts disable, enable, delete. */
export async function archiveRulesPart(me: Me, sensorName: Map<number, string>, reload: (message: string) => void, flash: string): Promise<HTMLElement> {
  const rules = (await api<{ items: ArchiveRule[] }>('GET', '/api/v1/archive-rules')).items;
  const canWrite = me.role !== 'viewer';
  const msg = h('p', { role: 'status', class: 'status-line' }, flash);
  const act = (label: string, r: ArchiveRule, run: () => Promise<unknown>, done: string) => h('button', {
    type: 'button', class: 'small', 'aria-label': `${label} rule ${r.id}`,
    onclick: () => { run().then(() => reload(done)).catch((err: unknown) => { msg.textContent = (err as Error).message; }); },
  }, label);
  return h('section', {},
    h('p', { class: 'note' }, 'New incidents that meet every condition of an enabled rule are stored archived, attributed to the rule. Make one with "Archive similar…" on an incident or a group.'),
    msg,
    table('Auto-archive rules', ['Rule', 'Conditions', 'Comment', 'Created', 'Archived', 'Last archived', 'State', ...(canWrite ? ['Actions'] : [])], rules, (r) => [
      `#${r.id}${me.org === null && r.org ? ` (${r.org})` : ''}`, describeRule(r, sensorName), r.comment ?? '—',
      h('span', {}, r.created_by, ', ', timeEl(r.created_ms)), r.hits, r.last_hit_ms !== null ? timeEl(r.last_hit_ms) : 'never',
      h('span', { class: `badge ${r.enabled ? 'status-archived' : 'status-acknowledged'}` }, r.enabled ? 'enabled' : 'disabled'),
      ...(canWrite ? [h('span', { class: 'actions' },
        act(r.enabled ? 'Disable' : 'Enable', r, () => api('PATCH', `/api/v1/archive-rules/${r.id}`, { enabled: !r.enabled }), `Rule ${r.id} ${r.enabled ? 'disabled' : 'enabled'}.`),
        deleteButton(r, msg, reload))] : []),
    ], 'none yet.'));
}
