/**
 * One pipeline instance: decode → flow/reassembly → protocol parsers → detectors → events.
 * The same class runs in the main thread (single-threaded mode) and inside each worker;
 * a worker owns the flows whose symmetric hash maps to its index (see docs/architecture.md).
 */
import type { FrameBatch } from '../capture/source.js';
import { ROUTE_ALL, partitionOf } from '../capture/fanout.js';
import type { Detector, DetectorContext, ProtocolMessage, AlertInput } from '../events/detector.js';
import type { FlowBurst, FlowEndReason, FlowView } from '../events/flow.js';
import { Layer, PacketClass, TcpFlag, createPacketView, packetClassOf, type PacketView } from '../events/packet.js';
import type { StreamConsumer } from '../events/stream.js';
import { ReasonCounter } from '../events/counters.js';
import { PacketDecoder, finalMix, ip6Fold, symmetricFlowHash, symmetricHashV4 } from '../decode/index.js';
import { parseIp } from '../util/ip.js';
import { dstPortAt, ipv4DstAt, ipv4ProtoAt, ipv4SrcAt, isPlainIpv4, isPlainIpv4Ports, srcPortAt } from '../decode/plain-ipv4.js';
import { DEFAULT_MAX_FLOWS, FlowEngine, flowToEve, type FlowEngineOptions } from '../flow/index.js';
import { eveTimestamp, type EveTypeId } from '../events/eve-format.js';
import { AlertBuilder } from './alerts.js';
import type { Baselines, Inventory } from '../devices/index.js';
import { ProtocolEvents } from './eve-protocols.js';
import { EveStats } from './eve-stats.js';
import { emptySummary, type AnalysisSummary } from './summary.js';

/** Frames whose flow-index entries are warmed at a time (see warmFlows). */
const WARM_FRAMES = 256;
/**
 * Warming pays only when the flows in the table outgrow the caches (a flood); with fewer,
 * their index entries stay cached and hashing every frame twice cost 15 % of the spine on
 * the 1 GB capture of ordinary traffic.
 */
const WARM_MIN_FLOWS = 32_768;

/** Must equal the flow table's expireIntervalUs (its default), see processBatch. */
const EXPIRY_INTERVAL_US = 1e6;

/** Where events go: `emitTsUs` is the packet time at which the event was produced (merge key). */
export type TimedSink = (emitTsUs: number, event: Record<string, unknown>) => void;

export interface Analyzers {
  consumers: StreamConsumer[];
  detectors: Detector[];
  /** Counters from parsers/detectors to fold into the summary (malformed, per-protocol stats). */
  collect(summary: AnalysisSummary): void;
  /**
   * The context the detectors emit through, built around the pipeline's own (e.g. suppression,
   * home networks). Called once, at construction: nothing is built per packet.
   */
  wrapContext?(ctx: DetectorContext): DetectorContext;
  /**
   * A DNS answer (UDP from port 53) whose flow another worker owns: what every worker must
   * know (which addresses answered pool names), learned without parsing the flow or alerting.
   */
  learnForeignDns?(pkt: PacketView): void;
  /** The device inventory the detectors feed, when the devices component runs (the sensor reads it live). */
  inventory?: Inventory;
  /** The device behaviour baselines, when on (the sensor persists them). */
  baselines?: Baselines;
  /** Addresses the DNS answers tied to a listed mining name (pools, browser-miner hosts): the sensor's blocklist. */
  resolvedMiningAddresses?(): Iterable<string>;
}

