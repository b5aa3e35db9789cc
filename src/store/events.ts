/**
 * The ingest write path: one transaction per batch inserts the events (the EVE text of the
 * batch as one deflated block, blocks.ts, beside one row of extracted columns per event; a
 * unique key on (sensor, event id) turns a retried event into a counted duplicate), and, counting only the rows really inserted, updates the hourly and
 * daily roll-ups, incidents, devices, telescope intervals, scan results and the sensor's
 * health. `writeEvents` resolves after COMMIT: on SQLite (WAL, synchronous=NORMAL) the commit
 * survives a killed process; on PostgreSQL it is flushed (synchronous_commit on).
 *
 * SQLite runs through prepared statements on the writer connection while holding kysely's
 * connection lock; PostgreSQL inserts the batch with one multi-row
 * INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING RETURNING, into daily range partitions
 * created on demand (partitions.ts).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { InputError, InternalError } from '../util/errors.js';
import type { EventBatch, EventWriter, StoredEvent, WriteResult } from './contract.js';
import type { Store } from './open.js';
import { DAY_MS, HOUR_MS, type DeviceTable, type EventTable, type IncidentTable, type ScanResultTable, type TelescopeIntervalTable } from './schema.js';
import { ScopeIndex, isPublicAddress, type OrgScopeRow } from './scope.js';
import { ensurePartitions } from './partitions.js';
import { BLOCK_CODEC, packBlock, type PackedBlock } from './blocks.js';
import { ArchiveRuleMatcher, RULE_COLUMNS, toRule } from './archive-rules.js';

/** Country (ISO alpha-2) and AS number of a public address, or null when unknown. */
export type Enricher = (ip: string) => { country: string | null; asn: number | null } | null;

export interface WriterOptions {
  enrich?: Enricher;
}

/** One event's columns as extracted (the table row without what the batch fixes), its place in the block, the event. */
type Row = Omit<EventTable, 'id' | 'org_id' | 'sensor_id' | 'block_id' | 'block_off' | 'block_len'> & { off: number; len: number; ev: StoredEvent };

