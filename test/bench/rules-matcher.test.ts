import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchMatcher, generateContentRules, generatePayloads } from '../../bench/lib/rules-matcher.js';
import { parseRules } from '../../src/rules/parser.js';

test('generateContentRules: deterministic, all load, unique sids', () => {
  const a = generateContentRules(500, 3);
  assert.deepEqual(a, generateContentRules(500, 3));
  assert.notDeepEqual(a, generateContentRules(500, 4));
  const r = parseRules(a.join('\n'));
  assert.equal(r.rules.length, 500);
  assert.equal(r.skipped.length, 0);
  assert.equal(new Set(r.rules.map((x) => x.sid)).size, 500);
});

test('benchMatcher runs prefilter + match and finds the planted contents', () => {
  const res = benchMatcher(300, { totalBytes: 2_000_000, runs: 1, warmup: 0 });
  assert.equal(res.rules, 300);
  assert.ok(res.bytes > 1_900_000);
  assert.ok(res.hitsPerRun > 0, 'planted rule contents are found');
  assert.ok(res.automatonBytes > 0, 'a prefilter was built');
  assert.ok(res.mbPerSec > 0);
  const none = benchMatcher(0, { totalBytes: 500_000, runs: 1, warmup: 0 });
  assert.equal(none.hitsPerRun, 0);
  const p = generatePayloads(100_000, 1);
  assert.equal(p.offsets.length, p.lengths.length);
});
