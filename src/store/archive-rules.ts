/**
 * Auto-archive rules for known noise (EveBox's auto-archive filters): per organisation, each
 * rule names some of an incident's cause keys — signature, detector, sensor, device (source
 * address or CIDR), peer (destination address or CIDR), country, and a severity floor — and a
 * new incident of the organisation's own sensors that meets every condition is stored archived
 * by the ingest writer (events.ts), attributed to the rule. A rule applies to the incidents of
 * its organisation's sensors, not to other organisations' incidents it may see through its
 * constituency: an incident has one status for everyone who sees it.
 */
import { InputError } from '../util/errors.js';
import { cidrContains, formatCidr, parseCidrStrict, parseIp, type Cidr, type IpAddress } from '../util/ip.js';
import type { Store } from './open.js';
import type { ArchiveRuleTable } from './schema.js';

/** The conditions of a rule (absent or null: any). */
export interface ArchiveRuleConditions {
  signature_id?: number | null;
  detector?: string | null;
  sensor_id?: number | null;
  src_cidr?: string | null;
  dest_cidr?: string | null;
  country?: string | null;
  severity_min?: number | null;
}

export const RULE_CONDITIONS = ['signature_id', 'detector', 'sensor_id', 'src_cidr', 'dest_cidr', 'country', 'severity_min'] as const;

export interface ArchiveRule {
  id: number; org_id: number;
  signature_id: number | null; detector: string | null; sensor_id: number | null; src_cidr: string | null; dest_cidr: string | null;
  country: string | null; severity_min: number | null;
  comment: string | null; enabled: boolean; created_by: string; created_ms: number; hits: number; last_hit_ms: number | null;
}

/** What a rule is matched against: an incident's cause keys. */
export interface IncidentCause {
  signature_id: number; detector: string | null; sensor_id: number; src_ip: string; dest_ip: string | null; country: string | null; severity: number;
}

/** Most rules an organisation may have: each is checked against every new incident of a batch. */
export const MAX_RULES_PER_ORG = 500;

/** Most open incidents "apply to existing" reads and archives in one request. */
export const APPLY_LIMIT = 10_000;

function cidrOf(text: string, field: 'src_cidr' | 'dest_cidr'): Cidr {
  const c = parseCidrStrict(text.trim(), 'clear');
  if (typeof c === 'string') throw new InputError('archive-rule.bad-cidr', `${field}: "${text.slice(0, 60)}" is not an address or CIDR (e.g. 192.0.2.7 or 198.51.100.0/24)`, { subject: field });
  return c;
}

/** Validates and normalises a rule's conditions: at least one, CIDRs in canonical form, the country upper-case. */
export function normaliseConditions(c: ArchiveRuleConditions): Required<ArchiveRuleConditions> {
  const out: Required<ArchiveRuleConditions> = {
    signature_id: c.signature_id ?? null, detector: c.detector?.trim() || null, sensor_id: c.sensor_id ?? null,
    src_cidr: c.src_cidr ? formatCidr(cidrOf(c.src_cidr, 'src_cidr')) : null, dest_cidr: c.dest_cidr ? formatCidr(cidrOf(c.dest_cidr, 'dest_cidr')) : null,
    country: c.country?.trim().toUpperCase() || null, severity_min: c.severity_min ?? null,
  };
  if (out.country !== null && !/^[A-Z]{2}$/.test(out.country)) throw new InputError('archive-rule.bad-country', `country "${out.country.slice(0, 20)}" is not an ISO 3166 alpha-2 code (e.g. TH)`, { subject: 'country' });
  if (RULE_CONDITIONS.every((k) => out[k] === null)) {
    throw new InputError('archive-rule.no-condition', `a rule needs at least one condition (${RULE_CONDITIONS.join(', ')}): one without would archive everything`);
  }
  return out;
}

