/**
 * Reads for the API and reports. Every function takes the viewer's organisation (null: the
 * whole collector) and returns only rows in its scope. Lists are cursor-paged on (time, id)
 * newest first; totals and counts come from the hourly/daily roll-ups, never from a scan of
 * raw events.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import { InputError } from '../util/errors.js';
import type { Store } from './open.js';
import { DAY_MS, HOUR_MS, type IncidentStatus } from './schema.js';
import { scopePattern } from './scope.js';
import { BlockCache } from './blocks.js';
import { MINING_DETECTORS } from '../events/detector.js';

export interface Viewer {
  orgId: number | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export function encodeCursor(t: number, id: number): string {
  return Buffer.from(`${t}:${id}`).toString('base64url');
}

export function decodeCursor(c: string): { t: number; id: number } {
  const m = /^(-?\d{1,16}):(\d{1,16})$/.exec(Buffer.from(c, 'base64url').toString('latin1'));
  if (!m) throw new InputError('query.bad-cursor', 'cursor is not one this server handed out', { subject: 'cursor' });
  return { t: Number(m[1]), id: Number(m[2]) };
}

function scoped<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>, column: string, v: Viewer): SelectQueryBuilder<DB, TB, O> {
  if (v.orgId === null) return q;
  return q.where(sql.ref(column), 'like', scopePattern(v.orgId)) as SelectQueryBuilder<DB, TB, O>;
}

const caches = new WeakMap<Store, BlockCache>();

/** The EVE objects of event rows, read from their blocks (each block inflated once). */
export async function eventObjects(store: Store, rows: ReadonlyArray<{ block_id: number; block_off: number; block_len: number }>): Promise<unknown[]> {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new BlockCache()));
  const missing = [...new Set(rows.map((r) => r.block_id))].filter((id) => cache.get(id) === undefined);
  const blocks = new Map<number, Buffer>();
  if (missing.length > 0) {
    const got = await store.read.selectFrom('event_blocks').select(['id', 'codec', 'data']).where('id', 'in', missing).execute();
    for (const b of got) blocks.set(b.id, cache.put(b.id, b.codec, b.data));
  }
  return rows.map((r) => {
    const text = blocks.get(r.block_id) ?? cache.get(r.block_id);
    if (!text) return null;
    return parseRaw(text.toString('utf8', r.block_off, r.block_off + r.block_len));
  });
}

/** `column = value` for each of `keys` the filter sets. */
function equal<Q extends SelectQueryBuilder<any, any, any>, F extends object>(q: Q, f: F, keys: Array<keyof F & string>): Q { // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const k of keys) {
    const v = f[k];
    if (v !== undefined) q = q.where(sql.ref(k), '=', v) as Q;
  }
  return q;
}

/** Newest first by (time column, id), one page after the cursor. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function newestFirst<R extends { id: number }>(q: SelectQueryBuilder<any, any, R>, col: string, f: { limit?: number; cursor?: string }, timeOf: (r: R) => number): Promise<Page<R>> {
  const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
  const t = sql.ref(col);
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    q = q.where((eb) => eb.or([eb(t, '<', c.t), eb.and([eb(t, '=', c.t), eb(sql.ref('id'), '<', c.id)])]));
  }
  const rows = await q.orderBy(t, 'desc').orderBy(sql.ref('id'), 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encodeCursor(timeOf(last), last.id) : null };
}

function parseRaw(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export interface AlertFilter {
  from?: number;
  to?: number;
  sensor_id?: number;
  signature_id?: number;
  severity?: number;
  country?: string;
  asn?: number;
  src_ip?: string;
  dest_ip?: string;
  detector?: string;
  event_type?: string;
  limit?: number;
  cursor?: string;
}

export interface AlertRow {
  id: number;
  ts: number;
  sensor_id: number;
  country: string | null;
  asn: number | null;
  event: unknown;
}

/** Events (alerts by default) newest first, with the total from roll-ups when the filter allows it. */
export async function listEvents(store: Store, v: Viewer, f: AlertFilter): Promise<Page<AlertRow> & { total: number | null }> {
  const type = f.event_type ?? 'alert';
  let q = store.read.selectFrom('events').select(['id', 'ts', 'sensor_id', 'country', 'asn', 'block_id', 'block_off', 'block_len']).where('event_type', '=', type);
  if (f.from !== undefined) q = q.where('ts', '>=', f.from);
  if (f.to !== undefined) q = q.where('ts', '<', f.to);
  q = equal(q, f, ['sensor_id', 'signature_id', 'severity', 'country', 'asn', 'src_ip', 'dest_ip', 'detector']);
  const page = await newestFirst(scoped(q, 'scope', v), 'ts', { limit: f.limit, cursor: f.cursor }, (r) => r.ts);
  const objects = await eventObjects(store, page.items);
  const items = page.items.map((r, i) => ({ id: r.id, ts: r.ts, sensor_id: r.sensor_id, country: r.country, asn: r.asn, event: objects[i] }));
  // a total from roll-ups is exact when the filter uses only rolled-up dimensions and whole hours
  const rollable = f.src_ip === undefined && f.dest_ip === undefined
    && (f.from === undefined || f.from % HOUR_MS === 0) && (f.to === undefined || f.to % HOUR_MS === 0);
  const total = rollable ? (await counts(store, v, { ...f, event_type: type, group_by: 'none', granularity: 'hour' }))[0]?.count ?? 0 : null;
  return { items, next_cursor: page.next_cursor, total };
}

