/**
 * The home sensor: the analyze pipeline run continuously on a live interface (or, for replays
 * and tests, over capture files through the same code path), storing alerts, incidents,
 * devices and periodic `stats` in the local store (sensor-store.ts, committed at least every
 * second), appending EVE output (eve-append.ts: flushed within a second, rotated by size,
 * reopened on demand), and reporting its health (a log line, `stats` events, Prometheus).
 *
 * Stopping (the abort signal: SIGTERM/SIGINT in the CLI) closes the capture, ends the flows,
 * flushes EVE and commits the store before it resolves. A SIGKILL loses at most the events
 * of the last second, which were never stored; a replay after it stores each event once
 * (content-derived event ids, the store's unique key).
 */
import { openCapture } from '../capture/open.js';
import { captureDrops, openLive } from '../capture/live.js';
import type { CaptureSource, FrameBatch, LiveCaptureSource } from '../capture/source.js';
import { DEFAULT_EVE_TYPES, eveTimestamp, type EveTypeId } from '../events/eve-format.js';
import type { FlowEngineOptions } from '../flow/index.js';
import { applyRetention, loadBaselineState, RETENTION_DEFAULTS, saveBaselineState, type Store } from '../store/index.js';
import type { BaselineOptions, BaselineState } from '../devices/index.js';
import { uuidv7 } from '../transport/uuidv7.js';
import { addSourceCounts } from './analyze.js';
import { analyzerFactory, DEFAULT_ANALYZER_CONFIG, type AnalyzerConfig } from './analyzers.js';
import { AppendingEveWriter } from './eve-append.js';
import { NftBlocklistWriter } from './blocklist-writer.js';
import { OutputError } from '../util/errors.js';
import type { EventSink } from './eve-writer.js';
import { Notifier, type NotifyOptions } from './notify.js';
import { PacketPipeline } from './packet-pipeline.js';
import { preflightAnalyzers } from './preflight.js';
import { DeviceEventTracker } from '../devices/device-events.js';
import { defaultSensorName, StoreSink, STORED_EVENT_TYPES, stampEventId } from './sensor-store.js';
import type { AnalysisSummary } from './summary.js';