interface SensorInfo {
  id: number;
  orgId: number;
  name: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** Milliseconds of an EVE timestamp, or NaN. */
export function eventTime(ts: string): number {
  return Date.parse(ts);
}

/** Derived rows, aggregated per batch so each key is written once. */
interface Derived {
  hourly: Map<string, RollKey>;
  daily: Map<string, RollKey>;
  incidents: Map<string, IncidentAgg>;
  devices: Map<string, DeviceAgg>;
  /** Device rows to fold into another (old key → new key): the inventory merged a randomised MAC into its device. */
  replaced: Map<string, string>;
  telescope: TelescopeRow[];
  scans: ScanRow[];
  maxTs: number;
}

/** One roll-up row of a batch (the sensor is the batch's). */
export interface RollKey {
  bucket: number; scope_org: number; event_type: string; signature_id: number; severity: number; country: string; asn: number; detector: string;
  count: number;
  /** incidents this batch opened with an event of this row */
  incidents: number;
}

/**
 * An incident's alerts in this batch. `opener` is its earliest alert here: if the upsert opens
 * the incident, the roll-up rows of that alert count one incident opened (by its detector, in
 * the bucket of its first alert).
 */
type IncidentAgg = Omit<IncidentTable, 'id' | 'org_id' | 'sensor_id' | 'status' | 'detector' | 'country' | 'archived_rule'> & {
  detector: string | null; country: string | null; opener: Row;
  /** the auto-archive rule the incident meets (archive-rules.ts), set before the incidents are written */
  archived_rule: number | null;
};

type DeviceAgg = Omit<DeviceTable, 'id' | 'org_id' | 'sensor_id'>;

type TelescopeRow = Omit<TelescopeIntervalTable, 'id' | 'org_id' | 'sensor_id' | 'sketch' | 'kind'> & { sketch: Buffer | null; kind: 'interval' | 'run' };

type ScanRow = Omit<ScanResultTable, 'id' | 'org_id' | 'sensor_id' | 'kind'> & { kind: 'finding' | 'host' };

function emptyDerived(): Derived {
  return { hourly: new Map(), daily: new Map(), incidents: new Map(), devices: new Map(), replaced: new Map(), telescope: [], scans: [], maxTs: 0 };
}

/** The roll-up row an event counts in, for one bucket and one scope (0: the whole collector). */
function rollKey(bucket: number, scopeOrg: number, r: Row): string {
  return `${bucket}|${scopeOrg}|${r.event_type}|${r.signature_id ?? 0}|${r.severity ?? 0}|${r.country ?? ''}|${r.asn ?? 0}|${r.detector ?? ''}`;
}

function bump(m: Map<string, RollKey>, bucket: number, scopeOrg: number, r: Row): void {
  const k = rollKey(bucket, scopeOrg, r);
  const e = m.get(k);
  if (e) e.count++;
  else {
    m.set(k, {
      bucket, scope_org: scopeOrg, event_type: r.event_type, signature_id: r.signature_id ?? 0, severity: r.severity ?? 0, country: r.country ?? '', asn: r.asn ?? 0,
      detector: r.detector ?? '', count: 1, incidents: 0,
    });
  }
}

/** Calls `f` with each roll-up row (hourly and daily, every scope) the event counts in. */
function eachRollup(d: Derived, r: Row, f: (m: Map<string, RollKey>, bucket: number, scopeOrg: number) => void): void {
  const hour = r.ts - (r.ts % HOUR_MS);
  const day = r.ts - (r.ts % DAY_MS);
  f(d.hourly, hour, 0);
  f(d.daily, day, 0);
  for (const org of ScopeIndex.ids(r.scope)) {
    f(d.hourly, hour, org);
    f(d.daily, day, org);
  }
}

/** The upsert opened the incident (it was not stored before): its opening alert's roll-up rows count it. */
function incidentOpened(d: Derived, inc: IncidentAgg): void {
  eachRollup(d, inc.opener, (m, bucket, org) => {
    const e = m.get(rollKey(bucket, org, inc.opener));
    if (e) e.incidents++; // always there: derive() counted the opener in it
  });
}

/** Adds one inserted row to the batch's derived rows. */
function derive(d: Derived, r: Row): void {
  if (r.ts > d.maxTs) d.maxTs = r.ts;
  eachRollup(d, r, (m, bucket, org) => bump(m, bucket, org, r));
  const ev = r.ev as Record<string, unknown>;
  const mw = obj(ev.minewatch) ?? {};
  if (r.event_type === 'alert' && r.signature_id !== null && r.src_ip !== null) {
    const k = `${r.signature_id}|${r.src_ip}`;
    const inc = d.incidents.get(k);
    if (inc) {
      inc.count++;
      if (r.ts < inc.first_ms) {
        inc.first_ms = r.ts;
        inc.opener = r;
      }
      if (r.ts > inc.last_ms) inc.last_ms = r.ts;
      inc.country ??= r.country;
    } else {
      const alert = obj(ev.alert) ?? {};
      d.incidents.set(k, {
        signature_id: r.signature_id, signature: String(alert.signature ?? '').slice(0, 512), src_ip: r.src_ip, dest_ip: r.dest_ip,
        severity: r.severity ?? 3, first_ms: r.ts, last_ms: r.ts, count: 1, scope: r.scope, detector: r.detector, country: r.country, opener: r, archived_rule: null,
      });
    }
  }
  const dev = obj(mw.device);
  if (dev) {
    const key = str(dev.id) ?? str(dev.mac) ?? str(dev.ip);
    if (key) {
      // a `device` event is the inventory's own description: it names the device's first
      // sighting, and its fields win over the copy an alert carried within the same batch
      const isDevice = r.event_type === 'device';
      const inv = isDevice ? obj(mw.inventory) : null;
      const first = inv && typeof inv.first_seen === 'string' && Number.isFinite(Date.parse(inv.first_seen)) ? Math.min(Date.parse(inv.first_seen), r.ts) : r.ts;
      const fields = { ip: str(dev.ip), mac: str(dev.mac), type: str(dev.type), vendor: str(dev.vendor), name: str(dev.name) };
      if (inv && Array.isArray(inv.replaces)) {
        for (const old of inv.replaces.slice(0, 16)) if (typeof old === 'string' && old !== '' && old !== key) d.replaced.set(old.slice(0, 128), key.slice(0, 128));
      }
      const e = d.devices.get(key);
      if (e) {
        e.events++;
        if (r.event_type === 'alert') e.alerts++;
        if (first < e.first_seen_ms) e.first_seen_ms = first;
        if (r.ts > e.last_seen_ms) e.last_seen_ms = r.ts;
        if (isDevice) for (const [k, v] of Object.entries(fields) as [keyof typeof fields, string | null][]) if (v !== null) e[k] = v;
      } else {
        d.devices.set(key, {
          device_key: key.slice(0, 128), ...fields,
          first_seen_ms: first, last_seen_ms: r.ts, alerts: r.event_type === 'alert' ? 1 : 0, events: 1, scope: r.scope,
        });
      }
    }
  }
  if (r.event_type === 'telescope') {
    const t = obj(ev.telescope);
    const start = t ? (typeof t.start === 'string' ? Date.parse(t.start) : Number(t.start)) : NaN;
    const end = t ? (typeof t.end === 'string' ? Date.parse(t.end) : Number(t.end)) : NaN;
    if (t && Number.isFinite(start) && Number.isFinite(end)) {
      const { sketch: _sketch, state: _state, ...summary } = t; // the state stays in the raw event only
      d.telescope.push({
        start_ms: start, end_ms: end, packets: int(t.packets) ?? 0, sources: int(t.unique_sources) ?? int(t.sources) ?? 0,
        sketch: typeof t.sketch === 'string' ? Buffer.from(t.sketch, 'base64') : null, summary: JSON.stringify(summary), scope: r.scope,
        kind: t.kind === 'run' ? 'run' : 'interval',
      });
    }
  }
  if (r.event_type === 'scan') {
    const s = obj(mw.scan);
    const target = r.dest_ip ?? r.src_ip;
    if (s && s.kind === 'finding' && target) {
      const details = { remediation: str(s.remediation)?.slice(0, 4000) ?? null, service: str(ev.app_proto) };
      d.scans.push({
        ts: r.ts, target_ip: target, port: r.dest_port, finding: String(s.id ?? r.detector ?? 'finding').slice(0, 128), severity: str(s.severity), title: str(s.title),
        scope: r.scope, kind: 'finding', details: JSON.stringify(details),
      });
    } else if (s && s.kind === 'host' && target) {
      const ports = (Array.isArray(s.ports) ? s.ports : []).slice(0, 200).map(obj).filter((x): x is Record<string, unknown> => x !== null)
        .map((x) => ({ port: int(x.port), proto: str(x.proto), service: str(x.service)?.slice(0, 64) ?? null, product: str(x.product)?.slice(0, 128) ?? null, version: str(x.version)?.slice(0, 64) ?? null }));
      const dev = obj(mw.device);
      d.scans.push({ ts: r.ts, target_ip: target, port: null, finding: 'host', severity: null, title: str(dev?.name)?.slice(0, 128) ?? null, scope: r.scope, kind: 'host', details: JSON.stringify({ ports }) });
    }
  }
}

/** Shared by both dialects: extraction, enrichment, scope. */
abstract class BaseWriter implements EventWriter {
  protected scopes: ScopeIndex | null = null;
  protected readonly sensors = new Map<number, SensorInfo>();
  private readonly geoCache = new Map<string, { country: string | null; asn: number | null } | null>();
  /** Compiled auto-archive rules per organisation, with the ids they were compiled from. */
  private readonly ruleMatchers = new Map<number, { key: string; matcher: ArchiveRuleMatcher }>();

