/**
 * The authorisation matrix, generated from the served OpenAPI document: every operation in
 * it must have a row below (a new route without one fails this test), and every row is
 * called as each of {anonymous, sensor token, viewer, analyst, admin, user of another
 * organisation} and must give the expected status. Every write route refuses anonymous
 * callers (login is the one public write), and every cookie-authenticated write needs the
 * CSRF header. Scoping: a CERT user sees only its constituency.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS, alertEvent } from '../helpers/collector.js';
import { PASSWORD, serverFixture, type Fixture } from '../helpers/collector-server.js';
import { createToken, createUser } from '../../src/store/identity.js';
import { createArchiveRule } from '../../src/store/archive-rules.js';
import { eveTimestamp } from '../../src/events/eve-format.js';
import { geoEnricher } from '../../src/server/enrich.js';
import { buildCampaignHosts, createCampaign } from '../../src/campaigns/campaign-store.js';
import { campaignLog, notifyCampaign } from '../../src/campaigns/campaign-notify.js';
import { ContactsFile } from '../../src/campaigns/contacts.js';

type Who = 'anonymous' | 'sensor' | 'viewer' | 'analyst' | 'admin' | 'other';
const WHO: Who[] = ['anonymous', 'sensor', 'viewer', 'analyst', 'admin', 'other'];

interface Call {
  path?: Record<string, string>;
  query?: string;
  body?: unknown;
}

type Row = { expect: [number, number, number, number, number, number]; call?: (f: Fixture, who: Who) => Promise<Call> };

const READ: Row['expect'] = [401, 403, 200, 200, 200, 200];
const ADMIN: Row['expect'] = [401, 403, 403, 403, 200, 403];
const SELF: Row['expect'] = [401, 403, 200, 200, 200, 200];
let n = 0;

const USERS: Record<Exclude<Who, 'anonymous' | 'sensor'>, 'viewer' | 'analyst' | 'admin' | 'other'> = { viewer: 'viewer', analyst: 'analyst', admin: 'admin', other: 'other' };

/** Expected status per operation: [anonymous, sensor, viewer, analyst, admin, other org's analyst]. */
const MATRIX: Record<string, Row> = {
  'GET /healthz': { expect: [200, 200, 200, 200, 200, 200] },
  'GET /metrics': { expect: [200, 200, 200, 200, 200, 200] },
  'GET /openapi.json': { expect: [200, 200, 200, 200, 200, 200] },
  'POST /api/v1/auth/login': { expect: [200, 200, 200, 200, 200, 200], call: async () => ({ body: { name: 'login-only', password: PASSWORD } }) },
  'POST /api/v1/auth/logout': { expect: SELF },
  'GET /api/v1/auth/me': { expect: SELF },
  'POST /api/v1/auth/password': { expect: SELF, call: async () => ({ body: { current: PASSWORD, password: PASSWORD } }) },
  'POST /api/v1/ingest': { expect: [401, 200, 403, 403, 403, 403], call: async () => ({ body: { events: [alertEvent(n++, Date.now() - 1000)] } }) },
  'GET /api/v1/alerts': { expect: READ, call: async () => ({ query: 'limit=5&severity=1' }) },
  'GET /api/v1/counts': { expect: READ, call: async () => ({ query: 'group_by=country&granularity=day' }) },
  'GET /api/v1/overview': { expect: READ, call: async () => ({ query: `from=${Date.now() - 86_400_000}&to=${Date.now() + 3_600_000}&granularity=hour` }) },
  'GET /api/v1/incidents': { expect: READ },
  'GET /api/v1/incidents/groups': { expect: READ, call: async () => ({ query: 'by=device&severity=3' }) },
  'PATCH /api/v1/incidents/{id}': {
    // the other organisation's analyst cannot see isp-a's private incident: 404, not 200
    expect: [401, 403, 403, 200, 200, 404],
    call: async (f) => {
      return { path: { id: String(await privateIncident(f)) }, body: { status: 'acknowledged' } };
    },
  },
  // comments on isp-a's private incident: the other organisation's users get 404 for both
  'GET /api/v1/incidents/{id}/comments': { expect: [401, 403, 200, 200, 200, 404], call: async (f) => ({ path: { id: String(await privateIncident(f)) } }) },
  'POST /api/v1/incidents/{id}/comments': {
    expect: [401, 403, 403, 200, 200, 404],
    call: async (f) => ({ path: { id: String(await privateIncident(f)) }, body: { body: `<img src=x onerror=alert(${n++})> seen before` } }),
  },
  'GET /api/v1/archive-rules': { expect: READ },
  // a collector-wide analyst names the organisation; the other organisation's analyst may not make isp-a's rules
  'POST /api/v1/archive-rules': { expect: [401, 403, 403, 200, 200, 403], call: async () => ({ body: { org: 'isp-a', src_ip: `192.168.${200 + (n++ % 50)}.0/24`, comment: 'matrix' } }) },
  // isp-a's rule: the other organisation's analyst gets 404 (not 403: it does not learn the rule exists)
  'PATCH /api/v1/archive-rules/{id}': { expect: [401, 403, 403, 200, 200, 404], call: async (f) => ({ path: { id: String(await matrixRule(f)) }, body: { enabled: false } }) },
  'DELETE /api/v1/archive-rules/{id}': { expect: [401, 403, 403, 200, 200, 404], call: async (f) => ({ path: { id: String(await matrixRule(f)) } }) },
  'GET /api/v1/devices': { expect: READ },
  'GET /api/v1/devices/{id}': {
    // a device only isp-a sees (private addresses): the other organisation's analyst gets 404
    expect: [401, 403, 200, 200, 200, 404],
    call: async (f) => {
      const row = await f.store.db.selectFrom('devices').select('id').where('scope', '=', `,${f.orgA},`).executeTakeFirstOrThrow();
      return { path: { id: String(row.id) } };
    },
  },
  // the evidence drill-down of isp-a's private incident, and that device's anomalies: 404 for the other organisation
  'GET /api/v1/incidents/{id}/alerts': { expect: [401, 403, 200, 200, 200, 404], call: async (f) => ({ path: { id: String(await privateIncident(f)) }, query: 'limit=5' }) },
  'GET /api/v1/devices/{id}/anomalies': {
    expect: [401, 403, 200, 200, 200, 404],
    call: async (f) => {
      const row = await f.store.db.selectFrom('devices').select('id').where('scope', '=', `,${f.orgA},`).executeTakeFirstOrThrow();
      return { path: { id: String(row.id) } };
    },
  },
  'GET /api/v1/sensors': { expect: READ },
  'GET /api/v1/telescope': { expect: READ, call: async () => ({ query: `from=0&to=${Date.now()}` }) },
  'GET /api/v1/telescope/summary': { expect: READ, call: async () => ({ query: `from=0&to=${Date.now()}` }) },
  'GET /api/v1/scans': { expect: READ },
  'GET /api/v1/stream': { expect: READ, call: async () => ({ query: 'timeout_s=1' }) },
  'GET /api/v1/scans/summary': { expect: READ, call: async () => ({ query: `from=0&to=${Date.now()}` }) },
  'GET /api/v1/users': { expect: ADMIN },
  'POST /api/v1/users': { expect: ADMIN, call: async () => ({ body: { name: `made-${n++}`, role: 'viewer', password: PASSWORD } }) },
  'DELETE /api/v1/users/{name}': {
    expect: ADMIN,
    call: async (f) => {
      const name = `victim-${n++}`;
      await createUser(f.store, { name, role: 'viewer', password: PASSWORD });
      return { path: { name } };
    },
  },
  'GET /api/v1/orgs': { expect: ADMIN },
  'POST /api/v1/orgs': { expect: ADMIN, call: async () => ({ body: { name: `org-${n++}`, countries: ['VN'], asns: [45899], prefixes: ['198.51.100.0/24'] } }) },
  'GET /api/v1/tokens': { expect: ADMIN },
  'POST /api/v1/tokens': { expect: ADMIN, call: async () => ({ body: { sensor: `s-${n++}`, org: 'isp-a' } }) },
  'DELETE /api/v1/tokens/{id}': {
    expect: ADMIN,
    call: async (f) => ({ path: { id: String((await createToken(f.store, `t-${n++}`, 'isp-a')).info.id) } }),
  },
  'GET /api/v1/audit': { expect: ADMIN },
  'GET /api/v1/campaigns': { expect: READ },
  'GET /api/v1/campaigns/{id}/hosts': { expect: READ, call: async (f) => ({ path: { id: String(await matrixCampaign(f)) } }) },
  'GET /api/v1/campaigns/{id}/report': { expect: READ, call: async (f) => ({ path: { id: String(await matrixCampaign(f)) } }) },
  'GET /api/v1/campaigns/{id}/package': { expect: READ, call: async (f) => ({ path: { id: String(await matrixCampaign(f)) }, query: 'format=intelmq' }) },
  // the funnel webhook: analysts; the other organisation's analyst sees the collector-wide campaign but may not write to it
  'POST /api/v1/campaigns/{id}/notification-events': {
    expect: [401, 403, 403, 200, 200, 403],
    call: async (f) => ({ path: { id: String(await matrixCampaign(f)) }, body: { message_id: '99999999-9999-5999-8999-999999999999', event: 'delivered' } }),
  },
};