/** A rule from its row (either database's numeric types). */
export function toRule(r: Omit<ArchiveRuleTable, 'id'> & { id: number }): ArchiveRule {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: Number(r.id), org_id: Number(r.org_id), signature_id: n(r.signature_id), detector: r.detector, sensor_id: n(r.sensor_id), src_cidr: r.src_cidr, dest_cidr: r.dest_cidr,
    country: r.country, severity_min: n(r.severity_min), comment: r.comment, enabled: Number(r.enabled) === 1, created_by: r.created_by,
    created_ms: Number(r.created_ms), hits: Number(r.hits), last_hit_ms: n(r.last_hit_ms),
  };
}

/** Rules compiled once per batch: each incident is checked against them in id order; the oldest matching rule wins. */
export class ArchiveRuleMatcher {
  private readonly rules: Array<{ rule: ArchiveRule; src: Cidr | null; dest: Cidr | null }>;

  constructor(rules: readonly ArchiveRule[]) {
    this.rules = [];
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const src = rule.src_cidr ? parseCidrStrict(rule.src_cidr) : null;
      const dest = rule.dest_cidr ? parseCidrStrict(rule.dest_cidr) : null;
      // validated when stored; a hand-edited row with a bad address matches nothing
      if (typeof src === 'string' || typeof dest === 'string') continue;
      this.rules.push({ rule, src, dest });
    }
  }

  get size(): number {
    return this.rules.length;
  }

  /** The id of the first rule the incident meets, or null. */
  match(c: IncidentCause): number | null {
    // each address is parsed once per incident, and only when a rule gets as far as it
    let srcIp: IpAddress | null | undefined;
    let destIp: IpAddress | null | undefined;
    for (const { rule: r, src, dest } of this.rules) {
      if (r.signature_id !== null && r.signature_id !== c.signature_id) continue;
      if (r.detector !== null && r.detector !== c.detector) continue;
      if (r.sensor_id !== null && r.sensor_id !== c.sensor_id) continue;
      if (r.country !== null && r.country !== c.country) continue;
      if (r.severity_min !== null && c.severity < r.severity_min) continue;
      if (src && !((srcIp ??= parseIp(c.src_ip)) && cidrContains(src, srcIp))) continue;
      if (dest && !((destIp ??= c.dest_ip === null ? null : parseIp(c.dest_ip)) && cidrContains(dest, destIp))) continue;
      return r.id;
    }
    return null;
  }
}

export const RULE_COLUMNS = ['id', 'org_id', 'signature_id', 'detector', 'sensor_id', 'src_cidr', 'dest_cidr', 'country', 'severity_min', 'comment', 'enabled', 'created_by', 'created_ms', 'hits', 'last_hit_ms'] as const;

/** The rules of one organisation, or of every organisation (null), oldest first. */
export async function listArchiveRules(store: Store, orgId: number | null, opts: { enabledOnly?: boolean } = {}): Promise<ArchiveRule[]> {
  let q = store.db.selectFrom('archive_rules').select(RULE_COLUMNS);
  if (orgId !== null) q = q.where('org_id', '=', orgId);
  if (opts.enabledOnly) q = q.where('enabled', '=', 1);
  return (await q.orderBy('id').limit(orgId === null ? 10 * MAX_RULES_PER_ORG : MAX_RULES_PER_ORG).execute()).map(toRule);
}

/** One rule, when it exists and belongs to `orgId` (null: any organisation). */
export async function getArchiveRule(store: Store, id: number, orgId: number | null): Promise<ArchiveRule | null> {
  let q = store.db.selectFrom('archive_rules').select(RULE_COLUMNS).where('id', '=', id);
  if (orgId !== null) q = q.where('org_id', '=', orgId);
  const r = await q.executeTakeFirst();
  return r ? toRule(r) : null;
}

