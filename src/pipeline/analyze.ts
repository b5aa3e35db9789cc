/**
 * `analyze`: run the pipeline over captures (or a live interface) and produce a summary,
 * EVE events and alerts. Single-threaded, or N worker threads fed by one reader in the main
 * thread (capture/fanout.ts), each owning the flows hashed to it; their events are merged by
 * packet time (ties: worker index).
 */
import type { MessagePort } from 'node:worker_threads';
import { startWorker } from '../util/worker-thread.js';
import { captureCounts, planPartitions, runPartitioned, runSingle as runSinglePartition } from '../capture/runner.js';
import { openCapture } from '../capture/open.js';
import { captureDrops, openLive } from '../capture/live.js';
import type { CaptureSource, FrameBatch } from '../capture/source.js';
import { createProgress } from './progress.js';
import { PacketPipeline, routeFrame } from './packet-pipeline.js';
import { analyzerFactory, DEFAULT_ANALYZER_CONFIG, type AnalyzerConfig } from './analyzers.js';
import { emptySummary, mergeSummary, sortedCounts, type AnalysisSummary } from './summary.js';
import { EveWriter, type EventSink } from './eve-writer.js';
import { linkTypeName } from './link-names.js';
import type { FlowEngineOptions } from '../flow/index.js';
import { OutputError, PIPE_CLOSED } from '../util/errors.js';
import { preflightAnalyzers } from './preflight.js';
import type { Device } from '../devices/index.js';
import { DEFAULT_EVE_TYPES, type EveTypeId } from '../events/eve-format.js';
import { sumStats } from './eve-stats.js';

export interface AnalyzeOptions {
  inputs: string[];
  /** Live capture instead of files. */
  interface?: string;
  filter?: string;
  /** Worker threads: 1 = single-threaded; 'auto' (default) = the policy of capture/runner.ts (autoWorkerCount). */
  workers?: number | 'auto';
  /** EVE output path or '-' (stdout). */
  eve?: string;
  /** EVE event types written (default flow, alert): also dns, tls, http, stats. */
  eveTypes?: readonly EveTypeId[];
  /** Packet time between stats events (default 8 s, as Suricata). */
  statsIntervalUs?: number;
  /** Extra sink for events (tests, demo). */
  sink?: EventSink;
  progress?: boolean;
  analyzers?: AnalyzerConfig;
  flow?: FlowEngineOptions;
  sensor?: string;
  /** Keep alert events in the result (for printing). Bounded. */
  keepAlerts?: number;
  /** Live capture: stop after this signal (default: SIGINT/SIGTERM). */
  stopSignal?: AbortSignal;
}

export interface AnalyzeResult {
  summary: AnalysisSummary;
  alerts: Record<string, unknown>[];
  /** The device inventory (merged across workers, classified), when the devices component ran. */
  devices?: Device[];
  /** Alerts per device id. */
  deviceAlerts?: Map<string, number>;
}

/** Message protocol between workers and the main thread. */
export type WorkerMessage =
  | { type: 'events'; watermark: number; items: [number, string, string][] }
  | { type: 'done'; summary: AnalysisSummary }
  | { type: 'error'; message: string; name: string };

export interface WorkerInput {
  /** The worker's end of the fan-out channel its batches arrive on. */
  batches: MessagePort;
  index: number;
  count: number;
  flowEvents: boolean;
  eveTypes: EveTypeId[];
  statsIntervalUs?: number;
  analyzers: AnalyzerConfig;
  flow?: FlowEngineOptions;
  sensor?: string;
}

