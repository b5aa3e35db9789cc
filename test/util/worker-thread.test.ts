import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { superviseWorker } from '../../src/util/worker-thread.js';

type Msg = { type: 'progress'; n: number } | { type: 'done'; n: number } | { type: 'error'; message: string; name: string };

function worker(body: string): Worker {
  return new Worker(`const { parentPort } = require('node:worker_threads'); ${body}`, { eval: true });
}

test('superviseWorker: messages before the result are handled, the result settles it', async () => {
  const seen: number[] = [];
  let failures = 0;
  await superviseWorker<Msg>(worker("parentPort.postMessage({ type: 'progress', n: 1 }); parentPort.postMessage({ type: 'done', n: 2 });"), 'w', (m) => {
    seen.push(m.type === 'error' ? -1 : m.n);
    return m.type === 'done';
  }, () => failures++);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(failures, 0);
});

test('superviseWorker: a posted failure rejects with its message and calls onFailure once', async () => {
  let failures = 0;
  await assert.rejects(
    superviseWorker<Msg>(worker("parentPort.postMessage({ type: 'error', message: 'capture broke', name: 'CaptureError' });"), 'w', () => false, () => failures++),
    (err: Error) => err.message === 'capture broke' && err.name === 'CaptureError',
  );
  assert.equal(failures, 1);
});

test('superviseWorker: a thread that exits or throws before its result rejects', async () => {
  await assert.rejects(superviseWorker<Msg>(worker('process.exit(3);'), 'worker 7', () => false, () => {}), /worker 7 exited with code 3/);
  await assert.rejects(superviseWorker<Msg>(worker("throw new Error('boom');"), 'w', () => false, () => {}), /boom/);
});
