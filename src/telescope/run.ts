/**
 * Runs the telescope over captures or a live interface: single-threaded, or N worker
 * threads fed by one reader (capture/fanout.ts), each owning the sources hashed to it (so
 * per-source classification stays in one worker), their states merged exactly at the end.
 */
import { addStageCounts } from '../events/counters.js';
import { UsageError } from '../util/errors.js';
import { availableParallelism, loadavg } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import { BatchFanout, feedFanout, MAX_FANOUT_WORKERS } from '../capture/fanout.js';
import { startWorker, superviseWorker } from '../util/worker-thread.js';
import { openCapture } from '../capture/open.js';
import { openLive } from '../capture/live.js';
import type { CaptureSource } from '../capture/source.js';
import { parseCidr, type Cidr } from '../util/ip.js';
import { TelescopeAggregator, telescopeRoute } from './aggregator.js';
import { openGeo, type GeoLookup } from './geo.js';
import { loadWatchList, type WatchList } from './watch.js';
import { TelescopeState } from './state.js';
import { createProgress, type ProgressReporter } from '../util/progress.js';

export interface TelescopeOptions {
  inputs: string[];
  interface?: string;
  filter?: string;
  /** Darknet ranges (CIDR texts). */
  darknets: string[];
  /** Interval length in seconds (default 3600). */
  intervalS?: number;
  /** Worker threads; 'auto' = 2 on inputs over 64 MB while a core is idle, else 1. */
  workers?: number | 'auto';
  geoipDb?: string;
  asnDb?: string;
  /** Skip country/AS attribution. */
  noGeo?: boolean;
  watchFile?: string;
  internal?: boolean;
  maxSources?: number;
  maxSourceRows?: number;
  sensor?: string;
  /** Draw a progress bar on a terminal (files only; default: when stderr is a TTY). */
  progress?: boolean;
  /** Live capture: stop on this signal (default SIGINT/SIGTERM). */
  stopSignal?: AbortSignal;
}

export interface TelescopeRun {
  state: TelescopeState;
  workers: number;
  elapsedS: number;
  /** CPU seconds of the whole process (all threads). */
  cpuS: number;
  peakRssMb: number;
  framesRead: number;
}

/** Serialisable subset handed to workers. */
export interface TelescopeWorkerInput {
  opts: Omit<TelescopeOptions, 'stopSignal'>;
  /** The worker's end of the fan-out channel its batches arrive on. */
  batches: MessagePort;
  index: number;
  count: number;
}

export type TelescopeWorkerMessage =
  /** state: a TelescopeState, structured-cloned (see TelescopeState.revive) */
  | { type: 'done'; state: unknown; frames: number }
  | { type: 'error'; message: string; name: string };

const AUTO_WORKER_MIN_BYTES = 64 << 20;

/**
 * 'auto': a second worker reads and walks the whole input again (it only skips the other's
 * sources), so it pays off on big inputs and only while a core is idle; on a busy machine
 * it costs more CPU than it saves (10 M packets, 2 cores at load 4: 4.5 s with one, 8.5 s with two).
 */
export function autoWorkerCount(totalBytes: number, cores = availableParallelism(), load = loadavg()[0]): number {
  if (totalBytes < AUTO_WORKER_MIN_BYTES || cores < 2) return 1;
  return cores - load >= 1.5 ? 2 : 1;
}

/** Parses and checks the darknet list; throws a UsageError naming the bad entry. */
export function parseDarknets(list: string[]): Cidr[] {
  if (list.length === 0) throw new UsageError('--darknet needs at least one CIDR', 'usage.darknet-empty', { subject: '--darknet' });
  return list.map((t) => {
    const c = parseCidr(t.trim());
    if (!c) throw new UsageError(`--darknet: "${t}" is not a CIDR (e.g. 198.18.0.0/16)`, 'usage.bad-cidr', { subject: '--darknet' });
    if (c.version === 4 && c.prefix < 8) throw new UsageError(`--darknet: ${t} is larger than a /8; split it into /8s`, 'usage.darknet-too-large', { subject: '--darknet' });
    return c;
  });
}

