/**
 * IPv6 header (RFC 8200) and its extension-header chain: hop-by-hop, routing, destination
 * options, mobility/HIP/shim6 (same length format), fragment, AH. The chain is bounded so
 * that a hostile packet cannot make the walk long.
 */
import type { PacketView } from '../events/packet.js';
import { be32, markMalformed, stopMalformed, type DecodeContext } from './context.js';
import { FragmentResult } from './fragments.js';
import { decodeIpPayload } from './ip-payload.js';

const IPV6_HEADER = 40;
/** More than this many extension headers is not seen in legitimate traffic (RFC 8200 §4.1 orders at most ~8). */
export const MAX_IPV6_EXT_HEADERS = 8;

// Next-header values walked below (written as literals on the per-packet path, see
// context.ts): NH_HOP_BY_HOP 0, NH_ROUTING 43, NH_FRAGMENT 44, NH_AH 51,
// NH_DEST_OPTS 60, NH_MOBILITY 135, NH_HIP 139, NH_SHIM6 140.

/** XOR of the four 32-bit words: the 32-bit fold kept in src4/dst4 for IPv6. */
export function ip6Fold(buf: Uint8Array, off: number): number {
  return (be32(buf, off) ^ be32(buf, off + 4) ^ be32(buf, off + 8) ^ be32(buf, off + 12)) >>> 0;
}

export function decodeIpv6(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  const buf = pkt.buf;
  pkt.l3Offset = off;
  if (end - off < IPV6_HEADER) {
    stopMalformed(ctx, pkt, end, 'ipv6.truncated');
    return;
  }
  if (buf[off] >> 4 !== 6) {
    stopMalformed(ctx, pkt, end, 'ipv6.bad-version');
    return;
  }
  const payloadLen = dv.getUint16(off + 4);
  let nextHeader = buf[off + 6];
  pkt.ipVersion = 6;
  pkt.tos = (dv.getUint16(off) >> 4) & 0xff;
  pkt.ttl = buf[off + 7];
  pkt.ipLength = payloadLen + IPV6_HEADER;
  pkt.src6Offset = off + 8;
  pkt.dst6Offset = off + 24;
  pkt.src4 = (dv.getUint32(off + 8) ^ dv.getUint32(off + 12) ^ dv.getUint32(off + 16) ^ dv.getUint32(off + 20)) >>> 0;
  pkt.dst4 = (dv.getUint32(off + 24) ^ dv.getUint32(off + 28) ^ dv.getUint32(off + 32) ^ dv.getUint32(off + 36)) >>> 0;
  pkt.proto = nextHeader;
  pkt.layers |= 4 /* Layer.IP */;
  let ipEnd = off + IPV6_HEADER + payloadLen;
  if (payloadLen === 0 && nextHeader === 0 /* NH_HOP_BY_HOP */) {
    // Jumbogram (RFC 2675): the real length is in a hop-by-hop option; use what was captured.
    ipEnd = end;
  } else if (ipEnd > end) {
    markMalformed(ctx, pkt, 'ipv6.truncated');
    ipEnd = end;
  }
  let p = off + IPV6_HEADER;
  for (let count = 0; ; count++) {
    // -1: not even the header's length field was captured.
    let headerLen = -1;
    switch (nextHeader) {
      case 0: // NH_HOP_BY_HOP
      case 43: // NH_ROUTING
      case 60: // NH_DEST_OPTS
      case 135: // NH_MOBILITY
      case 139: // NH_HIP
      case 140: // NH_SHIM6
        if (ipEnd - p < 2) break;
        headerLen = (buf[p + 1] + 1) << 3;
        break;
      case 51: // NH_AH
        if (ipEnd - p < 2) break;
        headerLen = (buf[p + 1] + 2) << 2;
        break;
      case 44: // NH_FRAGMENT
        if (ipEnd - p < 8) break;
        headerLen = 8;
        break;
      default:
        pkt.proto = nextHeader;
        decodeIpPayload(ctx, pkt, nextHeader, p, ipEnd);
        return;
    }
    pkt.proto = nextHeader;
    pkt.payloadOffset = p;
    pkt.payloadLength = ipEnd - p;
    if (count >= MAX_IPV6_EXT_HEADERS) {
      markMalformed(ctx, pkt, 'ipv6.too-many-ext-headers');
      return;
    }
    if (headerLen < 0 || p + headerLen > ipEnd) {
      markMalformed(ctx, pkt, 'ipv6.truncated-ext-header');
      return;
    }
    if (nextHeader === 44 /* NH_FRAGMENT */) {
      const fragWord = dv.getUint16(p + 2);
      const fragOffset = fragWord & 0xfff8;
      const moreFragments = (fragWord & 1) !== 0;
      if (fragOffset !== 0 || moreFragments) {
        decodeIpv6Fragment(ctx, pkt, p, ipEnd, fragOffset, moreFragments);
        return;
      }
      // Atomic fragment (RFC 6946): not really fragmented, decode on.
    }
    nextHeader = buf[p];
    p += headerLen;
  }
}

function decodeIpv6Fragment(
  ctx: DecodeContext, pkt: PacketView, fragHeaderOff: number, ipEnd: number, fragOffset: number, moreFragments: boolean,
): void {
  const dv = ctx.dv;
  const buf = pkt.buf;
  const id = dv.getUint32(fragHeaderOff + 4);
  pkt.ipId = id & 0xffff;
  pkt.proto = buf[fragHeaderOff]; // the fragmented payload's protocol
  pkt.isFragment = true;
  pkt.layers |= 16 /* Layer.FRAGMENT */;
  pkt.payloadOffset = fragHeaderOff + 8;
  pkt.payloadLength = ipEnd - fragHeaderOff - 8;
  if (fragOffset + pkt.payloadLength > 65535) {
    markMalformed(ctx, pkt, 'ipv6.fragment-too-large');
    return;
  }
  if (ctx.fragments === null) return;
  if ((pkt.layers & 32 /* Layer.REASSEMBLED */) !== 0) {
    markMalformed(ctx, pkt, 'ipv6.nested-fragment');
    return;
  }
  const result = ctx.fragments.addIpv6(pkt, buf[fragHeaderOff], id, fragOffset, moreFragments);
  if (result === FragmentResult.COMPLETE) {
    ctx.setBuffer(pkt.buf);
    decodeIpv6(ctx, pkt, pkt.l3Offset, pkt.frameOffset + pkt.capLength);
  } else if (result === FragmentResult.REJECTED) {
    markMalformed(ctx, pkt, ctx.fragments.lastRejectReason);
  }
}
