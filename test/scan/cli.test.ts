/**
 * `minewatch scan` through its commander registration, against a private Redis and nginx:
 * the --json output contract, the HTML report (escaped, self-contained), EVE lines valid
 * under the shared schema, and one-line usage errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parsePortList, register } from '../../src/cli/scan.js';
import { UsageError } from '../../src/util/errors.js';
import { EveEvent } from '../../src/events/eve.js';
import { renderHtmlReport } from '../../src/scan/report-html.js';
import type { ScanResult } from '../../src/scan/types.js';
import { startNginx, startRedis, type TestServer } from '../helpers/servers.js';

let redis: TestServer | string = 'not started';
let nginx: TestServer | string = 'not started';
const dir = mkdtempSync(join(tmpdir(), 'mw-scan-cli-'));

before(async () => {
  [redis, nginx] = await Promise.all([startRedis(), startNginx('<html><head><title>Router &lt;admin&gt; &amp; "setup"</title></head><body><input type="password"></body></html>')]);
});

after(async () => {
  for (const s of [redis, nginx]) if (typeof s !== 'string') await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<string> {
  const program = new Command();
  program.exitOverride();
  register(program);
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'minewatch', 'scan', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

void test('--json/--html/--eve follow the output contract', async (t) => {
  if (typeof redis === 'string' || typeof nginx === 'string') return t.skip(String(typeof redis === 'string' ? redis : nginx));
  const json = join(dir, 'r.json');
  const html = join(dir, 'r.html');
  const eve = join(dir, 'r.eve');
  const out = await run(['127.0.0.1', '--ports', `${redis.port},${nginx.port}`, '--json', json, '--html', html, '--eve', eve, '--no-ssdp', '--no-progress', '--timeout', '1500']);
  assert.match(out, /redis-no-auth/);
  const r = JSON.parse(readFileSync(json, 'utf8')) as ScanResult;
  assert.equal(r.hosts.length, 1);
  const h = r.hosts[0];
  assert.equal(h.address, '127.0.0.1');
  assert.equal(h.state, 'up');
  for (const p of h.ports) for (const k of ['port', 'proto', 'state', 'service', 'product', 'version', 'banner']) assert.ok(k in p, `port field ${k}`);
  for (const f of h.findings) for (const k of ['id', 'severity', 'title', 'evidence', 'remediation']) assert.ok(k in f, `finding field ${k}`);
  assert.deepEqual(h.findings.map((f) => f.id).sort(), ['admin-http-cleartext', 'redis-no-auth']);

  const page = readFileSync(html, 'utf8');
  assert.match(page, /^<!DOCTYPE html>/);
  assert.ok(page.includes('Router &lt;admin&gt; &amp; &quot;setup&quot;'), 'page title from the network is escaped');
  assert.ok(!page.includes('Router <admin>'));
  assert.ok(!/<script|src=["']?http|href=["']?http/i.test(page), 'self-contained');

  const lines = readFileSync(eve, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 1 + h.findings.length);
  for (const e of lines) {
    assert.equal(e.event_type, 'scan');
    assert.ok(EveEvent.safeParse(e).success, JSON.stringify(e));
  }
  const redisPort = redis.port;
  assert.ok(lines.some((e) => (e.minewatch as { detector: string }).detector === 'scan:redis-no-auth' && e.dest_port === redisPort));
});

void test('usage errors: public address without consent, bad port list, bad numbers', async () => {
  await assert.rejects(run(['8.8.8.8', '--no-progress']), (e: unknown) => e instanceof UsageError && /i-own-these-addresses/.test(e.message));
  assert.throws(() => parsePortList('80,abc'), UsageError);
  assert.throws(() => parsePortList('0'), UsageError);
  assert.throws(() => parsePortList('10-5'), UsageError);
  assert.deepEqual(parsePortList('443, 22,80-82,22'), [22, 80, 81, 82, 443]);
  await assert.rejects(run(['127.0.0.1', '--timeout', '-3']), UsageError);
});

void test('HTML report of a down host and an interrupted scan says so', () => {
  const page = renderHtmlReport({
    hosts: [{ address: '10.0.0.9', state: 'down', discoveredBy: [], ports: [], findings: [] }],
    stats: { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', elapsedMs: 1000, hostsTargeted: 1, hostsUp: 0, portsProbed: 3, openPorts: 0, credentialAttempts: 0, interrupted: true, malformed: {} },
  });
  assert.match(page, /interrupted/);
  assert.match(page, /Nothing answered/);
});
