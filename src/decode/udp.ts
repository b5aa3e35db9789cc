/** UDP header (RFC 768). */
import type { PacketView } from '../events/packet.js';
import { markMalformed, stopMalformed, type DecodeContext } from './context.js';

const UDP_HEADER = 8;

/** Decodes the UDP header at off; end is the end of the IP payload (padding already stripped). */
export function decodeUdp(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  pkt.l4Offset = off;
  if (end - off < 4) {
    stopMalformed(ctx, pkt, end, 'udp.truncated');
    return;
  }
  pkt.srcPort = dv.getUint16(off);
  pkt.dstPort = dv.getUint16(off + 2);
  pkt.layers |= 8 /* Layer.L4 */;
  if (end - off < UDP_HEADER) {
    stopMalformed(ctx, pkt, end, 'udp.truncated');
    return;
  }
  const udpLen = dv.getUint16(off + 4);
  if (udpLen < UDP_HEADER) {
    markMalformed(ctx, pkt, 'udp.bad-length');
    pkt.payloadOffset = off + UDP_HEADER;
    pkt.payloadLength = end - off - UDP_HEADER;
    return;
  }
  let dataEnd = off + udpLen;
  if (dataEnd > end) {
    markMalformed(ctx, pkt, 'udp.truncated');
    dataEnd = end;
  }
  pkt.payloadOffset = off + UDP_HEADER;
  pkt.payloadLength = dataEnd - off - UDP_HEADER;
}
