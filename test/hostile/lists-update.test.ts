/**
 * Hostile input, issue 16 items 5 and 6: `lists update` against a hostile HTTP server on
 * loopback. A slow or stalled source times out on its own and keeps its cached list; the
 * other sources are still fetched and every source is reported. Redirects stay on the
 * configured scheme and address class, with a hop limit. No test traffic leaves loopback: a
 * refused redirect is refused before any connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedListPath, updateLists, updateSource, type ListSourceConfig } from '../../src/rules/lists/update.js';
import { addressClass, guardedFetch, redirectSchemeAllowed } from '../../src/rules/lists/fetch.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

const LIST = `# pools\n${Array.from({ length: 50 }, (_, i) => `p${i}.pool.example`).join('\n')}\n`;

/** A list server whose paths misbehave on purpose. */
class HostileServer {
  private server: Server;
  private sockets = new Set<Socket>();
  private timers = new Set<NodeJS.Timeout>();
  port = 0;
  hits: string[] = [];
  constructor() {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.hits.push(path);
      const redirect = (to: string) => { res.writeHead(302, { location: to }); res.end(); };
      if (path === '/good') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(LIST); return; }
      if (path === '/slow') return this.drip(res, LIST, 1000); // one byte a second
      if (path === '/slow-300') return this.drip(res, LIST, 300);
      if (path === '/stall') { res.writeHead(200); res.write(LIST.slice(0, 20)); return; } // then nothing
      if (path === '/silent') return; // accepts, never answers
      if (path === '/to-metadata') return redirect('http://169.254.169.254/latest/meta-data/');
      if (path === '/to-lan') return redirect('http://192.168.1.10/list.txt');
      if (path === '/to-public-literal-v6-mapped') return redirect('http://[::ffff:10.0.0.1]/x');
      if (path === '/to-ftp') return redirect('ftp://127.0.0.1/list.txt');
      if (path === '/loop') return redirect('/loop');
      if (path === '/hop') return redirect(`http://localhost:${this.port}/good`);
      res.writeHead(404);
      res.end();
    });
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
  }
  private drip(res: ServerResponse, body: string, everyMs: number): void {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(body[0]);
    let i = 1;
    const t = setInterval(() => {
      if (i >= body.length || res.destroyed) { clearInterval(t); this.timers.delete(t); res.end(); return; }
      res.write(body[i++]);
    }, everyMs);
    this.timers.add(t);
  }
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }
  url(path: string): string { return `http://127.0.0.1:${this.port}${path}`; }
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const src = (name: string, url: string): ListSourceConfig => ({ name, url, format: 'domains', kind: 'pool' });