  constructor(protected readonly store: Store, protected readonly opts: WriterOptions = {}) {}

  /** Call after organisations or sensors change. */
  invalidate(): void {
    this.scopes = null;
    this.sensors.clear();
  }

  protected async context(batch: EventBatch): Promise<{ sensor: SensorInfo; scopes: ScopeIndex }> {
    const sensorId = Number(batch.sensorId);
    const orgId = Number(batch.orgId);
    if (!Number.isInteger(sensorId) || !Number.isInteger(orgId)) throw new InputError('ingest.bad-batch', `batch names sensor "${batch.sensorId}" of organisation "${batch.orgId}": both must be numeric ids`);
    if (this.scopes === null) {
      const orgs = await this.store.db.selectFrom('organisations').select(['id', 'countries', 'asns', 'prefixes', 'sensor_names']).execute();
      this.scopes = new ScopeIndex(orgs as OrgScopeRow[]);
    }
    let sensor = this.sensors.get(sensorId);
    if (!sensor) {
      const row = await this.store.db.selectFrom('sensors').select(['id', 'org_id', 'name']).where('id', '=', sensorId).executeTakeFirst();
      if (!row) throw new InputError('ingest.unknown-sensor', `sensor ${sensorId} is not registered`);
      sensor = { id: row.id, orgId: row.org_id, name: row.name };
      this.sensors.set(sensorId, sensor);
    }
    if (sensor.orgId !== orgId) throw new InputError('ingest.sensor-org', `sensor ${sensorId} does not belong to organisation ${orgId}`);
    return { sensor, scopes: this.scopes };
  }

  private geo(ip: string): { country: string | null; asn: number | null } | null {
    if (!this.opts.enrich) return null;
    let g = this.geoCache.get(ip);
    if (g === undefined) {
      g = this.opts.enrich(ip);
      if (this.geoCache.size >= 65_536) this.geoCache.clear();
      this.geoCache.set(ip, g);
    }
    return g;
  }

  protected rows(batch: EventBatch, sensor: SensorInfo, scopes: ScopeIndex): { rows: Row[]; texts: string[] } {
    const out: Row[] = new Array(batch.events.length);
    const texts: string[] = new Array(batch.events.length);
    let off = 0;
    for (let i = 0; i < batch.events.length; i++) {
      const ev = batch.events[i];
      const e = ev as Record<string, unknown>;
      const ts = eventTime(ev.timestamp);
      if (!Number.isFinite(ts)) throw new InputError('ingest.bad-timestamp', `event ${i}: timestamp "${String(ev.timestamp).slice(0, 40)}" is not a time`);
      const mw = ev.minewatch;
      const alert = obj(e.alert);
      const dev = obj(mw.device);
      const src = str(e.src_ip);
      const dest = str(e.dest_ip);
      let country: string | null = null;
      let asn: number | null = null;
      const subject = src && isPublicAddress(src) ? src : dest && isPublicAddress(dest) ? dest : null;
      if (subject) {
        const g = this.geo(subject);
        if (g) {
          country = g.country;
          asn = g.asn;
        }
      }
      const text = JSON.stringify(ev);
      texts[i] = text;
      const len = Buffer.byteLength(text);
      out[i] = {
        ts, event_type: ev.event_type, event_id: mw.event_id, src_ip: src, src_port: int(e.src_port), dest_ip: dest, dest_port: int(e.dest_port),
        proto: str(e.proto), detector: str(mw.detector), signature_id: alert ? int(alert.signature_id) : null, severity: alert ? int(alert.severity) : null,
        country, asn, device_id: dev ? str(dev.id) ?? str(dev.mac) : null,
        scope: scopes.scopeOf(sensor.orgId, sensor.name, country, asn, src, dest), off, len, ev,
      };
      off += len + 1;
    }
    return { rows: out, texts };
  }

  /**
   * Marks the batch's incidents that one of the organisation's enabled rules matches (rows as
   * ENABLED_RULES returns them). A rule's conditions never change after it is made, so the
   * compiled rules are kept while the same rules are enabled.
   */
  protected markArchived(d: Derived, sensor: SensorInfo, rows: ReadonlyArray<Parameters<typeof toRule>[0]>): void {
    if (rows.length === 0) return;
    const key = rows.map((r) => r.id).join(',');
    let m = this.ruleMatchers.get(sensor.orgId);
    if (m?.key !== key) {
      if (this.ruleMatchers.size >= 1024) this.ruleMatchers.clear();
      this.ruleMatchers.set(sensor.orgId, (m = { key, matcher: new ArchiveRuleMatcher(rows.map(toRule)) }));
    }
    for (const i of d.incidents.values()) i.archived_rule = m.matcher.match({ ...i, sensor_id: sensor.id });
  }

