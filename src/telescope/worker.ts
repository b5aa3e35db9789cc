/**
 * Telescope worker-thread entry: aggregates the darknet packets of the batches the main
 * thread's fan-out reader sends whose source hashes to its index (capture/runner.ts), and
 * posts its mergeable state.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runPartitionWorker } from '../capture/runner.js';
import { portTablesTransfer, type TelescopeAggregator } from './aggregator.js';
import { buildAggregator, type TelescopeWorkerInput, type TelescopeWorkerMessage } from './run.js';

const input = workerData as TelescopeWorkerInput;
const port = parentPort!;
let agg: TelescopeAggregator | null = null;

void runPartitionWorker(input.batches, port, () => {
  const a = buildAggregator(input.opts, input.index, input.count);
  agg = a;
  return (batch) => a.processBatch(batch);
}, () => {
  const state = agg!.finish(false);
  const ports = agg!.portTables();
  agg!.release();
  const storage = state.packForTransfer();
  port.postMessage({ type: 'done', state, ports, frames: agg!.framesSeen } satisfies TelescopeWorkerMessage, [storage, ...portTablesTransfer(ports)]);
});