export interface PacketPipelineOptions {
  workerIndex?: number;
  workerCount?: number;
  /** Write EVE `flow` events (costly on floods of tiny flows; off unless an EVE output exists). */
  flowEvents?: boolean;
  /** Extra event types to pass to the sink besides alerts (flow events are governed above). */
  sink: TimedSink;
  /** Factory, called with this pipeline's message sink, that builds parsers and detectors. */
  analyzers?: (onMessage: (flow: FlowView, msg: ProtocolMessage) => void, ctx: DetectorContext) => Analyzers;
  flow?: FlowEngineOptions;
  sensor?: string;
  /** Reassemble IP fragments (default true). */
  reassembleFragments?: boolean;
  /**
   * EVE event types to write besides alerts: dns, tls, http (eve-protocols.ts) and stats
   * (eve-stats.ts). Flow events are governed by `flowEvents`.
   */
  eveTypes?: ReadonlySet<EveTypeId>;
  /**
   * Keep Suricata's stats counters (statsBody) without writing stats events: for a caller that
   * writes its own periodic stats event (the sensor). Stats events imply it.
   */
  suricataStats?: boolean;
  /** Packet time between stats events (default Suricata's 8 s). */
  statsIntervalUs?: number;
  /** Packets the capture dropped so far (live capture), for stats' capture.kernel_drops. */
  captureDrops?: () => number;
}

export class PacketPipeline {
  private readonly pkt: PacketView = createPacketView();
  private readonly decoder: PacketDecoder;
  private readonly flows: FlowEngine;
  private readonly alerts: AlertBuilder;
  private readonly analyzers: Analyzers;
  private readonly packetDetectors: Detector[];
  private readonly sourceDetectors: Detector[];
  /** PacketClass bits each packet detector wants (same order as the detector arrays). */
  private readonly packetMasks: Uint8Array;
  private readonly sourceMasks: Uint8Array;
  /** Per source detector, the classes it reads of packets only their destination makes this worker's (Detector.answers). */
  private readonly answerMasks: Uint8Array;
  private readonly messageDetectors: Detector[];
  /**
   * Per message protocol, the message detectors that read it (Detector.protocols), listed on
   * the protocol's first message. Keys are the parsers' protocol ids: a handful.
   */
  private readonly messageRoutes = new Map<string, Detector[]>();
  private readonly flowEndDetectors: Detector[];
  private readonly burstDetectors: Detector[];
  private readonly me: number;
  private readonly n: number;
  private readonly flowEvents: boolean;
  private readonly sink: TimedSink;
  private readonly detectorErrors = new ReasonCounter();
  private readonly alertCounts = new ReasonCounter();
  private readonly eventCounts = new ReasonCounter();
  private readonly alertedFlows = new Set<number>();
  private nowUs = 0;
  private readonly warmHashes = new Int32Array(WARM_FRAMES);
  /**
   * Per frame of the current warm window: its flow hash from the raw header, valid where
   * frameHashed is 1, so the flow lookup does not hash the frame again (see processBatch).
   */
  private readonly frameHash = new Int32Array(WARM_FRAMES);
  private readonly frameHashed = new Uint8Array(WARM_FRAMES);
  private nextExpiryUs = -Infinity;
  private readonly unownedMalformed = new ReasonCounter();
  private readonly protocolEvents: ProtocolEvents | null;
  private readonly stats: EveStats | null;
  private readonly captureDrops: (() => number) | undefined;
  private readonly statsEvents: boolean;
  /** Packet time of the last stats event: no two of one pipeline share a timestamp. */
  private lastStatsUs = -Infinity;
  private readonly emitEventBound = (event: Record<string, unknown>): void => this.emitEvent(event);
  packets = 0;
  bytes = 0;

