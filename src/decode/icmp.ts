/** ICMP for IPv4 (RFC 792): type and code; error messages quote the offending packet. */
import type { PacketView } from '../events/packet.js';
import { stopMalformed, type DecodeContext } from './context.js';
import { icmpv6QuotedOffset } from './icmpv6.js';

const ICMP_HEADER = 8;

export function decodeIcmp(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  pkt.l4Offset = off;
  if (end - off < 4) {
    stopMalformed(ctx, pkt, end, 'icmp.truncated');
    return;
  }
  pkt.icmpType = pkt.buf[off];
  pkt.icmpCode = pkt.buf[off + 1];
  pkt.layers |= 8 /* Layer.L4 */;
  if (end - off < ICMP_HEADER) {
    stopMalformed(ctx, pkt, end, 'icmp.truncated');
    return;
  }
  pkt.payloadOffset = off + ICMP_HEADER;
  pkt.payloadLength = end - off - ICMP_HEADER;
}

/** Types that quote the offending IP header: unreachable, source quench, redirect, time exceeded, parameter problem. */
export function icmpIsError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/**
 * Offset of the quoted inner IP header in an ICMP (or ICMPv6) error message, or -1 when
 * the packet is no such error or the quoted fixed header was not captured. The telescope
 * uses it to see which (often spoofed) packet provoked backscatter.
 */
export function icmpQuotedOffset(pkt: PacketView): number {
  if (pkt.proto === 58 /* IpProto.ICMPV6 */) return icmpv6QuotedOffset(pkt);
  if (pkt.proto !== 1 /* IpProto.ICMP */ || (pkt.layers & 8 /* Layer.L4 */) === 0 || !icmpIsError(pkt.icmpType)) return -1;
  const q = pkt.l4Offset + ICMP_HEADER;
  if (pkt.payloadOffset + pkt.payloadLength - q < 20 || pkt.buf[q] >> 4 !== 4) return -1;
  return q;
}
