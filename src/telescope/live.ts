/**
 * The live telescope: one aggregator per interval. Frames are split at interval boundaries
 * (by their capture timestamps); when a frame of a later interval arrives — or the wall clock
 * passes the open interval's end by a grace period with no traffic — the open interval is
 * finished, handed to `onInterval` (written to files, sent to a collector) and dropped, so a
 * telescope that runs for months holds one interval's state at a time. A clean stop (SIGINT,
 * SIGTERM, the abort signal) finishes the open interval too.
 *
 * The same code runs over a capture file (`runIntervals` with openCapture's source): its
 * per-interval outputs are those of the live path, which the tests compare with
 * `minewatch telescope FILE`.
 */
import { addStageCounts, ReasonCounter } from '../events/counters.js';
import { openLive } from '../capture/live.js';
import { runSingle } from '../capture/runner.js';
import type { CaptureSource, FrameBatch } from '../capture/source.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { join } from 'node:path';
import { InternalError } from '../util/errors.js';
import { intervalEvents } from './interval-events.js';
import { encodeStateFile } from './state-file.js';
import type { TelescopeAggregator } from './aggregator.js';
import { buildReport, type TelescopeReport } from './report.js';
import { buildAggregator, parseDarknets, type TelescopeOptions } from './run.js';
import type { TelescopeState } from './state.js';
import { loadWatchList } from './watch.js';

export interface ClosedInterval {
  /** interval start and end, µs since the epoch */
  start: number;
  end: number;
  state: TelescopeState;
  report: TelescopeReport;
  /** frames seen in the interval (darknet or not) */
  frames: number;
}

export interface IntervalRunOptions {
  /** called for each closed interval, in order; awaited before the next one closes */
  onInterval: (iv: ClosedInterval) => void | Promise<void>;
  /** close an interval with no traffic this long after its end (default 2 s); live only */
  graceMs?: number;
  /** how often the idle check runs (default 500 ms); live only */
  tickMs?: number;
  /** called once capture has started */
  onStarted?: (source: CaptureSource) => void;
}

/** A FrameBatch view of frames [from, to) of `b` (typed-array views, no copy). */
function slice(b: FrameBatch, from: number, to: number): FrameBatch {
  if (from === 0 && to === b.count) return b;
  return {
    buf: b.buf, count: to - from, offsets: b.offsets.subarray(from), capLens: b.capLens.subarray(from), wireLens: b.wireLens.subarray(from),
    tsUs: b.tsUs.subarray(from), linkTypes: b.linkTypes.subarray(from), ifIndexes: b.ifIndexes.subarray(from), sourceIndex: b.sourceIndex,
    routes: b.routes?.subarray(from), reread: undefined,
  };
}

/**
 * Splits a stream of batches into intervals, one aggregator each. Frames stamped before the
 * open interval (a clock step back, or a frame queued across an idle close) go into the open
 * interval and are counted as `live.late-frame`.
 */
export class IntervalRoller {
  private agg: TelescopeAggregator | null = null;
  /** index (start / interval) of the open interval, or of the last closed one */
  private current = -Infinity;
  private late = 0;
  private readonly captureSeen = new ReasonCounter();
  private pending: Promise<void> = Promise.resolve();
  /** intervals written / intervals with frames but no darknet packet (not written) */
  closed = 0;
  skipped = 0;

  constructor(
    private readonly make: () => TelescopeAggregator,
    private readonly intervalUs: number,
    private readonly source: CaptureSource,
    private readonly onInterval: (iv: ClosedInterval) => void | Promise<void>,
  ) {}

  processBatch(b: FrameBatch): void {
    const ts = b.tsUs;
    const n = b.count;
    let from = 0;
    for (let i = 0; i < n; i++) {
      const iv = Math.floor(ts[i] / this.intervalUs);
      if (iv > this.current) {
        if (i > from) this.aggregator().processBatch(slice(b, from, i));
        from = i;
        this.close();
        this.current = iv;
      } else if (iv < this.current) this.late++;
    }
    if (n > from) this.aggregator().processBatch(slice(b, from, n));
  }

  private aggregator(): TelescopeAggregator {
    if (this.agg === null) this.agg = this.make();
    return this.agg;
  }

  /** Closes the open interval when the clock is past its end plus the grace period. */
  closeIfIdle(nowUs: number, graceUs: number): void {
    if (this.agg !== null && nowUs >= (this.current + 1) * this.intervalUs + graceUs) this.close();
  }