  constructor(opts: PacketPipelineOptions) {
    this.me = opts.workerIndex ?? 0;
    this.n = opts.workerCount ?? 1;
    this.flowEvents = opts.flowEvents ?? false;
    this.sink = opts.sink;
    this.decoder = new PacketDecoder({ reassembleFragments: opts.reassembleFragments ?? true });
    this.alerts = new AlertBuilder({ sensor: opts.sensor });
    const types = opts.eveTypes;
    this.protocolEvents = types && (types.has('dns') || types.has('tls') || types.has('http')) ? new ProtocolEvents({ types, sensor: opts.sensor }) : null;
    this.stats = types?.has('stats') || opts.suricataStats ? new EveStats(opts.statsIntervalUs) : null;
    this.statsEvents = types?.has('stats') ?? false;
    this.captureDrops = opts.captureDrops;
    const base: DetectorContext = {
      emit: (flow, alert) => this.emitAlert(flow, alert),
      emitEvent: (event) => this.emitEvent(event),
    };
    this.analyzers = opts.analyzers
      ? opts.analyzers((flow, msg) => this.onMessage(flow, msg), base)
      : { consumers: [], detectors: [], collect() {} };
    // One context for the whole pipeline, wrapped once. The source-partitioned detectors' context
    // drops alerts about hosts another worker owns before they reach it (so a worker counts only
    // the suppressions of its own hosts).
    const ctx = this.analyzers.wrapContext ? this.analyzers.wrapContext(base) : base;
    this.ctx = ctx;
    this.sourceCtx = {
      emit: (flow, alert) => {
        if (this.n === 1 || this.ownsHostText(alert.srcIp ?? flow?.clientIp)) ctx.emit(flow, alert);
      },
      emitEvent: (event) => ctx.emitEvent(event),
    };
    const ds = this.analyzers.detectors;
    this.packetDetectors = ds.filter((d) => d.onPacket && d.partition !== 'source');
    this.sourceDetectors = ds.filter((d) => d.onPacket && d.partition === 'source');
    this.packetMasks = Uint8Array.from(this.packetDetectors, (d) => d.packets ?? PacketClass.ALL);
    this.sourceMasks = Uint8Array.from(this.sourceDetectors, (d) => d.packets ?? PacketClass.ALL);
    this.answerMasks = Uint8Array.from(this.sourceDetectors, (d) => (d.answers ?? PacketClass.ALL) & (d.packets ?? PacketClass.ALL) & ROUTE_ANSWER_CLASSES);
    this.messageDetectors = ds.filter((d) => d.onMessage);
    this.flowEndDetectors = ds.filter((d) => d.onFlowEnd);
    this.burstDetectors = ds.filter((d) => d.onBurst);
    // The flow bound is for the whole process: each worker gets its share.
    const maxFlows = Math.max(1, Math.ceil((opts.flow?.maxFlows ?? DEFAULT_MAX_FLOWS) / this.n));
    this.flows = new FlowEngine({
      ...opts.flow,
      expireIntervalUs: EXPIRY_INTERVAL_US,
      maxFlows,
      workerIndex: this.me,
      workerCount: this.n,
      consumers: this.analyzers.consumers,
      // Nothing to do when a flow ends unless flow events or flow-end detectors want it: a
      // flood of one-packet flows then skips the callback chain entirely.
      onFlowEnd: this.flowEvents || this.flowEndDetectors.length > 0 || this.protocolEvents?.wantsFlowEnd ? (flow, reason) => this.onFlowEnd(flow, reason) : undefined,
      // Payload bursts are tracked only when a detector reads them.
      onBurst: this.burstDetectors.length > 0 ? (flow, burst) => this.onBurst(flow, burst) : undefined,
    });
  }

  private readonly ctx: DetectorContext;
  /** Context of source-partitioned detectors: drops alerts about hosts another worker owns. */
  private readonly sourceCtx: DetectorContext;

  private ownsHostText(ip: string | undefined): boolean {
    const parsed = ip ? parseIp(ip) : null;
    if (!parsed) return this.me === 0;
    const key = parsed.version === 4 ? parsed.v4 : ip6Fold(parsed.bytes, 0);
    return partitionOf(hostHash(key), this.n) === this.me;
  }

