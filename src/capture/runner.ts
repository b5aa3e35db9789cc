/**
 * The one partitioned runner of `analyze` and `telescope`: how many partitions (`--workers`,
 * the `auto` policy), a single-threaded run (a live capture until SIGINT/SIGTERM), and the
 * fan-out run — partition 0 in the reading thread, partitions 1.. in worker threads fed
 * through capture/fanout.ts and supervised until each delivers its result — plus the worker
 * side's batch loop and the capture-level counts every run reports once. What a partition
 * does with a batch (the analyze pipeline, the telescope aggregator) is the caller's.
 */
import { availableParallelism, loadavg } from 'node:os';
import type { MessagePort, Worker } from 'node:worker_threads';
import { superviseWorker, type WorkerFailure } from '../util/worker-thread.js';
import { addStageCounts } from '../events/counters.js';
import { BatchFanout, BatchReceiver, feedFanout, MAX_FANOUT_WORKERS, type RouteFunction, type RoutedBatch } from './fanout.js';
import type { CaptureSource, FrameBatch } from './source.js';

/** `auto` uses a second worker only on inputs at least this large: every worker walks the whole input. */
export const AUTO_WORKER_MIN_BYTES = 64 << 20;
/** … whose first batch averages at most this many bytes a frame: above it reading dominates and one thread is faster (BENCHMARKS.md). */
export const AUTO_WORKER_MAX_MEAN_FRAME = 256;
/** … and while this many cores are idle: on a busy machine a second worker costs more CPU than it saves (10 M packets, 2 cores at load 4: 4.5 s with one, 8.5 s with two). */
export const AUTO_WORKER_MIN_IDLE_CORES = 1.5;

export interface AutoWorkerInput {
  /** Input bytes (0 when unknown). */
  totalBytes: number;
  /** Mean captured frame length of the first batch; null when not sampled. */
  meanFrameBytes?: number | null;
  cores?: number;
  /** One-minute load average. */
  load?: number;
}

/** The `--workers auto` policy: 2 for big inputs of small frames while a core is idle, else 1. */
export function autoWorkerCount(input: AutoWorkerInput): number {
  const cores = input.cores ?? availableParallelism();
  const load = input.load ?? loadavg()[0];
  if (input.totalBytes < AUTO_WORKER_MIN_BYTES || cores < 2) return 1;
  if (input.meanFrameBytes != null && input.meanFrameBytes > AUTO_WORKER_MAX_MEAN_FRAME) return 1;
  return cores - load >= AUTO_WORKER_MIN_IDLE_CORES ? 2 : 1;
}

/** A number of partitions from `--workers N`: 1 … MAX_FANOUT_WORKERS. */
export function clampWorkers(n: number): number {
  return Math.min(MAX_FANOUT_WORKERS, Math.max(1, Math.floor(n)));
}

/** Mean captured frame length of a batch (the `auto` policy's sample). */
export function meanCapturedLength(b: FrameBatch): number {
  let sum = 0;
  for (let i = 0; i < b.count; i++) sum += b.capLens[i];
  return b.count > 0 ? sum / b.count : 0;
}

/** The source's batches, with the first one already read when the `auto` policy sampled it. */
export interface PartitionPlan {
  workers: number;
  batches: AsyncIterableIterator<FrameBatch>;
  first?: FrameBatch;
}

/**
 * Resolves `--workers` for a file source (undefined = auto). For `auto` on a big input the
 * first batch is read to sample frame sizes; the caller processes it first (plan.first).
 */
export async function planPartitions(source: CaptureSource, requested: number | 'auto' | undefined): Promise<PartitionPlan> {
  const batches = source.batches();
  if (typeof requested === 'number') return { workers: clampWorkers(requested), batches };
  const totalBytes = source.totalBytes ?? 0;
  // small inputs (or one core) stay single-threaded without reading anything ahead
  if (autoWorkerCount({ totalBytes, load: 0 }) === 1) return { workers: 1, batches };
  const r = await batches.next();
  const first = r.done ? undefined : r.value;
  const workers = first ? autoWorkerCount({ totalBytes, meanFrameBytes: meanCapturedLength(first) }) : 1;
  return { workers, batches, first };
}

export interface SingleRunOptions {
  /** A live capture: runs until SIGINT/SIGTERM (or stopSignal), then ends normally with what was seen. */
  live?: boolean;
  stopSignal?: AbortSignal;
  batches?: AsyncIterableIterator<FrameBatch>;
  first?: FrameBatch;
  /** After each batch (progress). */
  afterBatch?: () => void;
}

