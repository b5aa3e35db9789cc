/**
 * Link-layer dispatch by pcap LINKTYPE: Ethernet, BSD NULL (host byte order), OpenBSD
 * LOOP (network order), RAW/IPV4/IPV6 and Linux cooked captures v1 and v2.
 */
import type { PacketView } from '../events/packet.js';
import { markMalformed, type DecodeContext } from './context.js';
import { decodeEtherType, decodeEthernet } from './ethernet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

/** Historic DLT_RAW values some systems wrote into pcap headers instead of 101. */
const LINKTYPE_RAW_OPENBSD = 14;
const LINKTYPE_RAW_OLD = 12;

const SLL_HEADER = 16;
const SLL2_HEADER = 20;
const ARPHRD_ETHER = 1;

/** BSD address families for IPv4 and the three IPv6 values different BSDs use. */
const AF_INET = 2;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;
const AF_INET6_LINUX = 10;

export function decodeLinkLayer(ctx: DecodeContext, pkt: PacketView, linkType: number, off: number, end: number): void {
  switch (linkType) {
    case 1: // LinkType.ETHERNET
      decodeEthernet(ctx, pkt, off, end);
      return;
    case 101: // LinkType.RAW
    case LINKTYPE_RAW_OLD:
    case LINKTYPE_RAW_OPENBSD:
      decodeRaw(ctx, pkt, off, end);
      return;
    case 228: // LinkType.IPV4
      pkt.etherType = 0x0800 /* EtherType.IPV4 */;
      decodeIpv4(ctx, pkt, off, end);
      return;
    case 229: // LinkType.IPV6
      pkt.etherType = 0x86dd /* EtherType.IPV6 */;
      decodeIpv6(ctx, pkt, off, end);
      return;
    case 0: // LinkType.NULL
    case 108: // LinkType.LOOP
      decodeLoopback(ctx, pkt, linkType, off, end);
      return;
    case 113: // LinkType.LINUX_SLL
      decodeSll(ctx, pkt, off, end);
      return;
    case 276: // LinkType.LINUX_SLL2
      decodeSll2(ctx, pkt, off, end);
      return;
    default:
      pkt.payloadOffset = off;
      pkt.payloadLength = end - off;
      markMalformed(ctx, pkt, 'linktype.unsupported');
  }
}

function decodeRaw(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  if (end - off < 1) {
    pkt.payloadOffset = end;
    pkt.payloadLength = 0;
    markMalformed(ctx, pkt, 'raw.truncated');
    return;
  }
  const version = pkt.buf[off] >> 4;
  if (version === 4) {
    pkt.etherType = 0x0800 /* EtherType.IPV4 */;
    decodeIpv4(ctx, pkt, off, end);
  } else if (version === 6) {
    pkt.etherType = 0x86dd /* EtherType.IPV6 */;
    decodeIpv6(ctx, pkt, off, end);
  } else {
    pkt.payloadOffset = off;
    pkt.payloadLength = end - off;
    markMalformed(ctx, pkt, 'raw.bad-ip-version');
  }
}

/**
 * NULL stores the address family in the capturing host's byte order, which the file does
 * not tell us: families are small numbers, so a value above 0xffff means the other order.
 */
function decodeLoopback(ctx: DecodeContext, pkt: PacketView, linkType: number, off: number, end: number): void {
  const dv = ctx.dv;
  if (end - off < 4) {
    pkt.payloadOffset = end;
    pkt.payloadLength = 0;
    markMalformed(ctx, pkt, 'loopback.truncated');
    return;
  }
  const buf = pkt.buf;
  let family = dv.getUint32(off);
  if (linkType === 0 /* LinkType.NULL */ && family > 0xffff) {
    family = (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
  }
  pkt.layers |= 1 /* Layer.L2 */;
  const p = off + 4;
  if (family === AF_INET) {
    pkt.etherType = 0x0800 /* EtherType.IPV4 */;
    decodeIpv4(ctx, pkt, p, end);
  } else if (family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN || family === AF_INET6_LINUX) {
    pkt.etherType = 0x86dd /* EtherType.IPV6 */;
    decodeIpv6(ctx, pkt, p, end);
  } else {
    pkt.payloadOffset = p;
    pkt.payloadLength = end - p;
    markMalformed(ctx, pkt, 'loopback.unknown-family');
  }
}

/** Linux cooked v1: type(2) ARPHRD(2) addr-len(2) addr(8) protocol(2). The address is the sender's. */
function decodeSll(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  if (end - off < SLL_HEADER) {
    pkt.payloadOffset = end;
    pkt.payloadLength = 0;
    markMalformed(ctx, pkt, 'sll.truncated');
    return;
  }
  pkt.layers |= 1 /* Layer.L2 */;
  if (dv.getUint16(off + 2) === ARPHRD_ETHER && dv.getUint16(off + 4) === 6) pkt.macSrcOffset = off + 6;
  decodeEtherType(ctx, pkt, dv.getUint16(off + 14), off + SLL_HEADER, end);
}

/** Linux cooked v2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) type(1) addr-len(1) addr(8). */
function decodeSll2(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  if (end - off < SLL2_HEADER) {
    pkt.payloadOffset = end;
    pkt.payloadLength = 0;
    markMalformed(ctx, pkt, 'sll2.truncated');
    return;
  }
  const buf = pkt.buf;
  pkt.layers |= 1 /* Layer.L2 */;
  if (dv.getUint16(off + 8) === ARPHRD_ETHER && buf[off + 11] === 6) pkt.macSrcOffset = off + 12;
  decodeEtherType(ctx, pkt, dv.getUint16(off), off + SLL2_HEADER, end);
}