  /** Processes every frame of a batch that this pipeline owns. */
  processBatch(batch: FrameBatch): void {
    const pkt = this.pkt;
    const decoder = this.decoder;
    const { offsets, capLens, wireLens, tsUs, linkTypes, ifIndexes, buf, routes } = batch;
    const n = this.n;
    const me = this.me;
    const flowDetectors = this.packetDetectors;
    const nf = flowDetectors.length;
    const sourceDetectors = this.sourceDetectors;
    const ns = sourceDetectors.length;
    const packetMasks = this.packetMasks;
    const sourceMasks = this.sourceMasks;
    const answerMasks = this.answerMasks;
    const frameHash = this.frameHash;
    const frameHashed = this.frameHashed;
    const learnDns = this.analyzers.learnForeignDns;
    const stats = this.stats;
    let warmStart = 0;
    let warmEnd = 0;
    let warmed = false;
    for (let i = 0; i < batch.count; i++) {
      if (i === warmEnd) {
        warmStart = i;
        warmEnd = Math.min(batch.count, i + WARM_FRAMES);
        warmed = this.flows.size >= WARM_MIN_FLOWS;
        if (warmed) this.warmFlows(batch, i, warmEnd);
      }
      const ts = tsUs[i];
      // The packet clock advances on every packet, owned or not, so every worker's event
      // times are comparable and never run behind the watermark it reports.
      if (ts > this.nowUs) this.nowUs = ts;
      if (stats !== null && stats.due(this.nowUs) && this.statsEvents) this.writeStats(stats.take(this.nowUs));
      let r = ROUTE_ALL;
      if (n > 1) {
        // Fast skip: a frame whose route (computed by the reader, see routeFrame) names
        // neither this worker's flows nor, for host-level detectors, one of its hosts.
        r = routes !== undefined ? routes[i] : routeFrame(buf, offsets[i], capLens[i], linkTypes[i], n);
        if (r !== ROUTE_ALL && (r & 0xff) !== me && (ns === 0 || (((r >>> 8) & 0xff) !== me && r >>> 16 !== me))) {
          this.tickExpiry(ts);
          continue;
        }
      }
      decoder.decode(pkt, buf, offsets[i], capLens[i], wireLens[i], ts, linkTypes[i], ifIndexes[i]);
      // Packets without a usable IP header (ARP, non-IP, pending fragments) belong to worker 0.
      const hasIp = (pkt.layers & Layer.IP) !== 0 && !pkt.isFragment;
      let ownsFlow = true;
      let ownsSrc = true;
      let ownsDst = false;
      if (n > 1) {
        if (r !== ROUTE_ALL) {
          // Routed frames (plain IPv4): the route was hashed from the same address fields
          // the decoder reads, so its owners are the ones hashing again would give.
          ownsFlow = (r & 0xff) === me;
          ownsSrc = ((r >>> 8) & 0xff) === me;
          ownsDst = r >>> 16 === me;
        } else {
          ownsFlow = (hasIp ? partitionOf(hostPairHash(pkt.src4, pkt.dst4), n) : 0) === me;
          // A host-level detector sees the packets from the hosts this worker owns, and the
          // answers to them (a scan is judged by the replies it gets too); it alerts only on owned hosts.
          ownsSrc = hasIp ? partitionOf(hostHash(pkt.src4), n) === me : me === 0;
          ownsDst = hasIp && partitionOf(hostHash(pkt.dst4), n) === me;
        }
        if (hasIp) this.tickExpiry(ts);
        // Decode problems are counted by the worker that owns the packet only.
        if (!ownsFlow && pkt.malformed !== '') this.unownedMalformed.add(pkt.malformed);
        // DNS answers reach every worker (routeFrame): the connections to the answer addresses may be anyone's
        if (!ownsFlow && learnDns !== undefined && pkt.proto === 17 && pkt.srcPort === 53 && pkt.payloadLength > 0) learnDns(pkt);
        if (!ownsFlow && !((ownsSrc || ownsDst) && ns > 0)) continue;
      }
      let flow: FlowView | null = null;
      const cls = nf + ns > 0 ? packetClassOf(pkt) : 0;
      // Of the packets to this worker's hosts from another's, source detectors read only answers.
      const ownsSource = ownsSrc || (ownsDst && (cls & ROUTE_ANSWER_CLASSES) !== 0);
      if (ownsFlow) {
        this.packets++;
        this.bytes += pkt.wireLength;
        if (hasIp) {
          // A warmed frame's hash came from the same header bytes the decoder read its
          // addresses, protocol and (once it decoded the L4 header) ports from.
          const hash = warmed && frameHashed[i - warmStart] === 1 && (pkt.layers & Layer.L4) !== 0 ? frameHash[i - warmStart] : symmetricFlowHash(pkt);
          flow = this.flows.process(pkt, hash);
          if (stats !== null) stats.countPacket(pkt, flow !== null && flow.pktsToServer + flow.pktsToClient === 1);
        }
        for (let d = 0; d < nf; d++) {
          if ((packetMasks[d] & cls) === 0) continue;
          try {
            flowDetectors[d].onPacket!(pkt, flow, this.ctx);
          } catch (err) {
            this.detectorFailed(flowDetectors[d].id, err);
          }
        }
      }
      if (ownsSource) {
        for (let d = 0; d < ns; d++) {
          if (((ownsSrc ? sourceMasks[d] : answerMasks[d]) & cls) === 0) continue;
          try {
            sourceDetectors[d].onPacket!(pkt, flow, this.sourceCtx);
          } catch (err) {
            this.detectorFailed(sourceDetectors[d].id, err);
          }
        }
      }
    }
  }

