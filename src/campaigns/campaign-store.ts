/**
 * The campaign model on the store: a campaign (name, selection of infections, period, identity
 * rule, control hold-back, notification time, contacts file) is a row of `campaigns` whose
 * definition is the JSON below; `buildCampaignHosts` derives its infected hosts from the stored
 * events (and imported external evidence) into `campaign_hosts` / `campaign_host_days`;
 * `campaignReport` measures remediation over them (remediation.ts).
 *
 * **Host identity** (`identity`): `ip-day` (default) tracks the public address — daily counts
 * are distinct addresses per UTC day, and an address reassigned to another subscriber is the
 * same "host"; `device-id` tracks the device id a sensor reports (`minewatch.device.id`), one
 * host per device behind NAT whatever its address, falling back to the address for events
 * without one (telescope, scanner, external feeds). Every report states the rule.
 *
 * **Observed** (a quiet day only counts when the host's network was observed that day):
 * sensor alerts and telescope alerts — the sensor or telescope that saw the host reported
 * anything that day (any row of that sensor in the daily roll-up: alerts, stats heartbeats,
 * flows, telescope intervals); scanner findings — the scanner reported anything that day
 * (a scan of the network with no finding counts, since its `scan` host events are stored);
 * external feeds — the feed delivered any report that day (any imported row of that feed).
 */
import { z } from 'zod';
import { sql } from 'kysely';
import type { Store } from '../store/open.js';
import { DAY_MS } from '../store/schema.js';
import { ScopeIndex, scopePattern, type OrgScopeRow } from '../store/scope.js';
import { cidrContains, isPublicIp, parseCidr, type Cidr } from '../util/ip.js';
import { campaignHostKey, inControlGroup } from '../util/holdback.js';
import { InputError, UsageError } from '../util/errors.js';
import { DEFAULT_PARAMS, remediationReport, type HostTimeline, type RemediationReport } from './remediation.js';
import { funnel, StoreNotificationLog, type Funnel } from './notification-log.js';
import { asSizeLookup, per100k, type AsSize } from './as-size.js';

export const CAMPAIGN_SOURCES = ['sensor', 'telescope', 'internal-darknet', 'scanner', 'external'] as const;
export type CampaignSource = (typeof CAMPAIGN_SOURCES)[number];

const isoTime = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), 'an ISO 8601 time with a zone, e.g. 2026-01-01T00:00:00Z');

export const CampaignDefinition = z.object({
  selection: z.object({
    sources: z.array(z.enum(CAMPAIGN_SOURCES)).min(1).default(['sensor', 'telescope', 'internal-darknet', 'scanner', 'external']),
    detectors: z.array(z.string().min(1)).optional(),
    signatureIds: z.array(z.number().int()).optional(),
    /** Scanner finding ids (e.g. `vulnerable-firmware`). */
    findings: z.array(z.string().min(1)).optional(),
    deviceTypes: z.array(z.string().min(1)).optional(),
    deviceVendors: z.array(z.string().min(1)).optional(),
    countries: z.array(z.string().regex(/^[A-Z]{2}$/)).optional(),
    asns: z.array(z.number().int().nonnegative()).optional(),
    prefixes: z.array(z.string().refine((p) => parseCidr(p) !== null, 'a CIDR prefix')).optional(),
  }).strict().default({ sources: ['sensor', 'telescope', 'internal-darknet', 'scanner', 'external'] }),
  period: z.object({ from: isoTime, to: isoTime }).strict().refine((p) => Date.parse(p.from) < Date.parse(p.to), 'from must be before to'),
  identity: z.enum(['ip-day', 'device-id']).default('ip-day'),
  /** When the owners were notified (the treatment group); unset until `campaign notify`/`--notified-at`. */
  notifiedAt: isoTime.optional(),
  control: z.object({ share: z.number().min(0).max(0.9), seed: z.number().int().nonnegative() }).strict().optional(),
  remediation: z.object({
    quietDays: z.number().int().min(1).max(365).default(DEFAULT_PARAMS.quietDays),
    baselineDays: z.number().int().min(1).max(365).default(DEFAULT_PARAMS.baselineDays),
    horizonDays: z.number().int().min(1).max(365).default(DEFAULT_PARAMS.horizonDays),
  }).strict().default({ quietDays: DEFAULT_PARAMS.quietDays, baselineDays: DEFAULT_PARAMS.baselineDays, horizonDays: DEFAULT_PARAMS.horizonDays }),
  /** The contacts file (campaigns/contacts.ts format) the packages are routed with. */
  contacts: z.string().optional(),
}).strict();
export type CampaignDefinition = z.infer<typeof CampaignDefinition>;
export type CampaignDefinitionInput = z.input<typeof CampaignDefinition>;

