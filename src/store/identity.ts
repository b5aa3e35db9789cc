/**
 * Identity and access records: organisations with their constituency, users (argon2id
 * password hashes, failed-login counter and lock-out), sessions, sensors and their ingest
 * tokens (stored as SHA-256; the token is shown once), and the audit log. The HTTP API and
 * `minewatch admin` call these same functions.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';
import { InputError } from '../util/errors.js';
import type { Store } from './open.js';
import { ROLES, type Role } from './schema.js';
import { normaliseConstituency, type Constituency } from './scope.js';

export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_MS = 15 * 60_000;
export const SESSION_MS = 12 * 3_600_000;
export const DEFAULT_ORG = 'default';

export interface Org {
  id: number;
  name: string;
  constituency: Constituency;
}

export interface User {
  id: number;
  name: string;
  role: Role;
  orgId: number | null;
  orgName: string | null;
  mustChangePassword: boolean;
}

export interface SensorPrincipal {
  tokenId: number;
  orgId: number;
  sensorId: number;
  sensorName: string;
}

/** A unique key said no (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY): someone else was first. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const now = () => Date.now();
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function checkName(kind: string, name: string): void {
  if (!NAME.test(name)) throw new InputError(`${kind}.bad-name`, `${kind} name "${name.slice(0, 70)}" must be 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`, { subject: 'name' });
}

export function checkPassword(password: string): void {
  if (password.length < 12) throw new InputError('user.weak-password', 'password must be at least 12 characters', { subject: 'password' });
  if (password.length > 1024) throw new InputError('user.long-password', 'password must be at most 1024 characters', { subject: 'password' });
}

export async function hashPassword(password: string): Promise<string> {
  return argonHash(password, { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
}

// a fixed hash to verify against for unknown users, so timing does not reveal which names exist
let dummyHash: Promise<string> | null = null;

function toOrg(r: { id: number; name: string; countries: string; asns: string; prefixes: string; sensor_names: string }): Org {
  const p = <T>(s: string): T[] => JSON.parse(s) as T[];
  return { id: r.id, name: r.name, constituency: { countries: p(r.countries), asns: p(r.asns), prefixes: p(r.prefixes), sensorNames: p(r.sensor_names) } };
}

export async function audit(store: Store, actor: string, action: string, subject: string, detail: Record<string, unknown> = {}, ip: string | null = null): Promise<void> {
  await store.db.insertInto('audit_log').values({ ts: now(), actor, action, subject, detail: JSON.stringify(detail), ip }).execute();
}

export async function listAudit(store: Store, limit = 100): Promise<Array<{ id: number; ts: number; actor: string; action: string; subject: string; detail: unknown; ip: string | null }>> {
  const rows = await store.read.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown }));
}

export async function createOrg(store: Store, name: string, c: Parameters<typeof normaliseConstituency>[0], actor = 'system'): Promise<Org> {
  checkName('org', name);
  const con = normaliseConstituency(c);
  const exists = await store.db.selectFrom('organisations').select('id').where('name', '=', name).executeTakeFirst();
  if (exists) throw new InputError('org.exists', `organisation "${name}" already exists`, { subject: name });
  const row = await store.db.insertInto('organisations').values({
    name, countries: JSON.stringify(con.countries), asns: JSON.stringify(con.asns), prefixes: JSON.stringify(con.prefixes),
    sensor_names: JSON.stringify(con.sensorNames), created_ms: now(),
  }).returning('id').executeTakeFirstOrThrow().catch((err: unknown) => {
    throw isUniqueViolation(err) ? new InputError('org.exists', `organisation "${name}" already exists`, { subject: name }) : err;
  });
  await audit(store, actor, 'org.create', name, { ...con });
  return { id: Number(row.id), name, constituency: con };
}

export async function listOrgs(store: Store): Promise<Org[]> {
  const rows = await store.read.selectFrom('organisations').selectAll().orderBy('name').execute();
  return rows.map(toOrg);
}

export async function findOrg(store: Store, name: string): Promise<Org> {
  const r = await store.db.selectFrom('organisations').selectAll().where('name', '=', name).executeTakeFirst();
  if (!r) throw new InputError('org.unknown', `no organisation "${name}" (create it with: minewatch admin org add ${name})`, { subject: name });
  return toOrg(r);
}

export async function orgById(store: Store, id: number): Promise<Org | null> {
  const r = await store.db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toOrg(r) : null;
}

async function orCreateDefaultOrg(store: Store, actor: string): Promise<Org> {
  const r = await store.db.selectFrom('organisations').selectAll().where('name', '=', DEFAULT_ORG).executeTakeFirst();
  if (r) return toOrg(r);
  try {
    return await createOrg(store, DEFAULT_ORG, {}, actor);
  } catch (err) {
    // created at the same moment by another request
    if (err instanceof InputError && err.code === 'org.exists') return findOrg(store, DEFAULT_ORG);
    throw err;
  }
}

export async function createUser(store: Store, u: { name: string; role: string; org?: string | null; password: string; mustChange?: boolean }, actor = 'system'): Promise<User> {
  checkName('user', u.name);
  if (!ROLES.includes(u.role as Role)) throw new InputError('user.bad-role', `role "${u.role}" is not one of ${ROLES.join(', ')}`, { subject: 'role' });
  checkPassword(u.password);
  const org = u.org ? await findOrg(store, u.org) : null;
  const exists = await store.db.selectFrom('users').select('id').where('name', '=', u.name).executeTakeFirst();
  if (exists) throw new InputError('user.exists', `user "${u.name}" already exists`, { subject: u.name });
  const row = await store.db.insertInto('users').values({
    name: u.name, role: u.role as Role, org_id: org?.id ?? null, password_hash: await hashPassword(u.password),
    must_change_password: u.mustChange ? 1 : 0, failed_logins: 0, locked_until_ms: 0, created_ms: now(),
  }).returning('id').executeTakeFirstOrThrow().catch((err: unknown) => {
    throw isUniqueViolation(err) ? new InputError('user.exists', `user "${u.name}" already exists`, { subject: u.name }) : err;
  });
  await audit(store, actor, 'user.create', u.name, { role: u.role, org: org?.name ?? null });
  return { id: Number(row.id), name: u.name, role: u.role as Role, orgId: org?.id ?? null, orgName: org?.name ?? null, mustChangePassword: !!u.mustChange };
}

export async function listUsers(store: Store, orgId?: number | null): Promise<Array<User & { locked: boolean; createdMs: number }>> {
  let q = store.read.selectFrom('users').leftJoin('organisations', 'organisations.id', 'users.org_id')
    .select(['users.id', 'users.name', 'users.role', 'users.org_id', 'organisations.name as org_name', 'users.must_change_password', 'users.locked_until_ms', 'users.created_ms'])
    .orderBy('users.name');
  if (orgId !== undefined && orgId !== null) q = q.where('users.org_id', '=', orgId);
  const rows = await q.execute();
  const t = now();
  return rows.map((r) => ({
    id: r.id, name: r.name, role: r.role, orgId: r.org_id, orgName: r.org_name ?? null, mustChangePassword: r.must_change_password === 1,
    locked: r.locked_until_ms > t, createdMs: r.created_ms,
  }));
}

export async function userById(store: Store, id: number): Promise<User | null> {
  const r = await store.db.selectFrom('users').leftJoin('organisations', 'organisations.id', 'users.org_id')
    .select(['users.id', 'users.name', 'users.role', 'users.org_id', 'organisations.name as org_name', 'users.must_change_password'])
    .where('users.id', '=', id).executeTakeFirst();
  return r ? { id: r.id, name: r.name, role: r.role, orgId: r.org_id, orgName: r.org_name ?? null, mustChangePassword: r.must_change_password === 1 } : null;
}

export async function deleteUser(store: Store, name: string, actor: string): Promise<void> {
  const r = await store.db.deleteFrom('users').where('name', '=', name).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new InputError('user.unknown', `no user "${name}"`, { subject: name });
  await audit(store, actor, 'user.delete', name);
}

export async function setPassword(store: Store, name: string, password: string, actor: string): Promise<void> {
  checkPassword(password);
  const r = await store.db.updateTable('users').set({ password_hash: await hashPassword(password), must_change_password: 0, failed_logins: 0, locked_until_ms: 0 })
    .where('name', '=', name).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new InputError('user.unknown', `no user "${name}"`, { subject: name });
  const u = await store.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  await store.db.deleteFrom('sessions').where('user_id', '=', u.id).execute();
  await audit(store, actor, 'user.password', name);
}

export type LoginResult = { ok: true; user: User } | { ok: false; reason: 'invalid' | 'locked'; retryAfterMs?: number };

/** Checks a password; counts failures and locks the account for LOCKOUT_MS after LOCKOUT_FAILURES. */
export async function verifyLogin(store: Store, name: string, password: string, ip: string | null = null): Promise<LoginResult> {
  const r = await store.db.selectFrom('users').select(['id', 'password_hash', 'failed_logins', 'locked_until_ms']).where('name', '=', name).executeTakeFirst();
  const t = now();
  if (!r) {
    dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await argonVerify(await dummyHash, password).catch(() => false);
    return { ok: false, reason: 'invalid' };
  }
  if (r.locked_until_ms > t) return { ok: false, reason: 'locked', retryAfterMs: r.locked_until_ms - t };
  const ok = await argonVerify(r.password_hash, password).catch(() => false);
  if (!ok) {
    const failed = r.failed_logins + 1;
    const lock = failed >= LOCKOUT_FAILURES;
    await store.db.updateTable('users').set({ failed_logins: lock ? 0 : failed, locked_until_ms: lock ? t + LOCKOUT_MS : r.locked_until_ms }).where('id', '=', r.id).execute();
    if (lock) await audit(store, 'system', 'user.locked', name, { failures: failed }, ip);
    return { ok: false, reason: lock ? 'locked' : 'invalid', ...(lock ? { retryAfterMs: LOCKOUT_MS } : {}) };
  }
  if (r.failed_logins !== 0) await store.db.updateTable('users').set({ failed_logins: 0 }).where('id', '=', r.id).execute();
  const user = await userById(store, r.id);
  return user ? { ok: true, user } : { ok: false, reason: 'invalid' };
}