export async function analyze(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  const started = process.hrtime.bigint();
  const keep = opts.keepAlerts ?? 1000;
  const alerts: Record<string, unknown>[] = [];
  // Config files, home networks and rule files are checked before any capture is opened.
  const pre = await preflightAnalyzers(opts.analyzers ?? DEFAULT_ANALYZER_CONFIG);
  // over files the EVE file appears whole at the end; live, it grows as events come
  const eve = opts.eve ? new EveWriter(opts.eve, undefined, !opts.interface) : null;
  // The reader of a stdout pipe went away (`| head -1`): stop reading, report nothing more.
  const run: RunOptions = eve ? { ...opts, outputClosed: () => eve.pipeClosed } : opts;
  const outputs: EventSink[] = [eve, opts.sink].filter((s): s is EventSink => s != null);
  const wantEvents = outputs.length > 0;
  const types = new Set<EveTypeId>(opts.eveTypes ?? DEFAULT_EVE_TYPES);
  // Alerts are always built (the summary, the printed list, the store); the EVE file has them if asked.
  const eveAlerts = types.has('alert');
  const deviceAlerts = new Map<string, number>();
  const onEvent = (event: Record<string, unknown>) => {
    if (event.event_type === 'alert') {
      if (alerts.length < keep) alerts.push(event);
      const id = (event.minewatch as { device?: { id?: string } } | undefined)?.device?.id;
      if (id) deviceAlerts.set(id, (deviceAlerts.get(id) ?? 0) + 1);
      if (!eveAlerts) {
        for (const o of outputs) if (o !== eve) o.write(event);
        return;
      }
    }
    for (const o of outputs) o.write(event);
  };

  let summary: AnalysisSummary;
  let ok = false;
  try {
    if (opts.interface) {
      summary = await runSingle(await openLive(opts.interface, { filter: opts.filter }), run, wantEvents, onEvent, true);
    } else {
      const source = await openCapture(opts.inputs);
      // Every worker reads the whole input, so workers pay off only when per-packet flow
      // work outweighs reading: many small packets (floods, darknets), not a few big flows.
      const { workers, batches, first } = await planPartitions(source, opts.workers);
      if (workers <= 1) {
        summary = await runSingle(source, run, wantEvents, onEvent, false, batches, first);
      } else {
        summary = await runWorkers(source, run, workers, wantEvents, onEvent, batches, first);
      }
    }
    ok = true;
  } finally {
    // A failed run leaves no half-written EVE file behind (it is written to a temporary file).
    if (ok) eve?.close(); else eve?.discard();
  }
  if (pre.rules) summary.rules = pre.rules;
  for (const w of pre.warnings) if (!summary.warnings.includes(w)) summary.warnings.push(w);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  summary.inputs = opts.interface ? [opts.interface] : opts.inputs;
  summary.elapsed_s = round(elapsed, 3);
  summary.packets_per_s = Math.round(summary.packets / Math.max(elapsed, 1e-9));
  summary.mb_per_s = round(summary.bytes / 1e6 / Math.max(elapsed, 1e-9), 1);
  summary.peak_rss_mb = round(process.resourceUsage().maxRSS / 1024, 1);
  for (const k of ['malformed', 'link_types', 'alerts', 'events', 'flows_by_end', 'stream', 'protocols'] as const) {
    summary[k] = sortedCounts(summary[k]);
  }
  let devices: Device[] | undefined;
  if (summary.devices) {
    const { Inventory, loadDeviceRules } = await import('../devices/index.js');
    const inv = new Inventory({ homeNets: opts.analyzers?.homeNets, rules: loadDeviceRules(opts.analyzers?.deviceRules ?? []) });
    inv.importState(summary.devices);
    devices = inv.devices();
    delete summary.devices;
  }
  return { summary, alerts, devices, deviceAlerts };
}

/** Options of one run: the caller's, plus how to tell that the event output's reader has gone. */
type RunOptions = AnalyzeOptions & { outputClosed?: () => boolean };

/** The pipeline's event options: flow events and the other chosen types, only when some output takes events. */
function eventOptions(opts: RunOptions, wantEvents: boolean): { flowEvents: boolean; eveTypes: Set<EveTypeId>; statsIntervalUs?: number } {
  const types = new Set<EveTypeId>(wantEvents ? (opts.eveTypes ?? DEFAULT_EVE_TYPES) : []);
  return { flowEvents: types.has('flow'), eveTypes: types, statsIntervalUs: opts.statsIntervalUs };
}

function stopIfOutputClosed(opts: RunOptions): void {
  if (opts.outputClosed?.()) throw new OutputError(PIPE_CLOSED, 'the reader of the output closed the pipe', { subject: opts.eve });
}