  abstract writeEvents(batch: EventBatch): Promise<WriteResult>;
}

/** The roll-up tables' primary key (migration 0011). */
const ROLLUP_KEY = 'scope_org, bucket, sensor_id, event_type, signature_id, severity, country, asn, detector';
/** The enabled auto-archive rules of an organisation, oldest first (the same query on both databases). */
const ENABLED_RULES = `SELECT ${RULE_COLUMNS.join(', ')} FROM archive_rules WHERE org_id = $1 AND enabled = 1 ORDER BY id`;


/**
 * An incident upsert's status: a new incident an enabled rule matches is stored archived by that
 * rule; a new alert re-opens an archived incident unless a rule matches it (then it stays
 * archived); acknowledged and escalated incidents keep their status. Shared by both dialects
 * (`t` is the stored row, `excluded` the batch's).
 */
const INCIDENT_STATUS_ON_CONFLICT = (t: string) => `status = CASE WHEN ${t}status = 'archived' AND excluded.archived_rule IS NULL THEN 'open' ELSE ${t}status END,
          archived_rule = CASE WHEN ${t}status = 'archived' AND excluded.archived_rule IS NULL THEN NULL ELSE ${t}archived_rule END`;

const EVENT_COLUMNS = 'ts, event_type, org_id, sensor_id, event_id, src_ip, src_port, dest_ip, dest_port, proto, detector, signature_id, severity, country, asn, device_id, scope, block_id, block_off, block_len';

export class SqliteEventWriter extends BaseWriter {
  private stmts: ReturnType<SqliteEventWriter['prepare']> | null = null;