export async function createSession(store: Store, userId: number): Promise<{ cookie: string; csrf: string; expiresMs: number }> {
  const cookie = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  const t = now();
  await store.db.deleteFrom('sessions').where('expires_ms', '<', t).execute();
  await store.db.insertInto('sessions').values({ id: sha256(cookie), user_id: userId, csrf, created_ms: t, expires_ms: t + SESSION_MS }).execute();
  return { cookie, csrf, expiresMs: t + SESSION_MS };
}

export async function sessionUser(store: Store, cookie: string): Promise<{ user: User; csrf: string } | null> {
  if (cookie.length === 0 || cookie.length > 128) return null;
  const s = await store.db.selectFrom('sessions').select(['user_id', 'csrf', 'expires_ms']).where('id', '=', sha256(cookie)).executeTakeFirst();
  if (!s || s.expires_ms < now()) return null;
  const user = await userById(store, s.user_id);
  return user ? { user, csrf: s.csrf } : null;
}

export async function deleteSession(store: Store, cookie: string): Promise<void> {
  await store.db.deleteFrom('sessions').where('id', '=', sha256(cookie)).execute();
}

/** Same-length constant-time comparison for CSRF tokens. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function ensureSensor(store: Store, orgId: number, name: string): Promise<number> {
  checkName('sensor', name);
  const r = await store.db.selectFrom('sensors').select('id').where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
  if (r) return r.id;
  try {
    const ins = await store.db.insertInto('sensors').values({
      org_id: orgId, name, created_ms: now(), last_seen_ms: null, last_event_ms: null, events_total: 0, batches_total: 0, duplicates_total: 0,
    }).returning('id').executeTakeFirstOrThrow();
    return Number(ins.id);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // registered at the same moment by another request
    return (await store.db.selectFrom('sensors').select('id').where('org_id', '=', orgId).where('name', '=', name).executeTakeFirstOrThrow()).id;
  }
}

export interface TokenInfo {
  id: number;
  prefix: string;
  org: string;
  sensor: string;
  createdMs: number;
  revokedMs: number | null;
  lastUsedMs: number | null;
}

/** Creates a sensor token (and the sensor, and the default organisation, when needed). The token is returned once. */
export async function createToken(store: Store, sensor: string, orgName: string | null, actor = 'system'): Promise<{ token: string; info: TokenInfo }> {
  const org = orgName ? await findOrg(store, orgName) : await orCreateDefaultOrg(store, actor);
  const sensorId = await ensureSensor(store, org.id, sensor);
  const token = `mwt_${randomBytes(24).toString('base64url')}`;
  const prefix = token.slice(0, 12);
  const t = now();
  const row = await store.db.insertInto('tokens').values({ token_hash: sha256(token), prefix, org_id: org.id, sensor_id: sensorId, created_ms: t, revoked_ms: null, last_used_ms: null })
    .returning('id').executeTakeFirstOrThrow();
  await audit(store, actor, 'token.create', `${org.name}/${sensor}`, { token_id: Number(row.id), prefix });
  return { token, info: { id: Number(row.id), prefix, org: org.name, sensor, createdMs: t, revokedMs: null, lastUsedMs: null } };
}