export interface Campaign {
  id: number;
  orgId: number | null;
  name: string;
  status: string;
  createdMs: number;
  definition: CampaignDefinition;
}

export interface Viewer {
  orgId: number | null;
}

function parseDefinition(input: unknown, subject: string): CampaignDefinition {
  const r = CampaignDefinition.safeParse(input);
  if (!r.success) throw new InputError('campaign.bad-definition', `${subject}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`, { subject });
  return r.data;
}

export async function createCampaign(store: Store, name: string, def: CampaignDefinitionInput, orgId: number | null = null, nowMs = Date.now()): Promise<Campaign> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) throw new UsageError('campaign name: letters, digits, dot, dash and underscore, up to 100', 'usage.bad-value', { subject: name });
  const definition = parseDefinition(def, `campaign ${name}`);
  const exists = await store.db.selectFrom('campaigns').select('id').where('name', '=', name).executeTakeFirst();
  if (exists) throw new InputError('campaign.exists', `campaign "${name}" exists already`, { subject: name });
  const row = await store.db.insertInto('campaigns').values({ org_id: orgId, name, definition: JSON.stringify(definition), status: 'draft', created_ms: nowMs }).returning('id').executeTakeFirstOrThrow();
  return { id: Number(row.id), orgId, name, status: 'draft', createdMs: nowMs, definition };
}

function toCampaign(r: { id: number; org_id: number | null; name: string; status: string; created_ms: number; definition: string }): Campaign {
  return { id: Number(r.id), orgId: r.org_id === null ? null : Number(r.org_id), name: r.name, status: r.status, createdMs: Number(r.created_ms), definition: parseDefinition(JSON.parse(r.definition), `campaign ${r.name}`) };
}

/** Campaigns a viewer may see: an operator every one, an organisation's user its own and the collector-wide ones. */
export async function listCampaigns(store: Store, v: Viewer = { orgId: null }): Promise<Campaign[]> {
  let q = store.read.selectFrom('campaigns').selectAll().orderBy('id');
  if (v.orgId !== null) q = q.where((eb) => eb.or([eb('org_id', '=', v.orgId), eb('org_id', 'is', null)]));
  return (await q.execute()).map(toCampaign);
}

export async function getCampaign(store: Store, ref: string | number, v: Viewer = { orgId: null }): Promise<Campaign> {
  const all = await listCampaigns(store, v);
  const c = all.find((x) => (typeof ref === 'number' ? x.id === ref : x.name === ref || String(x.id) === ref));
  if (!c) throw new InputError('campaign.not-found', `no campaign "${ref}"`, { subject: String(ref) });
  return c;
}

/** Records the notification time: treatment hosts known by then become `notified` (later ones stay `pending`), the control group stays `held-back`. */
export async function markNotified(store: Store, id: number, atMs: number): Promise<void> {
  const c = await getCampaign(store, id);
  const definition = { ...c.definition, notifiedAt: new Date(atMs).toISOString() };
  await store.db.updateTable('campaigns').set({ definition: JSON.stringify(definition), status: 'notified' }).where('id', '=', id).execute();
  await store.db.updateTable('campaign_hosts').set({ notify_state: 'notified', notified_ms: atMs }).where('campaign_id', '=', id).where('grp', '=', 'treatment').where('first_seen_ms', '<=', atMs).execute();
}

/** Day numbers → runs text, ascending: "20003+11,20040" is days 20003 … 20014 and 20040. */
export function encodeDays(days: Iterable<number>): string {
  const a = Int32Array.from(days).sort();
  const out: string[] = [];
  for (let i = 0; i < a.length;) {
    let j = i;
    while (j + 1 < a.length && a[j + 1] === a[j] + 1) j++;
    out.push(j > i ? `${a[i]}+${j - i}` : String(a[i]));
    i = j + 1;
  }
  return out.join(',');
}

