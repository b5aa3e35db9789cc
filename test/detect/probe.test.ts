import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProbeConfirmer, judgeReply, StratumProber } from '../../src/detect/probe.js';
import { fakeFlow, recordingContext } from './fixtures.js';

const LOOPBACK_ONLY = (ip: string) => ip === '127.0.0.1';

/** A fake pool: answers mining.subscribe (v1) or login (CryptoNote rejects the dummy wallet). */
function poolHandler(kind: 'v1' | 'cryptonote' | 'http', seen: string[]) {
  return (s: Socket) => {
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      seen.push(d);
      if (kind === 'http') { s.end('HTTP/1.1 400 Bad Request\r\n\r\n'); return; }
      const req = JSON.parse(d.trim()) as { id: number; method: string };
      if (kind === 'v1' && req.method === 'mining.subscribe') s.write(`${JSON.stringify({ id: req.id, result: [[['mining.set_difficulty', 'a'], ['mining.notify', 'b']], '08000002', 4], error: null })}\n`);
      else if (kind === 'cryptonote' && req.method === 'login') s.write(`${JSON.stringify({ id: req.id, jsonrpc: '2.0', error: { code: -1, message: 'Invalid wallet address' } })}\n`);
      else s.end();
    });
    s.on('error', () => {});
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port)));
}
const close = (s: Server) => new Promise((r) => s.close(r));

function needOpenssl(): false | string {
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0) return false;
  const m = 'openssl CLI not installed';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${m}`);
  console.error(`\n*** SKIPPING: ${m} ***\n`);
  return m;
}

void test('probe: plain Stratum v1 pool confirmed; HTTP server is not a pool; cache and rate limit', { timeout: 15000 }, async () => {
  const seen: string[] = [];
  const pool = createServer(poolHandler('v1', seen));
  const web = createServer(poolHandler('http', []));
  const poolPort = await listen(pool);
  const webPort = await listen(web);
  try {
    const prober = new StratumProber({ timeoutMs: 1000, maxPerMinute: 3, tls: false, allow: LOOPBACK_ONLY });
    const r = await prober.probe('127.0.0.1', poolPort);
    assert.equal(r.isPool, true);
    assert.equal(r.dialect, 'stratum-v1');
    assert.match(r.reply, /mining\.notify/);
    const again = await prober.probe('127.0.0.1', poolPort);
    assert.equal(again.cached, true);
    assert.equal(seen.length, 1, 'cached: no second connection');
    const w = await prober.probe('127.0.0.1', webPort);
    assert.equal(w.isPool, false);
    assert.equal((await prober.probe('127.0.0.1', 1)).error?.startsWith('connect:'), true);
    assert.equal((await prober.probe('127.0.0.1', 2)).error, 'rate-limited');
    assert.equal((await prober.probe('192.0.2.1', 3333)).error, 'not-allowed');
  } finally {
    await close(pool);
    await close(web);
  }
});

void test('probe: CryptoNote pool behind TLS with a self-signed certificate (generated now) is confirmed', { skip: needOpenssl(), timeout: 20000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-probe-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=pool.test'], { stdio: 'ignore' });
    const seen: string[] = [];
    const tlsPool = createTlsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, poolHandler('cryptonote', seen));
    const port = await listen(tlsPool as unknown as Server);
    try {
      const prober = new StratumProber({ timeoutMs: 1500, allow: LOOPBACK_ONLY });
      const r = await prober.probe('127.0.0.1', port);
      assert.equal(r.isPool, true, JSON.stringify(r));
      assert.equal(r.tls, true);
      assert.equal(r.dialect, 'cryptonote');
      // The confirmer emits an alert for a suspicious flow to that server.
      const ctx = recordingContext();
      const confirm = createProbeConfirmer(new StratumProber({ timeoutMs: 1500, allow: LOOPBACK_ONLY }));
      const flow = fakeFlow({ serverIp: '127.0.0.1', serverPort: port });
      confirm(flow, 0.6, ctx);
      for (let i = 0; i < 100 && ctx.alerts.length === 0; i++) await new Promise((res) => setTimeout(res, 50));
      assert.equal(ctx.alerts.length, 1);
      assert.equal(ctx.alerts[0].alert.signatureId, 9100900);
      assert.equal(ctx.alerts[0].alert.device?.ip, '192.168.1.10');
    } finally {
      await close(tlsPool as unknown as Server);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('probe: reply judgement', () => {
  assert.equal(judgeReply('{"id":1,"jsonrpc":"2.0","result":{"id":"1","job":{"blob":"07","job_id":"1","target":"ff"},"status":"OK"}}', 'login'), 'cryptonote');
  assert.equal(judgeReply('{"id":1,"error":{"message":"Invalid payment id"}}', 'login'), 'cryptonote');
  assert.equal(judgeReply('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method login does not exist"}}', 'subscribe'), null);
  assert.equal(judgeReply('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method login does not exist/is not available"}}', 'login'), null);
  assert.equal(judgeReply('SSH-2.0-OpenSSH_9.2', 'subscribe'), null);
});
