/**
 * Telescope worker-thread entry: aggregates the darknet packets of the batches the main
 * thread's fan-out reader sends whose source hashes to its index, and posts its mergeable state.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchReceiver } from '../capture/fanout.js';
import { buildAggregator, type TelescopeWorkerInput, type TelescopeWorkerMessage } from './run.js';

const input = workerData as TelescopeWorkerInput;
const port = parentPort!;
const post = (m: TelescopeWorkerMessage) => port.postMessage(m);

function run(): void {
  const agg = buildAggregator(input.opts, input.index, input.count);
  const receiver = new BatchReceiver(input.batches);
  for (let batch = receiver.next(); batch !== null; batch = receiver.next()) agg.processBatch(batch);
  receiver.close();
  const state = agg.finish();
  const storage = state.packForTransfer();
  port.postMessage({ type: 'done', state, frames: agg.framesSeen } satisfies TelescopeWorkerMessage, [storage]);
}

try {
  run();
} catch (err) {
  const e = err as Error;
  post({ type: 'error', message: e.message, name: e.name });
}