  private prepare(db: BetterSqlite3.Database) {
    const roll = (t: string) => db.prepare(`INSERT INTO ${t} (bucket, scope_org, sensor_id, event_type, signature_id, severity, country, asn, detector, count, incidents)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET count = count + excluded.count, incidents = incidents + excluded.incidents`);
    return {
      event: db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sensor_id, event_id) DO NOTHING`),
      block: db.prepare('INSERT INTO event_blocks (sensor_id, min_ts, max_ts, events, codec, data) VALUES (?, ?, ?, ?, ?, ?)'),
      dropBlock: db.prepare('DELETE FROM event_blocks WHERE id = ?'),
      hourly: roll('rollup_hourly'),
      daily: roll('rollup_daily'),
      // RETURNING count: equal to the batch's count only when the row is new (a rule's hit)
      incident: db.prepare(`INSERT INTO incidents (org_id, sensor_id, signature_id, signature, src_ip, dest_ip, severity, first_ms, last_ms, count, status, scope, detector, country, archived_rule)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (sensor_id, signature_id, src_ip) DO UPDATE SET count = count + excluded.count, detector = coalesce(excluded.detector, detector),
          country = coalesce(country, excluded.country),
          first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms),
          ${INCIDENT_STATUS_ON_CONFLICT('')}
        RETURNING count`),
      rules: db.prepare(ENABLED_RULES.replace('$1', '?')),
      ruleHits: db.prepare('UPDATE archive_rules SET hits = hits + ?, last_hit_ms = ? WHERE id = ?'),
      device: db.prepare(`INSERT INTO devices (org_id, sensor_id, device_key, ip, mac, type, vendor, name, first_seen_ms, last_seen_ms, alerts, events, scope)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (sensor_id, device_key) DO UPDATE SET ip = coalesce(excluded.ip, ip), mac = coalesce(excluded.mac, mac),
          type = coalesce(excluded.type, type), vendor = coalesce(excluded.vendor, vendor), name = coalesce(excluded.name, name),
          first_seen_ms = min(first_seen_ms, excluded.first_seen_ms), last_seen_ms = max(last_seen_ms, excluded.last_seen_ms),
          alerts = alerts + excluded.alerts, events = events + excluded.events`),
      telescope: db.prepare(`INSERT INTO telescope_intervals (org_id, sensor_id, start_ms, end_ms, packets, sources, sketch, summary, scope, kind)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sensor_id, kind, start_ms) DO NOTHING`),
      scan: db.prepare(`INSERT INTO scan_results (org_id, sensor_id, ts, target_ip, port, finding, severity, title, scope, kind, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      // folds an old device row into its successor (counts added, earliest first sighting), then removes it
      foldDevice: db.prepare(`UPDATE devices SET alerts = devices.alerts + o.alerts, events = devices.events + o.events,
          first_seen_ms = min(devices.first_seen_ms, o.first_seen_ms)
        FROM (SELECT alerts, events, first_seen_ms FROM devices WHERE sensor_id = ? AND device_key = ?) AS o
        WHERE devices.sensor_id = ? AND devices.device_key = ?`),
      dropDevice: db.prepare(`DELETE FROM devices WHERE sensor_id = ? AND device_key = ?`),
      sensor: db.prepare(`UPDATE sensors SET last_seen_ms = ?, last_event_ms = max(coalesce(last_event_ms, 0), ?), events_total = events_total + ?,
        batches_total = batches_total + 1, duplicates_total = duplicates_total + ? WHERE id = ?`),
    };
  }

  async writeEvents(batch: EventBatch): Promise<WriteResult> {
    const { sensor, scopes } = await this.context(batch);
    const { rows, texts } = this.rows(batch, sensor, scopes);
    const block = await packBlock(texts, rows);
    const db = this.store.sqlite;
    if (!db) throw new InternalError('store.no-sqlite', 'SQLite writer on a store without a SQLite handle');
    // hold kysely's connection lock: no other statement can run inside this transaction
    return this.store.db.connection().execute(async () => {
      const s = (this.stmts ??= this.prepare(db));
      const run = db.transaction((): WriteResult => {
        const d = emptyDerived();
        let accepted = 0;
        const blockId = Number(s.block.run(sensor.id, block.minTs, block.maxTs, rows.length, BLOCK_CODEC, block.data).lastInsertRowid);
        for (const r of rows) {
          const info = s.event.run(r.ts, r.event_type, sensor.orgId, sensor.id, r.event_id, r.src_ip, r.src_port, r.dest_ip, r.dest_port, r.proto,
            r.detector, r.signature_id, r.severity, r.country, r.asn, r.device_id, r.scope, blockId, r.off, r.len);
          if (info.changes > 0) {
            accepted++;
            derive(d, r);
          }
        }
        // a retried batch stored nothing new: its block is not needed
        if (accepted === 0) s.dropBlock.run(blockId);
        // incidents first: the roll-ups count the ones this batch opened (the upsert returns the
        // batch's own count only for a new row: a stored incident already had at least one alert)
        if (d.incidents.size > 0) this.markArchived(d, sensor, s.rules.all(sensor.orgId) as Array<Parameters<typeof toRule>[0]>);
        const hits = new Map<number, number>();
        for (const i of d.incidents.values()) {
          const stored = s.incident.get(sensor.orgId, sensor.id, i.signature_id, i.signature, i.src_ip, i.dest_ip, i.severity, i.first_ms, i.last_ms, i.count,
            i.archived_rule === null ? 'open' : 'archived', i.scope, i.detector, i.country, i.archived_rule) as { count: number };
          if (Number(stored.count) !== i.count) continue;
          incidentOpened(d, i);
          if (i.archived_rule !== null) hits.set(i.archived_rule, (hits.get(i.archived_rule) ?? 0) + 1);
        }
        for (const [rule, n] of hits) s.ruleHits.run(n, Date.now(), rule);
        for (const k of d.hourly.values()) s.hourly.run(k.bucket, k.scope_org, sensor.id, k.event_type, k.signature_id, k.severity, k.country, k.asn, k.detector, k.count, k.incidents);
        for (const k of d.daily.values()) s.daily.run(k.bucket, k.scope_org, sensor.id, k.event_type, k.signature_id, k.severity, k.country, k.asn, k.detector, k.count, k.incidents);
        for (const v of d.devices.values()) s.device.run(sensor.orgId, sensor.id, v.device_key, v.ip, v.mac, v.type, v.vendor, v.name, v.first_seen_ms, v.last_seen_ms, v.alerts, v.events, v.scope);
        for (const [old, key] of d.replaced) {
          s.foldDevice.run(sensor.id, old, sensor.id, key);
          s.dropDevice.run(sensor.id, old);
        }
        for (const t of d.telescope) s.telescope.run(sensor.orgId, sensor.id, t.start_ms, t.end_ms, t.packets, t.sources, t.sketch, t.summary, t.scope, t.kind);
        for (const x of d.scans) s.scan.run(sensor.orgId, sensor.id, x.ts, x.target_ip, x.port, x.finding, x.severity, x.title, x.scope, x.kind, x.details);
        const duplicates = rows.length - accepted;
        s.sensor.run(Date.now(), d.maxTs, accepted, duplicates, sensor.id);
        return { accepted, duplicates };
      });
      return run.immediate();
    });
  }
}

/** One field of COPY's text format. */
function copyField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** unnest() arrays, one per column. */
function columns<T>(items: readonly T[], pick: Array<(x: T) => unknown>): unknown[][] {
  const cols = pick.map(() => new Array<unknown>(items.length));
  for (let i = 0; i < items.length; i++) for (let c = 0; c < pick.length; c++) cols[c][i] = pick[c](items[i]);
  return cols;
}

export class PostgresEventWriter extends BaseWriter {
  async writeEvents(batch: EventBatch): Promise<WriteResult> {
    const { sensor, scopes } = await this.context(batch);
    const { rows, texts } = this.rows(batch, sensor, scopes);
    const block = await packBlock(texts, rows);
    const pool = this.store.pool;
    if (!pool) throw new InternalError('store.no-pool', 'PostgreSQL writer on a store without a pool');
    const client = await pool.connect();
    let broken = false;
    try {
      await ensurePartitions(client, rows.map((r) => r.ts));
      // fast path: COPY the events not yet stored; a concurrent writer storing one of them
      // first (a unique violation) sends the batch down the INSERT … ON CONFLICT path
      for (const mode of ['copy', 'upsert'] as const) {
        await client.query('BEGIN');
        try {
          const result = await this.inTransaction(client, rows, sensor, block, mode);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          if (mode === 'copy' && !broken && (err as { code?: string }).code === '23505') continue;
          throw err;
        }
      }
      throw new InternalError('store.unreachable', 'both write paths returned nothing');
    } finally {
      client.release(broken);
    }
  }