/** isp-a's incident from a private address (no other organisation sees it). */
async function privateIncident(f: Fixture): Promise<number> {
  return Number((await f.store.db.selectFrom('incidents').select('id').where('src_ip', '=', '192.168.77.7').executeTakeFirstOrThrow()).id);
}

/** A fresh auto-archive rule of isp-a (a DELETE row removes one per call). */
async function matrixRule(f: Fixture): Promise<number> {
  return (await createArchiveRule(f.store, { org_id: f.orgA, signature_id: 9_199_000 + n++, created_by: 'matrix' })).id;
}

/** The collector-wide campaign built over the fixture's alerts (before()). */
async function matrixCampaign(f: Fixture): Promise<number> {
  return Number((await f.store.db.selectFrom('campaigns').select('id').where('name', '=', 'matrix').executeTakeFirstOrThrow()).id);
}

async function headersFor(f: Fixture, who: Who): Promise<Record<string, string>> {
  if (who === 'anonymous') return {};
  if (who === 'sensor') return { authorization: `Bearer ${f.tokenA}` };
  return f.session(USERS[who]);
}

function operations(doc: { paths: Record<string, Record<string, { 'x-minewatch-access': string }>> }): Array<{ key: string; method: string; path: string; access: string }> {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, method: m.toUpperCase(), path, access: op['x-minewatch-access'] })));
}