export type GroupBy = 'none' | 'time' | 'event_type' | 'signature_id' | 'severity' | 'country' | 'asn' | 'sensor_id' | 'detector';

export interface CountQuery {
  from?: number;
  to?: number;
  granularity?: 'hour' | 'day';
  group_by?: GroupBy;
  event_type?: string;
  sensor_id?: number;
  signature_id?: number;
  severity?: number;
  country?: string;
  asn?: number;
  /** the detector that raised the events ('' matches events without one) */
  detector?: string;
  limit?: number;
}

export interface CountRow {
  key: string | number | null;
  count: number;
}

/** The viewer's roll-up rows of the buckets that overlap [from, to). */
function rollupRange(store: Store, v: Viewer, c: { from?: number; to?: number; granularity?: 'hour' | 'day' }) {
  const table = c.granularity === 'day' ? 'rollup_daily' : 'rollup_hourly';
  let q = store.read.selectFrom(table).where('scope_org', '=', v.orgId ?? 0);
  const step = c.granularity === 'day' ? DAY_MS : HOUR_MS;
  if (c.from !== undefined) q = q.where('bucket', '>=', c.from - (((c.from % step) + step) % step));
  if (c.to !== undefined) q = q.where('bucket', '<', c.to);
  return q;
}

/** Counts from the roll-ups (hourly or daily buckets), grouped by one dimension. */
export async function counts(store: Store, v: Viewer, c: CountQuery): Promise<CountRow[]> {
  const g = c.group_by ?? 'none';
  const col = g === 'time' ? 'bucket' : g === 'none' ? null : g;
  let q = rollupRange(store, v, c);
  q = equal(q, c, ['event_type', 'sensor_id', 'signature_id', 'severity', 'country', 'asn', 'detector']);
  const limit = Math.min(Math.max(c.limit ?? 1000, 1), 10_000);
  if (col === null) {
    const r = await q.select((eb) => eb.fn.sum<number>('count').as('n')).executeTakeFirst();
    return [{ key: null, count: Number(r?.n ?? 0) }];
  }
  const rows = await q.select([sql.ref<string | number>(col).as('key'), (eb) => eb.fn.sum<number>('count').as('n')])
    .groupBy(sql.ref(col)).orderBy(g === 'time' ? sql.ref('key') : sql`sum(count)`, g === 'time' ? 'asc' : 'desc').limit(limit).execute();
  return rows.map((r) => ({ key: r.key, count: Number(r.n) }));
}

export interface DetectorSeries {
  /** '' for events without a detector */
  detector: string;
  mining: boolean;
  alerts: number;
  incidents: number;
  /** [bucket start (ms), alerts, incidents opened], buckets with neither left out, oldest first */
  points: Array<[number, number, number]>;
}

