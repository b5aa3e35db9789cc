/**
 * Stream-consumer dispatch: decides which protocol parsers see a flow and delivers its
 * in-order TCP bytes, gaps and UDP datagrams to them.
 *
 * Per-flow state is two bit masks on the flow record (accepted, still active), so
 * dispatch allocates nothing per flow or per packet; hence at most 31 consumers.
 * accepts() is asked once per flow, with its first payload (for TCP: the first in-order
 * bytes). A consumer that returns DONE or throws stops receiving that flow; a thrown
 * exception is counted as "consumer.<id>.exception" and never escapes. When no consumer
 * is left the callers stop reassembling the flow.
 */
import type { DirectionValue } from '../events/flow.js';
import { ConsumerVerdict, type StreamConsumer } from '../events/stream.js';
import { ReasonCounter } from '../events/counters.js';
import type { FlowRecord } from './record.js';
import type { StreamSink } from './tcp-reassembly.js';

export const MAX_STREAM_CONSUMERS = 31;

export interface DispatchStats {
  /** Flows offered to the consumers (had payload). */
  flowsOffered: number;
  /** Offered flows no consumer accepted. */
  flowsUnwanted: number;
  /** Data deliveries (TCP chunks and UDP datagrams) and their bytes. */
  deliveries: number;
  bytes: number;
  gaps: number;
  /** "consumer.<id>.accepted", "consumer.<id>.done", "consumer.<id>.exception". */
  consumers: ReasonCounter;
}

export class StreamDispatcher implements StreamSink {
  readonly stats: DispatchStats = {
    flowsOffered: 0, flowsUnwanted: 0, deliveries: 0, bytes: 0, gaps: 0, consumers: new ReasonCounter(),
  };
  private readonly consumers: readonly StreamConsumer[];
  // Counter keys built once, not per event.
  private readonly acceptedKey: string[];
  private readonly doneKey: string[];
  private readonly exceptionKey: string[];

  constructor(consumers: StreamConsumer[]) {
    if (consumers.length > MAX_STREAM_CONSUMERS) {
      throw new RangeError(`stream dispatch: at most ${MAX_STREAM_CONSUMERS} consumers, got ${consumers.length}`);
    }
    this.consumers = [...consumers];
    this.acceptedKey = consumers.map((c) => `consumer.${c.id}.accepted`);
    this.doneKey = consumers.map((c) => `consumer.${c.id}.done`);
    this.exceptionKey = consumers.map((c) => `consumer.${c.id}.exception`);
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  /** Delivers in-order bytes (one UDP datagram, or a TCP chunk). Returns false when no consumer wants the flow. */
  data(flow: FlowRecord, dir: DirectionValue, bytes: Uint8Array, tsUs: number): boolean {
    if (!flow.consumersAsked) this.offer(flow, dir, bytes);
    if ((dir === 0 ? flow.pendingGapToServer : flow.pendingGapToClient) > 0) this.flushPendingGap(flow, dir);
    let active = flow.consumersActive;
    if (active === 0) return false;
    this.stats.deliveries++;
    this.stats.bytes += bytes.length;
    const consumers = this.consumers;
    for (let i = 0, m = active; m !== 0; i++, m >>>= 1) {
      if ((m & 1) === 0) continue;
      try {
        if (consumers[i].onData(flow, dir, bytes, tsUs) === ConsumerVerdict.DONE) {
          active &= ~(1 << i);
          this.stats.consumers.add(this.doneKey[i]);
        }
      } catch {
        active &= ~(1 << i);
        this.stats.consumers.add(this.exceptionKey[i]);
      }
    }
    flow.consumersActive = active;
    return active !== 0;
  }

  /** Reports a hole of `length` bytes. Returns false when no consumer wants the flow. */
  gap(flow: FlowRecord, dir: DirectionValue, length: number): boolean {
    if (!flow.consumersAsked) {
      // A hole before any data: consumers are asked with the first bytes after it, then told.
      if (dir === 0) flow.pendingGapToServer += length;
      else flow.pendingGapToClient += length;
      return true;
    }
    let active = flow.consumersActive;
    if (active === 0) return false;
    this.stats.gaps++;
    const consumers = this.consumers;
    for (let i = 0, m = active; m !== 0; i++, m >>>= 1) {
      if ((m & 1) === 0) continue;
      const consumer = consumers[i];
      if (consumer.onGap === undefined) continue;
      try {
        if (consumer.onGap(flow, dir, length) === ConsumerVerdict.DONE) {
          active &= ~(1 << i);
          this.stats.consumers.add(this.doneKey[i]);
        }
      } catch {
        active &= ~(1 << i);
        this.stats.consumers.add(this.exceptionKey[i]);
      }
    }
    flow.consumersActive = active;
    return active !== 0;
  }

  /** The flow ended: onEnd for every consumer still active on it. */
  end(flow: FlowRecord): void {
    const active = flow.consumersActive;
    flow.consumersActive = 0;
    const consumers = this.consumers;
    for (let i = 0, m = active; m !== 0; i++, m >>>= 1) {
      if ((m & 1) === 0) continue;
      const consumer = consumers[i];
      if (consumer.onEnd === undefined) continue;
      try {
        consumer.onEnd(flow);
      } catch {
        this.stats.consumers.add(this.exceptionKey[i]);
      }
    }
  }

  private flushPendingGap(flow: FlowRecord, dir: DirectionValue): void {
    const length = dir === 0 ? flow.pendingGapToServer : flow.pendingGapToClient;
    if (dir === 0) flow.pendingGapToServer = 0;
    else flow.pendingGapToClient = 0;
    this.gap(flow, dir, length);
  }

  private offer(flow: FlowRecord, dir: DirectionValue, bytes: Uint8Array): void {
    flow.consumersAsked = true;
    this.stats.flowsOffered++;
    let accepted = 0;
    const consumers = this.consumers;
    for (let i = 0; i < consumers.length; i++) {
      try {
        if (consumers[i].accepts(flow, dir, bytes)) {
          accepted |= 1 << i;
          this.stats.consumers.add(this.acceptedKey[i]);
        }
      } catch {
        this.stats.consumers.add(this.exceptionKey[i]);
      }
    }
    if (accepted === 0) this.stats.flowsUnwanted++;
    flow.consumersAccepted = accepted;
    flow.consumersActive = accepted;
  }
}
