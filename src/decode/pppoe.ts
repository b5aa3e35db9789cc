/**
 * PPPoE session stage (RFC 2516) as seen on the WAN side of many home routers: 6-byte
 * PPPoE header, 2-byte PPP protocol, then IPv4 (0x0021) or IPv6 (0x0057).
 */
import type { PacketView } from '../events/packet.js';
import { markMalformed, type DecodeContext } from './context.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

const PPPOE_HEADER = 6;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

export function decodePppoeSession(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  pkt.payloadOffset = end;
  pkt.payloadLength = 0;
  if (end - off < PPPOE_HEADER + 2) {
    markMalformed(ctx, pkt, 'pppoe.truncated');
    return;
  }
  if (pkt.buf[off] !== 0x11) {
    markMalformed(ctx, pkt, 'pppoe.bad-version');
    return;
  }
  // The PPPoE length covers the PPP protocol field and payload; it strips Ethernet padding.
  let sessionEnd = off + PPPOE_HEADER + dv.getUint16(off + 4);
  if (sessionEnd > end) {
    markMalformed(ctx, pkt, 'pppoe.truncated');
    sessionEnd = end;
  }
  const pppProto = dv.getUint16(off + PPPOE_HEADER);
  const inner = off + PPPOE_HEADER + 2;
  if (pppProto === PPP_IPV4) decodeIpv4(ctx, pkt, inner, sessionEnd);
  else if (pppProto === PPP_IPV6) decodeIpv6(ctx, pkt, inner, sessionEnd);
  else {
    pkt.payloadOffset = inner;
    pkt.payloadLength = Math.max(0, sessionEnd - inner);
  }
}