export interface Overview {
  granularity: 'hour' | 'day';
  /** bucket width in ms */
  step: number;
  /** every alerting detector of the range, most alerts first */
  detectors: DetectorSeries[];
  /** all events of the range, the alerts among them, and the events raised by mining detectors */
  events: number;
  alerts: number;
  mining_events: number;
  /** mining_events / events (null without events) */
  mining_share: number | null;
  mining_detectors: readonly string[];
}

/**
 * The overview's counts, from the roll-ups alone: alerts and incidents opened per bucket per
 * detector, and the share of all events that mining detectors raised. Two grouped reads of one
 * roll-up table (hourly or daily), whatever the number of stored events.
 */
export async function overview(store: Store, v: Viewer, c: { from: number; to: number; granularity: 'hour' | 'day' }): Promise<Overview> {
  const mining = sql.join(MINING_DETECTORS.map((d) => sql`${d}`));
  const [perBucket, totals] = await Promise.all([
    rollupRange(store, v, c).where('event_type', '=', 'alert')
      .select((eb) => ['bucket', 'detector', eb.fn.sum<number>('count').as('n'), eb.fn.sum<number>('incidents').as('inc')])
      .groupBy(['bucket', 'detector']).orderBy('bucket').execute(),
    rollupRange(store, v, c)
      .select((eb) => [eb.fn.sum<number>('count').as('events'), sql<number>`sum(CASE WHEN event_type = 'alert' THEN count ELSE 0 END)`.as('alerts'),
        sql<number>`sum(CASE WHEN detector IN (${mining}) THEN count ELSE 0 END)`.as('mining')])
      .executeTakeFirst(),
  ]);
  const byDetector = new Map<string, DetectorSeries>();
  for (const r of perBucket) {
    const det = String(r.detector);
    let s = byDetector.get(det);
    if (!s) byDetector.set(det, (s = { detector: det, mining: MINING_DETECTORS.includes(det), alerts: 0, incidents: 0, points: [] }));
    const n = Number(r.n);
    const inc = Number(r.inc);
    s.alerts += n;
    s.incidents += inc;
    s.points.push([Number(r.bucket), n, inc]);
  }
  const events = Number(totals?.events ?? 0);
  const miningEvents = Number(totals?.mining ?? 0);
  return {
    granularity: c.granularity, step: c.granularity === 'day' ? DAY_MS : HOUR_MS,
    detectors: [...byDetector.values()].sort((a, b) => b.alerts - a.alerts || b.incidents - a.incidents || (a.detector < b.detector ? -1 : 1)),
    events, alerts: Number(totals?.alerts ?? 0), mining_events: miningEvents, mining_share: events > 0 ? miningEvents / events : null, mining_detectors: MINING_DETECTORS,
  };
}

export interface IncidentFilter {
  status?: IncidentStatus; limit?: number; cursor?: string; sensor_id?: number;
  /** last alert at or after `from`, before `to` (ms) */
  from?: number; to?: number;
  detector?: string;
  /** this severity or more severe (1 is the most severe) */
  severity?: number;
  /** one cause: the signature, the device (source address) or the peer (destination address) */
  signature_id?: number; src_ip?: string; dest_ip?: string;
  /** the country of the alerts' public address (ISO 3166 alpha-2) */
  country?: string;
}

/** The filter's conditions on incidents (everything but paging and scope). */
function incidentWhere<Q extends SelectQueryBuilder<any, 'incidents', any>>(q: Q, f: IncidentFilter): Q { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (f.status) q = q.where('status', '=', f.status) as Q;
  if (f.from !== undefined) q = q.where('last_ms', '>=', f.from) as Q;
  if (f.to !== undefined) q = q.where('last_ms', '<', f.to) as Q;
  if (f.severity !== undefined) q = q.where('severity', '<=', f.severity) as Q;
  return equal(q, f, ['sensor_id', 'detector', 'signature_id', 'src_ip', 'dest_ip', 'country']);
}

export async function listIncidents(store: Store, v: Viewer, f: IncidentFilter): Promise<Page<Record<string, unknown> & { id: number; last_ms: number }>> {
  const q = store.read.selectFrom('incidents').select(['id', 'sensor_id', 'signature_id', 'signature', 'src_ip', 'dest_ip', 'severity', 'first_ms', 'last_ms', 'count', 'status', 'detector', 'country', 'archived_rule']);
  return newestFirst(scoped(incidentWhere(q, f), 'scope', v), 'last_ms', f, (r) => r.last_ms);
}