  /** The block, then the events not stored yet (checked by key) with COPY; returns the rows inserted. */
  private async copyEvents(client: pg.PoolClient, rows: Row[], sensor: SensorInfo, block: PackedBlock): Promise<{ blockId: number | null; fresh: Row[] }> {
    const res = await client.query<{ block_id: number | null; event_id: string | null; ts: number | null }>(
      `WITH b AS (INSERT INTO event_blocks (sensor_id, min_ts, max_ts, events, codec, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id)
       SELECT (SELECT id FROM b) AS block_id, NULL::text AS event_id, NULL::bigint AS ts
       UNION ALL SELECT NULL, event_id, ts FROM events WHERE sensor_id = $1 AND ts >= $2 AND ts <= $3 AND event_id = ANY($7::text[])`,
      [sensor.id, block.minTs, block.maxTs, rows.length, BLOCK_CODEC, block.data, [...new Set(rows.map((r) => r.event_id))]],
    );
    const blockId = res.rows.find((r) => r.event_id === null)?.block_id ?? null;
    const have = new Set(res.rows.filter((r) => r.event_id !== null).map((r) => `${r.event_id}\u0000${r.ts}`));
    const fresh: Row[] = [];
    for (const r of rows) {
      const k = `${r.event_id}\u0000${r.ts}`;
      if (have.has(k)) continue;
      have.add(k);
      fresh.push(r);
    }
    if (fresh.length > 0) {
      const lines: string[] = new Array(fresh.length);
      for (let i = 0; i < fresh.length; i++) {
        const r = fresh[i];
        lines[i] = [r.ts, r.event_type, sensor.orgId, sensor.id, r.event_id, r.src_ip, r.src_port, r.dest_ip, r.dest_port, r.proto, r.detector,
          r.signature_id, r.severity, r.country, r.asn, r.device_id, r.scope, blockId, r.off, r.len].map(copyField).join('\t');
      }
      const stream = client.query(copyFrom(`COPY events (${EVENT_COLUMNS}) FROM STDIN`));
      await pipeline(Readable.from([`${lines.join('\n')}\n`]), stream);
    }
    return { blockId, fresh };
  }

  private async inTransaction(client: pg.PoolClient, rows: Row[], sensor: SensorInfo, block: PackedBlock, mode: 'copy' | 'upsert'): Promise<WriteResult> {
    const d = emptyDerived();
    let blockId: number | null;
    let accepted: number;
    if (mode === 'copy') {
      const c = await this.copyEvents(client, rows, sensor, block);
      blockId = c.blockId;
      accepted = c.fresh.length;
      for (const r of c.fresh) derive(d, r);
    } else {
      ({ blockId, accepted } = await this.upsertEvents(client, rows, sensor, block, d));
    }
    await this.writeIncidents(client, d, sensor);
    return this.writeDerived(client, d, sensor, blockId, accepted, rows.length - accepted);
  }

  /**
   * The batch's incidents, before the roll-ups: the upsert returns the batch's own count only
   * for a new row (a stored incident already had at least one alert), and the roll-ups count
   * those as opened. Fixed key order: concurrent writers lock shared rows in the same order.
   */
  private async writeIncidents(client: pg.PoolClient, d: Derived, sensor: SensorInfo): Promise<void> {
    if (d.incidents.size === 0) return;
    this.markArchived(d, sensor, (await client.query<Parameters<typeof toRule>[0]>(ENABLED_RULES, [sensor.orgId])).rows);
    const inc = [...d.incidents.values()].sort((a, b) => a.signature_id - b.signature_id || (a.src_ip < b.src_ip ? -1 : 1));
    const c = columns(inc, [(i) => i.signature_id, (i) => i.signature, (i) => i.src_ip, (i) => i.dest_ip, (i) => i.severity, (i) => i.first_ms, (i) => i.last_ms, (i) => i.count, (i) => i.scope, (i) => i.detector, (i) => i.country, (i) => i.archived_rule]);
    const res = await client.query<{ signature_id: string | number; src_ip: string; count: string | number; archived_rule: string | number | null; inserted: boolean }>(
      `INSERT INTO incidents AS t (org_id, sensor_id, signature_id, signature, src_ip, dest_ip, severity, first_ms, last_ms, count, status, scope, detector, country, archived_rule)
        SELECT $13::bigint, $14::bigint, u.signature_id, u.signature, u.src_ip, u.dest_ip, u.severity, u.first_ms, u.last_ms, u.count,
          CASE WHEN u.archived_rule IS NULL THEN 'open' ELSE 'archived' END, u.scope, u.detector, u.country, u.archived_rule
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[])
          AS u(signature_id, signature, src_ip, dest_ip, severity, first_ms, last_ms, count, scope, detector, country, archived_rule)
        ON CONFLICT (sensor_id, signature_id, src_ip) DO UPDATE SET count = t.count + excluded.count, detector = coalesce(excluded.detector, t.detector),
          country = coalesce(t.country, excluded.country),
          first_ms = LEAST(t.first_ms, excluded.first_ms), last_ms = GREATEST(t.last_ms, excluded.last_ms),
          ${INCIDENT_STATUS_ON_CONFLICT('t.')}
        RETURNING t.signature_id, t.src_ip, t.count, t.archived_rule, (t.xmax = 0) AS inserted`,
      [...c, sensor.orgId, sensor.id],
    );
    const hits = new Map<number, number>();
    for (const r of res.rows) {
      const i = d.incidents.get(`${r.signature_id}|${r.src_ip}`);
      if (i && Number(r.count) === i.count) incidentOpened(d, i);
      // a rule's hit: a new incident it archived (xmax = 0: the row was inserted, not updated)
      if (r.inserted && r.archived_rule !== null) hits.set(Number(r.archived_rule), (hits.get(Number(r.archived_rule)) ?? 0) + 1);
    }
    if (hits.size > 0) {
      const rules = [...hits.keys()].sort((a, b) => a - b);
      await client.query(`UPDATE archive_rules AS r SET hits = r.hits + h.n, last_hit_ms = $3::bigint
        FROM unnest($1::bigint[], $2::bigint[]) AS h(id, n) WHERE r.id = h.id`, [rules, rules.map((id) => hits.get(id)), Date.now()]);
    }
  }

