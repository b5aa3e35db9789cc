/**
 * Telescope worker-thread entry: reads the whole input, aggregates the darknet packets whose
 * source hashes to its index, and posts its mergeable state.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCapture } from '../capture/open.js';
import { addCaptureCounts, buildAggregator, type TelescopeWorkerInput, type TelescopeWorkerMessage } from './run.js';

const input = workerData as TelescopeWorkerInput;
const port = parentPort!;
const post = (m: TelescopeWorkerMessage) => port.postMessage(m);

async function run(): Promise<void> {
  const agg = buildAggregator(input.opts, input.index, input.count);
  const source = await openCapture(input.opts.inputs);
  for await (const batch of source.batches()) agg.processBatch(batch);
  await source.close();
  const state = agg.finish();
  if (input.index === 0) addCaptureCounts(state, source);
  post({ type: 'done', state: state.toJSON(), frames: agg.framesSeen });
}

run().catch((err: unknown) => {
  const e = err as Error;
  post({ type: 'error', message: e.message, name: e.name });
});
