/**
 * The error-to-exit-code table for every command (issue 14, items 6-8): each bad input exits
 * with the documented code and prints exactly one line, `minewatch: …`, naming the option or
 * file — no usage dump, no stack trace — and writes or creates nothing. Runs the bundled command
 * (what users run) as a separate process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CASES, makeFixtures, withDir } from './error-cases.js';
import { BUNDLE, bundleSkip } from '../helpers/bundle.js';


let dir = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-cli-errors-'));
  await makeFixtures(dir);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

for (const c of ERROR_CASES) {
  test(`${c.name} → exit ${c.code}, one line`, { skip: bundleSkip() }, () => {
    const args = c.args.map((a) => withDir(a, dir));
    const r = spawnSync(process.execPath, [BUNDLE!, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    assert.equal(r.status, c.code, `exit code; stderr:\n${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
    assert.ok(lines[0].startsWith('minewatch: '), lines[0]);
    assert.match(lines[0].slice('minewatch: '.length), c.line);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(r.stdout, '', 'nothing on stdout');
    for (const p of c.absent ?? []) assert.ok(!existsSync(withDir(p, dir)), `${p} must not be created`);
  });
}

test('--debug adds the stack trace to the same error', { skip: bundleSkip() }, () => {
  const r = spawnSync(process.execPath, [BUNDLE!, '--debug', 'analyze', join(dir, 's.pcap'), '--suppress', join(dir, 'not-json.json')], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /ConfigError: --suppress \S+: not valid JSON/);
  assert.match(r.stderr, /^\s+at /m);
});

test('a rules file that yields no rule is a warning, and --json carries what loaded', { skip: bundleSkip() }, () => {
  const r = spawnSync(process.execPath, [BUNDLE!, 'analyze', join(dir, 's.pcap'), '--rules', join(dir, 'no-rules.rules'), '--json', '-'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^minewatch: rules: no-rules\.rules: 0 rules loaded, 1 skipped \(action 1\), 1 commented out — warning: this file yields no rule$/m);
  const s = JSON.parse(r.stdout) as { rules: { loaded: number; skipped: number; files: { file: string; skipped_by_keyword: Record<string, number> }[] }; warnings: string[] };
  assert.equal(s.rules.loaded, 0);
  assert.equal(s.rules.skipped, 1);
  assert.deepEqual(s.rules.files[0].skipped_by_keyword, { action: 1 });
  assert.ok(s.warnings.some((w) => /no-rules\.rules yields no rule/.test(w)), JSON.stringify(s.warnings));
});