  /** The block and the events in one statement, INSERT … ON CONFLICT DO NOTHING (the block's id flows through a CTE). */
  private async upsertEvents(client: pg.PoolClient, rows: Row[], sensor: SensorInfo, block: PackedBlock, d: Derived): Promise<{ blockId: number | null; accepted: number }> {
    const cols = columns(rows, [(r) => r.ts, (r) => r.event_type, (r) => r.event_id, (r) => r.src_ip, (r) => r.src_port, (r) => r.dest_ip, (r) => r.dest_port,
      (r) => r.proto, (r) => r.detector, (r) => r.signature_id, (r) => r.severity, (r) => r.country, (r) => r.asn, (r) => r.device_id, (r) => r.scope, (r) => r.off, (r) => r.len]);
    const res = await client.query<{ event_id: string | null; block_id: number | null }>(
      `WITH b AS (INSERT INTO event_blocks (sensor_id, min_ts, max_ts, events, codec, data) VALUES ($19, $20, $21, $22, $23, $24) RETURNING id),
       ins AS (INSERT INTO events (${EVENT_COLUMNS})
         SELECT u.ts, u.event_type, $18::bigint, $19::bigint, u.event_id, u.src_ip, u.src_port, u.dest_ip, u.dest_port, u.proto, u.detector,
                u.signature_id, u.severity, u.country, u.asn, u.device_id, u.scope, (SELECT id FROM b), u.off, u.len
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::int[], $8::text[], $9::text[], $10::bigint[],
                     $11::int[], $12::text[], $13::bigint[], $14::text[], $15::text[], $16::int[], $17::int[])
           AS u(ts, event_type, event_id, src_ip, src_port, dest_ip, dest_port, proto, detector, signature_id, severity, country, asn, device_id, scope, off, len)
         ON CONFLICT DO NOTHING RETURNING event_id)
       SELECT NULL::text AS event_id, (SELECT id FROM b) AS block_id UNION ALL SELECT event_id, NULL FROM ins`,
      [...cols, sensor.orgId, sensor.id, block.minTs, block.maxTs, rows.length, BLOCK_CODEC, block.data],
    );
    const blockId = res.rows.find((r) => r.event_id === null)?.block_id ?? null;
    const inserted = { rows: res.rows.filter((r): r is { event_id: string; block_id: null } => r.event_id !== null) };
    const ids = new Set(inserted.rows.map((r) => r.event_id));
    for (const r of rows) {
      if (ids.delete(r.event_id)) derive(d, r);
    }
    return { blockId, accepted: inserted.rows.length };
  }

