/**
 * --max-memory as a bound: a child telescope over a generated sweep capture (issue 21's (b)
 * shape, many sources) with a small bound degrades — per-port counters coarsened, the source
 * table frozen, both reported — and its peak resident memory stays within 5 % of the bound (the
 * end of the run included: --max-memory keeps a reserve for it), where the same run without a
 * bound goes well past it; the fixed part it cannot shed is reported (memory_fixed_mb). Peak RSS is the child's own maxRSS (a preload
 * prints it at exit); bounds are relative with a margin, never wall times.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSweepCapture } from '../helpers/darknet-sweep.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const PACKETS = 600_000;
const SOURCES = 300_000;
const BOUND_MB = 200;

let dir = '';
let capture = '';
let preload = '';

interface Run { peakMb: number; report: { memory_limited: number; memory_fixed_mb: number; spilled_packets: number; malformed: Record<string, number>; totals: { packets: number; sources: number } } }

function runTelescope(maxMemory: string, name: string): Run {
  const out = join(dir, `${name}.json`);
  const r = spawnSync(process.execPath, ['-r', preload, CLI, 'telescope', capture, '--darknet', '198.18.0.0/16', '--no-geo', '-w', '1', '--max-memory', maxMemory, '--json', out, '-q'], {
    encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const stderr = r.stderr;
  const m = /MAXRSS_KB (\d+)/.exec(stderr);
  assert.ok(m, `child printed its peak: ${stderr}`);
  return { peakMb: Number(m[1]) / 1024, report: JSON.parse(readFileSync(out, 'utf8')) as Run['report'] };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-tel-membound-'));
  capture = join(dir, 'sweep.pcap');
  preload = join(dir, 'peak.cjs');
  writeFileSync(preload, "process.on('exit', () => require('fs').writeSync(2, 'MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n'));\n");
  writeSweepCapture(capture, PACKETS, SOURCES);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

test('--max-memory: the run degrades (counted, reported) and its peak stays near the bound; unbounded it goes past', (t) => {
  const free = runTelescope('4GB', 'free');
  const bounded = runTelescope(`${BOUND_MB}MB`, 'bounded');
  t.diagnostic(`peak RSS: unbounded ${free.peakMb.toFixed(0)} MB, bound ${BOUND_MB} MB: ${bounded.peakMb.toFixed(0)} MB (fixed part ${bounded.report.memory_fixed_mb} MB)`);
  // both count every packet; the bounded one still counts every source in the sketches
  assert.equal(free.report.totals.packets, PACKETS);
  assert.equal(bounded.report.totals.packets, PACKETS);
  assert.ok(Math.abs(bounded.report.totals.sources - free.report.totals.sources) <= 0.03 * free.report.totals.sources, `sources ${bounded.report.totals.sources} vs ${free.report.totals.sources}`);
  assert.equal(free.report.memory_limited, 0);
  assert.equal(free.report.spilled_packets, 0);
  // degraded, and said so
  assert.ok(bounded.report.memory_limited >= 1, 'memory_limited reported');
  assert.ok(bounded.report.spilled_packets > 0, 'later sources spilled to the sketches');
  assert.ok(free.peakMb > BOUND_MB * 1.2, `unbounded peak ${free.peakMb.toFixed(0)} MB goes past the bound (else this test proves nothing)`);
  // the fixed part (Node, the fixed tables) is measured and reported, and leaves room to degrade
  assert.ok(bounded.report.memory_fixed_mb > 20 && bounded.report.memory_fixed_mb < BOUND_MB, `fixed part ${bounded.report.memory_fixed_mb} MB`);
  assert.equal(free.report.memory_fixed_mb > 0, true, 'reported under a bound the run never reaches too');
  // the bound holds for the whole process, end of the run included (5 %: the check runs every 16 batches)
  assert.ok(bounded.peakMb <= BOUND_MB * 1.05, `bounded peak ${bounded.peakMb.toFixed(0)} MB within 5 % of the ${BOUND_MB} MB bound`);
});
