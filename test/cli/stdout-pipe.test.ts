/**
 * `-` means stdout for every output of every command (never a file named "-"), the human text
 * steps aside when an output owns stdout, and a reader that goes away (`… | head -1`) ends the
 * command quietly: exit 0, no stack trace, and the work stops early.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../src/synth/index.js';
import { EveEvent } from '../../src/events/eve.js';
import { BUNDLE, bundleSkip } from '../helpers/bundle.js';


let dir = '';
let sample = '';
let darknet = '';
let flood = '';

function run(args: string[], cwd = dir): { status: number | null; stdout: string; stderr: string; stdoutBytes: Buffer } {
  const r = spawnSync(process.execPath, [BUNDLE!, ...args], { cwd, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), stdoutBytes: r.stdout };
}

/** Runs the command in a fresh directory and checks that no file named "-" appeared there. */
function runStdout(args: string[]): ReturnType<typeof run> {
  const cwd = mkdtempSync(join(dir, 'cwd-'));
  const r = run(args, cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(cwd).filter((f) => f === '-' || f.startsWith('.-')), [], 'no file named -');
  return r;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-cli-stdout-'));
  sample = join(dir, 's.pcap');
  darknet = join(dir, 'd.pcap');
  flood = join(dir, 'flood.pcap');
  await generate('sample', { seed: 1 }, sample);
  await generate('darknet', { seed: 2, packets: 5000, darknet: '198.18.0.0/16', hours: 1 }, darknet);
  // 200 k one-packet flows: an EVE stream far bigger than a pipe buffer
  await generate('small', { seed: 1, packets: 200_000 }, flood);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

test("analyze: --eve - and --json - write to stdout, and the summary text steps aside", { skip: bundleSkip() }, () => {
  const eve = runStdout(['analyze', sample, '--eve', '-']);
  const lines = eve.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.ok(lines.length > 50);
  for (const e of lines) assert.ok(EveEvent.safeParse(e).success, JSON.stringify(e));
  const json = runStdout(['analyze', sample, '--json', '-']);
  assert.ok((JSON.parse(json.stdout) as { packets: number }).packets > 0);
});

test('telescope: --json -, --html - and --eve - write to stdout', { skip: bundleSkip() }, () => {
  const args = ['telescope', darknet, '--darknet', '198.18.0.0/16', '--no-geo', '-w', '1'];
  assert.ok((JSON.parse(runStdout([...args, '--json', '-']).stdout) as { totals: { packets: number } }).totals.packets > 0);
  assert.match(runStdout([...args, '--html', '-']).stdout, /^<!DOCTYPE html>/i);
  assert.match(runStdout([...args, '--report', '-']).stdout, /^<!DOCTYPE html>/i, 'the old name is an alias');
  runStdout([...args, '--eve', '-']);
  const a = join(dir, 'a.state');
  assert.equal(run([...args, '--state', a, '-q']).status, 0);
  assert.ok((JSON.parse(runStdout(['telescope', 'merge', a]).stdout) as { totals: { packets: number } }).totals.packets > 0, 'merge: stdout by default');
  assert.ok((JSON.parse(runStdout(['telescope', 'merge', a, '--json', '-']).stdout) as { totals: { packets: number } }).totals.packets > 0);
});

test('scan: --json -, --html - and --eve - write to stdout (loopback, one closed port)', { skip: bundleSkip() }, () => {
  const args = ['scan', '127.0.0.1', '-p', '9', '--timeout', '300', '--no-progress', '--no-ssdp'];
  const json = JSON.parse(runStdout([...args, '--json', '-']).stdout) as { hosts: { address: string }[]; stats: object };
  assert.equal(json.hosts[0].address, '127.0.0.1');
  assert.match(runStdout([...args, '--html', '-']).stdout, /^<!DOCTYPE html>/);
  runStdout([...args, '--eve', '-']);
});

test('synth -o -, lists export -o -, schema eve -o -: stdout', { skip: bundleSkip() }, () => {
  const pcap = runStdout(['synth', 'small', '--packets', '1000', '-o', '-']);
  assert.equal(pcap.stdoutBytes.readUInt32LE(0), 0xa1b2c3d4, 'a pcap on stdout');
  assert.match(pcap.stderr, /^wrote -: 1000 packets/, 'the report line goes to stderr');
  const list = join(dir, 'pools.txt');
  writeFileSync(list, 'pool.example.org\n');
  assert.match(runStdout(['lists', 'export', '-f', 'hosts', '--no-default', '--lists', list, '-o', '-']).stdout, /pool\.example\.org/);
  const schema = JSON.parse(runStdout(['schema', 'eve', '-o', '-']).stdout) as { oneOf: unknown[] };
  assert.equal(schema.oneOf.length, 8, 'flow, alert, stats, scan, device, dns, tls, http');
});

/** Starts the command, reads its first line of stdout, then closes the pipe like `head -1`. */
function firstLineThenClose(args: string[]): Promise<{ code: number | null; signal: string | null; first: string; stderr: string; ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [BUNDLE!, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let first = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      if (first) return;
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        first = buf.slice(0, nl);
        child.stdout.destroy();
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, first, stderr, ms: Date.now() - t0 }));
  });
}

test('analyze --eve - | head -1: exit 0, no stack trace', { skip: bundleSkip() }, async (t) => {
  const t0 = Date.now();
  const full = run(['analyze', flood, '--eve', join(dir, 'all.eve'), '-q', '-w', '1']);
  assert.equal(full.status, 0, full.stderr);
  const fullMs = Date.now() - t0;
  const r = await firstLineThenClose(['analyze', flood, '--eve', '-', '-w', '1']);
  // informational (the machine is shared). Reading stops at the next batch after a failed write;
  // in this capture every flow ends only at the end of the input, so the events are written then.
  t.diagnostic(`whole run to a file ${fullMs} ms; closed after the first line ${r.ms} ms`);
  assert.ok(EveEvent.safeParse(JSON.parse(r.first)).success, r.first);
  assert.equal(r.stderr, '', 'nothing on stderr (no EPIPE stack trace)');
  assert.equal(r.code, 0);
});

test('lists export | head -1: exit 0, no stack trace', { skip: bundleSkip() }, async () => {
  const list = join(dir, 'many.txt');
  writeFileSync(list, Array.from({ length: 50_000 }, (_, i) => `pool${i}.example.org`).join('\n') + '\n');
  const r = await firstLineThenClose(['lists', 'export', '-f', 'hosts', '--lists', list]);
  assert.ok(r.first.length > 0);
  assert.equal(r.stderr, '', 'nothing on stderr (no EPIPE stack trace)');
  assert.equal(r.code, 0);
});

test('synth -o - | head -c: exit 0, no stack trace', { skip: bundleSkip() }, async () => {
  const r = await firstLineThenClose(['synth', 'small', '--packets', '200000', '-o', '-']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Error|^\s+at /m);
});
