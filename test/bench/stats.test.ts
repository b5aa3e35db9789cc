import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, percentile } from '../../bench/lib/stats.js';
import { readArgs } from '../../bench/lib/args.js';

test('median: odd count is the middle value, even count the mean of the two middle ones', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([10, 1]), 5.5);
  assert.equal(median([7]), 7);
  assert.equal(median([-2, -8, 5, 5]), 1.5);
});

test('median: no samples is NaN, and the input is left unsorted', () => {
  assert.ok(Number.isNaN(median([])));
  const xs = [3, 1, 2, 10];
  median(xs);
  assert.deepEqual(xs, [3, 1, 2, 10]);
});

test('median: numeric order, not string order', () => {
  // a default sort would put 10 before 9
  assert.equal(median([9, 10, 100]), 10);
});

test('percentile nearest-rank: picks a sample, index ceil(p/100*n)-1', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 95), 95);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile(xs, 0), 1, 'p0 is the minimum, not out of range');
  assert.equal(percentile([1, 2, 3, 4], 50), 2, 'p50 of an even count is the lower middle');
  assert.equal(percentile([5, 1, 3], 50), 3);
  assert.equal(percentile([42], 95), 42);
});

test("percentile 'above': index floor(p/100*n), clamped to the last sample", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50, 'above'), 51);
  assert.equal(percentile(xs, 99, 'above'), 100);
  assert.equal(percentile(xs, 100, 'above'), 100);
  assert.equal(percentile([1, 2, 3, 4], 50, 'above'), 3, 'p50 of an even count is the upper middle');
  assert.equal(percentile([1, 2, 3], 50, 'above'), 2, 'both rules agree when p/100*n is not whole');
  assert.equal(percentile([1, 2, 3], 50), 2);
});

test('percentile: no samples is NaN under either rule; input not modified', () => {
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.ok(Number.isNaN(percentile([], 99, 'above')));
  const xs = [3, 1, 2];
  percentile(xs, 95);
  assert.deepEqual(xs, [3, 1, 2]);
});

test('readArgs: --name value with a default, a missing value falls back, flags', () => {
  const a = readArgs(['--runs', '7', '--quick', '--only']);
  assert.equal(a.value('--runs', '3'), '7');
  assert.equal(a.value('--rounds', '5'), '5');
  assert.equal(a.value('--only', 'x'), 'x', 'a trailing name without a value gives the default');
  assert.equal(a.value('--only'), undefined);
  assert.equal(a.value('--runs'), '7');
  assert.equal(a.flag('--quick'), true);
  assert.equal(a.flag('--json'), false);
  assert.deepEqual(a.list, ['--runs', '7', '--quick', '--only']);
});
