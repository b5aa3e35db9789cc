/** The store: schema, migrations, the event writer, identity records, reads and retention on SQLite or PostgreSQL. */
export type { EventBatch, EventWriter, StoredEvent, WriteResult } from './contract.js';
export { openStore, parseDatabaseUrl, defaultDatabasePath, type Store, type StoreLocation, type Dialect } from './open.js';
export { eventWriter, SqliteEventWriter, PostgresEventWriter, type Enricher, type WriterOptions } from './events.js';
export { applyRetention, eventBytes, RETENTION_DEFAULTS, type RetentionPolicy, type RetentionReport } from './retention.js';
export * from './identity.js';
export * from './queries.js';
export {
  applyArchiveRule, createArchiveRule, deleteArchiveRule, getArchiveRule, listArchiveRules, updateArchiveRule, ArchiveRuleMatcher, APPLY_LIMIT,
  type ArchiveRule, type ArchiveRuleConditions,
} from './archive-rules.js';
export { getDevice, getIncidentCause, alertsOfCause, type AlertCause, type CausePage } from './device-detail.js';
export { loadBaselineState, saveBaselineState } from './baselines.js';
export { ScopeIndex, normaliseConstituency, isPublicAddress, type Constituency } from './scope.js';
export { ROLES, INCIDENT_STATUSES, type Role, type Database, type IncidentStatus } from './schema.js';