async function runSingle(
  source: CaptureSource, opts: RunOptions, wantEvents: boolean,
  onEvent: (e: Record<string, unknown>) => void, live: boolean,
  batches: AsyncIterableIterator<FrameBatch> = source.batches(), first?: FrameBatch,
): Promise<AnalysisSummary> {
  const pipeline = new PacketPipeline({
    ...eventOptions(opts, wantEvents),
    captureDrops: live ? () => captureDrops(source) : undefined,
    sink: (_ts, event) => onEvent(event),
    analyzers: await analyzerFactory(opts.analyzers ?? DEFAULT_ANALYZER_CONFIG),
    flow: opts.flow,
    sensor: opts.sensor,
  });
  const progress = createProgress(live ? null : source.totalBytes, opts.progress ?? process.stderr.isTTY === true);
  try {
    // Live capture runs until interrupted; the summary is printed for what was seen.
    await runSinglePartition(source, (batch) => pipeline.processBatch(batch), {
      live, stopSignal: opts.stopSignal, batches, first, afterBatch: () => {
        stopIfOutputClosed(opts);
        progress.update(source.bytesConsumed(), pipeline.packets);
      },
    });
  } finally {
    progress.stop();
  }
  pipeline.finish();
  const summary = pipeline.summary();
  addSourceCounts(summary, source);
  return summary;
}

/** Capture-level counts (read once, by the single pipeline or by worker 0). */
export function addSourceCounts(summary: AnalysisSummary, source: CaptureSource): void {
  const c = captureCounts(source);
  for (const [lt, n] of c.linkTypes) summary.link_types[linkTypeName(lt)] = (summary.link_types[linkTypeName(lt)] ?? 0) + n;
  for (const [k, v] of Object.entries(c.malformed)) summary.malformed[k] = (summary.malformed[k] ?? 0) + v;
  for (const w of c.warnings) summary.warnings.push(w);
}

async function runWorkers(
  source: CaptureSource, opts: RunOptions, count: number, wantEvents: boolean,
  onEvent: (e: Record<string, unknown>) => void,
  batches: AsyncIterableIterator<FrameBatch> = source.batches(), first?: FrameBatch,
): Promise<AnalysisSummary> {
  const progress = createProgress(source.totalBytes, opts.progress ?? process.stderr.isTTY === true);
  const events = eventOptions(opts, wantEvents);
  // Every partition writes its stats at the same packet-time moments: the run's are their sum.
  const stats = new StatsAdder(count, onEvent);
  // Worker threads send events as JSON lines; the reader's own partition hands over the objects.
  const merger = new EventMerger<string | Record<string, unknown>>(count, (event, type) => {
    const e = typeof event !== 'string' ? event : type === 'alert' || wantEvents ? (JSON.parse(event) as Record<string, unknown>) : {};
    if (type === 'stats') stats.add(e);
    else onEvent(e);
  });
  // The reading thread runs partition 0's pipeline itself; partitions 1.. get worker threads.
  const summaries: AnalysisSummary[] = [];
  // Partition 0, in this thread: its events enter the merger like a worker's (same tags).
  let pending: [number, string, Record<string, unknown>][] = [];
  let own: PacketPipeline | null = null;
  let lastTs = -Infinity;
  let frames = 0;
  const flush = (watermark: number) => {
    merger.push(0, pending, watermark);
    pending = [];
  };
  try {
    await runPartitioned<WorkerMessage>({
      source, workers: count, route: routeFrame, batches, first,
      startWorker: (index, port) => {
        const input: WorkerInput = {
          index, count, flowEvents: events.flowEvents, eveTypes: [...events.eveTypes], statsIntervalUs: events.statsIntervalUs, batches: port,
          analyzers: opts.analyzers ?? DEFAULT_ANALYZER_CONFIG, flow: opts.flow, sensor: opts.sensor,
        };
        return startWorker(import.meta.url, 'worker', 'analyze-worker', input, [port]);
      },
      label: (index) => `worker ${index}`,
      onMessage: (index, m) => {
        if (m.type === 'events') {
          merger.push(index, m.items, m.watermark);
          return false;
        }
        if (m.type !== 'done') return false;
        // Its events came before its summary on the same port.
        summaries[index] = m.summary;
        merger.finish(index);
        return true;
      },
      createOwn: async () => {
        const pipeline = new PacketPipeline({
          workerIndex: 0, workerCount: count, ...events,
          sink: (ts, event) => { pending.push([ts, String(event.event_type), event]); },
          analyzers: await analyzerFactory(opts.analyzers ?? DEFAULT_ANALYZER_CONFIG),
          flow: opts.flow, sensor: opts.sensor,
        });
        own = pipeline;
        return (batch) => {
          pipeline.processBatch(batch);
          frames += batch.count;
          if (batch.count > 0) lastTs = Math.max(lastTs, batch.tsUs[batch.count - 1]);
          flush(lastTs);
        };
      },
      finishOwn: () => {
        own!.finish();
        flush(Infinity);
        summaries[0] = own!.summary();
        merger.finish(0);
      },
      afterBatch: () => {
        stopIfOutputClosed(opts);
        progress.update(source.bytesConsumed(), frames);
      },
    });
  } finally {
    progress.stop();
  }
  merger.drain();
  const total = emptySummary(opts.inputs);
  for (const s of summaries) mergeSummary(total, s);
  addSourceCounts(total, source);
  total.workers = count;
  return total;
}

