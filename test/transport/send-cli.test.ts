/**
 * `minewatch analyze … --send`: the command's EVE events reach a collector (a loopback stand-in),
 * each once with a minewatch.event_id, the same events --eve writes; option mistakes are usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from '../../src/synth/index.js';
import { FakeCollector } from '../helpers/fake-collector.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => res({ code, stderr }));
  });
}

test('analyze --send: every EVE event reaches the collector once, with an event id; the outbox is empty after', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-send-cli-'));
  const col = new FakeCollector('cli-token');
  await col.start();
  try {
    const pcap = join(dir, 'mixed.pcap');
    await generate('mixed', { seed: 3, sizeBytes: 3e6 }, pcap);
    writeFileSync(join(dir, 'token'), 'cli-token\n');
    const eve = join(dir, 'eve.json');
    const r = await run(['analyze', pcap, '-w', '1', '--eve', eve, '--send', col.url, '--token-file', join(dir, 'token'), '--outbox', join(dir, 'outbox'), '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(eve, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event_type: string });
    assert.ok(lines.length > 10, `${lines.length} EVE events`);
    assert.equal(col.stored.size, lines.length, 'as many events arrived as --eve wrote');
    const types = (xs: Array<{ event_type: unknown }>) => xs.map((e) => String(e.event_type)).sort().join(',');
    assert.equal(types([...col.stored.values()] as Array<{ event_type: unknown }>), types(lines));
    assert.equal(col.duplicates, 0);
    assert.match(r.stderr, new RegExp(`sent ${lines.length} events`));
    const again = await run(['analyze', pcap, '-w', '1', '--send', col.url, '--token-file', join(dir, 'token'), '--outbox', join(dir, 'outbox'), '-q']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(col.stored.size, 2 * lines.length, 'a second run is new events (new ids), nothing re-sent from the outbox');
  } finally {
    await col.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('analyze --send: option mistakes fail before any work with one clear line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-send-cli-'));
  try {
    const noToken = await run(['analyze', 'x.pcap', '--send', 'http://127.0.0.1:9']);
    assert.notEqual(noToken.code, 0);
    assert.match(noToken.stderr, /--send needs --token-file/);
    const orphan = await run(['analyze', 'x.pcap', '--token-file', 'x']);
    assert.match(orphan.stderr, /go with --send URL/);
    const badUrl = await run(['analyze', 'x.pcap', '--send', 'ftp://x', '--token-file', '/nonexistent']);
    assert.match(badUrl.stderr, /cannot read the token file|http:\/\/ or https:\/\//);
    writeFileSync(join(dir, 'token'), 't\n');
    const badSize = await run(['analyze', 'x.pcap', '--send', 'http://127.0.0.1:9', '--token-file', join(dir, 'token'), '--outbox-max-bytes', 'lots']);
    assert.match(badSize.stderr, /--outbox-max-bytes: cannot read "lots"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('telescope --send: one telescope event per interval (with its sketch) and one run summary besides the alerts; a re-run repeats the same interval ids', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-send-tel-'));
  const col = new FakeCollector('tel-token');
  await col.start();
  try {
    const pcap = join(dir, 'darknet.pcap');
    await generate('darknet', { seed: 4, packets: 8_000, darknet: '198.18.0.0/16', hours: 3 }, pcap);
    writeFileSync(join(dir, 'token'), 'tel-token\n');
    const args = ['telescope', pcap, '--darknet', '198.18.0.0/16', '--no-geo', '-w', '1', '--send', col.url, '--token-file', join(dir, 'token'), '--outbox', join(dir, 'outbox'), '-q'];
    const r = await run(args);
    assert.equal(r.code, 0, r.stderr);
    const telescope = () => [...col.stored.values()].filter((e) => (e as { event_type: string }).event_type === 'telescope') as Array<{ telescope: { kind: string; packets: number; sketch: string; start: string } }>;
    const intervals = telescope().filter((e) => e.telescope.kind === 'interval');
    assert.equal(intervals.length, 3);
    assert.deepEqual(telescope().filter((e) => e.telescope.kind === 'run').map((e) => e.telescope.packets), [intervals.reduce((a, e) => a + e.telescope.packets, 0)], 'and one run summary with all their packets');
    assert.ok(intervals.every((i) => i.telescope.packets > 0 && i.telescope.sketch.length > 0));
    const again = await run(args);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(telescope().length, 4, 'interval and run ids derive from the content: the collector holds them once');
  } finally {
    await col.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
