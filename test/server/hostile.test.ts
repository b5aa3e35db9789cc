/**
 * Hostile input against every route of the served OpenAPI document: malformed, truncated,
 * deeply nested, huge and wrong-typed JSON bodies, odd content types and encodings, bad
 * query strings and path parameters, oversized and malformed headers — as an anonymous
 * caller, a sensor and an admin. Only 4xx answers (never a 5xx), the server stays up and
 * keeps ingesting, and a second identical round does not grow the heap (bounded memory).
 * Then the same over a real socket for what only a socket can carry (header size limits,
 * garbage request lines).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS, alertEvent } from '../helpers/collector.js';
import { serverFixture, type Fixture } from '../helpers/collector-server.js';
import { startServer } from '../../src/server/start.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

/** Bodies that are wrong for every route that takes one. */
const BODIES: Array<{ name: string; body: string | Buffer; type?: string; encoding?: string }> = [
  { name: 'truncated', body: '{"events":[{"timestamp":"2026-' },
  { name: 'just a brace', body: '{' },
  { name: 'deep array', body: deepArray(100_000) },
  { name: 'deep object', body: deepObject(20_000) },
  { name: 'deep events', body: `{"events":[${deepObject(5_000)}]}` },
  { name: 'null', body: 'null' },
  { name: 'number', body: '123' },
  { name: 'string', body: '"events"' },
  { name: 'empty array', body: '[]' },
  { name: 'events not a list', body: '{"events":"x","name":1,"password":[],"status":{"$ne":1}}' },
  { name: 'wrong types', body: '{"name":123,"password":false,"role":["admin"],"org":{},"sensor":null,"countries":"TH","status":7}' },
  { name: 'proto pollution', body: '{"__proto__":{"role":"admin"},"events":[]}' },
  { name: 'constructor pollution', body: '{"constructor":{"prototype":{"admin":true}}}' },
  { name: 'binary', body: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255)) },
  { name: 'invalid utf-8', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]) },
  { name: 'text/plain', body: 'hello', type: 'text/plain' },
  { name: 'xml', body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', type: 'application/xml' },
  { name: 'multipart', body: '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--', type: 'multipart/form-data; boundary=b' },
  { name: 'fake gzip', body: 'not gzip at all', encoding: 'gzip' },
  { name: 'ndjson garbage', body: '{"a":1}\n{{{{\n\u0000\n', type: 'application/x-ndjson' },
  { name: 'many keys', body: `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":${i}`).join(',')}}` },
  { name: 'huge', body: `{"events":[${'"x",'.repeat(5_000_000)}"x"]}` },
];

const QUERIES = [
  'limit=-1', 'limit=1e309', 'limit=abc', 'from=abc&to=zzz', 'from=99999999999999999999', `cursor=${'A'.repeat(200)}`, 'cursor=%00%ff%fe', 'cursor=MTox',
  'limit[]=1&limit[]=2', 'unknown=1', `${'a=1&'.repeat(3000)}b=2`, 'severity=9', 'country=thx', 'group_by=password', 'status=deleted', 'event_type=%27%3B%20DROP%20TABLE%20events%3B--',
];

const HEADERS: Array<Record<string, string>> = [
  { authorization: `Bearer ${'A'.repeat(10_000)}` },
  { authorization: 'Basic YWRtaW46YWRtaW4=' },
  { authorization: 'Bearer mwt_' },
  { authorization: 'Bearer mwt_../../etc/passwd' },
  { cookie: `mw_session=${'x'.repeat(5_000)}` },
  { cookie: '=;=;;mw_session;mw_session==' },
  { cookie: 'mw_session=%00%ff' },
  { 'x-csrf-token': 'y'.repeat(10_000) },
  { 'content-type': 'application/json; charset=utf-16' },
  { 'x-minewatch-batch-id': '../../x' },
  { accept: 'application/x-evil' },
];

function pathFor(path: string, v: string): string {
  return path.replace(/\{\w+\}/g, v);
}

describe('hostile input on every route', () => {
  let f: Fixture;
  let skip: string | false = false;
  before(async () => {
    const r = await serverFixture(DIALECTS[0], { limits: { loginPerMinute: 100_000, ingestPerMinute: 100_000 } });
    if (typeof r === 'string') skip = r;
    else f = r;
  });
  after(async () => f?.cleanup());

  test('only 4xx answers, the server keeps working, memory does not grow round over round', async (t) => {
    if (skip) return t.skip(skip);
    const doc = (await f.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { parameters?: Array<{ in: string }>; requestBody?: unknown }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, o]) => Object.entries(o).map(([m, op]) => ({ method: m.toUpperCase(), path, hasQuery: (op.parameters ?? []).some((p) => p.in === 'query'), hasBody: !!op.requestBody })));
    assert.ok(ops.length >= 20);
    const admin = await f.session('admin');
    const callers = [{}, { authorization: `Bearer ${f.tokenA}` }, admin];
    let requests = 0;
    const bad: string[] = [];
    const round = async () => {
      for (const op of ops) {
        const base = pathFor(op.path, '1');
        for (const who of callers) {
          if (op.hasBody) {
            for (const b of BODIES) {
              const res = await f.app.inject({ method: op.method as 'POST', url: base, headers: { ...who, 'content-type': b.type ?? 'application/json', ...(b.encoding ? { 'content-encoding': b.encoding } : {}) }, payload: b.body });
              requests++;
              if (res.statusCode < 400 || res.statusCode >= 500) bad.push(`${op.method} ${op.path} body ${b.name}: ${res.statusCode} ${res.body.slice(0, 120)}`);
            }
          }
          if (op.hasQuery) {
            for (const q of QUERIES) {
              const res = await f.app.inject({ method: op.method as 'GET', url: `${base}?${q}`, headers: who });
              requests++;
              // a caller who may not use the route gets 401/403 first; everyone else a 400
              if (res.statusCode < 400 || res.statusCode >= 500) bad.push(`${op.method} ${op.path}?${q.slice(0, 40)}: ${res.statusCode} ${res.body.slice(0, 120)}`);
            }
          }
          for (const h of HEADERS) {
            const res = await f.app.inject({ method: op.method as 'GET', url: base, headers: { ...who, ...h }, ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { payload: {} }) });
            requests++;
            if (res.statusCode >= 500) bad.push(`${op.method} ${op.path} header ${Object.keys(h)[0]}: ${res.statusCode} ${res.body.slice(0, 120)}`);
          }
        }
        if (op.path.includes('{')) {
          for (const v of ['-1', '1e400', '%00', 'a'.repeat(300), '..%2F..%2Fetc', '%E0%A4%A', "1'%20OR%20'1'='1"]) {
            const res = await f.app.inject({ method: op.method as 'GET', url: pathFor(op.path, v), headers: admin, ...(op.method === 'PATCH' ? { payload: { status: 'archived' } } : {}) });
            requests++;
            if (res.statusCode < 400 || res.statusCode >= 500) bad.push(`${op.method} ${pathFor(op.path, v.slice(0, 30))}: ${res.statusCode} ${res.body.slice(0, 120)}`);
          }
        }
      }
    };
    await round();
    assert.deepEqual(bad, []);
    gc();
    const heap1 = process.memoryUsage().heapUsed;
    await round();
    gc();
    const heap2 = process.memoryUsage().heapUsed;
    assert.deepEqual(bad, []);
    assert.ok(requests > 1000, `only ${requests} requests`);
    assert.ok(heap2 - heap1 < 32 * 1024 * 1024, `the heap grew by ${((heap2 - heap1) / 1048576).toFixed(1)} MB over a second round`);
    // still up, still ingesting
    assert.equal((await f.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const ok = await f.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${f.tokenA}` }, payload: { events: [alertEvent(1, Date.now())] } });
    assert.equal(ok.statusCode, 200);
    // nothing hostile reached the tables: only the one good event
    const n = await f.store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 1);
  });
});

function raw(port: number, data: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => resolve(out));
    s.on('close', () => resolve(out));
    s.setTimeout(5000, () => s.destroy());
    s.end(data);
  });
}

describe('hostile input over a real socket', () => {
  test('oversized headers, garbage request lines and a lying Content-Length get 4xx; the server stays up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-hostile-'));
    const s = await startServer({ db: `sqlite:${join(dir, 'h.db')}`, listen: '127.0.0.1:0', noGeo: true, notice: () => {} });
    try {
      const port = Number(new URL(s.url).port);
      const status = (r: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(r)?.[1] ?? 0);
      const big = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(70_000)}\r\n\r\n`);
      assert.equal(status(big), 431);
      const garbage = await raw(port, Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage \r\n\r\n', 'latin1'));
      assert.ok(status(garbage) === 400 || garbage === '', garbage.slice(0, 80));
      const lying = await raw(port, 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{"name":"a","password":"b"}');
      assert.ok(status(lying) >= 400 && status(lying) < 500, lying.slice(0, 80));
      const chunked = await raw(port, 'POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\nzz\r\n');
      assert.ok(status(chunked) >= 400 && status(chunked) < 500, chunked.slice(0, 80));
      const health = await fetch(`${s.url}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
