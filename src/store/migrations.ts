/**
 * Migrations, in order, for both databases. Kysely's Migrator records them in
 * `kysely_migration` and takes a lock (an advisory lock on PostgreSQL), so several collector
 * processes starting at once migrate once. Types differ only where the databases do: ids
 * (INTEGER PRIMARY KEY / bigserial), 64-bit integers, bytes; and on PostgreSQL the events
 * table is range-partitioned by day on `ts` (partitions are created on demand, partitions.ts).
 */
import { Migrator, sql, type Kysely, type Migration, type ColumnDataType, type CreateTableBuilder } from 'kysely';
import { DAY_MS as DAY, HOUR_MS as HOUR, type Dialect } from './schema.js';

type AnyDb = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function types(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    big: (pg ? 'bigint' : 'integer') as ColumnDataType,
    bytes: (pg ? 'bytea' : 'blob') as ColumnDataType,
    id: <T extends string, C extends string>(t: CreateTableBuilder<T, C>) =>
      pg ? t.addColumn('id', 'bigserial', (c) => c.primaryKey()) : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
  };
}

/** The columns of telescope_intervals (0001, and the 0008 rebuild that adds its kind). */
function telescopeIntervalColumns<T extends string, C extends string>(t: ReturnType<typeof types>, b: CreateTableBuilder<T, C>) {
  return b
    .addColumn('org_id', t.big, (c) => c.notNull())
    .addColumn('sensor_id', t.big, (c) => c.notNull())
    .addColumn('start_ms', t.big, (c) => c.notNull())
    .addColumn('end_ms', t.big, (c) => c.notNull())
    .addColumn('packets', t.big, (c) => c.notNull())
    .addColumn('sources', t.big, (c) => c.notNull())
    .addColumn('sketch', t.bytes)
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull());
}

const ROLLUPS = ['rollup_hourly', 'rollup_daily'] as const;