export async function listTokens(store: Store, orgId?: number | null): Promise<TokenInfo[]> {
  let q = store.read.selectFrom('tokens').innerJoin('sensors', 'sensors.id', 'tokens.sensor_id').innerJoin('organisations', 'organisations.id', 'tokens.org_id')
    .select(['tokens.id', 'tokens.prefix', 'organisations.name as org', 'sensors.name as sensor', 'tokens.created_ms', 'tokens.revoked_ms', 'tokens.last_used_ms'])
    .orderBy('tokens.id');
  if (orgId !== undefined && orgId !== null) q = q.where('tokens.org_id', '=', orgId);
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, prefix: r.prefix, org: r.org, sensor: r.sensor, createdMs: r.created_ms, revokedMs: r.revoked_ms, lastUsedMs: r.last_used_ms }));
}

/** Revokes by id or by the printed prefix; returns the token's organisation id. */
export async function revokeToken(store: Store, idOrPrefix: string, actor = 'system', onlyOrg: number | null = null): Promise<TokenInfo> {
  const all = await listTokens(store);
  const t = all.find((x) => String(x.id) === idOrPrefix || x.prefix === idOrPrefix);
  if (!t) throw new InputError('token.unknown', `no token with id or prefix "${idOrPrefix.slice(0, 20)}" (see: minewatch admin token list)`, { subject: idOrPrefix });
  if (onlyOrg !== null) {
    const org = await findOrg(store, t.org);
    if (org.id !== onlyOrg) throw new InputError('token.unknown', `no token with id or prefix "${idOrPrefix.slice(0, 20)}"`, { subject: idOrPrefix });
  }
  await store.db.updateTable('tokens').set({ revoked_ms: now() }).where('id', '=', t.id).where('revoked_ms', 'is', null).execute();
  await audit(store, actor, 'token.revoke', `${t.org}/${t.sensor}`, { token_id: t.id, prefix: t.prefix });
  tokenCache.clear();
  return { ...t, revokedMs: t.revokedMs ?? now() };
}

