/**
 * TCP header (RFC 9293). Ports are filled as soon as 4 bytes exist, so that snaplen-cut
 * captures still count per port; the rest of the header only when all of it was captured.
 */
import type { PacketView } from '../events/packet.js';
import { be16, be32, stopMalformed, type DecodeContext } from './context.js';

const TCP_MIN_HEADER = 20;

/** Decodes the TCP header at off; end is the end of the IP payload (padding already stripped). */
export function decodeTcp(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  const buf = pkt.buf;
  pkt.l4Offset = off;
  if (end - off < 4) {
    stopMalformed(ctx, pkt, end, 'tcp.truncated');
    return;
  }
  pkt.srcPort = dv.getUint16(off);
  pkt.dstPort = dv.getUint16(off + 2);
  pkt.layers |= 8 /* Layer.L4 */;
  if (end - off < TCP_MIN_HEADER) {
    stopMalformed(ctx, pkt, end, 'tcp.truncated');
    return;
  }
  pkt.seq = dv.getUint32(off + 4);
  pkt.ack = dv.getUint32(off + 8);
  pkt.tcpFlags = buf[off + 13];
  pkt.window = dv.getUint16(off + 14);
  const headerLen = (buf[off + 12] >> 4) << 2;
  if (headerLen < TCP_MIN_HEADER) {
    stopMalformed(ctx, pkt, end, 'tcp.bad-data-offset');
    return;
  }
  if (off + headerLen > end) {
    // Options cut short: expose what exists so fingerprinting can still read the start.
    pkt.tcpOptionsOffset = off + TCP_MIN_HEADER;
    pkt.tcpOptionsLength = end - off - TCP_MIN_HEADER;
    stopMalformed(ctx, pkt, end, 'tcp.truncated');
    return;
  }
  if (headerLen > TCP_MIN_HEADER) {
    pkt.tcpOptionsOffset = off + TCP_MIN_HEADER;
    pkt.tcpOptionsLength = headerLen - TCP_MIN_HEADER;
  }
  pkt.payloadOffset = off + headerLen;
  pkt.payloadLength = end - off - headerLen;
}

/** TCP option kinds (RFC 9293 and the IANA registry) that fingerprinting asks for. */
export const TcpOption = { EOL: 0, NOP: 1, MSS: 2, WINDOW_SCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMPS: 8 } as const;

/**
 * Offset of the first option of `kind` in the packet's TCP options (pointing at its kind
 * byte), or -1 when absent or when the option list is malformed before it. The walker
 * stops at EOL, at a length below 2, and at an option running past the header.
 */
export function tcpOptionFind(pkt: PacketView, kind: number): number {
  if (pkt.tcpOptionsOffset < 0) return -1;
  const buf = pkt.buf;
  const end = pkt.tcpOptionsOffset + pkt.tcpOptionsLength;
  let p = pkt.tcpOptionsOffset;
  while (p < end) {
    const k = buf[p];
    if (k === kind) return p;
    if (k === TcpOption.EOL) return -1;
    if (k === TcpOption.NOP) {
      p++;
      continue;
    }
    if (p + 1 >= end) return -1;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return -1;
    p += len;
  }
  return -1;
}

/**
 * Writes the option kinds in wire order into `out` (NOPs and EOL included, as p0f/JA4T-style
 * fingerprints need them) and returns how many were written (at most out.length). Stops
 * at a malformed option; returns -1 - written when it did, so callers can tell.
 */
export function tcpOptionKinds(pkt: PacketView, out: Uint8Array): number {
  if (pkt.tcpOptionsOffset < 0) return 0;
  const buf = pkt.buf;
  const end = pkt.tcpOptionsOffset + pkt.tcpOptionsLength;
  let p = pkt.tcpOptionsOffset;
  let n = 0;
  while (p < end && n < out.length) {
    const k = buf[p];
    out[n++] = k;
    if (k === TcpOption.EOL) return n;
    if (k === TcpOption.NOP) {
      p++;
      continue;
    }
    if (p + 1 >= end) return -1 - n;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return -1 - n;
    p += len;
  }
  return n;
}

/** Maximum segment size option value, or -1. */
export function tcpOptionMss(pkt: PacketView): number {
  const p = tcpOptionFind(pkt, TcpOption.MSS);
  return p >= 0 && pkt.buf[p + 1] === 4 ? be16(pkt.buf, p + 2) : -1;
}

/** Window scale shift count, or -1. */
export function tcpOptionWindowScale(pkt: PacketView): number {
  const p = tcpOptionFind(pkt, TcpOption.WINDOW_SCALE);
  return p >= 0 && pkt.buf[p + 1] === 3 ? pkt.buf[p + 2] : -1;
}

/** TSval of the timestamps option, or -1. */
export function tcpOptionTimestamp(pkt: PacketView): number {
  const p = tcpOptionFind(pkt, TcpOption.TIMESTAMPS);
  return p >= 0 && pkt.buf[p + 1] === 10 ? be32(pkt.buf, p + 2) : -1;
}