export type IncidentGrouping = 'signature' | 'device' | 'peer';

export interface IncidentGroup {
  /** the filter that lists the group's incidents */
  key: { signature_id?: number; sensor_id?: number; src_ip?: string; dest_ip?: string };
  /** the signature's name (signature), else the address */
  label: string;
  incidents: number; alerts: number;
  /** the most severe (lowest) severity in the group */
  severity: number;
  last_ms: number;
}

/**
 * The filter's incidents grouped by cause: signature, device (source address on its sensor:
 * two homes may both have a 192.168.1.10) or peer (destination address; incidents without one
 * are left out), the most recent group first, at
 * most `limit` groups (`truncated` says when there were more).
 */
export async function incidentGroups(store: Store, v: Viewer, f: IncidentFilter & { by: IncidentGrouping }): Promise<{ items: IncidentGroup[]; truncated: boolean }> {
  const limit = Math.min(Math.max(f.limit ?? 100, 1), 500);
  const col = f.by === 'signature' ? 'signature_id' : f.by === 'device' ? 'src_ip' : 'dest_ip';
  // the sensor joins the device's key; max(sensor_id) is that sensor then
  const cols = f.by === 'device' ? [sql.ref('sensor_id'), sql.ref(col)] : [sql.ref(col)];
  let q = incidentWhere(store.read.selectFrom('incidents'), f);
  if (f.by === 'peer') q = q.where('dest_ip', 'is not', null);
  const rows = await scoped(q, 'scope', v)
    .select((eb) => [sql.ref<string | number>(col).as('k'), eb.fn.max('signature').as('name'), eb.fn.max('sensor_id').as('sensor'), eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('count').as('alerts'),
      eb.fn.min('severity').as('sev'), eb.fn.max('last_ms').as('last')])
    .groupBy(cols).orderBy(sql`max(last_ms)`, 'desc').orderBy(sql.ref(col)).limit(limit + 1).execute();
  const items = rows.slice(0, limit).map((r) => ({
    key: f.by === 'signature' ? { signature_id: Number(r.k) } : f.by === 'device' ? { sensor_id: Number(r.sensor), src_ip: String(r.k) } : { dest_ip: String(r.k) },
    label: f.by === 'signature' ? String(r.name ?? r.k) : String(r.k),
    incidents: Number(r.n), alerts: Number(r.alerts), severity: Number(r.sev), last_ms: Number(r.last),
  }));
  return { items, truncated: rows.length > limit };
}

/** Sets an incident's status (a person's decision: no longer attributed to an auto-archive rule); false when it does not exist or is out of scope. */
export async function setIncidentStatus(store: Store, v: Viewer, id: number, status: IncidentStatus): Promise<boolean> {
  let q = store.db.updateTable('incidents').set({ status, archived_rule: null }).where('id', '=', id);
  if (v.orgId !== null) q = q.where('scope', 'like', scopePattern(v.orgId));
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The incident's id when it exists and is in the viewer's scope, else null. */
async function incidentInScope(store: Store, v: Viewer, id: number): Promise<number | null> {
  const r = await scoped(store.db.selectFrom('incidents').select('id').where('id', '=', id), 'scope', v).executeTakeFirst();
  return r ? Number(r.id) : null;
}

export interface IncidentComment { id: number; incident_id: number; author: string; body: string; created_ms: number }

/** An incident's comments, oldest first (at most `limit`); null when the incident is unknown or out of scope. */
export async function listIncidentComments(store: Store, v: Viewer, id: number, limit = 500): Promise<IncidentComment[] | null> {
  if ((await incidentInScope(store, v, id)) === null) return null;
  const rows = await store.db.selectFrom('incident_comments').select(['id', 'incident_id', 'author', 'body', 'created_ms'])
    .where('incident_id', '=', id).orderBy('id').limit(Math.min(Math.max(limit, 1), 1000)).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), incident_id: Number(r.incident_id), created_ms: Number(r.created_ms) }));
}

