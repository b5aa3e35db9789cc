/**
 * Administration: users, organisations (with constituency), sensor tokens, the audit log.
 * An admin without an organisation manages the whole collector; an admin of an organisation
 * manages only that organisation's users and tokens and cannot create organisations. Every
 * change is written to the audit log (by the store functions, which `minewatch admin` uses too).
 */
import { z } from 'zod';
import {
  createOrg, createToken, createUser, deleteUser, findOrg, listAudit, listOrgs, listTokens, listUsers, orgById, revokeToken, ROLES,
} from '../../store/index.js';
import type { Principal } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Id } from './common.js';

const Name = z.string().min(1).max(64);

function admin(p: Principal): { name: string; orgId: number | null } {
  if (p.kind !== 'user') throw new HttpError(403, 'auth.users-only', 'not a user');
  return { name: `user:${p.user.name}`, orgId: p.user.orgId };
}

/** The organisation an org-bound admin may act on: its own (named or not), never another. */
async function ownOrg(ctx: ServerContext, a: { orgId: number | null }, requested: string | null | undefined): Promise<string | null> {
  if (a.orgId === null) return requested ?? null;
  const own = await orgById(ctx.store, a.orgId);
  if (!own || (requested != null && requested !== own.name)) throw new HttpError(403, 'auth.other-org', 'you manage only your own organisation');
  return own.name;
}

export default function adminRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/users', tag: 'admin', access: 'admin', summary: 'Users (of your organisation, or all for a collector admin)',
      handler: async ({ principal }) => ({ items: await listUsers(ctx.store, admin(principal).orgId) }),
    }),
    route({
      method: 'POST', url: '/api/v1/users', tag: 'admin', access: 'admin', summary: 'Create a user',
      body: z.strictObject({ name: Name, role: z.enum(ROLES as [string, ...string[]]), org: Name.nullable().optional(), password: z.string().min(12).max(1024) }),
      handler: async ({ body, principal }) => {
        const a = admin(principal);
        const org = await ownOrg(ctx, a, body.org);
        const u = await createUser(ctx.store, { ...body, org }, a.name);
        return { name: u.name, role: u.role, org: u.orgName };
      },
    }),
    route({
      method: 'DELETE', url: '/api/v1/users/:name', tag: 'admin', access: 'admin', summary: 'Delete a user', params: z.strictObject({ name: Name }),
      errors: { 404: 'no such user' },
      handler: async ({ params, principal }) => {
        const a = admin(principal);
        const target = (await listUsers(ctx.store, a.orgId)).find((u) => u.name === params.name);
        if (!target) throw new HttpError(404, 'user.unknown', `no user ${params.name}`);
        if (`user:${target.name}` === a.name) throw new HttpError(400, 'user.self', 'you cannot delete yourself');
        await deleteUser(ctx.store, params.name, a.name);
        return { deleted: params.name };
      },
    }),
    route({
      method: 'GET', url: '/api/v1/orgs', tag: 'admin', access: 'admin', summary: 'Organisations and their constituency',
      handler: async ({ principal }) => {
        const a = admin(principal);
        const all = await listOrgs(ctx.store);
        return { items: a.orgId === null ? all : all.filter((o) => o.id === a.orgId) };
      },
    }),
    route({
      method: 'POST', url: '/api/v1/orgs', tag: 'admin', access: 'admin', summary: 'Create an organisation with its constituency (collector admins only)',
      body: z.strictObject({
        name: Name,
        countries: z.array(z.string().max(2)).max(300).optional(), asns: z.array(z.number().int().min(1).max(4294967295)).max(10_000).optional(),
        prefixes: z.array(z.string().max(50)).max(10_000).optional(), sensor_names: z.array(Name).max(10_000).optional(),
      }),
      handler: async ({ body, principal }) => {
        const a = admin(principal);
        if (a.orgId !== null) throw new HttpError(403, 'auth.collector-admin', 'only collector admins (without an organisation) create organisations');
        const o = await createOrg(ctx.store, body.name, { countries: body.countries, asns: body.asns, prefixes: body.prefixes, sensorNames: body.sensor_names }, a.name);
        ctx.scopesChanged();
        return o;
      },
    }),
    route({
      method: 'GET', url: '/api/v1/tokens', tag: 'admin', access: 'admin', summary: 'Sensor tokens (prefixes only; a token is shown once, when created)',
      handler: async ({ principal }) => ({ items: await listTokens(ctx.store, admin(principal).orgId) }),
    }),
    route({
      method: 'POST', url: '/api/v1/tokens', tag: 'admin', access: 'admin', summary: 'Create a sensor token (and the sensor); the answer is the only time the token is shown',
      body: z.strictObject({ sensor: Name, org: Name.optional() }),
      handler: async ({ body, principal }) => {
        const a = admin(principal);
        const org = await ownOrg(ctx, a, body.org);
        if (org !== null) await findOrg(ctx.store, org);
        const { token, info } = await createToken(ctx.store, body.sensor, org, a.name);
        ctx.scopesChanged();
        return { token, ...info };
      },
    }),
    route({
      method: 'DELETE', url: '/api/v1/tokens/:id', tag: 'admin', access: 'admin', summary: 'Revoke a sensor token', params: Id,
      errors: { 404: 'no such token' },
      handler: async ({ params, principal }) => {
        const a = admin(principal);
        try {
          return await revokeToken(ctx.store, String(params.id), a.name, a.orgId);
        } catch (err) {
          throw new HttpError(404, 'token.unknown', (err as Error).message);
        }
      },
    }),
    route({
      method: 'GET', url: '/api/v1/audit', tag: 'admin', access: 'admin', summary: 'The audit log, newest first (collector admins)',
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() }),
      handler: async ({ query, principal }) => {
        if (admin(principal).orgId !== null) throw new HttpError(403, 'auth.collector-admin', 'only collector admins read the audit log');
        return { items: await listAudit(ctx.store, query.limit ?? 100) };
      },
    }),
  ];
}