  /** Every derived row and the sensor's health in one statement of data-modifying CTEs. */
  private async writeDerived(client: pg.PoolClient, d: Derived, sensor: SensorInfo, blockId: number | null, accepted: number, duplicates: number): Promise<WriteResult> {
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    let orgParam: string | null = null;
    const org = () => (orgParam ??= p(sensor.orgId));
    const sid = p(sensor.id);
    const ctes: string[] = [];
    // fixed key order: concurrent writers lock shared rows in the same order (no deadlock)
    for (const [table, m] of [['rollup_hourly', d.hourly], ['rollup_daily', d.daily]] as const) {
      if (m.size === 0) continue;
      const keys = [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
      const c = columns(keys, [(k) => k.bucket, (k) => k.scope_org, (k) => k.event_type, (k) => k.signature_id, (k) => k.severity, (k) => k.country, (k) => k.asn, (k) => k.detector, (k) => k.count, (k) => k.incidents]);
      ctes.push(`${table} AS (INSERT INTO ${table} AS t (bucket, scope_org, sensor_id, event_type, signature_id, severity, country, asn, detector, count, incidents)
        SELECT u.bucket, u.scope_org, ${sid}::bigint, u.event_type, u.signature_id, u.severity, u.country, u.asn, u.detector, u.count, u.incidents
        FROM unnest(${p(c[0])}::bigint[], ${p(c[1])}::bigint[], ${p(c[2])}::text[], ${p(c[3])}::bigint[], ${p(c[4])}::int[], ${p(c[5])}::text[], ${p(c[6])}::bigint[], ${p(c[7])}::text[], ${p(c[8])}::bigint[], ${p(c[9])}::bigint[])
          AS u(bucket, scope_org, event_type, signature_id, severity, country, asn, detector, count, incidents)
        ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET count = t.count + excluded.count, incidents = t.incidents + excluded.incidents RETURNING 1)`);
    }
    if (d.devices.size > 0) {
      const dev = [...d.devices.values()].sort((a, b) => (a.device_key < b.device_key ? -1 : 1));
      const c = columns(dev, [(v) => v.device_key, (v) => v.ip, (v) => v.mac, (v) => v.type, (v) => v.vendor, (v) => v.name, (v) => v.first_seen_ms, (v) => v.last_seen_ms, (v) => v.alerts, (v) => v.events, (v) => v.scope]);
      ctes.push(`dev AS (INSERT INTO devices AS t (org_id, sensor_id, device_key, ip, mac, type, vendor, name, first_seen_ms, last_seen_ms, alerts, events, scope)
        SELECT ${org()}::bigint, ${sid}::bigint, u.* FROM unnest(${p(c[0])}::text[], ${p(c[1])}::text[], ${p(c[2])}::text[], ${p(c[3])}::text[], ${p(c[4])}::text[], ${p(c[5])}::text[],
          ${p(c[6])}::bigint[], ${p(c[7])}::bigint[], ${p(c[8])}::bigint[], ${p(c[9])}::bigint[], ${p(c[10])}::text[])
          AS u(device_key, ip, mac, type, vendor, name, first_seen_ms, last_seen_ms, alerts, events, scope)
        ON CONFLICT (sensor_id, device_key) DO UPDATE SET ip = coalesce(excluded.ip, t.ip), mac = coalesce(excluded.mac, t.mac),
          type = coalesce(excluded.type, t.type), vendor = coalesce(excluded.vendor, t.vendor), name = coalesce(excluded.name, t.name),
          first_seen_ms = LEAST(t.first_seen_ms, excluded.first_seen_ms), last_seen_ms = GREATEST(t.last_seen_ms, excluded.last_seen_ms),
          alerts = t.alerts + excluded.alerts, events = t.events + excluded.events RETURNING 1)`);
    }
    if (d.telescope.length > 0) {
      const c = columns(d.telescope, [(t) => t.start_ms, (t) => t.end_ms, (t) => t.packets, (t) => t.sources, (t) => t.sketch, (t) => t.summary, (t) => t.scope, (t) => t.kind]);
      ctes.push(`tel AS (INSERT INTO telescope_intervals (org_id, sensor_id, start_ms, end_ms, packets, sources, sketch, summary, scope, kind)
        SELECT ${org()}::bigint, ${sid}::bigint, u.* FROM unnest(${p(c[0])}::bigint[], ${p(c[1])}::bigint[], ${p(c[2])}::bigint[], ${p(c[3])}::bigint[], ${p(c[4])}::bytea[], ${p(c[5])}::text[], ${p(c[6])}::text[], ${p(c[7])}::text[])
          AS u(start_ms, end_ms, packets, sources, sketch, summary, scope, kind)
        ON CONFLICT (sensor_id, kind, start_ms) DO NOTHING RETURNING 1)`);
    }
    if (d.scans.length > 0) {
      const c = columns(d.scans, [(x) => x.ts, (x) => x.target_ip, (x) => x.port, (x) => x.finding, (x) => x.severity, (x) => x.title, (x) => x.scope, (x) => x.kind, (x) => x.details]);
      ctes.push(`scan AS (INSERT INTO scan_results (org_id, sensor_id, ts, target_ip, port, finding, severity, title, scope, kind, details)
        SELECT ${org()}::bigint, ${sid}::bigint, u.* FROM unnest(${p(c[0])}::bigint[], ${p(c[1])}::text[], ${p(c[2])}::int[], ${p(c[3])}::text[], ${p(c[4])}::text[], ${p(c[5])}::text[], ${p(c[6])}::text[], ${p(c[7])}::text[], ${p(c[8])}::text[])
          AS u(ts, target_ip, port, finding, severity, title, scope, kind, details) RETURNING 1)`);
    }
    if (accepted === 0 && blockId !== null) {
      // a retried batch stored nothing new: its block is not needed
      ctes.push(`drop_block AS (DELETE FROM event_blocks WHERE id = ${p(blockId)}::bigint RETURNING 1)`);
    }
    await client.query(
      `${ctes.length > 0 ? `WITH ${ctes.join(',\n')}\n` : ''}UPDATE sensors SET last_seen_ms = ${p(Date.now())}, last_event_ms = GREATEST(coalesce(last_event_ms, 0), ${p(d.maxTs)}::bigint),
         events_total = events_total + ${p(accepted)}::bigint, batches_total = batches_total + 1, duplicates_total = duplicates_total + ${p(duplicates)}::bigint WHERE id = ${sid}::bigint`,
      params,
    );
    // after the upserts (a data-modifying CTE cannot see the rows another one wrote): fold old device rows into their successors
    for (const [old, key] of d.replaced) {
      await client.query(`WITH o AS (DELETE FROM devices WHERE sensor_id = $1::bigint AND device_key = $2 RETURNING alerts, events, first_seen_ms)
        UPDATE devices AS t SET alerts = t.alerts + o.alerts, events = t.events + o.events, first_seen_ms = LEAST(t.first_seen_ms, o.first_seen_ms)
        FROM o WHERE t.sensor_id = $1::bigint AND t.device_key = $3`, [sensor.id, old, key]);
    }
    return { accepted, duplicates };
  }
}

/** The writer for a store's dialect. */
export function eventWriter(store: Store, opts: WriterOptions = {}): SqliteEventWriter | PostgresEventWriter {
  return store.dialect === 'sqlite' ? new SqliteEventWriter(store, opts) : new PostgresEventWriter(store, opts);
}