  /**
   * Loads the flow-index entries of frames [from, to) before they are processed, so their
   * cache misses overlap instead of each lookup waiting for its own (FlowEngine.warm): on a
   * flood of one-packet flows the index is far larger than the caches. Hashed from the raw
   * header of plain Ethernet/IPv4 TCP/UDP frames without options (decoding twice would count
   * malformed packets twice); other frames are simply not warmed. No observable effect; the
   * hashes are kept per frame (frameHash) for the lookup after decoding.
   */
  private warmFlows(batch: FrameBatch, from: number, to: number): void {
    const { buf, offsets, capLens, linkTypes, routes } = batch;
    const hashes = this.warmHashes;
    const frameHash = this.frameHash;
    const frameHashed = this.frameHashed;
    frameHashed.fill(0);
    const n = this.n;
    const me = this.me;
    let k = 0;
    for (let i = from; i < to; i++) {
      // another worker's frame: skipped before its bytes are touched
      if (n > 1 && routes !== undefined && (routes[i] & 0xff) !== me) continue;
      const o = offsets[i];
      if (!isPlainIpv4Ports(buf, o, capLens[i], linkTypes[i])) continue;
      const h = symmetricHashV4(ipv4SrcAt(buf, o) >>> 0, ipv4DstAt(buf, o) >>> 0, srcPortAt(buf, o), dstPortAt(buf, o), ipv4ProtoAt(buf, o));
      hashes[k++] = h;
      frameHash[i - from] = h;
      frameHashed[i - from] = 1;
    }
    if (k > 0) this.flows.warm(hashes, k);
  }

  /**
   * Expiry runs on the packet clock of ALL IP packets (as the flow table does for the packets
   * it sees), so a worker ends flows at the same moments a single thread would. The flow
   * table checks by itself on the packets it processes; this covers the ones it does not.
   */
  private tickExpiry(ts: number): void {
    if (ts >= this.nextExpiryUs) {
      this.nextExpiryUs = ts + EXPIRY_INTERVAL_US;
      this.flows.expire(ts);
    }
  }

  /** Flows in the flow table now (the sensor's health). */
  get activeFlows(): number {
    return this.flows.size;
  }

  /** The device inventory this pipeline feeds (undefined without the devices component). */
  get inventory(): Inventory | undefined {
    return this.analyzers.inventory;
  }

  /** The device baselines this pipeline keeps (undefined unless turned on). */
  get baselines(): Baselines | undefined {
    return this.analyzers.baselines;
  }

  /** Addresses seen resolved for listed mining names (empty without detection). */
  resolvedMiningAddresses(): Iterable<string> {
    return this.analyzers.resolvedMiningAddresses?.() ?? [];
  }

  /** End of input: flush flows (their end events and detectors) and host-level detectors. */
  finish(): void {
    // Unfinished IP datagrams are dropped (and counted) at end of input.
    this.decoder.fragments?.flush();
    this.flows.finish();
    for (const d of this.analyzers.detectors) {
      try {
        d.onFinish?.(d.partition === 'source' ? this.sourceCtx : this.ctx);
      } catch (err) {
        this.detectorFailed(d.id, err);
      }
    }
    // Suricata writes a last stats record at shutdown.
    if (this.statsEvents) this.writeStats(Math.max(this.nowUs, this.lastStatsUs + 1));
  }

