/**
 * IPv4 header (RFC 791). The datagram ends at min(total length, captured bytes): Ethernet
 * padding is stripped, snaplen-cut packets are decoded as far as bytes exist.
 */
import type { PacketView } from '../events/packet.js';
import { markMalformed, stopMalformed, type DecodeContext } from './context.js';
import { FragmentResult } from './fragments.js';
import { decodeIpPayload } from './ip-payload.js';
import { decodeTcp } from './tcp.js';

const IPV4_MIN_HEADER = 20;

export function decodeIpv4(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  const buf = pkt.buf;
  pkt.l3Offset = off;
  if (end - off < IPV4_MIN_HEADER) {
    stopMalformed(ctx, pkt, end, 'ipv4.truncated');
    return;
  }
  const versionIhl = buf[off];
  if (versionIhl >> 4 !== 4) {
    stopMalformed(ctx, pkt, end, 'ipv4.bad-version');
    return;
  }
  const headerLen = (versionIhl & 0x0f) << 2;
  if (headerLen < IPV4_MIN_HEADER) {
    stopMalformed(ctx, pkt, end, 'ipv4.bad-ihl');
    return;
  }
  let totalLen = dv.getUint16(off + 2);
  // Total length 0 is what a sender's own capture shows for TCP segmentation offload
  // (the NIC fills it in later): like Wireshark, take the captured length instead.
  if (totalLen === 0) totalLen = Math.min(end - off, 65535);
  const fragWord = dv.getUint16(off + 6);
  const proto = buf[off + 9];
  pkt.ipVersion = 4;
  pkt.tos = buf[off + 1];
  pkt.ipLength = totalLen;
  pkt.ipId = dv.getUint16(off + 4);
  pkt.dontFragment = (fragWord & 0x4000) !== 0;
  pkt.ttl = buf[off + 8];
  pkt.proto = proto;
  pkt.src4 = dv.getUint32(off + 12);
  pkt.dst4 = dv.getUint32(off + 16);
  pkt.layers |= 4 /* Layer.IP */;
  if (totalLen < headerLen) {
    stopMalformed(ctx, pkt, end, 'ipv4.bad-total-length');
    return;
  }
  if (off + headerLen > end) {
    stopMalformed(ctx, pkt, end, 'ipv4.truncated');
    return;
  }
  let ipEnd = off + totalLen;
  if (ipEnd > end) {
    markMalformed(ctx, pkt, 'ipv4.truncated');
    ipEnd = end;
  }
  if (headerLen > IPV4_MIN_HEADER && !ipv4OptionsValid(buf, off + IPV4_MIN_HEADER, off + headerLen)) {
    markMalformed(ctx, pkt, 'ipv4.bad-option');
  }
  const moreFragments = (fragWord & 0x2000) !== 0;
  const fragOffset = (fragWord & 0x1fff) << 3;
  if (moreFragments || fragOffset !== 0) {
    decodeIpv4Fragment(ctx, pkt, off, headerLen, ipEnd, fragOffset, moreFragments);
    return;
  }
  if (proto === 6) decodeTcp(ctx, pkt, off + headerLen, ipEnd); // the common case without the dispatch
  else decodeIpPayload(ctx, pkt, proto, off + headerLen, ipEnd);
}

function decodeIpv4Fragment(
  ctx: DecodeContext, pkt: PacketView, off: number, headerLen: number, ipEnd: number,
  fragOffset: number, moreFragments: boolean,
): void {
  pkt.isFragment = true;
  pkt.layers |= 16 /* Layer.FRAGMENT */;
  pkt.payloadOffset = off + headerLen;
  pkt.payloadLength = ipEnd - off - headerLen;
  if (fragOffset + pkt.payloadLength + headerLen > 65535) {
    // The "ping of death": a datagram reassembling beyond the IPv4 maximum.
    markMalformed(ctx, pkt, 'ipv4.fragment-too-large');
    return;
  }
  if (ctx.fragments === null || (pkt.layers & 32 /* Layer.REASSEMBLED */) !== 0) return;
  const result = ctx.fragments.addIpv4(pkt, headerLen, fragOffset, moreFragments);
  if (result === FragmentResult.COMPLETE) {
    // pkt now views the reassembled datagram (L2 prefix + header + payload) in the
    // reassembler's output buffer; decode it from its IP header on.
    ctx.setBuffer(pkt.buf);
    decodeIpv4(ctx, pkt, pkt.l3Offset, pkt.frameOffset + pkt.capLength);
  } else if (result === FragmentResult.REJECTED) {
    markMalformed(ctx, pkt, ctx.fragments.lastRejectReason);
  }
}

/**
 * Walks IPv4 options (RFC 791 §3.1): EOL ends the list, NOP is one byte, every other option
 * has a length byte ≥ 2 that must stay inside the header.
 */
export function ipv4OptionsValid(buf: Uint8Array, off: number, end: number): boolean {
  let p = off;
  while (p < end) {
    const kind = buf[p];
    if (kind === 0) return true;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) return false;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return false;
    p += len;
  }
  return true;
}
