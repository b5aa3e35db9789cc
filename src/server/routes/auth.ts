/** Sign-in and sign-out: POST /api/v1/auth/login, /logout, /password; GET /api/v1/auth/me. */
import { z } from 'zod';
import { audit, createSession, deleteSession, setPassword, verifyLogin, SESSION_MS } from '../../store/index.js';
import { sessionCookie, SESSION_COOKIE } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';

const UserOut = z.object({ name: z.string(), role: z.enum(['admin', 'analyst', 'viewer']), org: z.string().nullable(), must_change_password: z.boolean() });

export default function authRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'POST', url: '/api/v1/auth/login', tag: 'auth', access: 'public',
      summary: 'Sign in: sets the HttpOnly session cookie and returns the CSRF token for writes',
      body: z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
      response: z.object({ user: UserOut, csrf: z.string() }),
      errors: { 401: 'wrong name or password', 429: 'too many attempts, or the account is locked: retry after Retry-After seconds' },
      handler: async ({ body, req, reply }) => {
        const wait = ctx.limits.login.take(req.ip);
        if (wait > 0) throw new HttpError(429, 'auth.rate', 'too many sign-in attempts from this address', { 'retry-after': String(wait) });
        const r = await verifyLogin(ctx.store, body.name, body.password, req.ip);
        if (!r.ok) {
          if (r.reason === 'locked') throw new HttpError(429, 'auth.locked', 'the account is locked after repeated failures', { 'retry-after': String(Math.ceil((r.retryAfterMs ?? 60_000) / 1000)) });
          throw new HttpError(401, 'auth.invalid', 'wrong name or password');
        }
        const s = await createSession(ctx.store, r.user.id);
        sessionCookie(reply, s.cookie, ctx.tls, Math.floor(SESSION_MS / 1000));
        await audit(ctx.store, `user:${r.user.name}`, 'auth.login', r.user.name, {}, req.ip);
        return { user: { name: r.user.name, role: r.user.role, org: r.user.orgName, must_change_password: r.user.mustChangePassword }, csrf: s.csrf };
      },
    }),
    route({
      method: 'POST', url: '/api/v1/auth/logout', tag: 'auth', access: 'user', summary: 'Sign out (ends the session)',
      handler: async ({ principal, reply }) => {
        if (principal.kind === 'user') await deleteSession(ctx.store, principal.cookie);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true };
      },
    }),
    route({
      method: 'GET', url: '/api/v1/auth/me', tag: 'auth', access: 'user', summary: 'The signed-in user', response: z.object({ user: UserOut }),
      handler: async ({ principal }) => {
        if (principal.kind !== 'user') throw new HttpError(403, 'auth.users-only', 'not a user');
        const u = principal.user;
        return { user: { name: u.name, role: u.role, org: u.orgName, must_change_password: u.mustChangePassword } };
      },
    }),
    route({
      method: 'POST', url: '/api/v1/auth/password', tag: 'auth', access: 'user', summary: 'Change your own password (ends your other sessions)',
      body: z.strictObject({ current: z.string().min(1).max(1024), password: z.string().min(12).max(1024) }),
      errors: { 401: 'the current password is wrong' },
      handler: async ({ body, principal, req, reply }) => {
        if (principal.kind !== 'user') throw new HttpError(403, 'auth.users-only', 'not a user');
        const r = await verifyLogin(ctx.store, principal.user.name, body.current, req.ip);
        if (!r.ok) throw new HttpError(401, 'auth.invalid', 'the current password is wrong');
        await setPassword(ctx.store, principal.user.name, body.password, `user:${principal.user.name}`);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true, message: 'password changed; sign in again' };
      },
    }),
  ];
}