export function buildAggregator(opts: Omit<TelescopeOptions, 'stopSignal'>, index: number, count: number): TelescopeAggregator {
  const darknets = parseDarknets(opts.darknets);
  const geo: GeoLookup | null = opts.noGeo ? null : openGeo({ geoipDb: opts.geoipDb, asnDb: opts.asnDb });
  const watch: WatchList | null = opts.watchFile ? loadWatchList(opts.watchFile) : null;
  return new TelescopeAggregator({
    darknets, darknetText: opts.darknets.map((d) => d.trim()), intervalUs: (opts.intervalS ?? 3600) * 1e6,
    workerIndex: index, workerCount: count, geo, watch, internal: opts.internal, maxSources: opts.maxSources,
    maxSourceRows: opts.maxSourceRows, sensor: opts.sensor,
  });
}

export async function runTelescope(opts: TelescopeOptions): Promise<TelescopeRun> {
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let state: TelescopeState;
  let workers = 1;
  let frames = 0;
  if (opts.interface) {
    const agg = buildAggregator(opts, 0, 1);
    const source = await openLive(opts.interface, { filter: opts.filter });
    state = await runSource(agg, source, opts.stopSignal, true);
    frames = agg.framesSeen;
  } else {
    // check arguments before opening anything (bad --darknet / --watch fail fast in the main thread)
    parseDarknets(opts.darknets);
    if (opts.watchFile) loadWatchList(opts.watchFile);
    const source = await openCapture(opts.inputs);
    const w = opts.workers ?? 'auto';
    workers = typeof w === 'number' ? Math.min(MAX_FANOUT_WORKERS, Math.max(1, Math.floor(w))) : autoWorkerCount(source.totalBytes ?? 0);
    const progress = createProgress(source.totalBytes, opts.progress ?? process.stderr.isTTY === true);
    if (workers === 1) {
      const agg = buildAggregator(opts, 0, 1);
      state = await runSource(agg, source, undefined, false, progress);
      frames = agg.framesSeen;
    } else {
      const r = await runWorkers(source, opts, workers, progress);
      state = r.state;
      frames = r.frames;
    }
  }
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return {
    state, workers, elapsedS, cpuS: (cpu.user + cpu.system) / 1e6, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), framesRead: frames,
  };
}

async function runSource(agg: TelescopeAggregator, source: CaptureSource, stopSignal: AbortSignal | undefined, live: boolean, progress?: ProgressReporter): Promise<TelescopeState> {
  let stop: (() => void) | null = null;
  if (live) {
    stop = () => void source.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    stopSignal?.addEventListener('abort', stop, { once: true });
  }
  try {
    for await (const batch of source.batches()) {
      agg.processBatch(batch);
      progress?.update(source.bytesConsumed(), agg.framesSeen);
    }
  } finally {
    progress?.stop();
    if (stop) {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    await source.close();
  }
  const state = agg.finish();
  addCaptureCounts(state, source);
  return state;
}

/** Capture-level losses (counted once: by the single run or worker 0). */
export function addCaptureCounts(state: TelescopeState, source: CaptureSource): void {
  addStageCounts(state.malformed, 'capture', source.malformed);
}

async function runWorkers(source: CaptureSource, opts: TelescopeOptions, count: number, progress?: ProgressReporter): Promise<{ state: TelescopeState; frames: number }> {
  const { stopSignal: _ignored, ...plain } = opts;
  // The reading thread aggregates partition 0 itself; partitions 1.. get worker threads.
  const fanout = new BatchFanout({ workers: count, route: telescopeRoute, readerIsWorker0: true });
  const states: unknown[] = [];
  const runs = Array.from({ length: count - 1 }, (_, i) => {
    const index = i + 1;
    const input: TelescopeWorkerInput = { opts: plain, index, count, batches: fanout.port(index) };
    const worker = startWorker(import.meta.url, 'worker', 'telescope-worker', input, [fanout.port(index)]);
    return superviseWorker<TelescopeWorkerMessage>(worker, `telescope worker ${index}`, (m) => {
      if (m.type !== 'done') return false;
      states[index] = m.state;
      return true;
    }, () => fanout.close());
  });
  // Built after the threads are started: they load their code meanwhile.
  const own = buildAggregator(opts, 0, count);
  let total: TelescopeState;
  try {
    const fed = feedFanout(source.batches(), fanout, (batch, routes) => {
      batch.routes = routes;
      own.processBatch(batch);
      progress?.update(source.bytesConsumed(), fanout.frames);
    }).then(() => { total = own.finish(); });
    await Promise.all([fed, ...runs]);
  } finally {
    progress?.stop();
    fanout.close();
    await source.close();
  }
  for (let i = 1; i < count; i++) total!.merge(TelescopeState.revive(states[i]), opts.maxSourceRows ?? 100_000, true);
  addCaptureCounts(total!, source);
  return { state: total!, frames: own.framesSeen };
}