/** Adds a comment to an incident; null when the incident is unknown or out of scope. */
export async function addIncidentComment(store: Store, v: Viewer, id: number, author: string, body: string, now = Date.now()): Promise<IncidentComment | null> {
  if ((await incidentInScope(store, v, id)) === null) return null;
  const r = await store.db.insertInto('incident_comments').values({ incident_id: id, author, body, created_ms: now }).returning('id').executeTakeFirstOrThrow();
  return { id: Number(r.id), incident_id: id, author, body, created_ms: now };
}

export async function listDevices(store: Store, v: Viewer, f: { limit?: number; cursor?: string; sensor_id?: number }): Promise<Page<Record<string, unknown>>> {
  let q = store.read.selectFrom('devices').select(['id', 'sensor_id', 'device_key', 'ip', 'mac', 'type', 'vendor', 'name', 'first_seen_ms', 'last_seen_ms', 'alerts', 'events']);
  if (f.sensor_id !== undefined) q = q.where('sensor_id', '=', f.sensor_id);
  return newestFirst(scoped(q, 'scope', v), 'last_seen_ms', f, (r) => r.last_seen_ms);
}

/** A sensor is "ok" when it sent within 5 minutes, "stale" within a day, else "silent". */
export async function listSensors(store: Store, v: Viewer, now = Date.now()): Promise<Array<Record<string, unknown>>> {
  let q = store.read.selectFrom('sensors').innerJoin('organisations', 'organisations.id', 'sensors.org_id')
    .select(['sensors.id', 'sensors.name', 'organisations.name as org', 'sensors.created_ms', 'sensors.last_seen_ms', 'sensors.last_event_ms',
      'sensors.events_total', 'sensors.batches_total', 'sensors.duplicates_total', 'organisations.sensor_names']);
  if (v.orgId !== null) {
    const own = v.orgId;
    const org = await store.read.selectFrom('organisations').select('sensor_names').where('id', '=', own).executeTakeFirst();
    const named = org ? (JSON.parse(org.sensor_names) as string[]) : [];
    q = q.where((eb) => (named.length > 0 ? eb.or([eb('sensors.org_id', '=', own), eb('sensors.name', 'in', named)]) : eb('sensors.org_id', '=', own)));
  }
  const rows = await q.orderBy('sensors.name').execute();
  return rows.map(({ sensor_names: _s, ...r }) => ({
    ...r,
    health: r.last_seen_ms === null ? 'never' : now - r.last_seen_ms < 5 * 60_000 ? 'ok' : now - r.last_seen_ms < DAY_MS ? 'stale' : 'silent',
  }));
}

export async function telescopeStats(store: Store, v: Viewer, f: { from: number; to: number; sensor_id?: number; limit?: number }): Promise<{ intervals: Array<Record<string, unknown>>; packets: number; covered_from: number | null; covered_to: number | null }> {
  let q = store.read.selectFrom('telescope_intervals').select(['id', 'sensor_id', 'start_ms', 'end_ms', 'packets', 'sources', 'sketch', 'summary'])
    .where('kind', '=', 'interval').where('start_ms', '<', f.to).where('end_ms', '>', f.from);
  if (f.sensor_id !== undefined) q = q.where('sensor_id', '=', f.sensor_id);
  q = scoped(q, 'scope', v);
  const rows = await q.orderBy('start_ms').limit(Math.min(Math.max(f.limit ?? 1000, 1), 10_000)).execute();
  let packets = 0;
  for (const r of rows) packets += r.packets;
  return {
    intervals: rows.map((r) => ({ ...r, sketch: r.sketch ? Buffer.from(r.sketch).toString('base64') : null, summary: parseRaw(r.summary) })),
    packets,
    covered_from: rows.length > 0 ? Math.min(...rows.map((r) => r.start_ms)) : null,
    covered_to: rows.length > 0 ? Math.max(...rows.map((r) => r.end_ms)) : null,
  };
}

export async function listScanResults(store: Store, v: Viewer, f: { from?: number; to?: number; limit?: number; cursor?: string }): Promise<Page<Record<string, unknown>>> {
  let q = store.read.selectFrom('scan_results').select(['id', 'sensor_id', 'ts', 'target_ip', 'port', 'finding', 'severity', 'title']).where('kind', '=', 'finding');
  if (f.from !== undefined) q = q.where('ts', '>=', f.from);
  if (f.to !== undefined) q = q.where('ts', '<', f.to);
  return newestFirst(scoped(q, 'scope', v), 'ts', f, (r) => r.ts);
}

