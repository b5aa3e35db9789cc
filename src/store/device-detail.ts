/**
 * The dashboard's device page and evidence drill-down: one device by id, and the alerts of one
 * cause (an incident's sensor, signature and source, or a device's anomaly signatures), newest
 * first in cursor pages read under a time budget, within the viewer's scope.
 */
import { sql } from 'kysely';
import type { Store } from './open.js';
import { decodeCursor, encodeCursor, eventObjects, type AlertRow, type Viewer } from './queries.js';
import { scopePattern } from './scope.js';

export async function getDevice(store: Store, v: Viewer, id: number): Promise<Record<string, unknown> | null> {
  let q = store.read.selectFrom('devices')
    .select(['id', 'sensor_id', 'device_key', 'ip', 'mac', 'type', 'vendor', 'name', 'first_seen_ms', 'last_seen_ms', 'alerts', 'events'])
    .where('id', '=', id);
  if (v.orgId !== null) q = q.where('scope', 'like', scopePattern(v.orgId));
  return (await q.executeTakeFirst()) ?? null;
}

/** One incident's key and span (what its alerts are found by), or null when unknown or out of scope. */
export async function getIncidentCause(store: Store, v: Viewer, id: number): Promise<{ id: number; sensor_id: number; signature_id: number; signature: string; src_ip: string; dest_ip: string | null; detector: string | null; severity: number; first_ms: number; last_ms: number; count: number; status: string } | null> {
  let q = store.read.selectFrom('incidents')
    .select(['id', 'sensor_id', 'signature_id', 'signature', 'src_ip', 'dest_ip', 'detector', 'severity', 'first_ms', 'last_ms', 'count', 'status'])
    .where('id', '=', id);
  if (v.orgId !== null) q = q.where('scope', 'like', scopePattern(v.orgId));
  const r = await q.executeTakeFirst();
  return r ? { ...r, id: Number(r.id), sensor_id: Number(r.sensor_id), signature_id: Number(r.signature_id), first_ms: Number(r.first_ms), last_ms: Number(r.last_ms), count: Number(r.count) } : null;
}

/** The alerts of one cause: a sensor, one or more signatures, and the source address or the device. */
export interface AlertCause {
  sensor_id: number;
  signature_ids: number[];
  src_ip?: string;
  /** minewatch.device.id (else its MAC) as the store keeps it. */
  device_id?: string;
  from?: number;
  to?: number;
}

export interface CausePage {
  items: AlertRow[];
  next_cursor: string | null;
  /** true: the time budget ran out before the page was full (next_cursor continues). */
  partial: boolean;
}

/** Rows read (and their blocks inflated) per step; the budget is checked between steps. */
const STEP = 10;

/**
 * The cause's alerts, newest first, `limit` at most (max 100), after `cursor`. Reading stops
 * early when `budgetMs` has passed and at least one alert is in hand: the page is then
 * `partial` and its cursor continues where it stopped, so a slow store answers in time and
 * never with an unbounded list.
 */
export async function alertsOfCause(store: Store, v: Viewer, c: AlertCause, p: { limit?: number; cursor?: string; budgetMs?: number; now?: () => number }): Promise<CausePage> {
  const limit = Math.min(Math.max(p.limit ?? 25, 1), 100);
  const now = p.now ?? (() => performance.now());
  const deadline = now() + Math.max(p.budgetMs ?? 300, 0);
  if (c.signature_ids.length === 0) return { items: [], next_cursor: null, partial: false };
  let after = p.cursor ? decodeCursor(p.cursor) : null;
  const items: AlertRow[] = [];
  let more = false;
  while (items.length < limit) {
    let q = store.read.selectFrom('events').select(['id', 'ts', 'sensor_id', 'country', 'asn', 'block_id', 'block_off', 'block_len'])
      .where('event_type', '=', 'alert').where('sensor_id', '=', c.sensor_id)
      .where('signature_id', c.signature_ids.length === 1 ? '=' : 'in', c.signature_ids.length === 1 ? c.signature_ids[0] : c.signature_ids);
    if (c.src_ip !== undefined) q = q.where('src_ip', '=', c.src_ip);
    if (c.device_id !== undefined) q = q.where('device_id', '=', c.device_id);
    if (c.from !== undefined) q = q.where('ts', '>=', c.from);
    if (c.to !== undefined) q = q.where('ts', '<', c.to);
    if (v.orgId !== null) q = q.where('scope', 'like', scopePattern(v.orgId));
    if (after) {
      const a = after;
      q = q.where((eb) => eb.or([eb('ts', '<', a.t), eb.and([eb('ts', '=', a.t), eb('id', '<', a.id)])]));
    }
    const want = Math.min(STEP, limit - items.length);
    // without the address, ordering by the bare ts column makes SQLite walk (event_type, ts) over every alert;
    // ordered by an expression, it takes the cause index (sensor, signature) and sorts the few rows of a rare cause
    const order = c.src_ip === undefined ? sql<number>`ts + 0` : sql.ref('ts');
    const rows = await q.orderBy(order, 'desc').orderBy('id', 'desc').limit(want + 1).execute();
    more = rows.length > want;
    const got = rows.slice(0, want);
    const objects = await eventObjects(store, got);
    got.forEach((r, i) => items.push({ id: Number(r.id), ts: Number(r.ts), sensor_id: Number(r.sensor_id), country: r.country, asn: r.asn === null ? null : Number(r.asn), event: objects[i] }));
    const last = items[items.length - 1];
    if (last) after = { t: last.ts, id: last.id };
    if (!more) break;
    if (items.length > 0 && now() >= deadline) break;
  }
  const last = items[items.length - 1];
  return { items, next_cursor: more && last ? encodeCursor(last.ts, last.id) : null, partial: more && items.length < limit };
}