const tokenCache = new Map<string, { p: SensorPrincipal | null; until: number }>();
/** Positive and negative lookups are cached this long (a revocation from another process takes effect within it). */
export const TOKEN_CACHE_MS = 5_000;

/** The sensor a bearer token ingests as, or null (unknown or revoked). */
export async function authenticateToken(store: Store, token: string): Promise<SensorPrincipal | null> {
  if (!token.startsWith('mwt_') || token.length > 100) return null;
  const h = sha256(token);
  const t = now();
  const c = tokenCache.get(h);
  if (c && c.until > t) return c.p;
  const r = await store.db.selectFrom('tokens').innerJoin('sensors', 'sensors.id', 'tokens.sensor_id')
    .select(['tokens.id', 'tokens.org_id', 'tokens.sensor_id', 'sensors.name', 'tokens.revoked_ms'])
    .where('tokens.token_hash', '=', h).executeTakeFirst();
  const p = r && r.revoked_ms === null ? { tokenId: r.id, orgId: r.org_id, sensorId: r.sensor_id, sensorName: r.name } : null;
  if (tokenCache.size > 10_000) tokenCache.clear();
  tokenCache.set(h, { p, until: t + TOKEN_CACHE_MS });
  if (p) await store.db.updateTable('tokens').set({ last_used_ms: t }).where('id', '=', p.tokenId).execute();
  return p;
}

/**
 * First start: when there is no user at all, creates `admin` (an operator of the whole
 * collector) with a random one-time password, to be changed at first login. Returns the
 * password, or null when users exist.
 */
export async function ensureFirstAdmin(store: Store): Promise<string | null> {
  const any = await store.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return null;
  const password = randomBytes(15).toString('base64url');
  await createUser(store, { name: 'admin', role: 'admin', org: null, password, mustChange: true }, 'system');
  return password;
}
