/** ICMPv6 (RFC 4443): type and code; error messages quote the offending IPv6 packet. */
import type { PacketView } from '../events/packet.js';
import { stopMalformed, type DecodeContext } from './context.js';

const ICMPV6_HEADER = 8;

export function decodeIcmpv6(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  pkt.l4Offset = off;
  if (end - off < 4) {
    stopMalformed(ctx, pkt, end, 'icmpv6.truncated');
    return;
  }
  pkt.icmpType = pkt.buf[off];
  pkt.icmpCode = pkt.buf[off + 1];
  pkt.layers |= 8 /* Layer.L4 */;
  if (end - off < ICMPV6_HEADER) {
    stopMalformed(ctx, pkt, end, 'icmpv6.truncated');
    return;
  }
  pkt.payloadOffset = off + ICMPV6_HEADER;
  pkt.payloadLength = end - off - ICMPV6_HEADER;
}

/** Error types 1-4 (unreachable, too big, time exceeded, parameter problem) quote a packet. */
export function icmpv6IsError(type: number): boolean {
  return type >= 1 && type <= 4;
}

/**
 * Offset of the quoted IPv6 header in an ICMPv6 error, or -1 when the packet is not an
 * ICMPv6 error or fewer than 40 quoted bytes (the fixed IPv6 header) were captured.
 */
export function icmpv6QuotedOffset(pkt: PacketView): number {
  if (pkt.proto !== 58 /* IpProto.ICMPV6 */ || (pkt.layers & 8 /* Layer.L4 */) === 0 || !icmpv6IsError(pkt.icmpType)) return -1;
  const q = pkt.l4Offset + ICMPV6_HEADER;
  if (pkt.payloadOffset + pkt.payloadLength - q < 40 || pkt.buf[q] >> 4 !== 6) return -1;
  return q;
}