/** The columns of the roll-ups as 0001 made them (0011 adds the detector and the incidents opened). */
function rollupColumns<T extends string, C extends string>(t: ReturnType<typeof types>, b: CreateTableBuilder<T, C>) {
  return b
    .addColumn('bucket', t.big, (c) => c.notNull())
    .addColumn('scope_org', t.big, (c) => c.notNull())
    .addColumn('sensor_id', t.big, (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('signature_id', t.big, (c) => c.notNull())
    .addColumn('severity', 'integer', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('asn', t.big, (c) => c.notNull())
    .addColumn('count', t.big, (c) => c.notNull());
}

function initial(dialect: Dialect): Migration {
  const t = types(dialect);
  return {
    async up(db: AnyDb) {
      await t.id(db.schema.createTable('organisations'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('countries', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('asns', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('prefixes', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('sensor_names', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .execute();
      await t.id(db.schema.createTable('users'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('org_id', t.big)
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until_ms', t.big, (c) => c.notNull().defaultTo(0))
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .execute();
      await db.schema.createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', t.big, (c) => c.notNull())
        .addColumn('csrf', 'text', (c) => c.notNull())
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .addColumn('expires_ms', t.big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await t.id(db.schema.createTable('sensors'))
        .addColumn('org_id', t.big, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .addColumn('last_seen_ms', t.big)
        .addColumn('last_event_ms', t.big)
        .addColumn('events_total', t.big, (c) => c.notNull().defaultTo(0))
        .addColumn('batches_total', t.big, (c) => c.notNull().defaultTo(0))
        .addColumn('duplicates_total', t.big, (c) => c.notNull().defaultTo(0))
        .addUniqueConstraint('sensors_org_name', ['org_id', 'name'])
        .execute();
      await t.id(db.schema.createTable('tokens'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('org_id', t.big, (c) => c.notNull())
        .addColumn('sensor_id', t.big, (c) => c.notNull())
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .addColumn('revoked_ms', t.big)
        .addColumn('last_used_ms', t.big)
        .execute();
      await t.id(db.schema.createTable('devices'))
        .addColumn('org_id', t.big, (c) => c.notNull())
        .addColumn('sensor_id', t.big, (c) => c.notNull())
        .addColumn('device_key', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('mac', 'text')
        .addColumn('type', 'text')
        .addColumn('vendor', 'text')
        .addColumn('name', 'text')
        .addColumn('first_seen_ms', t.big, (c) => c.notNull())
        .addColumn('last_seen_ms', t.big, (c) => c.notNull())
        .addColumn('alerts', t.big, (c) => c.notNull().defaultTo(0))
        .addColumn('events', t.big, (c) => c.notNull().defaultTo(0))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addUniqueConstraint('devices_sensor_key', ['sensor_id', 'device_key'])
        .execute();

      const eventColumns = `
        ts bigint NOT NULL, event_type text NOT NULL, org_id bigint NOT NULL, sensor_id bigint NOT NULL,
        event_id text NOT NULL, src_ip text, src_port integer, dest_ip text, dest_port integer, proto text,
        detector text, signature_id bigint, severity integer, country text, asn bigint, device_id text,
        scope text NOT NULL, block_id bigint NOT NULL, block_off integer NOT NULL, block_len integer NOT NULL`;
      if (dialect === 'postgres') {
        // Unique keys of a partitioned table must contain the partition key: a retried event
        // carries its own timestamp, so (sensor, event id, ts) still catches every retry.
        await sql.raw(`CREATE TABLE events (id bigserial NOT NULL, ${eventColumns},
          CONSTRAINT events_sensor_event UNIQUE (sensor_id, event_id, ts)) PARTITION BY RANGE (ts)`).execute(db);
      } else {
        await sql.raw(`CREATE TABLE events (id integer PRIMARY KEY, ${eventColumns},
          CONSTRAINT events_sensor_event UNIQUE (sensor_id, event_id))`).execute(db);
      }
      await db.schema.createIndex('events_type_ts').on('events').columns(['event_type', 'ts', 'id']).execute();
      await t.id(db.schema.createTable('event_blocks'))
        .addColumn('sensor_id', t.big, (c) => c.notNull())
        .addColumn('min_ts', t.big, (c) => c.notNull())
        .addColumn('max_ts', t.big, (c) => c.notNull())
        .addColumn('events', 'integer', (c) => c.notNull())
        .addColumn('codec', 'text', (c) => c.notNull())
        .addColumn('data', t.bytes, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('event_blocks_max_ts').on('event_blocks').column('max_ts').execute();

      await t.id(db.schema.createTable('incidents'))
        .addColumn('org_id', t.big, (c) => c.notNull())
        .addColumn('sensor_id', t.big, (c) => c.notNull())
        .addColumn('signature_id', t.big, (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('src_ip', 'text', (c) => c.notNull())
        .addColumn('dest_ip', 'text')
        .addColumn('severity', 'integer', (c) => c.notNull())
        .addColumn('first_ms', t.big, (c) => c.notNull())
        .addColumn('last_ms', t.big, (c) => c.notNull())
        .addColumn('count', t.big, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addUniqueConstraint('incidents_key', ['sensor_id', 'signature_id', 'src_ip'])
        .execute();
      await db.schema.createIndex('incidents_last').on('incidents').column('last_ms').execute();

      for (const name of ROLLUPS) {
        await rollupColumns(t, db.schema.createTable(name))
          .addPrimaryKeyConstraint(`${name}_pk`, ['scope_org', 'bucket', 'sensor_id', 'event_type', 'signature_id', 'severity', 'country', 'asn'])
          .execute();
      }

      await telescopeIntervalColumns(t, t.id(db.schema.createTable('telescope_intervals')))
        .addUniqueConstraint('telescope_sensor_start', ['sensor_id', 'start_ms'])
        .execute();
      await db.schema.createIndex('telescope_start').on('telescope_intervals').column('start_ms').execute();

      await t.id(db.schema.createTable('scan_results'))
        .addColumn('org_id', t.big, (c) => c.notNull())
        .addColumn('sensor_id', t.big, (c) => c.notNull())
        .addColumn('ts', t.big, (c) => c.notNull())
        .addColumn('target_ip', 'text', (c) => c.notNull())
        .addColumn('port', 'integer')
        .addColumn('finding', 'text', (c) => c.notNull())
        .addColumn('severity', 'text')
        .addColumn('title', 'text')
        .addColumn('scope', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('scan_results_ts').on('scan_results').column('ts').execute();

      await t.id(db.schema.createTable('campaigns'))
        .addColumn('org_id', t.big)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .execute();
      await t.id(db.schema.createTable('notifications'))
        .addColumn('campaign_id', t.big)
        .addColumn('org_id', t.big)
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .addColumn('sent_ms', t.big)
        .addColumn('payload', 'text', (c) => c.notNull())
        .execute();
      await t.id(db.schema.createTable('audit_log'))
        .addColumn('ts', t.big, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('audit_ts').on('audit_log').column('ts').execute();
    },
  };
}

/**
 * Campaigns' infected hosts (one row per host under the campaign's identity rule), the days each
 * host was seen infected, and external evidence imported into a campaign (Shadowserver-style
 * CSV, IntelMQ JSON). The `campaigns` table of 0001 keeps the definition (JSON).
 */
function campaignHosts(dialect: Dialect): Migration {
  const t = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.createTable('campaign_hosts')
        .addColumn('campaign_id', t.big, (c) => c.notNull())
        .addColumn('host_key', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text')
        .addColumn('sensor_ids', 'text', (c) => c.notNull())
        .addColumn('feeds', 'text', (c) => c.notNull())
        .addColumn('country', 'text')
        .addColumn('asn', t.big)
        .addColumn('first_seen_ms', t.big, (c) => c.notNull())
        .addColumn('last_seen_ms', t.big, (c) => c.notNull())
        .addColumn('events', t.big, (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('grp', 'text', (c) => c.notNull())
        .addColumn('notify_state', 'text', (c) => c.notNull())
        .addColumn('notified_ms', t.big)
        .addColumn('scope', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('campaign_hosts_pk', ['campaign_id', 'host_key'])
        .execute();
      await db.schema.createTable('campaign_host_days')
        .addColumn('campaign_id', t.big, (c) => c.notNull())
        .addColumn('host_key', 'text', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('sightings', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('campaign_host_days_pk', ['campaign_id', 'host_key', 'day'])
        .execute();
      await t.id(db.schema.createTable('campaign_evidence'))
        .addColumn('campaign_id', t.big, (c) => c.notNull())
        .addColumn('feed', 'text', (c) => c.notNull())
        .addColumn('ts', t.big, (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('port', 'integer')
        .addColumn('country', 'text')
        .addColumn('asn', t.big)
        .addColumn('malware', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('campaign_evidence_campaign').on('campaign_evidence').columns(['campaign_id', 'ts']).execute();
    },
  };
}

/** The sensor's device behaviour baselines (devices/baseline.ts), one JSON state per sensor, kept across restarts. */
function deviceBaselines(dialect: Dialect): Migration {
  const t = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.createTable('device_baselines')
        .addColumn('sensor_id', t.big, (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('updated_ms', t.big, (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * Scan rows gain a kind ('finding', or 'host': a live host with its services) and details
 * (JSON: a finding's remediation and service, a host's open ports), so the dashboard's Scans
 * view shows hosts, services and findings with their fixes. Existing rows are findings.
 */
function scanDetails(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('scan_results').addColumn('kind', 'text', (c) => c.notNull().defaultTo('finding')).execute();
      await db.schema.alterTable('scan_results').addColumn('details', 'text').execute();
      await db.schema.createIndex('scan_results_kind_target').on('scan_results').columns(['kind', 'target_ip', 'ts']).execute();
    },
  };
}

/** Notification messages keyed by their stable id, so a delivery-funnel update (by hand or webhook) finds its row. */
const notificationMessageId: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('notifications').addColumn('message_id', 'text').execute();
    await db.schema.createIndex('notifications_message_id').unique().on('notifications').column('message_id').execute();
  },
};

/**
 * A campaign host's infected days in its own row, as text runs ("20003+11,20040": day 20003 and
 * the 11 after it, then day 20040): a report over a million hosts reads one row per host, not
 * one per host-day, and text costs the reader no buffer per row.
 */
const campaignHostDaysText: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('campaign_hosts').addColumn('days', 'text').execute();
  },
};

/**
 * Incidents gain the detector of their alerts, so the inbox filters incidents by detector.
 * Incidents stored before have none (null: shown as "—", matched by no detector filter) until
 * their next alert fills it in.
 */
function incidentDetector(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('incidents').addColumn('detector', 'text').execute();
    },
  };
}

/**
 * Telescope rows gain a kind: 'interval' (per-interval statistics, which report trends add up)
 * or 'run' (a whole run's summary with its presentation data, which the dashboard draws); both
 * arrive as `telescope` events, and adding the two would count every packet twice. The kind joins
 * the unique key (a run may start on an interval boundary); SQLite cannot change a table's
 * constraints, so the table is rebuilt (rows keep everything but their id).
 */
function telescopeKind(dialect: Dialect): Migration {
  const t = types(dialect);
  const cols = ['org_id', 'sensor_id', 'start_ms', 'end_ms', 'packets', 'sources', 'sketch', 'summary', 'scope'];
  return {
    async up(db: AnyDb) {
      await telescopeIntervalColumns(t, t.id(db.schema.createTable('telescope_intervals_v2')))
        .addColumn('kind', 'text', (c) => c.notNull().defaultTo('interval'))
        .addUniqueConstraint('telescope_sensor_kind_start', ['sensor_id', 'kind', 'start_ms'])
        .execute();
      await sql`INSERT INTO telescope_intervals_v2 (${sql.raw(cols.join(', '))}) SELECT ${sql.raw(cols.join(', '))} FROM telescope_intervals ORDER BY id`.execute(db);
      await db.schema.dropTable('telescope_intervals').execute();
      await db.schema.alterTable('telescope_intervals_v2').renameTo('telescope_intervals').execute();
      await db.schema.createIndex('telescope_start').on('telescope_intervals').column('start_ms').execute();
    },
  };
}

/**
 * Comments on an incident: who wrote what and when (the author's user name, kept when the user
 * is deleted). Deleted with their incident by retention.
 */
function incidentComments(dialect: Dialect): Migration {
  const t = types(dialect);
  return {
    async up(db: AnyDb) {
      await t.id(db.schema.createTable('incident_comments'))
        .addColumn('incident_id', t.big, (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('incident_comments_incident').on('incident_comments').columns(['incident_id', 'id']).execute();
    },
  };
}

/**
 * Incidents gain the country of their alerts' public address, so the inbox filters incidents by
 * country. Incidents stored before have none until their next alert fills it in.
 */
const incidentCountry: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('incidents').addColumn('country', 'text').execute();
  },
};

/** FROM-clause item: one row per organisation id of a scope string (",1,4,"), as `o.value`. */
function scopeOrgs(dialect: Dialect, column: string): string {
  return dialect === 'postgres'
    ? `unnest(string_to_array(trim(both ',' from ${column}), ',')::bigint[]) AS o(value)`
    : `json_each('[' || substr(${column}, 2, length(${column}) - 2) || ']') AS o`;
}

/** `a.k = b.k AND …` over the roll-up key without the detector. */
function sameRollupKey(a: string, b: string): string {
  return ['bucket', 'scope_org', 'sensor_id', 'event_type', 'signature_id', 'severity', 'country', 'asn'].map((k) => `${a}.${k} = ${b}.${k}`).join(' AND ');
}

/**
 * The roll-ups gain a detector dimension (the `minewatch.detector` of the events, as stored in
 * the events' own column since 0001 and in incidents since 0007) and a count of the incidents
 * each row's alerts opened, so the overview draws alerts and incidents by detector from the
 * roll-ups alone. The detector joins the primary key (SQLite cannot change a table's key: the
 * tables are rebuilt; PostgreSQL swaps the constraint).
 *
 * Backfill, in bulk statements over temporary tables (no per-row round trips):
 * - counts: the raw events still stored are counted again per roll-up key and detector; those
 *   counts move from the detector-less row to rows of their detector. What no stored event
 *   explains any more (raw events outlived by their roll-ups) stays under detector ''.
 * - incidents: each stored incident is counted once, in the bucket of its first alert, on the
 *   row of that alert when it is still stored (else on a row of the incident's own severity and
 *   country with no events, count 0).
 */
function rollupDetector(dialect: Dialect): Migration {
  const t = types(dialect);
  const pg = dialect === 'postgres';
  const oldKey = ['scope_org', 'bucket', 'sensor_id', 'event_type', 'signature_id', 'severity', 'country', 'asn'] as const;
  const key = [...oldKey, 'detector'] as const;
  const dims = 'sensor_id, event_type, signature_id, severity, country, asn, detector';
  return {
    async up(db: AnyDb) {
      const run = (q: string) => sql.raw(q).execute(db);
      for (const name of ROLLUPS) {
        if (pg) {
          await run(`ALTER TABLE ${name} ADD COLUMN detector text NOT NULL DEFAULT '', ADD COLUMN incidents bigint NOT NULL DEFAULT 0`);
          await run(`ALTER TABLE ${name} DROP CONSTRAINT ${name}_pk, ADD CONSTRAINT ${name}_pk PRIMARY KEY (${key.join(', ')})`);
        } else {
          await rollupColumns(t, db.schema.createTable(`${name}_v2`))
            .addColumn('detector', 'text', (c) => c.notNull().defaultTo(''))
            .addColumn('incidents', t.big, (c) => c.notNull().defaultTo(0))
            .addPrimaryKeyConstraint(`${name}_pk`, [...key])
            .execute();
          const cols = 'bucket, scope_org, sensor_id, event_type, signature_id, severity, country, asn, count';
          await run(`INSERT INTO ${name}_v2 (${cols}) SELECT ${cols} FROM ${name}`);
          await db.schema.dropTable(name).execute();
          await db.schema.alterTable(`${name}_v2`).renameTo(name).execute();
        }
      }

      // the raw events with a detector, counted per (hour, day, key, scope): the scopes expand below
      await run(`CREATE TEMP TABLE rollup_backfill_events AS
        SELECT ts - (ts % ${HOUR}) AS hour, ts - (ts % ${DAY}) AS day, sensor_id, event_type, coalesce(signature_id, 0) AS signature_id,
          coalesce(severity, 0) AS severity, coalesce(country, '') AS country, coalesce(asn, 0) AS asn, detector, scope, count(*) AS n
        FROM events WHERE detector IS NOT NULL AND detector <> ''
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`);
      // the stored incidents, each with the key of its first alert when that event is still stored
      // (PostgreSQL: one probe per incident through LATERAL; SQLite has none: one per column)
      const firstAlert = `FROM events e WHERE e.event_type = 'alert' AND e.ts = i.first_ms
        AND e.sensor_id = i.sensor_id AND e.signature_id = i.signature_id AND e.src_ip = i.src_ip ORDER BY e.id LIMIT 1`;
      const opener = (col: string, dflt: string, otherwise: string) => (pg
        ? `CASE WHEN o.found THEN coalesce(o.${col}, ${dflt}) ELSE ${otherwise} END`
        : `coalesce((SELECT coalesce(e.${col}, ${dflt}) ${firstAlert}), ${otherwise})`);
      await run(`CREATE TEMP TABLE rollup_backfill_incidents AS
        SELECT i.first_ms, i.sensor_id, 'alert' AS event_type, i.signature_id, ${opener('severity', '0', 'i.severity')} AS severity,
          ${opener('country', `''`, `coalesce(i.country, '')`)} AS country, ${opener('asn', '0', '0')} AS asn, coalesce(i.detector, '') AS detector, i.scope
        FROM incidents i${pg ? ` LEFT JOIN LATERAL (SELECT true AS found, e.severity, e.country, e.asn ${firstAlert}) o ON true` : ''}`);
      for (const [name, step, col] of [['rollup_hourly', HOUR, 'hour'], ['rollup_daily', DAY, 'day']] as const) {
        const perScope = (from: string, bucket: string, n: string) => `SELECT ${bucket} AS bucket, 0 AS scope_org, ${dims}, ${n} AS n FROM ${from}
          UNION ALL SELECT ${bucket}, o.value, ${dims}, ${n} FROM ${from}, ${scopeOrgs(dialect, `${from}.scope`)}`;
        await run(`CREATE TEMP TABLE rollup_backfill AS SELECT bucket, scope_org, ${dims}, sum(n) AS n
          FROM (${perScope('rollup_backfill_events', col, 'n')}) x GROUP BY bucket, scope_org, ${dims}`);
        // only rows the roll-up still has (it may have outlived, or been outlived by, the raw events)
        await run(`DELETE FROM rollup_backfill WHERE NOT EXISTS (SELECT 1 FROM ${name} r WHERE r.detector = '' AND ${sameRollupKey('r', 'rollup_backfill')})`);
        await run(`INSERT INTO ${name} (bucket, scope_org, ${dims}, count, incidents) SELECT bucket, scope_org, ${dims}, n, 0 FROM rollup_backfill`);
        await run(`UPDATE ${name} SET count = ${name}.count - s.n
          FROM (SELECT bucket, scope_org, sensor_id, event_type, signature_id, severity, country, asn, sum(n) AS n FROM rollup_backfill
                GROUP BY bucket, scope_org, sensor_id, event_type, signature_id, severity, country, asn) s
          WHERE ${name}.detector = '' AND ${sameRollupKey(name, 's')}`);
        await run(`DELETE FROM ${name} WHERE detector = '' AND count <= 0`);
        await run('DROP TABLE rollup_backfill');
        await run(`INSERT INTO ${name} (bucket, scope_org, ${dims}, count, incidents)
          SELECT bucket, scope_org, ${dims}, 0, sum(n) FROM (${perScope('rollup_backfill_incidents', `first_ms - (first_ms % ${step})`, '1')}) x
          WHERE true GROUP BY bucket, scope_org, ${dims}
          ON CONFLICT (${key.join(', ')}) DO UPDATE SET incidents = ${name}.incidents + excluded.incidents`);
      }
      await run('DROP TABLE rollup_backfill_events');
      await run('DROP TABLE rollup_backfill_incidents');
    },
    /** Back to 0010's roll-ups: counts summed over the detectors, incidents dropped. */
    async down(db: AnyDb) {
      const run = (q: string) => sql.raw(q).execute(db);
      const key8 = oldKey.join(', ');
      for (const name of ROLLUPS) {
        await run(`CREATE TEMP TABLE rollup_collapsed AS SELECT ${key8}, sum(count) AS count FROM ${name} GROUP BY ${key8} HAVING sum(count) > 0`);
        await db.schema.dropTable(name).execute();
        await rollupColumns(t, db.schema.createTable(name)).addPrimaryKeyConstraint(`${name}_pk`, [...oldKey]).execute();
        await run(`INSERT INTO ${name} (${key8}, count) SELECT ${key8}, count FROM rollup_collapsed`);
        await run('DROP TABLE rollup_collapsed');
      }
    },
  };
}

/**
 * Auto-archive rules for known noise, per organisation, and on incidents the rule that archived
 * them (so the inbox can say which). Rules are read per ingested batch by organisation.
 */
function archiveRules(dialect: Dialect): Migration {
  const t = types(dialect);
  return {
    async up(db: AnyDb) {
      await t.id(db.schema.createTable('archive_rules'))
        .addColumn('org_id', t.big, (c) => c.notNull())
        .addColumn('signature_id', t.big)
        .addColumn('detector', 'text')
        .addColumn('sensor_id', t.big)
        .addColumn('src_cidr', 'text')
        .addColumn('dest_cidr', 'text')
        .addColumn('country', 'text')
        .addColumn('severity_min', 'integer')
        .addColumn('comment', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_ms', t.big, (c) => c.notNull())
        .addColumn('hits', t.big, (c) => c.notNull().defaultTo(0))
        .addColumn('last_hit_ms', t.big)
        .execute();
      await db.schema.createIndex('archive_rules_org').on('archive_rules').columns(['org_id', 'enabled']).execute();
      await db.schema.alterTable('incidents').addColumn('archived_rule', t.big).execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable('incidents').dropColumn('archived_rule').execute();
      await db.schema.dropTable('archive_rules').execute();
    },
  };
}

/**
 * A notification message's scope: the union of the scopes of the campaign hosts it carried
 * (",1,4,", as on events), so an organisation's user sees the delivery funnel of the messages
 * about its constituency only, as it sees only those hosts in the package. Messages recorded
 * before have none and are shown to collector-wide users only.
 */
const notificationScope: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('notifications').addColumn('scope', 'text').execute();
  },
  async down(db: AnyDb) {
    await db.schema.alterTable('notifications').dropColumn('scope').execute();
  },
};

/**
 * An alert's cause (sensor, signature, source address) over time, for alerts only: the
 * evidence drill-down reads an incident's alerts (incidents are keyed by exactly these) and the
 * device page a device's anomaly alerts, newest first and paged, without walking every alert
 * of the incident's time span. On PostgreSQL the index on the partitioned table is created on
 * every partition, present and future.
 */
const alertCauseIndex: Migration = {
  async up(db: AnyDb) {
    await db.schema.createIndex('events_alert_cause').on('events').columns(['sensor_id', 'signature_id', 'src_ip', 'ts', 'id'])
      .where(sql.ref('event_type'), '=', 'alert').execute();
  },
  async down(db: AnyDb) {
    await db.schema.dropIndex('events_alert_cause').execute();
  },
};

export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initial(dialect), '0002_campaign_hosts': campaignHosts(dialect), '0003_notification_message_id': notificationMessageId,
    '0004_campaign_host_days': campaignHostDaysText, '0005_device_baselines': deviceBaselines(dialect), '0006_scan_details': scanDetails(),
    '0007_incident_detector': incidentDetector(), '0008_telescope_kind': telescopeKind(dialect),
    '0009_incident_comments': incidentComments(dialect), '0010_incident_country': incidentCountry, '0011_rollup_detector': rollupDetector(dialect),
    '0012_archive_rules': archiveRules(dialect), '0013_notification_scope': notificationScope, '0014_alert_cause_index': alertCauseIndex,
  };
}

export async function migrate(db: AnyDb, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations(dialect) } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