/**
 * Decodes runs text into views of shared Int32Array blocks (no array per host beyond its view);
 * anything malformed ends the list at that point (a hand-edited row cannot throw the report).
 */
export class DayDecoder {
  private block = new Int32Array(1 << 16);
  private used = 0;

  decode(text: string): Int32Array {
    let n = 0;
    for (let pass = 0; pass < 2; pass++) {
      // pass 0 counts the days, pass 1 writes them
      let at = 0;
      if (pass === 1) {
        if (this.used + n > this.block.length) {
          this.block = new Int32Array(Math.max(1 << 16, n));
          this.used = 0;
        }
        at = this.used;
      }
      let i = 0;
      let count = 0;
      while (i < text.length) {
        let start = 0;
        let digits = 0;
        for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) { start = start * 10 + c - 48; digits++; }
        if (digits === 0 || digits > 9) break;
        let extra = 0;
        if (text.charCodeAt(i) === 43) {
          digits = 0;
          for (let c = text.charCodeAt(++i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) { extra = extra * 10 + c - 48; digits++; }
          if (digits === 0 || digits > 6) break;
        }
        if (pass === 1) for (let k = 0; k <= extra && count < n; k++, count++) this.block[at + count] = start + k;
        else n += extra + 1;
        if (text.charCodeAt(i) !== 44) break;
        i++;
      }
    }
    const view = this.block.subarray(this.used, this.used + n);
    this.used += n;
    return view;
  }
}

function notifyState(control: boolean, notifiedMs: number | null, firstSeen: number): { notify_state: string; notified_ms: number | null } {
  if (control) return { notify_state: 'held-back', notified_ms: null };
  if (notifiedMs !== null && firstSeen <= notifiedMs) return { notify_state: 'notified', notified_ms: notifiedMs };
  return { notify_state: 'pending', notified_ms: null };
}

interface HostAgg {
  key: string;
  ip: string;
  deviceId: string | null;
  sensors: Set<number>;
  feeds: Set<string>;
  country: string | null;
  asn: number | null;
  first: number;
  last: number;
  events: number;
  detectors: Set<string>;
  signatures: Set<number>;
  malware: Set<string>;
  days: Map<number, number>;
  scope: string;
}

function sourceOf(eventType: string, detector: string | null): CampaignSource | null {
  if (eventType === 'scan') return 'scanner';
  if (eventType !== 'alert') return null;
  if (detector === 'darknet-source') return 'telescope';
  if (detector === 'internal-darknet') return 'internal-darknet';
  return 'sensor';
}

export interface BuildResult {
  hosts: number;
  hostDays: number;
  events: number;
  external: number;
}

/**
 * (Re)builds the campaign's hosts from the events in its period that match its selection,
 * plus its imported external evidence. Pages through the events by id, so memory grows with
 * the number of hosts and host-days, not events.
 */
