/**
 * What every layer decoder receives besides the packet: where to count problems and the
 * (optional) fragment reassembler. One object per PacketDecoder, passed down the call
 * chain so that no layer needs a closure or a global.
 *
 * Why the layer files write numbers like `pkt.layers |= 8` (commented "Layer.L4") and
 * `case 0x0800: // EtherType.IPV4` instead of the named constants: a property of an
 * imported const object is a load V8 cannot fold on the per-packet path (measured ~10 %
 * of decode time); the comment keeps the name next to the value.
 */
import type { ReasonCounter } from '../events/counters.js';
import type { PacketView } from '../events/packet.js';
import type { FragmentReassembler } from './fragments.js';

export interface DecodeContext {
  /** Every malformed/truncated reason, "<layer>.<problem>". */
  readonly malformed: ReasonCounter;
  /** null when fragments are not reassembled (they then stop at L3). */
  readonly fragments: FragmentReassembler | null;
}

/**
 * Records a problem: the packet keeps the first reason (the root cause; later layers often
 * fail only because of it), the counter gets every reason.
 */
export function markMalformed(ctx: DecodeContext, pkt: PacketView, reason: string): void {
  if (pkt.malformed === '') pkt.malformed = reason;
  ctx.malformed.add(reason);
}

/**
 * Ends decoding at offset `at` with an empty payload and records the reason. Layers set
 * the payload only when they stop (not up front) to keep stores off the common path.
 */
export function stopMalformed(ctx: DecodeContext, pkt: PacketView, at: number, reason: string): void {
  pkt.payloadOffset = at;
  pkt.payloadLength = 0;
  markMalformed(ctx, pkt, reason);
}

/** Big-endian 16-bit read. Callers guarantee off + 1 < end. */
export function be16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/** Big-endian unsigned 32-bit read. Callers guarantee off + 3 < end. */
export function be32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}
