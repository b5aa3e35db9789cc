/**
 * What every layer decoder receives besides the packet: where to count problems, the
 * (optional) fragment reassembler and a DataView of the buffer. One object per
 * PacketDecoder, passed down the call chain so that no layer needs a closure or a global.
 *
 * Why the layer files write numbers like `pkt.layers |= 8` (commented "Layer.L4") and
 * `case 0x0800: // EtherType.IPV4` instead of the named constants: a property of an
 * imported const object is a load V8 cannot fold on the per-packet path (measured ~10 %
 * of decode time); the comment keeps the name next to the value.
 */
import type { ReasonCounter } from '../events/counters.js';
import type { PacketView } from '../events/packet.js';
import type { FragmentReassembler } from './fragments.js';

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

export class DecodeContext {
  /**
   * Big-endian view of the buffer being decoded. Header fields are read through it
   * because DataView reads compile to one load + byte swap, where byte-by-byte assembly
   * costs four bounds-checked loads (measured ~35 % faster decode). Every read is
   * preceded by a length check, so DataView's RangeError cannot happen.
   */
  dv: DataView = EMPTY_VIEW;
  // Two cached views: the capture chunk and the reassembly output buffer alternate.
  private buf0: Uint8Array = EMPTY;
  private dv0: DataView = EMPTY_VIEW;
  private buf1: Uint8Array = EMPTY;
  private dv1: DataView = EMPTY_VIEW;

  constructor(
    /** Every malformed/truncated reason, "<layer>.<problem>". */
    readonly malformed: ReasonCounter,
    /** null when fragments are not reassembled (they then stop at L3). */
    readonly fragments: FragmentReassembler | null,
  ) {}

  /** Points dv at buf; allocates a DataView only when a new buffer appears (once per capture batch). */
  setBuffer(buf: Uint8Array): void {
    if (buf === this.buf0) {
      this.dv = this.dv0;
      return;
    }
    if (buf === this.buf1) {
      this.dv = this.dv1;
      return;
    }
    this.buf1 = this.buf0;
    this.dv1 = this.dv0;
    this.buf0 = buf;
    this.dv0 = this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
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

/** Big-endian 16-bit read for helpers outside the decode path. Callers guarantee off + 1 < end. */
export function be16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/** Big-endian unsigned 32-bit read. Callers guarantee off + 3 < end. */
export function be32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}
