/** UDP header (RFC 768). */
import type { PacketView } from '../events/packet.js';
import { be16, markMalformed, stopMalformed, type DecodeContext } from './context.js';

const UDP_HEADER = 8;

/** Decodes the UDP header at off; end is the end of the IP payload (padding already stripped). */
export function decodeUdp(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const buf = pkt.buf;
  pkt.l4Offset = off;
  if (end - off < 4) {
    stopMalformed(ctx, pkt, end, 'udp.truncated');
    return;
  }
  pkt.srcPort = be16(buf, off);
  pkt.dstPort = be16(buf, off + 2);
  pkt.layers |= 8 /* Layer.L4 */;
  if (end - off < UDP_HEADER) {
    stopMalformed(ctx, pkt, end, 'udp.truncated');
    return;
  }
  const udpLen = be16(buf, off + 4);
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