export async function buildCampaignHosts(store: Store, id: number): Promise<BuildResult> {
  const c = await getCampaign(store, id);
  const d = c.definition;
  const sel = d.selection;
  const from = Date.parse(d.period.from);
  const to = Date.parse(d.period.to);
  const sources = new Set(sel.sources);
  const prefixes: Cidr[] = (sel.prefixes ?? []).map((p) => parseCidr(p)!);
  const sensorNames = new Map((await store.read.selectFrom('sensors').select(['id', 'name']).execute()).map((s) => [Number(s.id), s.name]));
  const devices = new Map<string, { type: string | null; vendor: string | null }>();
  if (sel.deviceTypes || sel.deviceVendors) {
    for (const r of await store.read.selectFrom('devices').select(['sensor_id', 'device_key', 'type', 'vendor']).execute()) devices.set(`${r.sensor_id}|${r.device_key}`, { type: r.type, vendor: r.vendor });
  }
  const findings = new Map<string, string>();
  if (sources.has('scanner')) {
    for (const r of await store.read.selectFrom('scan_results').select(['sensor_id', 'ts', 'target_ip', 'finding']).where('ts', '>=', from).where('ts', '<', to).execute()) findings.set(`${r.sensor_id}|${r.ts}|${r.target_ip}`, r.finding);
  }
  const types = [...(sources.has('scanner') ? ['scan'] : []), ...(sources.has('sensor') || sources.has('telescope') || sources.has('internal-darknet') ? ['alert'] : [])];
  const hosts = new Map<string, HostAgg>();
  const add = (key: string, ip: string, deviceId: string | null, ts: number, country: string | null, asn: number | null, scope: string, how: { sensor?: number; feed?: string; detector?: string | null; signature?: number | null; malware?: string | null }) => {
    let h = hosts.get(key);
    if (!h) {
      h = { key, ip, deviceId, sensors: new Set(), feeds: new Set(), country, asn, first: ts, last: ts, events: 0, detectors: new Set(), signatures: new Set(), malware: new Set(), days: new Map(), scope };
      hosts.set(key, h);
    }
    h.events++;
    if (ts < h.first) h.first = ts;
    if (ts >= h.last) {
      h.last = ts;
      h.ip = ip;
      if (country) h.country = country;
      if (asn) h.asn = asn;
    }
    if (how.sensor !== undefined) h.sensors.add(how.sensor);
    if (how.feed) h.feeds.add(how.feed);
    if (how.detector) h.detectors.add(how.detector);
    if (how.signature !== null && how.signature !== undefined) h.signatures.add(how.signature);
    if (how.malware) h.malware.add(how.malware);
    const day = Math.floor(ts / DAY_MS);
    h.days.set(day, (h.days.get(day) ?? 0) + 1);
  };
  let events = 0;
  let lastId = 0;
  const PAGE = 5000;
  while (types.length > 0) {
    const rows = await store.read.selectFrom('events')
      .select(['id', 'ts', 'event_type', 'sensor_id', 'src_ip', 'dest_ip', 'detector', 'signature_id', 'country', 'asn', 'device_id', 'scope'])
      .where('ts', '>=', from).where('ts', '<', to).where('event_type', 'in', types).where('id', '>', lastId)
      .orderBy('id').limit(PAGE).execute();
    for (const r of rows) {
      const source = sourceOf(r.event_type, r.detector);
      if (!source || !sources.has(source)) continue;
      const ip = source === 'scanner' ? r.dest_ip : r.src_ip;
      if (!ip) continue;
      if (sel.detectors && (!r.detector || !sel.detectors.includes(r.detector))) continue;
      if (sel.signatureIds && source !== 'scanner' && (r.signature_id === null || !sel.signatureIds.includes(Number(r.signature_id)))) continue;
      let finding: string | undefined;
      if (source === 'scanner') {
        finding = findings.get(`${r.sensor_id}|${r.ts}|${ip}`);
        if (!finding || (sel.findings && !sel.findings.includes(finding))) continue;
      }
      if (sel.countries && (!r.country || !sel.countries.includes(r.country))) continue;
      if (sel.asns && (r.asn === null || !sel.asns.includes(Number(r.asn)))) continue;
      if (prefixes.length > 0 && !prefixes.some((p) => cidrContains(p, ip))) continue;
      if (sel.deviceTypes || sel.deviceVendors) {
        const dev = r.device_id ? devices.get(`${r.sensor_id}|${r.device_id}`) : undefined;
        if (sel.deviceTypes && (!dev?.type || !sel.deviceTypes.includes(dev.type))) continue;
        if (sel.deviceVendors && (!dev?.vendor || !sel.deviceVendors.includes(dev.vendor))) continue;
      }
      const sensor = sensorNames.get(Number(r.sensor_id)) ?? String(r.sensor_id);
      const deviceId = source === 'sensor' ? r.device_id : null;
      // a private address is only unique behind its sensor
      const key = !deviceId && !isPublicIp(ip) ? `ip:${sensor}/${ip}` : campaignHostKey(d.identity, ip, sensor, deviceId);
      add(key, ip, deviceId, Number(r.ts), r.country, r.asn === null ? null : Number(r.asn), r.scope, { sensor: Number(r.sensor_id), detector: finding ?? r.detector, signature: r.signature_id === null ? null : Number(r.signature_id) });
      events++;
    }
    if (rows.length < PAGE) break;
    lastId = Number(rows[rows.length - 1].id);
  }
  let external = 0;
  if (sources.has('external')) {
    // external rows are scoped like ingested events: the campaign's organisation (0: the collector) and every constituency they fall in
    const scopes = new ScopeIndex(await store.read.selectFrom('organisations').select(['id', 'countries', 'asns', 'prefixes', 'sensor_names']).execute() as OrgScopeRow[]);
    const rows = await store.read.selectFrom('campaign_evidence').selectAll().where('campaign_id', '=', id).where('ts', '>=', from).where('ts', '<', to).execute();
    for (const r of rows) {
      if (sel.countries && (!r.country || !sel.countries.includes(r.country))) continue;
      if (sel.asns && (r.asn === null || !sel.asns.includes(Number(r.asn)))) continue;
      if (prefixes.length > 0 && !prefixes.some((p) => cidrContains(p, r.ip))) continue;
      add(campaignHostKey(d.identity, r.ip, '', null), r.ip, null, Number(r.ts), r.country, r.asn === null ? null : Number(r.asn), scopes.scopeOf(c.orgId ?? 0, '', r.country, r.asn === null ? null : Number(r.asn), r.ip, null), { feed: r.feed, malware: r.malware, detector: `feed:${r.feed}` });
      external++;
    }
  }
  const notifiedMs = d.notifiedAt ? Date.parse(d.notifiedAt) : null;
  let hostDays = 0;
  await store.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('campaign_host_days').where('campaign_id', '=', id).execute();
    await tx.deleteFrom('campaign_hosts').where('campaign_id', '=', id).execute();
    let rows: Parameters<ReturnType<typeof tx.insertInto<'campaign_hosts'>>['values']>[0] & unknown[] = [];
    let dayRows: { campaign_id: number; host_key: string; day: number; sightings: number }[] = [];
    const flush = async (force: boolean) => {
      if (rows.length >= 400 || (force && rows.length > 0)) {
        await tx.insertInto('campaign_hosts').values(rows).execute();
        rows = [];
      }
      if (dayRows.length >= 2000 || (force && dayRows.length > 0)) {
        await tx.insertInto('campaign_host_days').values(dayRows).execute();
        dayRows = [];
      }
    };
    for (const h of hosts.values()) {
      const control = d.control ? inControlGroup(h.key, d.control.seed, d.control.share) : false;
      rows.push({
        campaign_id: id, host_key: h.key, ip: h.ip, device_id: h.deviceId, sensor_ids: JSON.stringify([...h.sensors].sort((a, b) => a - b)), feeds: JSON.stringify([...h.feeds].sort()),
        country: h.country, asn: h.asn, first_seen_ms: h.first, last_seen_ms: h.last, events: h.events,
        evidence: JSON.stringify({ detectors: [...h.detectors].sort(), signatureIds: [...h.signatures].sort((a, b) => a - b), malware: [...h.malware].sort() }),
        grp: control ? 'control' : 'treatment', ...notifyState(control, notifiedMs, h.first), scope: h.scope, days: encodeDays(h.days.keys()),
      });
      for (const [day, n] of h.days) dayRows.push({ campaign_id: id, host_key: h.key, day, sightings: n });
      hostDays += h.days.size;
      await flush(false);
    }
    await flush(true);
    await tx.updateTable('campaigns').set({ status: notifiedMs !== null ? 'notified' : 'built' }).where('id', '=', id).execute();
  });
  return { hosts: hosts.size, hostDays, events, external };
}

