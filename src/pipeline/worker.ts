/**
 * Worker-thread entry: reads the whole input, decodes every packet, owns the flows hashed
 * to its index, and streams its events (tagged with packet time) to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCapture } from '../capture/open.js';
import { CaptureError } from '../capture/source.js';
import { PacketPipeline } from './packet-pipeline.js';
import { analyzerFactory } from './analyzers.js';
import { addSourceCounts, type WorkerInput, type WorkerMessage } from './analyze.js';

const input = workerData as WorkerInput;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

async function run(): Promise<void> {
  let pending: [number, string, string][] = [];
  const pipeline = new PacketPipeline({
    workerIndex: input.index,
    workerCount: input.count,
    flowEvents: input.flowEvents,
    sink: (ts, event) => {
      pending.push([ts, String(event.event_type), JSON.stringify(event)]);
    },
    analyzers: await analyzerFactory(input.analyzers),
    flow: input.flow,
    sensor: input.sensor,
  });
  const source = await openCapture(input.inputs);
  let lastProgress = 0;
  let lastTs = -Infinity;
  for await (const batch of source.batches()) {
    pipeline.processBatch(batch);
    if (batch.count > 0) lastTs = Math.max(lastTs, batch.tsUs[batch.count - 1]);
    if (pending.length > 0 || lastTs !== -Infinity) {
      post({ type: 'events', watermark: lastTs, items: pending });
      pending = [];
    }
    const now = Date.now();
    if (now - lastProgress > 200) {
      lastProgress = now;
      post({ type: 'progress', bytes: source.bytesConsumed(), packets: pipeline.packets });
    }
  }
  await source.close();
  pipeline.finish();
  if (pending.length > 0) post({ type: 'events', watermark: Infinity, items: pending });
  const summary = pipeline.summary();
  if (input.index === 0) addSourceCounts(summary, source);
  post({ type: 'done', summary });
}

run().catch((err: unknown) => {
  const e = err as Error;
  post({
    type: 'error', message: e.message, name: e.name,
    ...(err instanceof CaptureError ? { file: err.file, byteOffset: err.byteOffset, reason: err.reason } : {}),
  });
});
