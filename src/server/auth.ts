/**
 * Who is calling: a sensor (Authorization: Bearer mwt_… token, ingest only), a user (the
 * HttpOnly session cookie from /api/v1/auth/login), or nobody. Checked in each route's
 * onRequest hook, before the body is read: anonymous → 401, the wrong kind or too small a
 * role → 403. Writes with a session cookie must carry the session's CSRF token in the
 * X-CSRF-Token header (a cross-site form cannot read it; SameSite=Strict is the second wall).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateToken, safeEqual, sessionUser, type Role, type Store } from '../store/index.js';
import { HttpError, type Access, type Principal } from './route.js';

export const SESSION_COOKIE = 'mw_session';
export const CSRF_HEADER = 'x-csrf-token';

export type { Principal };

const RANK: Record<Role, number> = { viewer: 1, analyst: 2, admin: 3 };

export function roleAtLeast(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min];
}

export async function resolvePrincipal(store: Store, req: FastifyRequest): Promise<Principal> {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.length > 0) {
    const m = /^Bearer ([A-Za-z0-9_-]{1,100})$/.exec(auth);
    const p = m ? await authenticateToken(store, m[1]) : null;
    if (!p) throw new HttpError(401, 'auth.bad-token', 'the bearer token is not valid (unknown, revoked or malformed)', { 'www-authenticate': 'Bearer' });
    return { kind: 'sensor', ...p };
  }
  const cookie = (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];
  if (typeof cookie === 'string' && cookie.length > 0) {
    const s = await sessionUser(store, cookie);
    if (s) return { kind: 'user', user: s.user, csrf: s.csrf, cookie };
  }
  return { kind: 'anonymous' };
}

/** Throws the 401/403 for a principal that may not use a route. */
export function authorise(access: Access, p: Principal, req: FastifyRequest, allowWhileMustChange: boolean): void {
  if (access === 'public') return;
  if (p.kind === 'anonymous') throw new HttpError(401, 'auth.required', 'sign in (POST /api/v1/auth/login) or send a sensor token', { 'www-authenticate': 'Bearer' });
  if (access === 'sensor') {
    if (p.kind !== 'sensor') throw new HttpError(403, 'auth.sensor-only', 'only sensor tokens may use this route');
    return;
  }
  if (p.kind !== 'user') throw new HttpError(403, 'auth.users-only', 'sensor tokens may only ingest');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const h = req.headers[CSRF_HEADER];
    if (typeof h !== 'string' || !safeEqual(h, p.csrf)) throw new HttpError(403, 'auth.csrf', `writes need the ${CSRF_HEADER} header with the token from login`);
  }
  if (p.user.mustChangePassword && !allowWhileMustChange) {
    throw new HttpError(403, 'auth.must-change-password', 'change the one-time password first (POST /api/v1/auth/password)');
  }
  if (access !== 'user' && !roleAtLeast(p.user.role, access)) throw new HttpError(403, 'auth.role', `this needs the ${access} role`);
}

export function sessionCookie(reply: FastifyReply, value: string, tls: boolean, maxAgeS: number): void {
  reply.setCookie(SESSION_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'strict', secure: tls, maxAge: maxAgeS });
}

/** The organisation a user's reads are scoped to (null: the whole collector). */
export function viewerOf(p: Principal): { orgId: number | null } {
  if (p.kind === 'user') return { orgId: p.user.orgId };
  if (p.kind === 'sensor') return { orgId: p.orgId };
  return { orgId: -1 };
}
