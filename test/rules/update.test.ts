import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { cachedListPath, formatUpdateReport, updateLists, updateSource, type ListSourceConfig } from '../../src/rules/lists/update.js';
import { loadIntel } from '../../src/rules/lists/default.js';
import { register } from '../../src/cli/lists.js';

/** A local list server on 127.0.0.1 whose responses the test controls. */
class ListServer {
  body = '';
  status = 200;
  etag = '"v1"';
  requests: IncomingHttpHeaders[] = [];
  private server: Server;
  port = 0;
  constructor() {
    this.server = createServer((req, res) => {
      this.requests.push(req.headers);
      if (this.status !== 200) { res.writeHead(this.status); res.end('error'); return; }
      if (req.headers['if-none-match'] === this.etag) { res.writeHead(304); res.end(); return; }
      res.writeHead(200, { etag: this.etag, 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT', 'content-type': 'text/plain' });
      res.end(this.body);
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }
  url(path = '/list.txt'): string { return `http://127.0.0.1:${this.port}${path}`; }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const domains = (n: number, tag = 'a'): string => `# test list\n${Array.from({ length: n }, (_, i) => `${tag}${i}.pool.example`).join('\n')}\n`;

test('update: fetch, 304 via ETag, change, shrink guard, --force, integrity checks', async () => {
  const srv = new ListServer();
  await srv.start();
  const cacheDir = mkdtempSync(join(tmpdir(), 'mw-cache-'));
  try {
    const src: ListSourceConfig = { name: 'pools', url: srv.url(), format: 'domains', kind: 'pool' };
    srv.body = domains(100);
    let r = await updateSource(src, { cacheDir, timeoutMs: 5000 });
    assert.equal(r.status, 'updated');
    assert.equal(r.entriesBefore, null);
    assert.equal(r.entriesAfter, 100);
    assert.equal(readFileSync(cachedListPath(cacheDir, 'pools'), 'utf8'), srv.body);

    r = await updateSource(src, { cacheDir, timeoutMs: 5000 });
    assert.equal(r.status, 'not-modified');
    assert.equal(srv.requests.at(-1)!['if-none-match'], '"v1"');
    assert.equal(srv.requests.at(-1)!['if-modified-since'], 'Mon, 01 Jan 2024 00:00:00 GMT');

    srv.etag = '"v2"';
    srv.body = domains(120, 'b');
    r = await updateSource(src, { cacheDir, timeoutMs: 5000 });
    assert.equal(r.status, 'updated');
    assert.deepEqual([r.entriesBefore, r.entriesAfter], [100, 120]);

    srv.etag = '"v3"';
    srv.body = domains(10, 'c');
    r = await updateSource(src, { cacheDir, timeoutMs: 5000 });
    assert.equal(r.status, 'failed');
    assert.match(r.reason!, /shrunk from 120 to 10 entries/);
    assert.match(readFileSync(cachedListPath(cacheDir, 'pools'), 'utf8'), /b0\.pool\.example/, 'cache untouched on failure');
    r = await updateSource(src, { cacheDir, timeoutMs: 5000, force: true });
    assert.equal(r.status, 'updated');
    assert.equal(r.entriesAfter, 10);

    const pinned = { ...src, name: 'pinned', sha256: createHash('sha256').update('other').digest('hex') };
    r = await updateSource(pinned, { cacheDir, timeoutMs: 5000 });
    assert.equal(r.status, 'failed');
    assert.match(r.reason!, /sha256 mismatch/);
    const goodPin = { ...src, name: 'pinned2', sha256: createHash('sha256').update(srv.body).digest('hex') };
    assert.equal((await updateSource(goodPin, { cacheDir, timeoutMs: 5000 })).status, 'updated');

    srv.etag = '"html"';
    srv.body = '<html><body>\n<p>Moved</p>\n<p>see elsewhere</p>\n</body></html>\n';
    r = await updateSource({ ...src, name: 'html', format: 'adblock' }, { cacheDir, timeoutMs: 5000 });
    assert.equal(r.status, 'failed');
    assert.match(r.reason!, /got an HTML\/XML page/);
    assert.equal(existsSync(cachedListPath(cacheDir, 'html')), false);
    srv.etag = '"junk"';
    srv.body = 'just some\ntext lines\nthat are not rules\n';
    r = await updateSource({ ...src, name: 'junk', format: 'adblock' }, { cacheDir, timeoutMs: 5000 });
    assert.match(r.reason!, /does not look like adblock/);
    srv.etag = '"mostly-junk"';
    srv.body = 'a.pool.example\njust some\ntext lines\nthat are not names\n';
    r = await updateSource({ ...src, name: 'junk-domains' }, { cacheDir, timeoutMs: 5000 });
    assert.match(r.reason!, /does not look like domains: only 1 of 4 lines parsed/);

    srv.body = '';
    srv.etag = '"empty"';
    assert.match((await updateSource({ ...src, name: 'empty' }, { cacheDir, timeoutMs: 5000 })).reason!, /no entries/);

    srv.body = domains(5, 'd');
    srv.etag = '"few"';
    assert.match((await updateSource({ ...src, name: 'few', minEntries: 50 }, { cacheDir, timeoutMs: 5000 })).reason!, /fewer than the minimum 50/);

    srv.status = 500;
    assert.equal((await updateSource({ ...src, name: 'err' }, { cacheDir, timeoutMs: 5000 })).reason, 'HTTP 500');

    assert.match((await updateSource({ ...src, name: '../evil' }, { cacheDir })).reason!, /source name/);
    assert.match((await updateSource({ ...src, name: 'ftp', url: 'ftp://127.0.0.1/x' }, { cacheDir })).reason!, /only http/);
  } finally {
    await srv.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('update: unreachable source fails with a reason; report lists every source', async () => {
  const srv = new ListServer();
  await srv.start();
  const deadUrl = srv.url();
  await srv.stop(); // nothing listens on this port any more
  const cacheDir = mkdtempSync(join(tmpdir(), 'mw-cache-'));
  try {
    const results = await updateLists([{ name: 'dead', url: deadUrl, format: 'domains' }], { cacheDir, timeoutMs: 3000 });
    assert.equal(results[0].status, 'failed');
    assert.match(results[0].reason!, /fetch failed/);
    assert.match(formatUpdateReport(results), /dead: failed: fetch failed.*\n1 sources: 0 ok, 1 failed/);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('cached lists are loaded by loadIntel; CLI update reports and sets exit code', async () => {
  const srv = new ListServer();
  await srv.start();
  const dir = mkdtempSync(join(tmpdir(), 'mw-cli-update-'));
  try {
    srv.body = '||cachedpool.example^\n@@||ok.cachedpool.example^\n';
    const cfgPath = join(dir, 'lists.json');
    const sources = [{ name: 'nocoin-mirror', url: srv.url('/nocoin.txt'), format: 'adblock', kind: 'browser-miner' }];
    const { writeFileSync } = await import('node:fs');
    writeFileSync(cfgPath, JSON.stringify({ cacheDir: join(dir, 'cache'), sources }));
    const out: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
    const savedExit = process.exitCode;
    try {
      const program = new Command().exitOverride();
      register(program);
      await program.parseAsync(['node', 'minewatch', 'lists', 'update', '--config', cfgPath]);
    } finally {
      process.stdout.write = orig;
    }
    assert.match(out.join(''), /nocoin-mirror: updated \(- → 2 entries\)/);
    assert.equal(process.exitCode, savedExit);
    const intel = loadIntel({ includeDefault: false, sources: sources as ListSourceConfig[], cacheDir: join(dir, 'cache') });
    assert.equal(intel.matchDomain('x.cachedpool.example')?.list, 'nocoin-mirror');
    assert.equal(intel.matchDomain('ok.cachedpool.example'), null);

    const bad = new Command().exitOverride();
    register(bad);
    writeFileSync(cfgPath, JSON.stringify({ sources: [{ name: 'x', url: 'file:///etc/passwd', format: 'domains' }] }));
    await assert.rejects(bad.parseAsync(['node', 'minewatch', 'lists', 'update', '--config', cfgPath]), /sources\.0\.url/);
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