export interface SensorOptions {
  /** Live interface (libpcap through the native/pcap batch addon, or cap). */
  interface?: string;
  filter?: string;
  /** Which libpcap binding (default auto: the addon when it loads, else cap). */
  captureBackend?: 'auto' | 'libpcap-batch' | 'cap';
  /** Capture files instead of an interface: a replay through the same path (tests, backfills). */
  inputs?: string[];
  /** Replay pace in packets per second (files only; 0 or undefined = as fast as possible). */
  replayPps?: number;
  /** `sqlite:PATH` / `postgres://…` (default: the collector's default SQLite file). */
  db?: string;
  /** An open store instead of `db` (tests). */
  store?: Store;
  /** Sensor name in events and in the store (default: the host name). */
  sensor?: string;
  eve?: string;
  eveMaxBytes?: number;
  eveKeep?: number;
  /** Write EVE flow events too (default true when `eve` is given, and `eveTypes` has flow). */
  flowEvents?: boolean;
  /**
   * EVE event types (default flow, alert): dns, tls and http add protocol events; stats adds
   * Suricata's counters (uptime, capture, decoder, flow, app_layer, detect) to the periodic
   * stats event beside the health fields.
   */
  eveTypes?: readonly EveTypeId[];
  analyzers?: AnalyzerConfig;
  flow?: FlowEngineOptions;
  /** Health line + `stats` event interval (default 60 s). */
  statsIntervalMs?: number;
  /** Delete stored events and incidents older than this many days (the store's retention), at start and hourly; undefined = keep. */
  retentionDays?: number;
  /** Store commit interval (default 1 s). */
  commitMs?: number;
  /** Notifications (one per incident; incidents already in the store are not announced again). */
  notify?: NotifyOptions;
  /** Device behaviour baselines (default on with their defaults; false: off). Kept in the store across restarts. */
  baselines?: BaselineOptions | false;
  /** How often the baselines are saved to the store (default 10 min; also on stop). */
  baselineSaveMs?: number;
  /** Write the pool addresses seen resolved or reached to this nftables file (atomically, every blocklistIntervalMs and on stop). */
  blocklistNft?: string;
  blocklistIntervalMs?: number;
  /** How often new or changed devices are written as `device` events (default 5 s). */
  deviceIntervalMs?: number;
  /** Further outputs (the collector sender). */
  sinks?: EventSink[];
  /** Depth of the sender's outbox, for health (events). */
  outboxDepth?: () => number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface SensorHealth {
  uptime_s: number;
  packets: number;
  bytes: number;
  packets_per_s: number;
  bytes_per_s: number;
  /** Frames libpcap delivered that the sensor had no room for (cap backend only; the batch addon leaves them to the kernel ring, counted in pcap_dropped). */
  capture_dropped: number;
  /** Which libpcap binding captures: "libpcap-batch" (native/pcap addon), "cap", or "file". */
  capture_backend: string;
  /** libpcap's own pcap_stats (batch addon only; null with cap or files): packets the kernel received for the socket. */
  pcap_received: number | null;
  /** pcap_stats: packets the kernel dropped because the ring was full. */
  pcap_dropped: number | null;
  /** pcap_stats: packets the interface or driver dropped. */
  pcap_ifdropped: number | null;
  flows: number;
  alerts: number;
  events_stored: number;
  store_pending: number;
  store_errors: number;
  eve_events: number;
  eve_rotations: number;
  blocklist_addresses: number;
  devices: number;
  device_events: number;
  notifications_sent: number;
  notifications_failed: number;
  outbox_depth: number;
  rss_bytes: number;
  heap_used_bytes: number;
}

export interface SensorResult {
  summary: AnalysisSummary;
  health: SensorHealth;
}

/** A running sensor: its health at any moment, a reopen for SIGHUP, and its end. */
export interface SensorRun {
  health(): SensorHealth;
  reopenEve(): void;
  readonly done: Promise<SensorResult>;
}

const RETENTION_EVERY_MS = 3_600_000;
/** Packets handed to the pipeline per paced slice. */
const PACE_SLICE = 16;

export async function startSensor(opts: SensorOptions): Promise<SensorRun> {
  if (!opts.interface === !opts.inputs?.length) throw new Error('startSensor: give an interface or capture files, not both');
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const name = opts.sensor ?? defaultSensorName();
  const analyzers = opts.analyzers ?? DEFAULT_ANALYZER_CONFIG;
  const pre = await preflightAnalyzers(analyzers);
  for (const w of pre.warnings) log(`minewatch sensor: warning: ${w}`);
  const store = await StoreSink.open({ db: opts.db, store: opts.store, sensor: name, commitMs: opts.commitMs, onError: (err) => log(`minewatch sensor: store write failed (retrying): ${err.message}`) });
  let eve: AppendingEveWriter | null = null;
  let blocklist: NftBlocklistWriter | null = null;
  let pipelineRef: PacketPipeline | null = null;
  let source: CaptureSource;
  let live: LiveCaptureSource | null = null;
  try {
    eve = opts.eve ? new AppendingEveWriter(opts.eve, { maxBytes: opts.eveMaxBytes, keep: opts.eveKeep }) : null;
    blocklist = opts.blocklistNft ? openBlocklist(opts.blocklistNft, opts.blocklistIntervalMs, log, () => pipelineRef?.resolvedMiningAddresses() ?? []) : null;
    if (opts.interface) source = live = await openLive(opts.interface, { filter: opts.filter, backend: opts.captureBackend });
    else source = await openCapture(opts.inputs ?? []);
  } catch (err) {
    eve?.close();
    blocklist?.close();
    await store.finish();
    throw err;
  }
  let notifier: Notifier | null = null;
  if (opts.notify) {
    const known = await store.store.read.selectFrom('incidents').select(['signature_id', 'src_ip']).where('sensor_id', '=', store.sensorId).execute();
    notifier = new Notifier({ sensor: name, ...opts.notify, known: known.map((k) => `${k.signature_id}|${k.src_ip}`) });
  }
  const outputs: EventSink[] = [...(eve ? [eve] : []), ...(blocklist ? [blocklist] : []), store, ...(notifier ? [notifier] : []), ...(opts.sinks ?? [])];
  let alerts = 0;
  const onEvent = (event: Record<string, unknown>) => {
    const type = String(event.event_type);
    if (type === 'alert') alerts++;
    // stored events carry their id in EVE too, so both outputs name the same event
    if (STORED_EVENT_TYPES.has(type)) stampEventId(name, event);
    for (const o of outputs) o.write(event);
  };
  const types = new Set<EveTypeId>(opts.eveTypes ?? DEFAULT_EVE_TYPES);
  // the periodic stats event is the sensor's own (below), never the pipeline's packet-time one
  const protocolTypes = new Set([...types].filter((t) => t === 'dns' || t === 'tls' || t === 'http'));
  const pipeline = new PacketPipeline({
    flowEvents: (opts.flowEvents ?? eve !== null) && types.has('flow'),
    eveTypes: protocolTypes,
    suricataStats: types.has('stats'),
    captureDrops: () => captureDrops(source),
    sink: (_ts, event) => onEvent(event),
    analyzers: await analyzerFactory(opts.baselines === false ? analyzers : { ...analyzers, baselines: analyzers.baselines ?? opts.baselines ?? {} }),
    flow: opts.flow,
    sensor: name,
  });
  pipelineRef = pipeline;
  // the baselines learned before a restart: the learning window does not begin again
  const baselines = pipeline.baselines;
  if (baselines) {
    const saved = await loadBaselineState(store.store, store.sensorId);
    if (saved) baselines.importState(saved as BaselineState);
  }
  const saveBaselines = async () => {
    if (!baselines) return;
    try {
      await saveBaselineState(store.store, store.sensorId, baselines.exportState());
    } catch (err) {
      log(`minewatch sensor: saving the device baselines failed: ${(err as Error).message}`);
    }
  };
  const baselineTimer = setInterval(() => void saveBaselines(), opts.baselineSaveMs ?? 600_000);
  baselineTimer.unref();

  // the inventory into the store: a `device` event when a device appears or changes
  const deviceEvents = new DeviceEventTracker({ sensor: name });
  let deviceCount = 0;
  const announceDevices = (all: boolean) => {
    const inv = pipeline.inventory;
    if (!inv) return;
    const devices = inv.devices(true);
    deviceCount = devices.length;
    for (const e of deviceEvents.changes(devices, all)) onEvent(e);
  };
  const deviceTimer = setInterval(() => announceDevices(false), opts.deviceIntervalMs ?? 5000);
  deviceTimer.unref();

  const started = Date.now();
  let last = { t: started, packets: 0, bytes: 0 };
  let rates = { pps: 0, bps: 0 };
  const health = (): SensorHealth => {
    const mem = process.memoryUsage();
    const ps = live?.pcapStats() ?? null;
    return {
      uptime_s: Math.round((Date.now() - started) / 1000),
      packets: pipeline.packets,
      bytes: pipeline.bytes,
      packets_per_s: rates.pps,
      bytes_per_s: rates.bps,
      capture_dropped: source.malformed.get('live.dropped-consumer-slow'),
      capture_backend: live?.backend ?? 'file',
      pcap_received: ps?.received ?? null,
      pcap_dropped: ps?.dropped ?? null,
      pcap_ifdropped: ps?.ifdropped ?? null,
      flows: pipeline.activeFlows,
      alerts,
      events_stored: store.stats.stored,
      store_pending: store.depth,
      store_errors: store.stats.errors,
      eve_events: eve?.count ?? 0,
      eve_rotations: eve?.rotations ?? 0,
      blocklist_addresses: blocklist?.size ?? 0,
      devices: deviceCount,
      device_events: deviceEvents.emitted,
      notifications_sent: Object.values(notifier?.stats.sent ?? {}).reduce((a, b) => a + b, 0),
      notifications_failed: Object.values(notifier?.stats.failed ?? {}).reduce((a, b) => a + b, 0),
      outbox_depth: opts.outboxDepth?.() ?? 0,
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
    };
  };
  const tick = () => {
    const now = Date.now();
    const dt = Math.max(1, now - last.t) / 1000;
    rates = { pps: Math.round((pipeline.packets - last.packets) / dt), bps: Math.round((pipeline.bytes - last.bytes) / dt) };
    last = { t: now, packets: pipeline.packets, bytes: pipeline.bytes };
    const h = health();
    log(formatHealth(name, h));
    const counters = pipeline.statsBody() ?? {};
    onEvent({ timestamp: eveTimestamp(now * 1000), event_type: 'stats', stats: { ...counters, ...h }, minewatch: { sensor: name, event_id: uuidv7(now) } });
  };
  const statsTimer = setInterval(tick, opts.statsIntervalMs ?? 60_000);
  statsTimer.unref();
  let retentionTimer: NodeJS.Timeout | null = null;
  if (opts.retentionDays !== undefined) {
    const days = opts.retentionDays;
    const retain = async () => {
      try {
        await store.commit();
        // roll-ups outlive the events (the store finds the event types to delete through them)
        const r = await applyRetention(store.store, { eventsMaxAgeDays: days, hourlyMaxAgeDays: Math.max(days, RETENTION_DEFAULTS.hourlyMaxAgeDays), dailyMaxAgeDays: Math.max(days, RETENTION_DEFAULTS.dailyMaxAgeDays) });
        if (r.eventsDeleted > 0 || r.derivedDeleted > 0) log(`minewatch sensor: retention: deleted ${r.eventsDeleted} events and ${r.derivedDeleted} older roll-ups/incidents (older than ${days} days)`);
      } catch (err) {
        log(`minewatch sensor: retention failed: ${(err as Error).message}`);
      }
    };
    await retain();
    retentionTimer = setInterval(() => void retain(), RETENTION_EVERY_MS);
    retentionTimer.unref();
  }

  let stopping = false;
  const stop = () => {
    stopping = true;
    void source.close();
  };
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (opts.signal?.aborted) stop();

  const run = async (): Promise<SensorResult> => {
    try {
      for await (const batch of source.batches()) {
        if (stopping) break;
        if (opts.replayPps && opts.replayPps > 0 && !opts.interface) {
          for (let i = 0; i < batch.count && !stopping; i += PACE_SLICE) {
            const n = Math.min(PACE_SLICE, batch.count - i);
            pipeline.processBatch(sliceBatch(batch, i, n));
            await sleep((n * 1000) / opts.replayPps);
          }
        } else {
          pipeline.processBatch(batch);
        }
      }
    } finally {
      clearInterval(statsTimer);
      clearInterval(deviceTimer);
      clearInterval(baselineTimer);
      if (retentionTimer) clearInterval(retentionTimer);
      opts.signal?.removeEventListener('abort', stop);
      await source.close();
      // end of input or a clean stop: the flows end (their alerts and events are written), then a last stats event
      pipeline.finish();
      announceDevices(true);
      tick();
      eve?.close();
      blocklist?.close();
      for (const s of opts.sinks ?? []) s.close();
      await saveBaselines();
      await store.finish();
      await notifier?.stop();
    }
    const summary = pipeline.summary();
    addSourceCounts(summary, source);
    summary.inputs = opts.interface ? [opts.interface] : opts.inputs ?? [];
    return { summary, health: health() };
  };
  const done = run();
  return { health, reopenEve: () => eve?.reopen(), done };
}

function openBlocklist(path: string, intervalMs: number | undefined, log: (line: string) => void, resolved: () => Iterable<string>): NftBlocklistWriter {
  try {
    return new NftBlocklistWriter(path, { intervalMs, resolved, onError: (err) => log(`minewatch sensor: writing ${path} failed (kept the previous file): ${err.message}`) });
  } catch (err) {
    throw new OutputError('output.blocklist', `--blocklist-nft ${path}: cannot write it (${(err as Error).message}); give a writable path`, { subject: '--blocklist-nft' });
  }
}

/** Runs a sensor to its end (input exhausted or the signal aborted). */
export async function runSensor(opts: SensorOptions): Promise<SensorResult> {
  return (await startSensor(opts)).done;
}

/** One log line of health. */
export function formatHealth(name: string, h: SensorHealth): string {
  const mb = (x: number) => (x / 1e6).toFixed(1);
  return `minewatch sensor ${name}: health packets=${h.packets} (${h.packets_per_s}/s) bytes=${h.bytes} (${mb(h.bytes_per_s)} MB/s) ` +
    `dropped=${h.capture_dropped} ${h.pcap_received === null ? '' : `pcap_received=${h.pcap_received} pcap_dropped=${h.pcap_dropped} pcap_ifdropped=${h.pcap_ifdropped} `}` +
    `capture=${h.capture_backend} flows=${h.flows} alerts=${h.alerts} stored=${h.events_stored} pending=${h.store_pending} ` +
    `outbox=${h.outbox_depth} rss=${mb(h.rss_bytes)}MB`;
}

/** Frames [from, from + n) of a batch as a batch of its own (views, no copy). */
function sliceBatch(b: FrameBatch, from: number, n: number): FrameBatch {
  return {
    buf: b.buf, count: n, sourceIndex: b.sourceIndex,
    offsets: b.offsets.subarray(from, from + n), capLens: b.capLens.subarray(from, from + n), wireLens: b.wireLens.subarray(from, from + n),
    tsUs: b.tsUs.subarray(from, from + n), linkTypes: b.linkTypes.subarray(from, from + n), ifIndexes: b.ifIndexes.subarray(from, from + n),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
