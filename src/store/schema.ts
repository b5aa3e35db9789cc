/**
 * The collector's schema as kysely types: one definition for SQLite and PostgreSQL. Times are
 * integer milliseconds since the epoch (`*_ms`, `ts`, `bucket`), so ordering, bucketing and
 * partition bounds are the same arithmetic on both databases. Every row that a reader may be
 * scoped out of carries `scope`: the organisation ids whose constituency it falls in, written
 * at ingest as ",1,4," (see scope.ts).
 */
import type { ColumnType, Generated } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

export type Role = 'admin' | 'analyst' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'analyst', 'viewer'];

export interface OrganisationTable {
  id: Generated<number>;
  name: string;
  /** JSON arrays: ISO country codes, AS numbers, CIDR prefixes, sensor names of other organisations. */
  countries: string;
  asns: string;
  prefixes: string;
  sensor_names: string;
  created_ms: number;
}

export interface UserTable {
  id: Generated<number>;
  name: string;
  role: Role;
  /** null: an operator of the whole collector (sees every organisation). */
  org_id: number | null;
  password_hash: string;
  must_change_password: number;
  failed_logins: number;
  locked_until_ms: number;
  created_ms: number;
}

export interface SessionTable {
  /** SHA-256 of the cookie value: a database leak does not leak live sessions. */
  id: string;
  user_id: number;
  csrf: string;
  created_ms: number;
  expires_ms: number;
}

export interface TokenTable {
  id: Generated<number>;
  /** SHA-256 of the whole token; the token itself is shown once and never stored. */
  token_hash: string;
  /** The first characters, to tell tokens apart in listings. */
  prefix: string;
  org_id: number;
  sensor_id: number;
  created_ms: number;
  revoked_ms: number | null;
  last_used_ms: number | null;
}

export interface SensorTable {
  id: Generated<number>;
  org_id: number;
  name: string;
  created_ms: number;
  last_seen_ms: number | null;
  last_event_ms: number | null;
  events_total: number;
  batches_total: number;
  duplicates_total: number;
}

export interface DeviceTable {
  id: Generated<number>;
  org_id: number;
  sensor_id: number;
  /** minewatch.device.id, else the MAC, else the address. */
  device_key: string;
  ip: string | null;
  mac: string | null;
  type: string | null;
  vendor: string | null;
  name: string | null;
  first_seen_ms: number;
  last_seen_ms: number;
  alerts: number;
  events: number;
  scope: string;
}

export interface EventTable {
  id: Generated<number>;
  ts: number;
  event_type: string;
  org_id: number;
  sensor_id: number;
  event_id: string;
  src_ip: string | null;
  src_port: number | null;
  dest_ip: string | null;
  dest_port: number | null;
  proto: string | null;
  detector: string | null;
  signature_id: number | null;
  severity: number | null;
  country: string | null;
  asn: number | null;
  device_id: string | null;
  scope: string;
  /** Where the event's EVE JSON text is: bytes [block_off, block_off + block_len) of block block_id, inflated. */
  block_id: number;
  block_off: number;
  block_len: number;
}

/**
 * The events of one ingested batch as EVE JSON lines, deflated together: alerts of one batch
 * share most of their text, so a block is 5-10x smaller than the events one by one, and
 * compressing one block per batch runs off the main thread.
 */
export interface EventBlockTable {
  id: Generated<number>;
  sensor_id: number;
  min_ts: number;
  max_ts: number;
  events: number;
  /** 'deflate-raw' */
  codec: string;
  data: Uint8Array;
}

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'escalated', 'archived'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export interface IncidentTable {
  id: Generated<number>;
  org_id: number;
  sensor_id: number;
  signature_id: number;
  signature: string;
  src_ip: string;
  dest_ip: string | null;
  severity: number;
  first_ms: number;
  last_ms: number;
  count: number;
  status: IncidentStatus;
  scope: string;
  /** the alerts' detector (migration 0004; null for incidents stored before it) */
  detector: ColumnType<string | null, string | null | undefined, string | null>;
  /** the country of the alerts' public address (migration 0010; null when private or unknown, or stored before it) */
  country: ColumnType<string | null, string | null | undefined, string | null>;
  /** the auto-archive rule that archived it (migration 0012); null when open, or archived by a person */
  archived_rule: ColumnType<number | null, number | null | undefined, number | null>;
}

/**
 * An auto-archive rule for known noise (migration 0012): a new incident of the organisation's
 * sensors that meets every condition set (null: any) is stored archived. Addresses are CIDRs
 * (a single address is a /32 or /128).
 */
export interface ArchiveRuleTable {
  id: Generated<number>;
  org_id: number;
  signature_id: number | null;
  detector: string | null;
  sensor_id: number | null;
  /** the device: the incident's source address */
  src_cidr: string | null;
  /** the peer: the incident's destination address */
  dest_cidr: string | null;
  country: string | null;
  /** this severity or a larger number (less severe): a rule never archives something more severe than it names */
  severity_min: number | null;
  comment: string | null;
  enabled: number;
  created_by: string;
  created_ms: number;
  /** incidents it archived, and when it last did */
  hits: number;
  last_hit_ms: number | null;
}

/** A comment on an incident (migration 0009). */
export interface IncidentCommentTable {
  id: Generated<number>;
  incident_id: number;
  author: string;
  body: string;
  created_ms: number;
}

