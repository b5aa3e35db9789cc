/** The shared option parsers (cli/options.ts) and output checks (cli/outputs.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCidrList, parseCount, parseIntOption, parseWorkers } from '../../src/cli/options.js';
import { checkOutputs, stdoutClaimed, writeOutput } from '../../src/cli/outputs.js';
import { OutputError, UsageError } from '../../src/util/errors.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';

void test('integer, worker and count parsers: ranges, signs, junk', () => {
  const p = parseIntOption('--max-flows', 1000, 5000);
  assert.equal(p('1000'), 1000);
  for (const bad of ['999', '5001', '1e3', '12.5', 'abc', '', '0x400']) assert.throws(() => p(bad), (e: unknown) => e instanceof UsageError && e.subject === '--max-flows', bad);
  const w = parseWorkers();
  assert.equal(w('auto'), 'auto');
  assert.equal(w('4'), 4);
  for (const bad of ['0', '65', 'two']) assert.throws(() => w(bad), UsageError);
  assert.equal(parseCount('--packets', '10M'), 10_000_000);
  assert.throws(() => parseCount('--packets', '0'), UsageError);
});

void test('CIDR lists refuse what is not an address or CIDR, and accumulate', () => {
  const p = parseCidrList('--home-net');
  assert.deepEqual(p('10.0.0.0/8,192.168.1.0/24', undefined), ['10.0.0.0/8', '192.168.1.0/24']);
  assert.deepEqual(p('fd00::/8', ['10.0.0.0/8']), ['10.0.0.0/8', 'fd00::/8']);
  assert.deepEqual(p('192.168.1.7', undefined), ['192.168.1.7']);
  for (const bad of ['notacidr', '10.0.0.0/99', '10.0.0.0/', '10.0.0/8', 'fd00::/129', '10.0.0.0/8/8', '300.1.1.1/8']) {
    assert.throws(() => p(bad, undefined), (e: unknown) => e instanceof UsageError && e.code === 'usage.bad-cidr', bad);
  }
});

void test('outputs: one stdout, no duplicates, paths checked before work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-outputs-'));
  try {
    checkOutputs([{ option: '--json', path: '-' }, { option: '--eve', path: join(dir, 'e.json') }, { option: '--html', path: undefined }]);
    assert.ok(stdoutClaimed([{ option: '--json', path: '-' }]));
    assert.throws(() => checkOutputs([{ option: '--json', path: '-' }, { option: '--eve', path: '-' }]), (e: unknown) => e instanceof UsageError && e.code === 'usage.stdout-twice');
    assert.throws(() => checkOutputs([{ option: '--csv', path: '-', dir: true }]), (e: unknown) => e instanceof UsageError && e.code === 'usage.stdout-not-allowed');
    assert.throws(() => checkOutputs([{ option: '--json', path: join(dir, 'a') }, { option: '--eve', path: join(dir, '.', 'a') }]), (e: unknown) => e instanceof UsageError && e.code === 'usage.same-output');
    assert.throws(() => checkOutputs([{ option: '--json', path: join(dir, 'no', 'x.json') }]), (e: unknown) => e instanceof OutputError && e.code === 'output.no-directory');
    assert.throws(() => checkOutputs([{ option: '--json', path: dir }]), (e: unknown) => e instanceof OutputError && e.code === 'output.is-directory');
    writeFileSync(join(dir, 'file'), 'x');
    assert.throws(() => checkOutputs([{ option: '--csv', path: join(dir, 'file'), dir: true }]), (e: unknown) => e instanceof OutputError && e.code === 'output.not-directory');
    // a --csv directory one level below an existing one is fine (it will be created), two levels are not
    checkOutputs([{ option: '--csv', path: join(dir, 'csv'), dir: true }]);
    assert.throws(() => checkOutputs([{ option: '--csv', path: join(dir, 'x', 'csv'), dir: true }]), OutputError);
    if (process.getuid?.() !== 0) {
      const ro = join(dir, 'ro');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      assert.throws(() => checkOutputs([{ option: '--json', path: join(ro, 'x.json') }]), (e: unknown) => e instanceof OutputError && e.code === 'output.not-writable');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('atomic writes: whole file or the old one, no temporary left behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-atomic-'));
  try {
    const f = join(dir, 'report.json');
    writeFileAtomic(f, 'old');
    writeOutput(f, 'new');
    assert.equal(readFileSync(f, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['report.json']);
    // a failed write (the target is a directory) keeps nothing half-written
    mkdirSync(join(dir, 'd'));
    assert.throws(() => writeFileAtomic(join(dir, 'd'), 'x'));
    assert.deepEqual(readdirSync(dir).sort(), ['d', 'report.json']);
    assert.ok(existsSync(join(dir, 'd')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('writeFileAtomic writes into a pipe or device in place instead of renaming over it (-o /dev/null once replaced the device node)', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-atomic-fifo-'));
  try {
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let got = '';
    reader.stdout.on('data', (d: Buffer) => { got += d.toString(); });
    const done = new Promise((resolve) => reader.once('exit', resolve));
    writeFileAtomic(fifo, 'through the pipe');
    await done;
    assert.equal(got, 'through the pipe');
    assert.ok(statSync(fifo).isFIFO(), 'the FIFO is still a FIFO');
    assert.deepEqual(readdirSync(dir), ['out.fifo'], 'no temporary file left beside it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
