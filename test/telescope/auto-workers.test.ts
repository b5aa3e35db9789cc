import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoWorkerCount } from '../../src/telescope/run.js';

test('auto workers: two only for big inputs while a core is idle', () => {
  const big = 800 << 20;
  assert.equal(autoWorkerCount(big, 2, 0.2), 2, 'quiet two-core machine');
  assert.equal(autoWorkerCount(big, 2, 0.6), 1, 'less than 1.5 cores idle');
  assert.equal(autoWorkerCount(big, 2, 4), 1, 'busy machine');
  assert.equal(autoWorkerCount(big, 8, 4), 2, 'many cores, some busy');
  assert.equal(autoWorkerCount(big, 1, 0), 1, 'one core');
  assert.equal(autoWorkerCount(10 << 20, 8, 0), 1, 'small input');
});