  /** A `stats` event (Suricata's counter names) at packet time `atUs`. */
  private writeStats(atUs: number): void {
    const body = this.statsBody(atUs);
    this.lastStatsUs = atUs;
    if (body) this.emitEvent({ timestamp: eveTimestamp(atUs), event_type: 'stats', stats: body });
  }

  /** The stats counters now (null unless stats events are on): for the sensor's periodic event. */
  statsBody(atUs = this.nowUs): Record<string, unknown> | null {
    if (this.stats === null) return null;
    return this.stats.body(atUs, {
      packets: this.packets,
      bytes: this.bytes,
      invalid: this.decoder.malformed.total() - this.unownedMalformed.total(),
      // the capture's drops are the reader's: counted once, by worker 0
      drops: this.me === 0 ? (this.captureDrops?.() ?? 0) : 0,
      flows: this.flows.stats(),
      activeFlows: this.flows.size,
      alerts: this.alertCounts.total(),
    });
  }

  summary(): AnalysisSummary {
    const s = emptySummary();
    s.packets = this.packets;
    s.bytes = this.bytes;
    const fs = this.flows.stats();
    s.flows = fs.flow.created;
    s.flows_by_end = { ...fs.flow.ended } as Record<string, number>;
    const malformed = new ReasonCounter();
    malformed.merge(this.decoder.malformed);
    for (const [k, v] of Object.entries(this.unownedMalformed.toJSON())) malformed.add(k, -v);
    malformed.merge(fs.malformed);
    malformed.merge(this.detectorErrors);
    s.malformed = Object.fromEntries(Object.entries(malformed.toJSON()).filter(([, v]) => v > 0));
    // every worker reassembles every fragment (they decode all fragmented packets): count once
    s.stream = flattenNumbers({ reassembly: fs.reassembly, dispatch: fs.dispatch, ...(this.me === 0 ? { fragments: this.decoder.fragmentStats } : {}) });
    s.alerts = this.alertCounts.toJSON();
    s.events = this.eventCounts.toJSON();
    this.analyzers.collect(s);
    return s;
  }

  private onMessage(flow: FlowView, msg: ProtocolMessage): void {
    if (this.protocolEvents !== null) this.protocolEvents.onMessage(flow, msg, this.emitEventBound);
    let ds = this.messageRoutes.get(msg.protocol);
    if (ds === undefined) {
      ds = this.messageDetectors.filter((d) => d.protocols === undefined || d.protocols.includes(msg.protocol));
      this.messageRoutes.set(msg.protocol, ds);
    }
    for (let d = 0; d < ds.length; d++) {
      try {
        ds[d].onMessage!(msg, flow, this.ctx);
      } catch (err) {
        this.detectorFailed(ds[d].id, err);
      }
    }
  }

  private onBurst(flow: FlowView, burst: FlowBurst): void {
    const ds = this.burstDetectors;
    for (let d = 0; d < ds.length; d++) {
      try {
        ds[d].onBurst!(flow, burst, this.ctx);
      } catch (err) {
        this.detectorFailed(ds[d].id, err);
      }
    }
  }

  private onFlowEnd(flow: FlowView, reason: FlowEndReason): void {
    for (const d of this.flowEndDetectors) {
      try {
        d.onFlowEnd!(flow, reason, this.ctx);
      } catch (err) {
        this.detectorFailed(d.id, err);
      }
    }
    if (this.protocolEvents !== null) this.protocolEvents.onFlowEnd(flow, this.nowUs, this.emitEventBound);
    const alerted = this.alertedFlows.size !== 0 && this.alertedFlows.delete(flow.id);
    if (this.flowEvents) {
      this.eventCounts.add('flow');
      this.sink(this.nowUs, flowToEve(flow, reason, alerted) as unknown as Record<string, unknown>);
    }
  }