export interface CampaignHostRow {
  key: string;
  ip: string;
  deviceId: string | null;
  country: string | null;
  asn: number | null;
  firstSeen: string;
  lastSeen: string;
  events: number;
  evidence: { detectors: string[]; signatureIds: number[]; malware: string[] };
  group: 'treatment' | 'control';
  notifyState: string;
  notifiedAt: string | null;
  sensorIds: number[];
  feeds: string[];
}

/** Each of the campaign's hosts' scope (",owner,other,…,"), by host key: what a notification message about them is scoped by. */
export async function campaignHostScopes(store: Store, id: number): Promise<Map<string, string>> {
  const rows = await store.read.selectFrom('campaign_hosts').select(['host_key', 'scope']).where('campaign_id', '=', id).execute();
  return new Map(rows.map((r) => [r.host_key, r.scope]));
}

/** The campaign's hosts a viewer may see (an organisation's user: hosts in its constituency). */
export async function campaignHosts(store: Store, id: number, v: Viewer = { orgId: null }, opts: { limit?: number; offset?: number } = {}): Promise<CampaignHostRow[]> {
  let q = store.read.selectFrom('campaign_hosts').selectAll().where('campaign_id', '=', id).orderBy('first_seen_ms').orderBy('host_key');
  if (v.orgId !== null) q = q.where('scope', 'like', scopePattern(v.orgId));
  if (opts.limit !== undefined) q = q.limit(opts.limit).offset(opts.offset ?? 0);
  return (await q.execute()).map((r) => ({
    key: r.host_key, ip: r.ip, deviceId: r.device_id, country: r.country, asn: r.asn === null ? null : Number(r.asn),
    firstSeen: new Date(Number(r.first_seen_ms)).toISOString(), lastSeen: new Date(Number(r.last_seen_ms)).toISOString(), events: Number(r.events),
    evidence: JSON.parse(r.evidence), group: r.grp === 'control' ? 'control' : 'treatment', notifyState: r.notify_state,
    notifiedAt: r.notified_ms === null ? null : new Date(Number(r.notified_ms)).toISOString(), sensorIds: JSON.parse(r.sensor_ids), feeds: JSON.parse(r.feeds),
  }));
}

