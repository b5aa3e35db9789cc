/**
 * The partitioned runner shared by analyze and telescope (src/capture/runner.ts): the one
 * `--workers auto` policy, `--workers N` clamping, and the plan that samples the first batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoWorkerCount, clampWorkers, meanCapturedLength, planPartitions } from '../../src/capture/runner.js';
import { BatchArrays, type CaptureSource, type FrameBatch } from '../../src/capture/source.js';
import { MAX_FANOUT_WORKERS } from '../../src/capture/fanout.js';
import { ReasonCounter } from '../../src/events/counters.js';

test('auto workers: two only for big inputs while a core is idle', () => {
  const big = 800 << 20;
  assert.equal(autoWorkerCount({ totalBytes: big, cores: 2, load: 0.2 }), 2, 'quiet two-core machine');
  assert.equal(autoWorkerCount({ totalBytes: big, cores: 2, load: 0.6 }), 1, 'less than 1.5 cores idle');
  assert.equal(autoWorkerCount({ totalBytes: big, cores: 2, load: 4 }), 1, 'busy machine');
  assert.equal(autoWorkerCount({ totalBytes: big, cores: 8, load: 4 }), 2, 'many cores, some busy');
  assert.equal(autoWorkerCount({ totalBytes: big, cores: 1, load: 0 }), 1, 'one core');
  assert.equal(autoWorkerCount({ totalBytes: 10 << 20, cores: 8, load: 0 }), 1, 'small input');
});

test('auto workers: one for big frames (reading dominates), two for small ones', () => {
  const big = 800 << 20;
  assert.equal(autoWorkerCount({ totalBytes: big, meanFrameBytes: 900, cores: 8, load: 0 }), 1, 'mean frame 900 bytes');
  assert.equal(autoWorkerCount({ totalBytes: big, meanFrameBytes: 256, cores: 8, load: 0 }), 2, 'mean frame 256 bytes');
  assert.equal(autoWorkerCount({ totalBytes: big, meanFrameBytes: 60, cores: 8, load: 0 }), 2, 'mean frame 60 bytes');
  assert.equal(autoWorkerCount({ totalBytes: big, meanFrameBytes: null, cores: 8, load: 0 }), 2, 'not sampled');
});

test('--workers N is clamped to 1 … MAX_FANOUT_WORKERS', () => {
  assert.equal(clampWorkers(0), 1);
  assert.equal(clampWorkers(-3), 1);
  assert.equal(clampWorkers(2.7), 2);
  assert.equal(clampWorkers(10_000), MAX_FANOUT_WORKERS);
});

/** A source of n batches of frames of one captured length. */
function fakeSource(totalBytes: number, frameLen: number, nBatches: number): CaptureSource & { read: number } {
  const arrays = new BatchArrays(16);
  for (let i = 0; i < 16; i++) arrays.capLens[i] = frameLen;
  const buf = new Uint8Array(16 * frameLen);
  const src = {
    name: 'fake', totalBytes, read: 0, linkTypeCounts: new Map<number, number>(), malformed: new ReasonCounter(), warnings: [],
    bytesConsumed: () => 0,
    async *batches(): AsyncIterableIterator<FrameBatch> {
      for (let b = 0; b < nBatches; b++) { src.read++; yield arrays.batch(buf, 16); }
    },
    close: async () => undefined,
  };
  return src;
}

test('plan: a number is taken as given, auto samples the first batch of a big input and hands it back', async () => {
  const n = await planPartitions(fakeSource(1 << 30, 60, 3), 3);
  assert.equal(n.workers, 3);
  assert.equal(n.first, undefined);
  const small = fakeSource(1 << 20, 60, 3);
  const s = await planPartitions(small, 'auto');
  assert.equal(s.workers, 1, 'small input: one thread');
  assert.equal(small.read, 0, 'nothing read ahead for a small input');
  const bigFrames = fakeSource(1 << 30, 1400, 3);
  const b = await planPartitions(bigFrames, undefined);
  assert.equal(b.workers, 1, 'big frames: one thread');
  assert.ok(b.first, 'the sampled batch is handed back');
  assert.equal(meanCapturedLength(b.first), 1400);
  let rest = 0;
  for await (const x of b.batches) rest += x.count;
  assert.equal(rest, 32, 'the other batches follow');
});