export async function createArchiveRule(store: Store, r: ArchiveRuleConditions & { org_id: number; comment?: string | null; enabled?: boolean; created_by: string }, now = Date.now()): Promise<ArchiveRule> {
  const cond = normaliseConditions(r);
  const have = await store.db.selectFrom('archive_rules').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', r.org_id).executeTakeFirst();
  if (Number(have?.n ?? 0) >= MAX_RULES_PER_ORG) throw new InputError('archive-rule.too-many', `the organisation has ${MAX_RULES_PER_ORG} rules already: delete or widen some first`);
  const row = {
    org_id: r.org_id, ...cond, comment: r.comment?.trim() || null, enabled: r.enabled === false ? 0 : 1, created_by: r.created_by, created_ms: now, hits: 0, last_hit_ms: null,
  };
  const ins = await store.db.insertInto('archive_rules').values(row).returning('id').executeTakeFirstOrThrow();
  return toRule({ ...row, id: Number(ins.id) });
}

/** Enables or disables a rule, or changes its comment; null when it does not exist in `orgId`. */
export async function updateArchiveRule(store: Store, id: number, orgId: number | null, change: { enabled?: boolean; comment?: string | null }): Promise<ArchiveRule | null> {
  const set: { enabled?: number; comment?: string | null } = {};
  if (change.enabled !== undefined) set.enabled = change.enabled ? 1 : 0;
  if (change.comment !== undefined) set.comment = change.comment?.trim() || null;
  if (Object.keys(set).length > 0) {
    let q = store.db.updateTable('archive_rules').set(set).where('id', '=', id);
    if (orgId !== null) q = q.where('org_id', '=', orgId);
    await q.execute();
  }
  return getArchiveRule(store, id, orgId);
}

/** Deletes a rule (incidents it archived stay archived and keep its id); false when it does not exist in `orgId`. */
export async function deleteArchiveRule(store: Store, id: number, orgId: number | null): Promise<boolean> {
  let q = store.db.deleteFrom('archive_rules').where('id', '=', id);
  if (orgId !== null) q = q.where('org_id', '=', orgId);
  return Number((await q.executeTakeFirst()).numDeletedRows) > 0;
}

/**
 * Archives the organisation's open incidents the rule matches, newest first, at most `limit`
 * of them read (`truncated` says when more open candidates remained). Equality conditions run in
 * the database; address prefixes are checked here.
 */
export async function applyArchiveRule(store: Store, rule: ArchiveRule, limit = APPLY_LIMIT, now = Date.now()): Promise<{ archived: number; truncated: boolean }> {
  let q = store.db.selectFrom('incidents').select(['id', 'signature_id', 'detector', 'sensor_id', 'src_ip', 'dest_ip', 'country', 'severity'])
    .where('org_id', '=', rule.org_id).where('status', '=', 'open');
  if (rule.signature_id !== null) q = q.where('signature_id', '=', rule.signature_id);
  if (rule.detector !== null) q = q.where('detector', '=', rule.detector);
  if (rule.sensor_id !== null) q = q.where('sensor_id', '=', rule.sensor_id);
  if (rule.country !== null) q = q.where('country', '=', rule.country);
  if (rule.severity_min !== null) q = q.where('severity', '>=', rule.severity_min);
  const rows = await q.orderBy('last_ms', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  const matcher = new ArchiveRuleMatcher([{ ...rule, enabled: true }]);
  const ids = rows.slice(0, limit).filter((r) => matcher.match({ ...r, sensor_id: Number(r.sensor_id), signature_id: Number(r.signature_id) }) !== null).map((r) => Number(r.id));
  let archived = 0;
  await store.db.transaction().execute(async (tx) => {
    for (let i = 0; i < ids.length; i += 500) {
      const r = await tx.updateTable('incidents').set({ status: 'archived', archived_rule: rule.id }).where('id', 'in', ids.slice(i, i + 500)).where('status', '=', 'open').executeTakeFirst();
      archived += Number(r.numUpdatedRows);
    }
    if (archived > 0) await tx.updateTable('archive_rules').set((eb) => ({ hits: eb('hits', '+', archived), last_hit_ms: now })).where('id', '=', rule.id).execute();
  });
  return { archived, truncated: rows.length > limit };
}