  /** Finishes the open interval (if any) and hands it on. */
  close(): void {
    const agg = this.agg;
    if (agg === null) return;
    this.agg = null;
    const state = agg.finish();
    // capture-level losses since the last close (libpcap drops, slow consumer, truncation)
    const now = this.source.malformed.toJSON();
    const delta: Record<string, number> = {};
    for (const [k, v] of Object.entries(now)) if (v > this.captureSeen.get(k)) { delta[k] = v - this.captureSeen.get(k); this.captureSeen.add(k, delta[k]); }
    addStageCounts(state.malformed, 'capture', delta);
    if (this.late > 0) addStageCounts(state.malformed, 'live', { 'late-frame': this.late });
    this.late = 0;
    if (agg.darknetPackets === 0) {
      // frames, but none to the darknet (link chatter): nothing to report
      this.skipped++;
      return;
    }
    const start = this.current * this.intervalUs;
    const iv: ClosedInterval = { start, end: start + this.intervalUs, state, report: buildReport(state), frames: agg.framesSeen };
    this.closed++;
    // a failure to hand an interval on (disk full, bad directory) stops the capture: the run
    // ends with that error instead of dropping intervals for months
    this.pending = this.pending.then(() => (this.failed === null ? this.onInterval(iv) : undefined)).catch((err: unknown) => {
      this.failed ??= err;
      void this.source.close();
    });
  }

  private failed: unknown = null;

  /** Resolves when every closed interval has been handed on; rejects with the first failure. */
  async settled(): Promise<void> {
    await this.pending;
    if (this.failed !== null) throw this.failed;
  }
}

/** Runs `source` to its end (a file) or until stopped (live), closing intervals as they pass. */
export async function runIntervals(opts: Omit<TelescopeOptions, 'inputs'>, source: CaptureSource, live: boolean, r: IntervalRunOptions): Promise<{ intervals: number; skipped: number; frames: number }> {
  const intervalUs = (opts.intervalS ?? 3600) * 1e6;
  let frames = 0;
  const roller = new IntervalRoller(() => buildAggregator({ ...opts, inputs: [] }, 0, 1), intervalUs, source, r.onInterval);
  const graceUs = (r.graceMs ?? 2000) * 1000;
  const timer = live ? setInterval(() => roller.closeIfIdle(Date.now() * 1000, graceUs), r.tickMs ?? 500) : null;
  try {
    await runSingle(source, (b) => { frames += b.count; roller.processBatch(b); }, { live, stopSignal: opts.stopSignal });
  } finally {
    if (timer) clearInterval(timer);
  }
  roller.close();
  await roller.settled();
  return { intervals: roller.closed, skipped: roller.skipped, frames };
}

/** `minewatch telescope --interface IF`: checks the options, opens the interface, runs until stopped. */
export async function runLiveTelescope(opts: Omit<TelescopeOptions, 'inputs'> & { interface: string }, r: IntervalRunOptions): Promise<{ intervals: number; skipped: number; frames: number }> {
  parseDarknets(opts.darknets);
  if (opts.watchFile) loadWatchList(opts.watchFile);
  const source = await openLive(opts.interface, { filter: opts.filter });
  r.onStarted?.(source);
  return runIntervals(opts, source, true, r);
}

/** `YYYYMMDDTHHMMSSZ` of a µs timestamp: sortable, safe in file names. */
export function intervalStamp(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Writes one closed interval into `dir`: `<stamp>.json` (the report, as `--json` writes it) and
 * `<stamp>.state` (the compact binary mergeable state, as `--state` writes it: `telescope merge`
 * reads it). Each file is written whole or not at all.
 */
export function writeIntervalFiles(dir: string, iv: ClosedInterval): { stats: string; state: string } {
  const stamp = intervalStamp(iv.start);
  const statsFile = join(dir, `${stamp}.json`);
  const stateFile = join(dir, `${stamp}.state`);
  writeFileAtomic(stateFile, encodeStateFile(iv.state).bytes);
  writeFileAtomic(statsFile, JSON.stringify(iv.report) + '\n');
  return { stats: statsFile, state: stateFile };
}

/** State bytes sent with a telescope event at most; beyond, `state_omitted` says how many. */
export const MAX_EVENT_STATE_BYTES = 1 << 20;

/**
 * The collector's `telescope` event for one closed interval: the same event `telescope --db` and
 * `--send` store for a capture file (interval-events.ts: statistics, top ports and countries,
 * the unique-source sketch the trend reports merge), plus the interval's binary mergeable state
 * as `state` (base64 of the state file) when it is at most MAX_EVENT_STATE_BYTES; the store keeps
 * it in the raw event.
 */
export function intervalEvent(iv: ClosedInterval, sensor?: string): Record<string, unknown> {
  const events = intervalEvents(iv.state, sensor ?? '');
  if (events.length !== 1) throw new InternalError('telescope.live-interval', `a closed live interval holds ${events.length} intervals, expected 1`);
  const ev = events[0] as { telescope: Record<string, unknown> };
  const bytes = encodeStateFile(iv.state).bytes;
  if (bytes.length <= MAX_EVENT_STATE_BYTES) Object.assign(ev.telescope, { state: Buffer.from(bytes).toString('base64'), state_format: 'minewatch-telescope-state' });
  else ev.telescope.state_omitted = bytes.length;
  return ev;
}