/** Telescope runs (stored `telescope` events) overlapping a range, newest first, with their stored summary parsed. */
export async function telescopeRuns(store: Store, v: Viewer, f: { from: number; to: number; sensor_id?: number; limit: number }): Promise<Array<{ sensor_id: number; start_ms: number; end_ms: number; packets: number; summary: Record<string, unknown> }>> {
  let q = store.read.selectFrom('telescope_intervals').select(['sensor_id', 'start_ms', 'end_ms', 'packets', 'summary'])
    .where('kind', '=', 'run').where('start_ms', '<', f.to).where('end_ms', '>', f.from);
  if (f.sensor_id !== undefined) q = q.where('sensor_id', '=', f.sensor_id);
  const rows = await scoped(q, 'scope', v).orderBy('end_ms', 'desc').limit(f.limit).execute();
  return rows.map((r) => ({ ...r, summary: (parseRaw(r.summary) ?? {}) as Record<string, unknown> }));
}

export interface ScanHostSummary {
  target_ip: string;
  name: string | null;
  last_ms: number;
  ports: Array<{ port: number | null; proto: string | null; service: string | null; product: string | null; version: string | null }>;
  findings: Array<{ finding: string; port: number | null; severity: string | null; title: string | null; remediation: string | null; service: string | null; ts: number }>;
}

/**
 * Scans over a range, per host: the latest host row (its services) and the findings of that
 * host in the range, newest host first. Bounded by `limit` rows read; `partial` says when the
 * limit cut the range.
 */
export async function scanSummary(store: Store, v: Viewer, f: { from: number; to: number; limit: number }): Promise<{ hosts: ScanHostSummary[]; partial: boolean }> {
  const q = store.read.selectFrom('scan_results').select(['ts', 'target_ip', 'port', 'finding', 'severity', 'title', 'kind', 'details'])
    .where('ts', '>=', f.from).where('ts', '<', f.to);
  const rows = await scoped(q, 'scope', v).orderBy('ts', 'desc').limit(f.limit + 1).execute();
  const partial = rows.length > f.limit;
  const hosts = new Map<string, ScanHostSummary>();
  for (const r of rows.slice(0, f.limit)) {
    let h = hosts.get(r.target_ip);
    if (!h) hosts.set(r.target_ip, (h = { target_ip: r.target_ip, name: null, last_ms: r.ts, ports: [], findings: [] }));
    const det = (r.details ? parseRaw(r.details) : null) as Record<string, unknown> | null;
    if (r.kind === 'host') {
      // newest first: the first host row seen is the latest scan of the host
      if (h.ports.length === 0 && Array.isArray(det?.ports)) h.ports = det.ports as ScanHostSummary['ports'];
      h.name ??= r.title;
    } else if (!h.findings.some((x) => x.finding === r.finding && x.port === r.port)) {
      h.findings.push({ finding: r.finding, port: r.port, severity: r.severity, title: r.title, ts: r.ts,
        remediation: typeof det?.remediation === 'string' ? det.remediation : null, service: typeof det?.service === 'string' ? det.service : null });
    }
  }
  return { hosts: [...hosts.values()], partial };
}

/** Incidents created after `afterId` (all organisations: the caller filters by `scope`), oldest first, bounded. */
export async function incidentsAfter(store: Store, afterId: number, limit: number): Promise<Array<{ id: number; signature: string | null; signature_id: number | null; src_ip: string | null; severity: number | null; last_ms: number; count: number; status: string; scope: string }>> {
  const rows = await store.read.selectFrom('incidents').select(['id', 'signature', 'signature_id', 'src_ip', 'severity', 'last_ms', 'count', 'status', 'scope'])
    .where('id', '>', afterId).orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), last_ms: Number(r.last_ms), count: Number(r.count) }));
}

/** The highest incident id so far (0 when none). */
export async function maxIncidentId(store: Store): Promise<number> {
  const r = await store.read.selectFrom('incidents').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst();
  return Number(r?.m ?? 0);
}
