/**
 * A collector server on a real store for tests: organisations "isp-a" (the sensor's) and
 * "cert-th" (constituency: TH), a sensor token for each, and users of every role.
 */
import type { FastifyInstance } from 'fastify';
import type { DialectCase } from './collector.js';
import { buildServer, type ServerOptions } from '../../src/server/app.js';
import type { RouteDef, ServerContext } from '../../src/server/route.js';
import type { Store } from '../../src/store/open.js';
import { createOrg, createSession, createToken, createUser, userById } from '../../src/store/identity.js';

export const PASSWORD = 'a long test password';

export interface Fixture {
  app: FastifyInstance;
  routes: RouteDef[];
  context: ServerContext;
  store: Store;
  url: string;
  /** Sensor tokens: of isp-a (home-router-1) and of cert-th (cert-sensor). */
  tokenA: string;
  tokenB: string;
  orgA: number;
  orgB: number;
  /** user name → id: viewer, analyst, admin (whole collector), other (analyst of cert-th), orgadmin (admin of cert-th). */
  users: Record<'viewer' | 'analyst' | 'admin' | 'other' | 'orgadmin', number>;
  /** A fresh session: headers to send (cookie + CSRF). */
  session(who: keyof Fixture['users'], csrf?: boolean): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

export async function serverFixture(dialect: DialectCase, opts: Partial<ServerOptions> = {}): Promise<Fixture | string> {
  const o = await dialect.open();
  if (typeof o === 'string') return o;
  const { store } = o;
  const orgA = (await createOrg(store, 'isp-a', {})).id;
  const orgB = (await createOrg(store, 'cert-th', { countries: ['TH'] })).id;
  const tokenA = (await createToken(store, 'home-router-1', 'isp-a')).token;
  const tokenB = (await createToken(store, 'cert-sensor', 'cert-th')).token;
  const users = {
    viewer: (await createUser(store, { name: 'vera', role: 'viewer', org: null, password: PASSWORD })).id,
    analyst: (await createUser(store, { name: 'anna', role: 'analyst', org: null, password: PASSWORD })).id,
    admin: (await createUser(store, { name: 'adam', role: 'admin', org: null, password: PASSWORD })).id,
    other: (await createUser(store, { name: 'otto', role: 'analyst', org: 'cert-th', password: PASSWORD })).id,
    orgadmin: (await createUser(store, { name: 'olga', role: 'admin', org: 'cert-th', password: PASSWORD })).id,
  };
  const { app, routes, context } = await buildServer({ store, logger: false, ...opts });
  await app.ready();
  return {
    app, routes, context, store, url: o.url, tokenA, tokenB, orgA, orgB, users,
    async session(who, csrf = true) {
      const u = await userById(store, users[who]);
      const s = await createSession(store, u!.id);
      return { cookie: `mw_session=${s.cookie}`, ...(csrf ? { 'x-csrf-token': s.csrf } : {}) };
    },
    async cleanup() {
      await app.close();
      await o.cleanup();
    },
  };
}