  private emitAlert(flow: FlowView | null, alert: AlertInput): void {
    const event = this.alerts.build(flow, alert, this.nowUs);
    if (!event) return;
    // Remembered only for the flow event's `alerted` field (and forgotten when the flow ends).
    if (flow && this.flowEvents) this.alertedFlows.add(flow.id);
    this.alertCounts.add(alert.detector);
    this.eventCounts.add('alert');
    this.sink(this.nowUs, event as unknown as Record<string, unknown>);
  }

  private emitEvent(event: Record<string, unknown>): void {
    this.eventCounts.add(String(event.event_type ?? 'unknown'));
    this.sink(this.nowUs, event);
  }

  private detectorFailed(id: string, err: unknown): void {
    // A detector bug must not stop the pipeline; it is counted and visible in the summary.
    this.detectorErrors.add(`detector.${id}.exception`);
    if (process.env.MINEWATCH_DEBUG) console.error(err);
  }
}

/**
 * The packet classes a frame reaches its destination host's worker for (Detector.answers):
 * the answers to a host's probes, SYN-ACK and UDP. Every other frame goes to the workers of
 * its flow and its source only.
 */
export const ROUTE_ANSWER_CLASSES = PacketClass.TCP_SYNACK | PacketClass.UDP;

/**
 * The route word of a frame for the worker fan-out (capture/fanout.ts): byte 0 = the worker
 * owning its flows (host pair), bytes 1 and 2 = the workers owning its source and, for the
 * frames that may be of ROUTE_ANSWER_CLASSES, its destination host (host-level detectors;
 * otherwise byte 2 repeats byte 1). Computed from the header bytes of plain, unfragmented
 * Ethernet/IPv4 frames only — exactly the conditions under which the decoder sets Layer.IP,
 * so it agrees with the owner computed after decoding; every other frame is ROUTE_ALL (each
 * worker decodes it and decides).
 */
export function routeFrame(buf: Uint8Array, o: number, capLen: number, linkType: number, n: number): number {
  if (isPlainIpv4(buf, o, capLen, linkType)) {
    const proto = ipv4ProtoAt(buf, o);
    // DNS answers go to every worker (Analyzers.learnForeignDns)
    if (proto === 17 && isPlainIpv4Ports(buf, o, capLen, linkType) && srcPortAt(buf, o) === 53) return ROUTE_ALL;
    const src = ipv4SrcAt(buf, o);
    const dst = ipv4DstAt(buf, o);
    const srcOwner = partitionOf(hostHash(src), n);
    return partitionOf(hostPairHash(src, dst), n) | (srcOwner << 8) | ((mayBeAnswer(buf, o, capLen, proto) ? partitionOf(hostHash(dst), n) : srcOwner) << 16);
  }
  return ROUTE_ALL;
}

/** Whether a plain IPv4 frame may decode to a ROUTE_ANSWER_CLASSES packet: UDP, or TCP with SYN and ACK (or flags not captured). */
function mayBeAnswer(buf: Uint8Array, o: number, capLen: number, proto: number): boolean {
  if (proto === 17) return true;
  if (proto !== 6) return false;
  const flags = 14 + (buf[o + 14] & 0x0f) * 4 + 13;
  return flags >= capLen || (buf[o + flags] & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK);
}

/**
 * Worker ownership: all flows between the same two hosts go to one worker (host-level
 * detectors such as brute force and the encrypted-mining host pairs then see them all).
 * For IPv6, src4/dst4 hold the decoder's 32-bit fold of the address.
 */
function hostPairHash(a: number, b: number): number {
  const lo = a >>> 0 < b >>> 0 ? a : b;
  const hi = lo === a ? b : a;
  return finalMix(Math.imul(lo, 0x9e3779b1) ^ hi);
}

function hostHash(a: number): number {
  return finalMix(a ^ 0x5bd1e995);
}


/** {a: {b: 1, c: {d: 2}}} → {"a.b": 1, "a.c.d": 2}, numbers only. */
function flattenNumbers(obj: Record<string, unknown>, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number') out[key] = v;
    else if (v && typeof v === 'object') flattenNumbers(v as Record<string, unknown>, key, out);
  }
  return out;
}
