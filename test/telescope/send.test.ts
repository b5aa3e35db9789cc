/**
 * `minewatch telescope … --send`: the run reaches a real collector as one `telescope` event
 * (its span, totals and presentation data), which the dashboard's route reads back; sending
 * the same run again is a duplicate, not a second run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from '../../src/synth/index.js';
import { startServer } from '../../src/server/start.js';
import { createToken, createUser } from '../../src/store/identity.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => res({ code, stderr }));
  });
}

test('telescope --send: one run event and its intervals stored, read back by /api/v1/telescope/summary; a resend is a duplicate', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-tel-send-'));
  const server = await startServer({ db: `sqlite:${join(dir, 'mw.db')}`, listen: '127.0.0.1:0', notice: () => {} });
  try {
    const { token } = await createToken(server.store, 'telescope-1', null);
    writeFileSync(join(dir, 'token'), `${token}\n`);
    await createUser(server.store, { name: 'vic', role: 'viewer', org: null, password: 'a viewer password' });
    const pcap = join(dir, 'd.pcap');
    await generate('darknet', { seed: 9, packets: 12_000, darknet: '198.18.0.0/16', hours: 4 }, pcap);
    const args = ['telescope', pcap, '--darknet', '198.18.0.0/16', '-w', '1', '--json', join(dir, 'r.json'), '--send', server.url, '--token-file', join(dir, 'token'), '--outbox', join(dir, 'outbox'), '-q'];
    const r = await run(args);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { totals: { packets: number; sources: number }; alerts: unknown[] };
    const rows = await server.store.db.selectFrom('telescope_intervals').select(['kind', 'packets', 'sources']).where('kind', '=', 'run').execute();
    assert.deepEqual(rows.map((x) => [Number(x.packets), Number(x.sources)]), [[report.totals.packets, report.totals.sources]]);
    // beside the run summary, one row per interval (what report trends add up): the same packets in all
    const intervals = await server.store.db.selectFrom('telescope_intervals').select(['packets']).where('kind', '=', 'interval').execute();
    assert.ok(intervals.length >= 4, `${intervals.length} interval rows`);
    assert.equal(intervals.reduce((a, x) => a + Number(x.packets), 0), report.totals.packets);
    const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'vic', password: 'a viewer password' }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const sum = await (await fetch(`${server.url}/api/v1/telescope/summary?from=0&to=${Date.now() + 86_400_000}`, { headers: { cookie } })).json() as { runs: number; data: { totals: { packets: number }; intervals: unknown[] } };
    assert.equal(sum.runs, 1);
    assert.equal(sum.data.totals.packets, report.totals.packets);
    assert.ok(sum.data.intervals.length >= 4);
    const again = await run(args);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await server.store.db.selectFrom('telescope_intervals').select('id').execute()).length, 1 + intervals.length, 'the same run sent twice is stored once');
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