/**
 * Adds up the partitions' stats events: each partition writes one at the same packet-time
 * moments (stamped with that time), in time order, so the n-th one for a timestamp completes it.
 */
class StatsAdder {
  private readonly pending = new Map<string, { n: number; event: Record<string, unknown> }>();

  constructor(private readonly count: number, private readonly out: (e: Record<string, unknown>) => void) {}

  add(e: Record<string, unknown>): void {
    const ts = String(e.timestamp);
    let p = this.pending.get(ts);
    if (p === undefined) {
      p = { n: 0, event: { ...e, stats: {} } };
      this.pending.set(ts, p);
    }
    sumStats(p.event.stats as Record<string, unknown>, (e.stats ?? {}) as Record<string, unknown>);
    if (++p.n === this.count) {
      this.pending.delete(ts);
      this.out(p.event);
    }
  }
}

/**
 * K-way merge of per-worker event queues by emission time. An event may be released once
 * no other worker can still produce an earlier one: that worker has a queued head, has
 * finished, or has reported a later watermark (its packet clock only moves forward).
 */
export class EventMerger<P = string> {
  private readonly queues: [number, string, P][][];
  private readonly heads: number[];
  private readonly watermarks: number[];
  private readonly done: boolean[];

  /** `out` gets each event's payload (worker threads: its JSON line) and event type, in order. */
  constructor(private readonly n: number, private readonly out: (payload: P, type: string) => void) {
    this.queues = Array.from({ length: n }, () => []);
    this.heads = new Array<number>(n).fill(0);
    this.watermarks = new Array<number>(n).fill(-Infinity);
    this.done = new Array<boolean>(n).fill(false);
  }

  push(worker: number, items: [number, string, P][], watermark: number): void {
    const q = this.queues[worker];
    for (const it of items) q.push(it);
    this.watermarks[worker] = watermark;
    this.release();
  }

  finish(worker: number): void {
    this.done[worker] = true;
    this.release();
  }

  drain(): void {
    this.done.fill(true);
    this.release();
  }

  private release(): void {
    for (;;) {
      let best = -1;
      let bestTs = Infinity;
      for (let w = 0; w < this.n; w++) {
        const q = this.queues[w];
        if (this.heads[w] < q.length && q[this.heads[w]][0] < bestTs) {
          best = w;
          bestTs = q[this.heads[w]][0];
        }
      }
      if (best < 0) return;
      for (let w = 0; w < this.n; w++) {
        if (w === best || this.done[w] || this.heads[w] < this.queues[w].length) continue;
        const wm = this.watermarks[w];
        if (wm < bestTs || (wm === bestTs && w < best)) return; // worker w may still emit earlier
      }
      const item = this.queues[best][this.heads[best]++];
      this.out(item[2], item[1]);
      if (this.heads[best] > 4096) {
        this.queues[best] = this.queues[best].slice(this.heads[best]);
        this.heads[best] = 0;
      }
    }
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