/**
 * Counts per bucket; scope_org 0 is the whole collector, any other id one organisation's view.
 * Missing dimensions are stored as 0 or '' (they are part of the primary key).
 */
export interface RollupTable {
  bucket: number;
  scope_org: number;
  sensor_id: number;
  event_type: string;
  signature_id: number;
  severity: number;
  country: string;
  asn: number;
  /** the detector that raised the events (migration 0011; '' for events without one, and for rows whose raw events were gone when 0011 ran) */
  detector: ColumnType<string, string | undefined, string>;
  count: number;
  /** incidents opened by an event of this row (its first alert; migration 0011) */
  incidents: ColumnType<number, number | undefined, number>;
}

export interface TelescopeIntervalTable {
  id: Generated<number>;
  org_id: number;
  sensor_id: number;
  start_ms: number;
  end_ms: number;
  packets: number;
  sources: number;
  /** Mergeable sketch bytes as the telescope wrote them; merged by the reader. */
  sketch: Uint8Array | null;
  summary: string;
  scope: string;
  /** 'interval' (one closed interval: report trends sum these) or 'run' (a whole run's summary: the dashboard draws it). */
  kind: ColumnType<string, string | undefined, string>;
}

export interface ScanResultTable {
  id: Generated<number>;
  org_id: number;
  sensor_id: number;
  ts: number;
  target_ip: string;
  port: number | null;
  finding: string;
  severity: string | null;
  title: string | null;
  scope: string;
  /** 'finding' or 'host' (migration 0003; existing rows are findings) */
  kind: ColumnType<string, string | undefined, string>;
  /** JSON: a finding's { remediation, service }, a host's { ports: [{ port, proto, service, product, version }] } */
  details: string | null;
}

export interface CampaignTable {
  id: Generated<number>;
  org_id: number | null;
  name: string;
  /** JSON: countries, AS numbers, prefixes, signatures, time window. */
  definition: string;
  status: string;
  created_ms: number;
}

export interface NotificationTable {
  id: Generated<number>;
  campaign_id: number | null;
  org_id: number | null;
  recipient: string;
  channel: string;
  status: string;
  created_ms: number;
  sent_ms: number | null;
  payload: string;
  /** The message's stable id (campaign e-mail: email.ts composeMessage), unique; null for older rows. */
  message_id: string | null;
  /** The union of the scopes of the hosts the message carried (",1,4,"); null for rows before migration 0013. */
  scope: string | null;
}

/** One infected host of a campaign, keyed by the campaign's host-identity rule (util/holdback.ts campaignHostKey). */
export interface CampaignHostTable {
  campaign_id: number;
  host_key: string;
  /** The last public address the host was seen with. */
  ip: string;
  device_id: string | null;
  /** JSON arrays: the sensors that saw it, the external feeds that reported it. */
  sensor_ids: string;
  feeds: string;
  country: string | null;
  asn: number | null;
  first_seen_ms: number;
  last_seen_ms: number;
  events: number;
  /** JSON: detectors, signature ids, device type/vendor, malware. */
  evidence: string;
  /** 'treatment' | 'control' (held back from notification). */
  grp: string;
  /** 'pending' | 'held-back' | 'notified' (the delivery funnel is in notifications). */
  notify_state: string;
  notified_ms: number | null;
  scope: string;
  /** The days it was seen infected as runs of UTC day numbers, "20003+11,20040" (campaign-store.ts encodeDays); null: read campaign_host_days (rows written before 0004). */
  days: string | null;
}

/** A day (UTC days since the epoch) on which a campaign host was seen infected. */
export interface CampaignHostDayTable {
  campaign_id: number;
  host_key: string;
  day: number;
  sightings: number;
}

/** External evidence imported into a campaign (Shadowserver-style CSV rows, IntelMQ events). */
export interface CampaignEvidenceTable {
  id: Generated<number>;
  campaign_id: number;
  feed: string;
  ts: number;
  ip: string;
  port: number | null;
  country: string | null;
  asn: number | null;
  malware: string | null;
  detail: string;
}

export interface AuditTable {
  id: Generated<number>;
  ts: number;
  /** "user:NAME", "cli", "system". */
  actor: string;
  action: string;
  subject: string;
  detail: string;
  ip: string | null;
}

/** A sensor's device baselines (JSON of devices/baseline.ts BaselineState). */
export interface DeviceBaselineTable {
  sensor_id: number;
  state: string;
  updated_ms: number;
}

export interface Database {
  organisations: OrganisationTable;
  users: UserTable;
  sessions: SessionTable;
  tokens: TokenTable;
  sensors: SensorTable;
  devices: DeviceTable;
  events: EventTable;
  event_blocks: EventBlockTable;
  incidents: IncidentTable;
  incident_comments: IncidentCommentTable;
  archive_rules: ArchiveRuleTable;
  rollup_hourly: RollupTable;
  rollup_daily: RollupTable;
  telescope_intervals: TelescopeIntervalTable;
  scan_results: ScanResultTable;
  campaigns: CampaignTable;
  notifications: NotificationTable;
  campaign_hosts: CampaignHostTable;
  campaign_host_days: CampaignHostDayTable;
  campaign_evidence: CampaignEvidenceTable;
  audit_log: AuditTable;
  device_baselines: DeviceBaselineTable;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
