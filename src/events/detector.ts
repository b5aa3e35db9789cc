/**
 * The detector contract. A detector receives packets, flow ends and parsed protocol
 * messages, and emits alerts through the context. rules/ and detect/ both implement it,
 * so neither imports the other; wiring lives in src/pipeline/.
 */
import type { AlertEvent, DeviceRef } from './eve.js';
import type { FlowBurst, FlowEndReason, FlowView } from './flow.js';
import type { PacketView } from './packet.js';
import type { ProtocolId, ProtocolMessage } from './messages.js';

export type { ProtocolId, ProtocolMessage };

/**
 * The detectors whose alerts are mining indicators (a pool name, address or session, a miner
 * in a page, encrypted mining, a pool confirmed by probe): "the mining share of events" counts
 * these, and the blocklist takes pool hosts from their evidence.
 */
export const MINING_DETECTORS: readonly string[] = ['stratum', 'pool-dns', 'pool-tls', 'pool-ip', 'pool-http', 'browser-miner', 'mining-encrypted', 'probe'];

/** What a detector supplies for one alert; the pipeline fills timestamp, tuple, flow_id, sensor. */
export interface AlertInput {
  detector: string;
  signatureId: number;
  signature: string;
  category: string;
  /** 1 = high … 3 = low (Suricata's convention). */
  severity: 1 | 2 | 3 | 4;
  evidence: Record<string, unknown>;
  device?: DeviceRef;
  rev?: number;
  metadata?: Record<string, string[]>;
  appProto?: string;
  /** Key under which repeats of the same finding in the same flow are collapsed. */
  dedupKey?: string;
  /** Overrides for alerts not tied to a flow (e.g. host-level scan alerts). */
  srcIp?: string;
  destIp?: string;
  srcPort?: number;
  destPort?: number;
  proto?: string;
  tsUs?: number;
}

export interface DetectorContext {
  emit(flow: FlowView | null, alert: AlertInput): void;
  /** Other events (dns, tls, http, device …) go through the same sink. */
  emitEvent(event: Record<string, unknown>): void;
}

export interface Detector {
  readonly id: string;
  /**
   * How work is split across worker threads:
   * 'flow' (default) — onPacket for the packets of flows this worker owns (all flows between
   * the same two hosts land on one worker); 'source' — onPacket for every packet whose SOURCE
   * address hashes to this worker (host-level detectors such as scan detection), and for the
   * packets of the `answers` classes whose DESTINATION does, with `flow` null when another
   * worker owns that flow.
   */
  readonly partition?: 'flow' | 'source';
  /**
   * The PacketClass bits onPacket wants (default PacketClass.ALL). A promise, not a filter the
   * detector may rely on alone: it still sees only packets of these classes, and must ignore
   * what it does not need within them.
   */
  readonly packets?: number;
  /**
   * 'source' partition only: the PacketClass bits it reads of packets TO its worker's hosts
   * from another worker's hosts — the answers to their probes (default: all of `packets`). At
   * most TCP_SYNACK | UDP: the worker fan-out sends a frame to its destination's worker only
   * for those (pipeline/packet-pipeline.ts, routeFrame).
   */
  readonly answers?: number;
  onPacket?(pkt: PacketView, flow: FlowView | null, ctx: DetectorContext): void;
  /**
   * The protocols whose messages onMessage reads (default: every protocol). The pipeline
   * routes each message only to the detectors that read its protocol, and says so when a
   * detector runs without the parser it reads (see pipeline/analyzers.ts).
   */
  readonly protocols?: readonly ProtocolId[];
  onMessage?(msg: ProtocolMessage, flow: FlowView, ctx: DetectorContext): void;
  /**
   * Each payload burst of a TCP flow this pipeline owns (events/flow.ts FlowBurst: about one
   * application message), all of a flow's before its onFlowEnd. For detectors that judge a
   * flow by message sizes and timing: one call per burst instead of one per segment.
   */
  onBurst?(flow: FlowView, burst: FlowBurst, ctx: DetectorContext): void;
  onFlowEnd?(flow: FlowView, reason: FlowEndReason, ctx: DetectorContext): void;
  /** End of input: flush host-level aggregates. */
  onFinish?(ctx: DetectorContext): void;
}

export type { AlertEvent };

/**
 * A detector that reads the messages of protocols P: the pipeline hands onMessage only
 * those (it routes by `protocols`), so onMessage takes them typed, and a detector reading a
 * field or kind its parser does not emit fails to compile. A DetectorOf<P> is a Detector.
 */
export interface DetectorOf<P extends ProtocolId> extends Detector {
  readonly protocols: readonly P[];
  onMessage?(msg: ProtocolMessage<P>, flow: FlowView, ctx: DetectorContext): void;
}
