/**
 * FlowEngine: the flow stage's single entry point. Owns the flow table, TCP reassembly
 * and consumer dispatch; the pipeline calls process() once per decoded packet.
 *
 * Order at a flow's end: remaining reassembly holes become gaps and buffered bytes are
 * delivered, then consumers get onEnd, then the caller's onFlowEnd (where detectors and
 * the EVE flow output run), then the record is recycled.
 */
import type { FlowEndReason } from '../events/flow.js';
import { IpProto, Layer, type PacketView } from '../events/packet.js';
import type { StreamConsumer } from '../events/stream.js';
import { ReasonCounter } from '../events/counters.js';
import { PayloadBursts, type BurstCallback } from './bursts.js';
import { StreamDispatcher, type DispatchStats } from './dispatch.js';
import type { FlowRecord } from './record.js';
import { FlowTable, type FlowEndCallback, type FlowTableOptions, type FlowTableStats } from './table.js';
import { TcpReassembler, type ReassemblyOptions, type ReassemblyStats } from './tcp-reassembly.js';

// Hot-path constants as plain bindings (no property load per packet).
const { TCP: PROTO_TCP, UDP: PROTO_UDP } = IpProto;
const { L4: LAYER_L4 } = Layer;

export interface FlowEngineOptions extends FlowTableOptions, ReassemblyOptions {
  /** Protocol parsers that receive TCP streams and UDP datagrams. */
  consumers?: StreamConsumer[];
  /**
   * Called with each payload burst of a TCP flow (flow/bursts.ts), all of a flow's before
   * its end callback. Bursts are not tracked without it.
   */
  onBurst?: BurstCallback;
}

/** Everything the summary and `stats` events need from the flow stage (plain JSON). */
export interface FlowEngineStats {
  flow: FlowTableStats;
  reassembly: ReassemblyStats;
  dispatch: Omit<DispatchStats, 'consumers'> & { consumers: Record<string, number> };
  /** Packets the flow stage could not use, by reason ("flow.payload-out-of-bounds"). */
  malformed: Record<string, number>;
}

export class FlowEngine {
  readonly table: FlowTable;
  readonly reassembler: TcpReassembler;
  readonly dispatcher: StreamDispatcher;
  readonly malformed = new ReasonCounter();
  private readonly userOnFlowEnd: FlowEndCallback | undefined;
  private readonly hasConsumers: boolean;
  private readonly bursts: PayloadBursts | null;

  constructor(opts: FlowEngineOptions = {}) {
    this.dispatcher = new StreamDispatcher(opts.consumers ?? []);
    this.hasConsumers = this.dispatcher.consumerCount > 0;
    this.reassembler = new TcpReassembler(this.dispatcher, opts);
    this.userOnFlowEnd = opts.onFlowEnd;
    // Without consumers or bursts there is nothing of the engine's to close at a flow's end:
    // the table calls the caller's callback (or none) directly, one call frame less per ended flow.
    const ownEnd = this.hasConsumers || opts.onBurst !== undefined;
    const onFlowEnd = ownEnd ? (flow: FlowRecord, reason: FlowEndReason) => this.flowEnded(flow, reason) : opts.onFlowEnd;
    this.table = new FlowTable({ ...opts, onFlowEnd });
    this.bursts = opts.onBurst ? new PayloadBursts(this.table.maxFlows, opts.onBurst) : null;
  }

  /**
   * Accounts one decoded packet to its flow and feeds its payload to the consumers.
   * `hash` is the decoder's symmetric flow hash. Returns null for packets without IP.
   */
  process(pkt: PacketView, hash: number): FlowRecord | null {
    const flow = this.table.lookup(pkt, hash);
    if (flow === null || (pkt.layers & LAYER_L4) === 0) return flow;
    if (this.bursts !== null && pkt.payloadLength > 0 && flow.proto === PROTO_TCP) this.bursts.add(flow.slot, flow, flow.lastDir, pkt.tsUs, pkt.payloadLength);
    if (this.hasConsumers && !flow.streamOff) this.stream(flow, pkt);
    return flow;
  }

  /**
   * The payload of a flow some consumer still wants. Kept out of process(), which the
   * per-packet loop inlines: only a few percent of packets get here (8.9 k of 974 k segments
   * were reassembled on the 1 GB mixed capture).
   */
  private stream(flow: FlowRecord, pkt: PacketView): void {
    const proto = flow.proto;
    if (proto !== PROTO_TCP && proto !== PROTO_UDP) return;
    if (pkt.payloadOffset < 0 || pkt.payloadLength < 0 || pkt.payloadOffset + pkt.payloadLength > pkt.buf.length) {
      this.malformed.add('flow.payload-out-of-bounds');
      return;
    }
    if (proto === PROTO_TCP) {
      this.reassembler.onPacket(flow, pkt);
    } else if (pkt.payloadLength > 0) {
      const datagram = pkt.buf.subarray(pkt.payloadOffset, pkt.payloadOffset + pkt.payloadLength);
      if (!this.dispatcher.data(flow, flow.lastDir, datagram, pkt.tsUs)) this.reassembler.stopFlow(flow);
    }
  }

  /**
   * Optional cache warming before a batch: `hashes[0 .. n-1]` are the symmetric flow hashes
   * of the packets about to be passed to process(). See FlowTable.warm for the contract
   * (no observable effect; call right before the batch; n of a few hundred).
   */
  warm(hashes: Int32Array, n: number): void {
    this.table.warm(hashes, n);
  }

  /** Ends flows idle past their timeout at packet time `nowUs` (process() also does this itself). */
  expire(nowUs: number): void {
    this.table.expire(nowUs);
  }

  /** End of input: every flow ends with reason 'shutdown', in first-seen order. */
  finish(): void {
    this.table.finish();
  }

  get size(): number {
    return this.table.size;
  }

  stats(): FlowEngineStats {
    const d = this.dispatcher.stats;
    return {
      flow: { ...this.table.stats, ended: { ...this.table.stats.ended } },
      reassembly: { ...this.reassembler.stats },
      dispatch: {
        flowsOffered: d.flowsOffered, flowsUnwanted: d.flowsUnwanted, deliveries: d.deliveries, bytes: d.bytes,
        gaps: d.gaps, consumers: d.consumers.toJSON(),
      },
      malformed: this.malformed.toJSON(),
    };
  }

  private flowEnded(flow: FlowRecord, reason: FlowEndReason): void {
    this.bursts?.end(flow.slot, flow);
    if (this.hasConsumers) {
      this.reassembler.endFlow(flow, flow.lastTsUs);
      if (flow.consumersAsked) this.dispatcher.end(flow);
    }
    this.userOnFlowEnd?.(flow, reason);
  }
}
