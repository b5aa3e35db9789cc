/**
 * Runs the telescope over captures or a live interface: single-threaded, or N worker
 * threads fed by one reader (capture/fanout.ts), each owning the sources hashed to it (so
 * per-source classification stays in one worker), their states merged exactly at the end.
 */
import { addStageCounts } from '../events/counters.js';
import { UsageError } from '../util/errors.js';
import type { MessagePort } from 'node:worker_threads';
import { startWorker } from '../util/worker-thread.js';
import { planPartitions, runPartitioned, runSingle, type PartitionPlan } from '../capture/runner.js';
import { openCapture } from '../capture/open.js';
import { openLive } from '../capture/live.js';
import type { CaptureSource } from '../capture/source.js';
import { parseCidr, type Cidr } from '../util/ip.js';
import { TelescopeAggregator, telescopeRoute, type PortTables } from './aggregator.js';
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
  /** Worker threads; 'auto' (default) = the policy of capture/runner.ts (autoWorkerCount). */
  workers?: number | 'auto';
  geoipDb?: string;
  asnDb?: string;
  /** Skip country/AS attribution. */
  noGeo?: boolean;
  watchFile?: string;
  internal?: boolean;
  maxSources?: number;
  maxSourceRows?: number;
  /** Memory bound of the process in bytes (see AggregatorOptions.maxMemoryBytes). */
  maxMemoryBytes?: number;
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
  /**
   * state: a TelescopeState, structured-cloned (see TelescopeState.revive), without its
   * per-port counters: those come as the worker's port tables (buffers transferred), for
   * partition 0 to build (TelescopeAggregator.buildPorts)
   */
  | { type: 'done'; state: unknown; ports: PortTables; frames: number }
  | { type: 'error'; message: string; name: string };

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
    maxSourceRows: opts.maxSourceRows, maxMemoryBytes: opts.maxMemoryBytes, sensor: opts.sensor,
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
    state = await runSource(agg, source, { workers: 1, batches: source.batches() }, opts.stopSignal, true);
    frames = agg.framesSeen;
  } else {
    // check arguments before opening anything (bad --darknet / --watch fail fast in the main thread)
    parseDarknets(opts.darknets);
    if (opts.watchFile) loadWatchList(opts.watchFile);
    const source = await openCapture(opts.inputs);
    // a second worker reads and walks the whole input again (it only skips the other's sources)
    const plan = await planPartitions(source, opts.workers);
    workers = plan.workers;
    const progress = createProgress(source.totalBytes, opts.progress ?? process.stderr.isTTY === true);
    if (workers === 1) {
      const agg = buildAggregator(opts, 0, 1);
      state = await runSource(agg, source, plan, undefined, false, progress);
      frames = agg.framesSeen;
    } else {
      const r = await runWorkers(source, opts, plan, progress);
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

async function runSource(agg: TelescopeAggregator, source: CaptureSource, plan: PartitionPlan, stopSignal: AbortSignal | undefined, live: boolean, progress?: ProgressReporter): Promise<TelescopeState> {
  try {
    await runSingle(source, (batch) => agg.processBatch(batch), {
      live, stopSignal, batches: plan.batches, first: plan.first,
      ...(progress ? { afterBatch: () => progress.update(source.bytesConsumed(), agg.framesSeen) } : {}),
    });
  } finally {
    progress?.stop();
  }
  const state = agg.finish();
  addCaptureCounts(state, source);
  return state;
}

/** Capture-level losses (counted once: by the single run or worker 0). */
export function addCaptureCounts(state: TelescopeState, source: CaptureSource): void {
  addStageCounts(state.malformed, 'capture', source.malformed);
}

async function runWorkers(source: CaptureSource, opts: TelescopeOptions, plan: PartitionPlan, progress?: ProgressReporter): Promise<{ state: TelescopeState; frames: number }> {
  const { stopSignal: _ignored, ...plain } = opts;
  const count = plan.workers;
  // The reading thread aggregates partition 0 itself; partitions 1.. get worker threads.
  const states: unknown[] = [];
  const ports: PortTables[] = [];
  let own: TelescopeAggregator | null = null;
  let total: TelescopeState | null = null;
  try {
    await runPartitioned<TelescopeWorkerMessage>({
      source, workers: count, route: telescopeRoute, batches: plan.batches, first: plan.first,
      startWorker: (index, port) => {
        const input: TelescopeWorkerInput = { opts: plain, index, count, batches: port };
        return startWorker(import.meta.url, 'worker', 'telescope-worker', input, [port]);
      },
      label: (index) => `telescope worker ${index}`,
      onMessage: (index, m) => {
        if (m.type !== 'done') return false;
        states[index] = m.state;
        ports[index - 1] = m.ports;
        return true;
      },
      createOwn: () => {
        const agg = buildAggregator(opts, 0, count);
        own = agg;
        return (batch) => agg.processBatch(batch);
      },
      // while the workers finish theirs; the per-port counters wait for their port tables
      finishOwn: () => { total = own!.finish(false); own!.releaseSources(); },
      ...(progress ? { afterBatch: () => progress.update(source.bytesConsumed(), own?.framesSeen ?? 0) } : {}),
    });
  } finally {
    progress?.stop();
  }
  const state = total as TelescopeState | null;
  if (state === null || own === null) throw new Error('telescope: partition 0 did not finish');
  (own as TelescopeAggregator).buildPorts(state, ports);
  (own as TelescopeAggregator).release();
  for (let i = 1; i < count; i++) {
    state.merge(TelescopeState.revive(states[i]), opts.maxSourceRows ?? 100_000, true);
    // the clone's rows and counters are garbage once merged (the peak of the end of a run)
    states[i] = undefined;
  }
  addCaptureCounts(state, source);
  return { state, frames: (own as TelescopeAggregator).framesSeen };
}
