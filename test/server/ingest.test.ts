/**
 * The ingest contract, on SQLite and PostgreSQL: idempotent retries, answers only after the
 * commit (read back through a second connection), per-event reasons, 413, 429 with
 * Retry-After (rate and back-pressure from a slow sink), gzip, NDJSON, 503 when the sink fails;
 * and one run over a real listening socket.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { request } from 'node:http';
import { DIALECTS, alertEvent } from '../helpers/collector.js';
import { serverFixture, type Fixture } from '../helpers/collector-server.js';
import { openStore } from '../../src/store/open.js';
import { startServer } from '../../src/server/start.js';
import { buildServer } from '../../src/server/app.js';
import type { InjectOptions } from 'fastify';
import type { IngestSink } from '../../src/transport/ingest.js';
import { listEvents } from '../../src/store/queries.js';
import { createToken } from '../../src/store/identity.js';

const now = () => Date.now() - 60_000;

for (const dialect of DIALECTS) {
  describe(`ingest on ${dialect.name}`, () => {
    let f: Fixture;
    let skip: string | false = false;
    before(async () => {
      const r = await serverFixture(dialect, { limits: { ingestBodyLimit: 256 * 1024, maxBatchEvents: 200 } });
      if (typeof r === 'string') skip = r;
      else f = r;
    });
    after(async () => f?.cleanup());
    const ingest = (payload: unknown, headers: Record<string, string> = {}, token?: string) =>
      f.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${token ?? f.tokenA}`, ...headers }, payload: payload as string });

    test('a retried batch is stored once and reported as duplicates; the answer comes after the commit', async (t) => {
      if (skip) return t.skip(skip);
      const events = Array.from({ length: 150 }, (_, i) => alertEvent(i, now() + i));
      const r1 = await ingest({ events });
      assert.equal(r1.statusCode, 200, r1.body);
      assert.deepEqual(r1.json(), { accepted: 150, duplicates: 0 });
      // a second connection sees every acknowledged event at once
      const other = await openStore(f.url, { migrate: false });
      try {
        const n = await other.read.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(n.n), 150);
      } finally {
        await other.close();
      }
      const r2 = await ingest({ events });
      assert.deepEqual(r2.json(), { accepted: 0, duplicates: 150 });
      const r3 = await ingest({ events: [...events.slice(0, 10), alertEvent(1000, now())] });
      assert.deepEqual(r3.json(), { accepted: 1, duplicates: 10 });
      const m = await f.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(m.body, /minewatch_ingest_events_total\{result="accepted"\} 151/);
      assert.match(m.body, /minewatch_ingest_events_total\{result="duplicate"\} 160/);
    });

    test('invalid events refuse the batch with a reason for each, and nothing is stored', async (t) => {
      if (skip) return t.skip(skip);
      const good = alertEvent(2000, now());
      const noId = alertEvent(2001, now());
      delete (noId.minewatch as Record<string, unknown>).event_id;
      const badPort = { ...alertEvent(2002, now()), src_port: 'eighty' };
      const badTime = { ...alertEvent(2003, now()), timestamp: '1999-01-01T00:00:00.000000+0000' };
      const notObject = 42;
      const r = await ingest({ events: [good, noId, badPort, badTime, notObject] });
      assert.equal(r.statusCode, 400);
      const body = r.json() as { code: string; rejected: Array<{ index: number; reasons: string[] }>; rejected_count: number };
      assert.equal(body.code, 'ingest.invalid-events');
      assert.deepEqual(body.rejected.map((x) => x.index), [1, 2, 3, 4]);
      assert.ok(body.rejected[0].reasons.some((x) => x.includes('event_id')));
      assert.ok(body.rejected[1].reasons.some((x) => x.startsWith('src_port')));
      assert.ok(body.rejected[2].reasons.some((x) => x.includes('before 2000')));
      const seen = await listEvents(f.store, { orgId: null }, { src_ip: good.src_ip as string, limit: 1000 });
      assert.ok(!seen.items.some((x) => (x.event as { minewatch: { event_id: string } }).minewatch.event_id === (good.minewatch as { event_id: string }).event_id));
      assert.equal((await ingest({ events: [] })).statusCode, 400);
      assert.equal((await ingest({ nothing: 1 })).statusCode, 400);
    });

    test('too large: 413 for the body and for the number of events', async (t) => {
      if (skip) return t.skip(skip);
      const big = Array.from({ length: 199 }, (_, i) => alertEvent(3000 + i, now()));
      const text = JSON.stringify({ events: big });
      assert.ok(text.length > 256 * 1024 / 2);
      const huge = JSON.stringify({ events: [...big, ...big.slice(0, 150)] });
      const r = await ingest(huge, { 'content-type': 'application/json' });
      assert.equal(r.statusCode, 413);
      const many = { events: Array.from({ length: 201 }, () => ({ timestamp: 'x' })) };
      const r2 = await ingest(many);
      assert.equal(r2.statusCode, 413);
      assert.equal(r2.json().code, 'ingest.batch-too-large');
    });

    test('gzip and NDJSON bodies; a broken gzip is a 400 and a gzip bomb a 413', async (t) => {
      if (skip) return t.skip(skip);
      const events = Array.from({ length: 20 }, (_, i) => alertEvent(4000 + i, now()));
      const gz = await ingest(gzipSync(JSON.stringify({ events })) as unknown as string, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      assert.equal(gz.statusCode, 200, gz.body);
      assert.deepEqual(gz.json(), { accepted: 20, duplicates: 0 });
      const more = Array.from({ length: 5 }, (_, i) => alertEvent(4100 + i, now()));
      const nd = `${more.map((e) => JSON.stringify(e)).join('\n')}\n\n`;
      const r = await ingest(nd, { 'content-type': 'application/x-ndjson' });
      assert.deepEqual(r.json(), { accepted: 5, duplicates: 0 });
      const ndgz = await ingest(gzipSync(nd) as unknown as string, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
      assert.deepEqual(ndgz.json(), { accepted: 0, duplicates: 5 });
      const bad = await ingest(`${JSON.stringify(alertEvent(4200, now()))}\n{"timestamp": tru\n`, { 'content-type': 'application/x-ndjson' });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual((bad.json() as { rejected: Array<{ index: number }> }).rejected.map((x) => x.index), [1]);
      const broken = await ingest(gzipSync(JSON.stringify({ events })).subarray(0, 40) as unknown as string, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      assert.equal(broken.statusCode, 400);
      const bomb = gzipSync(Buffer.alloc(4 << 20, 0x20));
      assert.ok(bomb.length < 256 * 1024);
      const b = await ingest(bomb as unknown as string, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      assert.equal(b.statusCode, 413);
      assert.equal((await ingest('x', { 'content-encoding': 'br', 'content-type': 'application/json' })).statusCode, 415);
    });

    test('tokens: users cannot ingest, revoked and unknown tokens get 401', async (t) => {
      if (skip) return t.skip(skip);
      const h = await f.session('admin');
      const r = await f.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: h, payload: { events: [alertEvent(5000, now())] } });
      assert.equal(r.statusCode, 403);
      assert.equal((await ingest({ events: [alertEvent(5001, now())] }, {}, 'mwt_unknown')).statusCode, 401);
      const { token, info } = await createToken(f.store, 'short-lived', 'isp-a');
      assert.equal((await ingest({ events: [alertEvent(5002, now())] }, {}, token)).statusCode, 200);
      const del = await f.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${info.id}`, headers: h });
      assert.equal(del.statusCode, 200, del.body);
      assert.equal((await ingest({ events: [alertEvent(5003, now())] }, {}, token)).statusCode, 401);
    });
  });
}

describe('ingest back-pressure and failures (any IngestSink)', () => {
  test('429 with Retry-After over the sensor rate and while the sink is full; 503 when it fails; the sink sees every field', async (t) => {
    const f = await serverFixture(DIALECTS[0], { limits: { ingestPerMinute: 1000, maxInFlight: 1 } });
    if (typeof f === 'string') return t.skip(f);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const seen: Array<{ batchId: string; orgId: string; sensorId: string; n: number }> = [];
    const sink: IngestSink = {
      async submit(b) {
        seen.push({ batchId: b.batchId, orgId: b.orgId, sensorId: b.sensorId, n: b.events.length });
        await gate;
        return { accepted: b.events.length, duplicates: 0, queued: true };
      },
      async close() {},
    };
    const g = await serverFixture(DIALECTS[0], { sink, limits: { ingestPerMinute: 3, maxInFlight: 1 } });
    if (typeof g === 'string') return t.skip(g);
    try {
      const post = (batchId?: string) => g.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${g.tokenA}`, ...(batchId ? { 'x-minewatch-batch-id': batchId } : {}) }, payload: { events: [alertEvent(1, now())] } });
      const first = post('batch-0001-abcdef');
      await new Promise((r) => setTimeout(r, 50));
      const busy = await post();
      assert.equal(busy.statusCode, 429);
      assert.equal(busy.headers['retry-after'], '1');
      const depth = await g.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(depth.body, /minewatch_ingest_queue_depth 1/);
      release();
      const ok = await first;
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(ok.json(), { accepted: 1, duplicates: 0, queued: true });
      assert.equal(seen[0].batchId, 'batch-0001-abcdef');
      assert.equal(seen[0].orgId, String(g.orgA));
      const after = await g.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(after.body, /minewatch_ingest_queue_depth 0/);
      const rated = await post();
      assert.equal(rated.statusCode, 200);
      const over = await post();
      assert.equal(over.statusCode, 429);
      assert.ok(Number(over.headers['retry-after']) >= 1 && Number(over.headers['retry-after']) <= 60);
      // a failing sink: 503 with Retry-After (nothing acknowledged)
      const h = await serverFixture(DIALECTS[0], { sink: { ...sink, submit: async () => { throw new Error('disk on fire'); } } });
      if (typeof h === 'string') return t.skip(h);
      const down = await h.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${h.tokenA}` }, payload: { events: [alertEvent(2, now())] } });
      assert.equal(down.statusCode, 503);
      assert.equal(down.headers['retry-after'], '5');
      await h.cleanup();
    } finally {
      await g.cleanup();
      await f.cleanup();
    }
  });
});

describe('ingest hands the received JSON text on only when it is exactly the validated events', () => {
  test('JSON {events} (gzip too): the text; other members, NDJSON or filled addresses: none', async (t) => {
    const seen: Array<{ events: unknown[]; receivedJson?: string }> = [];
    const sink: IngestSink = {
      async submit(b) {
        seen.push({ events: [...b.events], receivedJson: b.receivedJson });
        return { accepted: b.events.length, duplicates: 0, queued: true };
      },
      async close() {},
    };
    const g = await serverFixture(DIALECTS[0], { sink });
    if (typeof g === 'string') return t.skip(g);
    try {
      const post = (payload: string | Buffer, headers: Record<string, string> = {}) => g.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${g.tokenA}`, 'content-type': 'application/json', ...headers }, payload });
      const e1 = alertEvent(1, now());
      const text = JSON.stringify({ events: [e1] });
      assert.equal((await post(text)).statusCode, 200);
      assert.equal(seen[0].receivedJson, text);
      assert.deepEqual(JSON.parse(seen[0].receivedJson!), { events: seen[0].events });
      assert.equal((await post(gzipSync(text), { 'content-encoding': 'gzip' })).statusCode, 200);
      assert.equal(seen[1].receivedJson, text, 'the gunzipped text');
      assert.equal((await post(JSON.stringify({ events: [e1], orgId: 'other' }))).statusCode, 200);
      assert.equal(seen[2].receivedJson, undefined, 'a member besides events: serialised again');
      assert.equal((await post(`${JSON.stringify(e1)}\n`, { 'content-type': 'application/x-ndjson' })).statusCode, 200);
      assert.equal(seen[3].receivedJson, undefined, 'NDJSON');
      const home = alertEvent(2, now(), { src: '192.168.1.20' });
      (home.minewatch as Record<string, unknown>).fill_public_ip = ['src_ip'];
      assert.equal((await post(JSON.stringify({ events: [home] }))).statusCode, 200);
      assert.equal(seen[4].receivedJson, undefined, 'the collector changed an event');
      assert.notEqual((seen[4].events[0] as { src_ip: string }).src_ip, '192.168.1.20');
      assert.equal((await post('{"events":[{"__proto__":{"x":1}}]}')).statusCode, 400, 'poisoning still refused');
      assert.equal(seen.length, 5);
    } finally {
      await g.cleanup();
    }
  });
});

describe('the database away', () => {
  test('reads, sign-in and ingest answer 503 with Retry-After (not 500) when PostgreSQL does not answer', async () => {
    const { Kysely, PostgresDialect } = await import('kysely');
    const pg = (await import('pg')).default;
    const { freePort } = await import('../helpers/servers.js');
    const port = await freePort(); // nothing listens there
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/none`, connectionTimeoutMillis: 2000 });
    const db = new Kysely<never>({ dialect: new PostgresDialect({ pool }) });
    const store = { dialect: 'postgres', db, read: db, pool, location: { dialect: 'postgres', target: '' }, close: async () => db.destroy() } as unknown as Parameters<typeof buildServer>[0]['store'];
    const { app } = await buildServer({ store, logger: false });
    try {
      const requests: InjectOptions[] = [
        { method: 'GET', url: '/healthz' },
        { method: 'GET', url: '/api/v1/alerts', headers: { cookie: 'mw_session=abc' } },
        { method: 'POST', url: '/api/v1/auth/login', payload: { name: 'a', password: 'b' } },
        { method: 'POST', url: '/api/v1/ingest', headers: { authorization: 'Bearer mwt_abcdefghijklmnop' }, payload: { events: [alertEvent(1, now())] } },
      ];
      for (const req of requests) {
        const r = await app.inject(req);
        assert.equal(r.statusCode, 503, `${req.method} ${req.url}: ${r.body}`);
        assert.equal(r.headers['retry-after'], '5');
      }
    } finally {
      await app.close();
      await db.destroy();
    }
  });
});

describe('a real listening socket', () => {
  test('minewatch server on a free port: healthz, gzip ingest over HTTP, the first admin, security headers, secrets not logged', async () => {
    const dir = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'mw-srv-'));
    const notices: string[] = [];
    const logLines: string[] = [];
    const { Writable } = await import('node:stream');
    const stream = new Writable({ write(c: Buffer, _e, cb) { logLines.push(c.toString()); cb(); } });
    const s = await startServer({ db: `sqlite:${dir}/c.db`, listen: '127.0.0.1:0', noGeo: true, notice: (x) => notices.push(x), logger: { level: 'info', stream } });
    try {
      assert.match(notices.join(''), /one-time password\n\n {4}\S{16,}/);
      const health = await fetch(`${s.url}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(health.headers.get('content-security-policy'));
      const { token } = await createToken(s.store, 'socket-sensor', null);
      const body = gzipSync(JSON.stringify({ events: Array.from({ length: 500 }, (_, i) => alertEvent(i, now() + i)) }));
      const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const u = new URL(`${s.url}/api/v1/ingest`);
        const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(JSON.parse(r.text), { accepted: 500, duplicates: 0 });
      assert.ok(logLines.length > 0);
      assert.ok(!logLines.join('').includes(token), 'the bearer token reached the log');
      assert.ok(logLines.join('').includes('[redacted]'));
    } finally {
      await s.close();
      (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
    }
  });
});
