/**
 * The `minewatch` command is the esbuild bundle in dist/bundle (package.json "bin"), with its
 * worker threads in sibling bundles. These tests run it as a user does — a separate process,
 * with workers — and check it agrees with the library run in this process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../src/synth/index.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { BUNDLE, bundleSkip } from '../helpers/bundle.js';


function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BUNDLE!, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bundled command: --version and a usage error exit as documented', { skip: bundleSkip() }, () => {
  assert.match(run('--version').stdout, /^\d+\.\d+\.\d+/);
  assert.equal(run('analyze').status, 2);
  const unknown = run('analyze', 'any.pcap', '--detectors', 'stratum,nope');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--detectors: unknown "nope" \(known: devices, stratum, /);
  assert.equal(run('analyze', 'any.pcap', '--parsers', 'quic').status, 2);
});

test('bundled command: analyze with 2 workers agrees with the library run single-threaded', { skip: bundleSkip() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bundle-'));
  try {
    const pcap = join(dir, 's.pcap');
    await generate('sample', { seed: 3 }, pcap);
    const r = run('analyze', pcap, '-w', '2', '--json', '-', '-q');
    assert.equal(r.status, 0, r.stderr);
    const cli = JSON.parse(r.stdout) as { packets: number; flows: number; alerts: Record<string, number>; workers: number };
    const lib = await analyze({ inputs: [pcap], workers: 1, progress: false });
    assert.equal(cli.workers, 2);
    assert.equal(cli.packets, lib.summary.packets);
    assert.equal(cli.flows, lib.summary.flows);
    assert.deepEqual(cli.alerts, lib.summary.alerts);
    assert.ok(Object.keys(cli.alerts).length >= 3, JSON.stringify(cli.alerts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bundled command: telescope with 2 workers gives the same totals as 1', { skip: bundleSkip() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bundle-'));
  try {
    const pcap = join(dir, 'd.pcap');
    await generate('darknet', { seed: 4, packets: 30_000 }, pcap);
    const totals = (w: string) => {
      const r = run('telescope', pcap, '--darknet', '198.18.0.0/16', '-w', w, '--json', '-', '-q');
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { totals: unknown }).totals;
    };
    const one = totals('1');
    assert.deepEqual(totals('2'), one);
    assert.ok((one as { packets: number }).packets > 20_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
