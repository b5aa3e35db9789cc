/**
 * The stream-consumer contract: how reassembled TCP bytes and UDP datagrams reach
 * protocol parsers. The flow layer calls these; parsers never see raw segments.
 */
import type { DirectionValue, FlowView } from './flow.js';

/** What a consumer tells the flow layer after each callback. */
export const ConsumerVerdict = {
  /** Keep delivering this flow's data. */
  CONTINUE: 0,
  /** Done with this flow: stop delivering (and stop buffering if no one else wants it). */
  DONE: 1,
} as const;
export type ConsumerVerdictValue = 0 | 1;

export interface StreamConsumer {
  /** Stable id ("dns", "tls", "stratum" …), used for per-flow state and stats. */
  readonly id: string;
  /**
   * Called once when a flow first has payload; return false to never see this flow
   * (cheap port/first-bytes check). The flow layer calls it lazily with the first data.
   */
  accepts(flow: FlowView, dir: DirectionValue, data: Uint8Array): boolean;
  /**
   * In-order bytes of one direction. `data` is only valid during the call (copy to keep).
   * For UDP, each call is one datagram.
   */
  onData(flow: FlowView, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue;
  /** A hole of `length` bytes that will never be filled (lost segment, depth limit is not a gap). */
  onGap?(flow: FlowView, dir: DirectionValue, length: number): ConsumerVerdictValue;
  /** The flow ended; flush whatever is pending. */
  onEnd?(flow: FlowView): void;
}