test('lists update: a slow, a stalled and a silent source each time out on their own; the good one is fetched; cached lists are kept', async () => {
  const srv = new HostileServer();
  await srv.start();
  const cacheDir = mkdtempSync(join(tmpdir(), 'mw-lists-'));
  try {
    // A previous good fetch of "slow" is in the cache.
    assert.equal((await updateSource(src('slow', srv.url('/good')), { cacheDir, timeoutMs: 5000 })).status, 'updated');
    // The cache records the URL: keep it the same so the old list counts as this source's.
    const meta = JSON.parse(readFileSync(join(cacheDir, 'slow.meta.json'), 'utf8')) as { url: string };
    meta.url = srv.url('/slow-300');
    writeFileSync(join(cacheDir, 'slow.meta.json'), JSON.stringify(meta));
    const t0 = Date.now();
    // The slow body never pauses long enough for the idle timeout: the total one ends it.
    const results = await updateLists([src('slow', srv.url('/slow-300')), src('stall', srv.url('/stall')), src('silent', srv.url('/silent')), src('good', srv.url('/good'))],
      { cacheDir, timeoutMs: 1500, idleTimeoutMs: 1000, connectTimeoutMs: 400 });
    const took = Date.now() - t0;
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.equal(by.slow.status, 'failed');
    assert.match(by.slow.reason!, /timed out after 1500 ms in total; cached list kept \(50 entries\)/);
    assert.equal(by.stall.status, 'failed');
    assert.match(by.stall.reason!, /idle timeout/);
    assert.equal(by.silent.status, 'failed');
    assert.match(by.silent.reason!, /connect timeout/);
    assert.equal(by.good.status, 'updated');
    assert.equal(readFileSync(cachedListPath(cacheDir, 'slow'), 'utf8'), LIST, 'the cached list of the failed source is intact');
    assert.ok(took < 1500 + 1000 + 400 + 2000, `took ${took} ms`);
  } finally {
    await srv.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('lists update (command): every source is reported and the run goes on past a failed one', async () => {
  const srv = new HostileServer();
  await srv.start();
  const dir = mkdtempSync(join(tmpdir(), 'mw-lists-'));
  try {
    const cfg = join(dir, 'lists.json');
    writeFileSync(cfg, JSON.stringify({ sources: [src('slow', srv.url('/slow')), src('meta', srv.url('/to-metadata')), src('good', srv.url('/good'))] }));
    // A child process (the server must keep serving meanwhile); --timeout bounds the slow one.
    const child = spawn(process.execPath, [MAIN, 'lists', 'update', '--config', cfg, '--cache-dir', join(dir, 'cache'), '--timeout', '1200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.match(text, /^slow: failed: .*timed out after 1200 ms in total/m);
    assert.match(text, /^meta: failed: refused to connect to 169\.254\.169\.254 \(metadata address/m);
    assert.match(text, /^good: updated/m);
    assert.match(text, /3 sources: 1 ok, 2 failed/);
    assert.equal(code, 1);
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lists update: redirects to metadata, LAN, other schemes and loops are refused; loopback to loopback is followed', async () => {
  const srv = new HostileServer();
  await srv.start();
  try {
    const fetchIt = (path: string) => guardedFetch(srv.url(path), { totalTimeoutMs: 3000, maxRedirects: 5 });
    let r = await fetchIt('/to-metadata');
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /refused to connect to 169\.254\.169\.254 \(metadata/);
    r = await fetchIt('/to-lan');
    assert.match((r as { reason: string }).reason, /refused to connect to 192\.168\.1\.10 \(private/);
    r = await fetchIt('/to-public-literal-v6-mapped');
    assert.match((r as { reason: string }).reason, /refused to connect to ::ffff:a00:1 \(private/);
    r = await fetchIt('/to-ftp');
    assert.match((r as { reason: string }).reason, /redirect from http:\/\/ to ftp:\/\/ refused/);
    const before = srv.hits.length;
    r = await fetchIt('/loop');
    assert.match((r as { reason: string }).reason, /more than 5 redirects/);
    assert.equal(srv.hits.length - before, 6, 'the first request and five hops');
    r = await fetchIt('/hop');
    assert.equal(r.ok, true);
    assert.equal((r as { redirects: number }).redirects, 1);
    assert.equal(Buffer.from((r as { body: Uint8Array }).body).toString(), LIST);
  } finally {
    await srv.stop();
  }
});

test('address classes and the scheme rule', () => {
  assert.equal(addressClass('169.254.169.254'), 'metadata');
  assert.equal(addressClass('fd00:ec2::254'), 'metadata');
  assert.equal(addressClass('169.254.1.1'), 'link-local');
  assert.equal(addressClass('fe80::1'), 'link-local');
  assert.equal(addressClass('127.0.0.1'), 'loopback');
  assert.equal(addressClass('::1'), 'loopback');
  assert.equal(addressClass('::ffff:127.0.0.1'), 'loopback');
  assert.equal(addressClass('10.1.2.3'), 'private');
  assert.equal(addressClass('172.31.255.255'), 'private');
  assert.equal(addressClass('192.168.0.1'), 'private');
  assert.equal(addressClass('fd12::1'), 'private');
  assert.equal(addressClass('0.0.0.0'), 'special');
  assert.equal(addressClass('::'), 'special');
  assert.equal(addressClass('8.8.8.8'), 'public');
  assert.equal(addressClass('2606:4700::1111'), 'public');
  assert.equal(redirectSchemeAllowed('https:', 'http:'), false);
  assert.equal(redirectSchemeAllowed('https:', 'https:'), true);
  assert.equal(redirectSchemeAllowed('http:', 'https:'), true);
  assert.equal(redirectSchemeAllowed('http:', 'file:'), false);
});
