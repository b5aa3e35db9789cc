/**
 * Worker-thread entry: processes the batches the main thread's fan-out reader sends (the
 * frames routed to this worker, see capture/fanout.ts and capture/runner.ts), owns the flows
 * hashed to its index, and streams its events (tagged with packet time) to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runPartitionWorker } from '../capture/runner.js';
import { PacketPipeline } from './packet-pipeline.js';
import { analyzerFactory } from './analyzers.js';
import type { WorkerInput, WorkerMessage } from './analyze.js';

const input = workerData as WorkerInput;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

let pending: [number, string, string][] = [];
let pipeline: PacketPipeline | null = null;
let lastTs = -Infinity;
let lastPost = 0;

void runPartitionWorker(input.batches, port, async () => {
  const p = new PacketPipeline({
    workerIndex: input.index,
    workerCount: input.count,
    flowEvents: input.flowEvents,
    eveTypes: new Set(input.eveTypes),
    statsIntervalUs: input.statsIntervalUs,
    sink: (ts, event) => {
      pending.push([ts, String(event.event_type), JSON.stringify(event)]);
    },
    analyzers: await analyzerFactory(input.analyzers),
    flow: input.flow,
    sensor: input.sensor,
  });
  pipeline = p;
  return (batch) => {
    p.processBatch(batch);
    if (batch.count > 0) lastTs = Math.max(lastTs, batch.tsUs[batch.count - 1]);
    // Events go out with every batch that made some; a bare watermark (which only lets the
    // merger release other workers' events sooner) at most every 50 ms, to spare wake-ups.
    const now = Date.now();
    if (pending.length > 0 || now - lastPost >= 50) {
      lastPost = now;
      post({ type: 'events', watermark: lastTs, items: pending });
      pending = [];
    }
  };
}, () => {
  pipeline!.finish();
  if (pending.length > 0) post({ type: 'events', watermark: Infinity, items: pending });
  post({ type: 'done', summary: pipeline!.summary() });
});