/** Runs every batch of the source through one partition in this thread; closes the source. */
export async function runSingle(source: CaptureSource, process: (batch: FrameBatch) => void, opts: SingleRunOptions = {}): Promise<void> {
  const stop = opts.live ? stopOnSignals(source, opts.stopSignal) : null;
  try {
    if (opts.first) process(opts.first);
    for await (const batch of opts.batches ?? source.batches()) {
      process(batch);
      opts.afterBatch?.();
    }
  } finally {
    stop?.();
    await source.close();
  }
}

/** Closes the source on SIGINT/SIGTERM or the abort signal (its batches then end); returns the undo. */
function stopOnSignals(source: CaptureSource, signal: AbortSignal | undefined): () => void {
  const stop = () => void source.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  signal?.addEventListener('abort', stop, { once: true });
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    signal?.removeEventListener('abort', stop);
  };
}

export interface PartitionedRunOptions<M extends { type: string }> {
  source: CaptureSource;
  /** Partitions (≥ 2): 0 in this thread, 1.. in worker threads. */
  workers: number;
  /** Route word of a frame (capture/fanout.ts). */
  route: RouteFunction;
  batches?: AsyncIterableIterator<FrameBatch>;
  first?: FrameBatch;
  /** Starts the thread of partition `index` on its fan-out port (which must be transferred to it). */
  startWorker: (index: number, port: MessagePort) => Worker;
  /** Names a worker in errors ("worker 2"). */
  label: (index: number) => string;
  /** A message of worker `index`; returns true for its last one (its result). */
  onMessage: (index: number, message: M) => boolean;
  /**
   * Builds partition 0 (called after the threads are started: they load their code
   * meanwhile) and returns its batch handler; the batch carries its route words.
   */
  createOwn: () => Promise<(batch: RoutedBatch) => void> | ((batch: RoutedBatch) => void);
  /** End of input for partition 0 (before the workers' results are awaited). */
  finishOwn: () => void;
  /** After each batch (progress). */
  afterBatch?: () => void;
}

/**
 * Runs the source through `workers` partitions: one reader (this thread) feeds the fan-out
 * and processes partition 0; each worker thread processes its partition and posts its result.
 * Settles when all are done; a failing worker stops the feed and its error is the rejection.
 * Closes the source.
 */
export async function runPartitioned<M extends { type: string }>(o: PartitionedRunOptions<M>): Promise<void> {
  const fanout = new BatchFanout({ workers: o.workers, route: o.route, readerIsWorker0: true });
  const runs = Array.from({ length: o.workers - 1 }, (_, i) => {
    const index = i + 1;
    const worker = o.startWorker(index, fanout.port(index));
    return superviseWorker<M>(worker, o.label(index), (m) => o.onMessage(index, m), () => fanout.close());
  });
  try {
    const own = await o.createOwn();
    const fed = feedFanout(o.batches ?? o.source.batches(), fanout, (batch, routes) => {
      batch.routes = routes;
      own(batch as RoutedBatch);
      o.afterBatch?.();
    }, o.first).then(() => o.finishOwn());
    await Promise.all([fed, ...runs]);
  } catch (err) {
    // partition 0 failed before or while feeding: the workers' failures that follow (the feed
    // closed under them) are consequences, not the error to report
    for (const r of runs) r.catch(() => undefined);
    throw err;
  } finally {
    fanout.close();
    await o.source.close();
  }
}

/**
 * Worker side: processes every batch the reader routes to this thread until the input ends,
 * then posts the result `finish` returns; any exception is posted as the worker's failure
 * (superviseWorker rejects with it in the main thread).
 */
export async function runPartitionWorker(
  port: MessagePort, parent: MessagePort, setUp: () => Promise<(batch: RoutedBatch) => void> | ((batch: RoutedBatch) => void), finish: () => void,
): Promise<void> {
  try {
    const process = await setUp();
    const receiver = new BatchReceiver(port);
    for (let batch = receiver.next(); batch !== null; batch = receiver.next()) process(batch);
    receiver.close();
    finish();
  } catch (err) {
    const e = err as Error;
    parent.postMessage({ type: 'error', message: e.message, name: e.name } satisfies WorkerFailure);
  }
}

/** Capture-level counts of a run (reported once, by the single partition or the reader): records lost or cut, link types, warnings. */
export interface CaptureCounts {
  /** "capture.<reason>" → records. */
  malformed: Record<string, number>;
  /** LINKTYPE number → frames. */
  linkTypes: Map<number, number>;
  warnings: string[];
}

export function captureCounts(source: CaptureSource): CaptureCounts {
  const malformed: Record<string, number> = {};
  addStageCounts(malformed, 'capture', source.malformed);
  return { malformed, linkTypes: new Map(source.linkTypeCounts), warnings: [...source.warnings] };
}