export interface CampaignReport extends Omit<RemediationReport, 'outcomes' | 'byAsn'> {
  campaign: string;
  identity: CampaignDefinition['identity'];
  notifiedAt: string;
  /** Day numbers as UTC dates in the daily series. */
  firstDay: string;
  lastDay: string;
  /** The delivery funnel of the campaign's notification messages (campaign notify; dry-run messages counted in `dryRun`). */
  notifications: Funnel;
  /** Per AS: baseline and final infected hosts, the AS's announced IPv4 addresses, and both per 100,000 of them (null where the size is unknown). */
  asRates: Array<{ asn: number | null; announced: number | null; baseline: number; final: number; baselinePer100k: number | null; finalPer100k: number | null }>;
}

/** Remediation report of a built campaign (its notification time must be set). */
export async function campaignReport(store: Store, id: number, v: Viewer = { orgId: null }, shareDays: readonly number[] = DEFAULT_PARAMS.shareDays, asSize: AsSize = asSizeLookup()): Promise<CampaignReport> {
  const c = await getCampaign(store, id, v);
  const d = c.definition;
  if (!d.notifiedAt) throw new UsageError(`campaign "${c.name}" has no notification time yet (campaign notify, or create --notified-at)`, 'usage.not-notified', { subject: c.name });
  // days from each host's own row; rows written before migration 0004 have none: read their day rows
  const sightings = new Map<string, number[]>();
  const legacy = await store.read.selectFrom('campaign_hosts').select('host_key').where('campaign_id', '=', id).where('days', 'is', null).limit(1).executeTakeFirst();
  if (legacy) {
    let dq = store.read.selectFrom('campaign_host_days').select(['campaign_host_days.host_key', 'campaign_host_days.day']).where('campaign_host_days.campaign_id', '=', id);
    if (v.orgId !== null) {
      dq = dq.innerJoin('campaign_hosts', (j) => j.onRef('campaign_hosts.campaign_id', '=', 'campaign_host_days.campaign_id').onRef('campaign_hosts.host_key', '=', 'campaign_host_days.host_key'))
        .where('campaign_hosts.scope', 'like', scopePattern(v.orgId));
    }
    for (const r of await dq.execute()) {
      let a = sightings.get(r.host_key);
      if (!a) sightings.set(r.host_key, (a = []));
      a.push(Number(r.day));
    }
  }
  const from = Date.parse(d.period.from);
  const to = Date.parse(d.period.to);
  const fromDay = Math.floor(from / DAY_MS);
  const endDay = Math.floor((to - 1) / DAY_MS);
  // observed days per sensor (the daily roll-up over the whole collector) and per external feed
  const sensorDays = new Map<number, number[]>();
  const rollups = await store.read.selectFrom('rollup_daily').select(['sensor_id', 'bucket']).distinct()
    .where('scope_org', '=', 0).where('bucket', '>=', fromDay * DAY_MS).where('bucket', '<', to).execute();
  for (const r of rollups) {
    let a = sensorDays.get(Number(r.sensor_id));
    if (!a) sensorDays.set(Number(r.sensor_id), (a = []));
    a.push(Math.floor(Number(r.bucket) / DAY_MS));
  }
  const feedDays = new Map<string, number[]>();
  const fd = await store.read.selectFrom('campaign_evidence').select(['feed', sql<number>`ts`.as('ts')]).where('campaign_id', '=', id).execute();
  for (const r of fd) {
    let a = feedDays.get(r.feed);
    if (!a) feedDays.set(r.feed, (a = []));
    a.push(Math.floor(Number(r.ts) / DAY_MS));
  }
  const dayDecoder = new DayDecoder();
  // hosts of the same sensors and feeds share one observed-days array
  const observedOf = new Map<string, Int32Array>();
  const observed = (sensorIds: string, feeds: string): Int32Array => {
    const k = `${sensorIds}|${feeds}`;
    let o = observedOf.get(k);
    if (!o) {
      const obs = new Set<number>();
      for (const s of JSON.parse(sensorIds) as number[]) for (const day of sensorDays.get(s) ?? []) obs.add(day);
      for (const f of JSON.parse(feeds) as string[]) for (const day of feedDays.get(f) ?? []) obs.add(day);
      observedOf.set(k, (o = Int32Array.from(obs).sort()));
    }
    return o;
  };
  // the hosts a page at a time (keyset on the primary key): short-lived rows, one timeline each
  const names = new Map<string, string>();
  const intern = (x: string) => names.get(x) ?? (names.set(x, x), x);
  const timelines: HostTimeline[] = [];
  const PAGE = 20_000;
  let after = '';
  for (;;) {
    let hq = store.read.selectFrom('campaign_hosts').select(['host_key', 'country', 'asn', 'grp', 'sensor_ids', 'feeds', 'days'])
      .where('campaign_id', '=', id).where('host_key', '>', after).orderBy('host_key').limit(PAGE);
    if (v.orgId !== null) hq = hq.where('scope', 'like', scopePattern(v.orgId));
    const rows = await hq.execute();
    for (const r of rows) {
      timelines.push({
        key: r.days !== null ? '' : r.host_key, country: r.country === null ? null : intern(r.country), asn: r.asn === null ? null : Number(r.asn), group: r.grp === 'control' ? 'control' : 'treatment',
        sightings: r.days !== null ? dayDecoder.decode(r.days) : (sightings.get(r.host_key) ?? []).sort((x, y) => x - y), observed: observed(r.sensor_ids, r.feeds),
      });
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].host_key;
  }
  const notifyDay = Math.floor(Date.parse(d.notifiedAt) / DAY_MS);
  const { outcomes: _outcomes, byAsn, ...rep } = remediationReport(timelines, { notifyDay, endDay, baselineDays: d.remediation.baselineDays, quietDays: d.remediation.quietDays, horizonDays: d.remediation.horizonDays, shareDays });
  const dayText = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
  // the funnel of the messages about the viewer's constituency, as its package holds only those hosts
  const notifications = funnel(await new StoreNotificationLog(store, new Map([[c.name, c.id]]), c.orgId).list(c.name, v.orgId));
  const asRates = byAsn.map((a) => {
    const announced = a.asn === null ? undefined : asSize(a.asn);
    return { asn: a.asn, announced: announced ?? null, baseline: a.baseline, final: a.final, baselinePer100k: per100k(a.baseline, announced), finalPer100k: per100k(a.final, announced) };
  });
  return { campaign: c.name, identity: d.identity, notifiedAt: d.notifiedAt, firstDay: dayText(fromDay), lastDay: dayText(endDay), ...rep, notifications, asRates };
}