for (const dialect of DIALECTS) {
  describe(`authorisation matrix on ${dialect.name}`, () => {
    let f: Fixture;
    let skip: string | false = false;
    before(async () => {
      const r = await serverFixture(dialect, { enrich: geoEnricher(), limits: { loginPerMinute: 1000 } });
      if (typeof r === 'string') {
        skip = r;
        return;
      }
      f = r;
      await createUser(f.store, { name: 'login-only', role: 'viewer', password: PASSWORD });
      // isp-a: a private-address alert (isp-a's only), a TH alert (cert-th sees it), a JP one
      const ts = Date.now() - 5000;
      const events = [alertEvent(1, ts, { src: '192.168.77.7' }), alertEvent(2, ts + 1, { src: '14.207.0.5' }), alertEvent(3, ts + 2, { src: '1.0.16.1' })];
      for (const e of events) e.dest_ip = '10.0.0.1';
      const r1 = await f.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${f.tokenA}` }, payload: { events } });
      assert.equal(r1.statusCode, 200, r1.body);
      // cert-th's own sensor: a telescope interval and the run's summary (same span)
      const tel = { timestamp: eveTimestamp(ts * 1000), event_type: 'telescope', telescope: { kind: 'interval', start: ts - 60_000, end: ts, packets: 10, unique_sources: 3 }, minewatch: { event_id: 'tel-0' } };
      const run = { timestamp: eveTimestamp(ts * 1000), event_type: 'telescope', telescope: { kind: 'run', start: ts - 60_000, end: ts, packets: 10, unique_sources: 3, view: { intervals: [], totals: { packets: 10, sources: 3 } } }, minewatch: { event_id: 'tel-1' } };
      const r2 = await f.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${f.tokenB}` }, payload: { events: [tel, run] } });
      assert.equal(r2.statusCode, 200, r2.body);
      const c = await createCampaign(f.store, 'matrix', {
        selection: { sources: ['sensor'] }, period: { from: new Date(ts - 10 * 86_400_000).toISOString(), to: new Date(ts + 86_400_000).toISOString() },
        notifiedAt: new Date(ts - 2 * 86_400_000).toISOString(),
      });
      await buildCampaignHosts(f.store, c.id);
    });
    after(async () => f?.cleanup());

    test('every operation in the OpenAPI document has expectations, and gets them for every caller', async (t) => {
      if (skip) return t.skip(skip);
      const doc = (await f.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.equal(doc.openapi, '3.1.0');
      const ops = operations(doc);
      const missing = ops.filter((o) => !(o.key in MATRIX)).map((o) => o.key);
      assert.deepEqual(missing, [], `routes without a row in the authorisation matrix: ${missing.join(', ')}`);
      const stale = Object.keys(MATRIX).filter((k) => !ops.some((o) => o.key === k));
      assert.deepEqual(stale, [], `matrix rows for routes that do not exist: ${stale.join(', ')}`);
      const failures: string[] = [];
      for (const op of ops) {
        const row = MATRIX[op.key];
        for (const [i, who] of WHO.entries()) {
          const c = row.call ? await row.call(f, who) : {};
          const url = op.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(c.path?.[k] ?? '1')) + (c.query ? `?${c.query}` : '');
          const res = await f.app.inject({
            method: op.method as 'GET', url, headers: await headersFor(f, who),
            ...(c.body !== undefined ? { payload: c.body as object } : op.method !== 'GET' && op.method !== 'DELETE' ? { payload: {} } : {}),
          });
          if (res.statusCode !== row.expect[i]) failures.push(`${op.key} as ${who}: ${res.statusCode} (expected ${row.expect[i]}) ${res.body.slice(0, 160)}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    test('every write route refuses anonymous callers; login is the only public write; cookie writes need the CSRF token', async (t) => {
      if (skip) return t.skip(skip);
      const ops = operations((await f.app.inject({ method: 'GET', url: '/openapi.json' })).json());
      const writes = ops.filter((o) => o.method !== 'GET');
      assert.ok(writes.length >= 10);
      assert.deepEqual(writes.filter((o) => o.access === 'public').map((o) => o.key), ['POST /api/v1/auth/login']);
      for (const o of writes.filter((x) => x.access !== 'public')) {
        const url = o.path.replace(/\{\w+\}/g, '1');
        const anon = await f.app.inject({ method: o.method as 'POST', url, payload: {} });
        assert.equal(anon.statusCode, 401, `${o.key} anonymous`);
        if (o.access === 'sensor') continue;
        const noCsrf = await f.app.inject({ method: o.method as 'POST', url, payload: {}, headers: await f.session('admin', false) });
        assert.equal(noCsrf.statusCode, 403, `${o.key} without CSRF`);
        assert.equal(noCsrf.json().code, 'auth.csrf');
        const wrongCsrf = await f.app.inject({ method: o.method as 'POST', url, payload: {}, headers: { ...(await f.session('admin')), 'x-csrf-token': 'forged' } });
        assert.equal(wrongCsrf.statusCode, 403, `${o.key} with a forged CSRF token`);
      }
    });

    test('login: HttpOnly SameSite=Strict cookie, lock-out after repeated failures, one-time passwords must be changed first', async (t) => {
      if (skip) return t.skip(skip);
      const ok = await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name: 'login-only', password: PASSWORD } });
      assert.equal(ok.statusCode, 200);
      const cookie = String(ok.headers['set-cookie']);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.doesNotMatch(cookie, /Secure/); // not over TLS here
      await createUser(f.store, { name: 'locky', role: 'viewer', password: PASSWORD });
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name: 'locky', password: 'not the password' } })).statusCode);
      assert.deepEqual(codes, [401, 401, 401, 401, 429, 429]);
      const locked = await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name: 'locky', password: PASSWORD } });
      assert.equal(locked.statusCode, 429);
      assert.ok(Number(locked.headers['retry-after']) > 60);
      await createUser(f.store, { name: 'fresh-admin', role: 'admin', password: PASSWORD, mustChange: true });
      const fresh = await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name: 'fresh-admin', password: PASSWORD } });
      const h = { cookie: String(fresh.headers['set-cookie']).split(';')[0], 'x-csrf-token': fresh.json().csrf as string };
      assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/users', headers: h })).json().code, 'auth.must-change-password');
      const ch = await f.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: h, payload: { current: PASSWORD, password: 'a brand new password' } });
      assert.equal(ch.statusCode, 200);
      const again = await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name: 'fresh-admin', password: 'a brand new password' } });
      const h2 = { cookie: String(again.headers['set-cookie']).split(';')[0] };
      assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/users', headers: h2 })).statusCode, 200);
    });

    test('a CERT user sees only its constituency, in lists, totals and counts', async (t) => {
      if (skip) return t.skip(skip);
      const get = async (who: 'other' | 'admin', url: string) => (await f.app.inject({ method: 'GET', url, headers: await f.session(who) })).json();
      const mine = await get('other', '/api/v1/alerts?limit=100');
      const srcs = (mine.items as Array<{ event: { src_ip: string }; country: string }>).map((x) => x.event.src_ip);
      assert.ok(srcs.includes('14.207.0.5'), 'cert-th does not see the TH alert');
      assert.ok(!srcs.includes('1.0.16.1'), 'cert-th sees a JP alert');
      assert.ok(!srcs.includes('192.168.77.7'), 'cert-th sees isp-a\'s private alert');
      assert.ok((mine.items as Array<{ country: string }>).every((x) => x.country === 'TH'));
      const all = await get('admin', '/api/v1/alerts?limit=100');
      assert.ok(all.items.length > mine.items.length);
      const countsTh = await get('other', '/api/v1/counts?group_by=country&event_type=alert');
      assert.deepEqual((countsTh.rows as Array<{ key: string }>).map((r) => r.key), ['TH']);
      const inc = await get('other', '/api/v1/incidents');
      assert.ok((inc.items as Array<{ src_ip: string }>).every((i) => i.src_ip === '14.207.0.5'));
      // the overview by detector: the TH alerts and incidents only, all of them mining (stratum)
      const range = `from=${Date.now() - 86_400_000}&to=${Date.now() + 3_600_000}`;
      const ovTh = await get('other', `/api/v1/overview?${range}&granularity=hour`);
      assert.deepEqual((ovTh.detectors as Array<{ detector: string; alerts: number; incidents: number; mining: boolean }>).map((d) => [d.detector, d.alerts, d.incidents, d.mining]),
        [['stratum', mine.items.length, inc.items.length, true]]);
      assert.equal(ovTh.alerts, mine.items.length);
      assert.equal(ovTh.mining_events, mine.items.length);
      assert.ok(ovTh.events > ovTh.alerts, 'its telescope events count as events, not mining');
      const ovAll = await get('admin', `/api/v1/overview?${range}&granularity=day`);
      assert.equal(ovAll.alerts, all.items.length);
      assert.equal(ovAll.detectors[0].incidents, (await get('admin', '/api/v1/incidents')).items.length);
      assert.equal((await f.app.inject({ method: 'GET', url: `/api/v1/overview?from=0&to=${Date.now()}&granularity=hour`, headers: await f.session('admin') })).statusCode, 400, 'too many buckets');
      const groups = await get('other', '/api/v1/incidents/groups?by=device');
      assert.deepEqual((groups.items as Array<{ key: { src_ip: string } }>).map((g) => g.key.src_ip), ['14.207.0.5']);
      const allDevices = ((await get('admin', '/api/v1/incidents/groups?by=device')).items as Array<{ key: { src_ip: string } }>).map((g) => g.key.src_ip);
      for (const ip of ['192.168.77.7', '14.207.0.5', '1.0.16.1']) assert.ok(allDevices.includes(ip), ip);
      const sensors = await get('other', '/api/v1/sensors');
      assert.deepEqual((sensors.items as Array<{ name: string }>).map((s) => s.name), ['cert-sensor']);
      const tel = await get('other', `/api/v1/telescope?from=0&to=${Date.now() + 1000}`);
      assert.equal(tel.intervals.length, 1);
      const telA = await f.app.inject({ method: 'GET', url: `/api/v1/telescope?from=0&to=${Date.now() + 1000}`, headers: await f.session('viewer') });
      assert.equal(telA.json().intervals.length, 1); // collector-wide viewer sees it too
      const telSummary = await get('other', `/api/v1/telescope/summary?from=0&to=${Date.now() + 1000}`);
      assert.equal(telSummary.runs, 1);
      assert.equal(telSummary.data.totals.packets, 10);
      // an organisation's admin manages only its own organisation
      const olga = await f.session('orgadmin');
      const users = await f.app.inject({ method: 'GET', url: '/api/v1/users', headers: olga });
      assert.deepEqual((users.json().items as Array<{ orgName: string }>).map((u) => u.orgName).filter((x, i, a) => a.indexOf(x) === i), ['cert-th']);
      assert.equal((await f.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: olga, payload: { sensor: 'x', org: 'isp-a' } })).statusCode, 403);
      assert.equal((await f.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: olga, payload: { name: 'mine' } })).statusCode, 403);
      assert.equal((await f.app.inject({ method: 'DELETE', url: '/api/v1/users/vera', headers: olga })).statusCode, 404);
      // campaigns: the CERT sees the collector-wide campaign, but only its constituency's hosts and a report over them
      const cid = await matrixCampaign(f);
      const hostsTh = await get('other', `/api/v1/campaigns/${cid}/hosts`);
      assert.deepEqual((hostsTh.items as Array<{ ip: string; country: string }>).map((h) => [h.ip, h.country]), [['14.207.0.5', 'TH']]);
      const hostsAll = await get('admin', `/api/v1/campaigns/${cid}/hosts`);
      assert.deepEqual((hostsAll.items as Array<{ ip: string }>).map((h) => h.ip).sort(), ['1.0.16.1', '14.207.0.5', '192.168.77.7']);
      const repTh = await get('other', `/api/v1/campaigns/${cid}/report`);
      assert.deepEqual(Object.keys(repTh.dailyByCountry), ['TH']);
      assert.equal(repTh.daily[0].hosts, 1);
      assert.equal((await get('admin', `/api/v1/campaigns/${cid}/report`)).daily[0].hosts, 3);
      assert.ok('sent' in repTh.notifications && 'delivered' in repTh.notifications, 'the report carries the delivery funnel');
      // the package download: the CERT's file holds its constituency's host only, as an attachment
      const pkgTh = await f.app.inject({ method: 'GET', url: `/api/v1/campaigns/${cid}/package?format=intelmq`, headers: await f.session('other') });
      assert.equal(pkgTh.statusCode, 200);
      assert.match(String(pkgTh.headers['content-disposition']), /^attachment; filename="org-cert-th\.intelmq\.jsonl"$/);
      const linesTh = pkgTh.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(linesTh.map((l) => [l['source.ip'], l['source.geolocation.cc']]), [['14.207.0.5', 'TH']]);
      const csvAll = await f.app.inject({ method: 'GET', url: `/api/v1/campaigns/${cid}/package?format=csv`, headers: await f.session('admin') });
      assert.equal(csvAll.statusCode, 200);
      assert.match(String(csvAll.headers['content-type']), /^text\/csv/);
      assert.equal(csvAll.body.trim().split('\n').length, 1 + 3, 'header and the three hosts');
      assert.equal(csvAll.headers['x-minewatch-hosts'], '3');
      assert.equal((await f.app.inject({ method: 'GET', url: `/api/v1/campaigns/${cid}/package?format=misp`, headers: await f.session('admin') })).statusCode, 400);
      assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/campaigns/999999/package?format=stix', headers: await f.session('other') })).statusCode, 404);
      assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/campaigns/999999/report', headers: await f.session('other') })).statusCode, 404);
      const audit = await get('admin', '/api/v1/audit?limit=1000');
      assert.ok((audit.items as Array<{ action: string }>).some((a) => a.action === 'org.create'));
      assert.ok((audit.items as Array<{ action: string }>).some((a) => a.action === 'incident.status'));
      assert.ok((audit.items as Array<{ action: string }>).some((a) => a.action === 'incident.comment'));
      // the matrix's comments (by the analyst and the admin) come back verbatim with their authors, oldest first
      const comments = await get('admin', `/api/v1/incidents/${await privateIncident(f)}/comments`);
      assert.deepEqual((comments.items as Array<{ author: string }>).map((c) => c.author), ['anna', 'adam']);
      assert.match((comments.items as Array<{ body: string }>)[0].body, /^<img src=x onerror=alert\(\d+\)> seen before$/);
      const noBody = await f.app.inject({ method: 'POST', url: `/api/v1/incidents/${await privateIncident(f)}/comments`, headers: await f.session('analyst'), payload: { body: '   ' } });
      assert.equal(noBody.statusCode, 400);
    });

    test('the delivery funnel in a campaign report is scoped like the package: a user of another organisation does not see its counts', async (t) => {
      if (skip) return t.skip(skip);
      const cid = await matrixCampaign(f);
      const contacts = ContactsFile.parse({
        reporter: { org: 'Matrix CERT', email: 'notify@cert.example.org', domain: 'cert.example.org' },
        certs: [{ country: 'TH', name: 'ThaiCERT (test)', email: 'th-cert@example.th', language: 'en' }, { country: 'JP', name: 'JPCERT/CC (test)', email: 'jp-cert@example.jp', language: 'ja' }],
      });
      const dir = mkdtempSync(join(tmpdir(), 'mw-funnel-'));
      try {
        const sent = await notifyCampaign(f.store, cid, { contacts, by: 'cert', formats: ['intelmq'], outDir: dir });
        const byCert = new Map(sent.results.map((r) => [r.recipientId, r.messageId]));
        assert.deepEqual([...byCert.keys()].sort(), ['cert:JP', 'cert:TH']);
        // both messages sent, the JP one delivered and acknowledged: cert-th must not see those two states
        const log = await campaignLog(f.store, cid);
        for (const id of byCert.values()) assert.ok(await log.setState(id, 'sent', new Date().toISOString()));
        assert.ok(await log.setState(byCert.get('cert:JP')!, 'delivered', new Date().toISOString()));
        assert.ok(await log.setState(byCert.get('cert:JP')!, 'acknowledged', new Date().toISOString()));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const funnelOf = async (who: Who) => (await f.app.inject({ method: 'GET', url: `/api/v1/campaigns/${cid}/report`, headers: await headersFor(f, who) })).json().notifications;
      const all = await funnelOf('admin');
      assert.deepEqual([all.messages, all.sent, all.delivered, all.acknowledged], [2, 2, 1, 1]);
      assert.deepEqual(await funnelOf('viewer'), all, 'a collector-wide viewer sees the whole funnel');
      const th = await funnelOf('other');
      assert.deepEqual([th.messages, th.sent, th.delivered, th.acknowledged], [1, 1, 0, 0], 'cert-th sees only the message about its constituency\'s host');
      // the same rule as the package: cert-th's download holds exactly the host its one message is about
      const pkg = await f.app.inject({ method: 'GET', url: `/api/v1/campaigns/${cid}/package?format=csv`, headers: await headersFor(f, 'other') });
      assert.equal(pkg.headers['x-minewatch-hosts'], '1');
    });
  });
}
