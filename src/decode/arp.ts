/**
 * ARP (RFC 826). For Ethernet/IPv4 ARP the sender and target protocol addresses go into
 * src4/dst4 (ipVersion stays 0), so that internal-darknet detection can see which unused
 * address was asked for without another decoder. The operation and the hardware
 * addresses are read on demand with the helpers below.
 */
import type { PacketView } from '../events/packet.js';
import { be16, markMalformed, type DecodeContext } from './context.js';

const ARP_FIXED = 8;
const ARP_ETHER_IPV4 = 28;

export const ArpOp = { REQUEST: 1, REPLY: 2 } as const;

export function decodeArp(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  const buf = pkt.buf;
  pkt.l3Offset = off;
  pkt.payloadOffset = end;
  pkt.payloadLength = 0;
  if (end - off < ARP_FIXED) {
    markMalformed(ctx, pkt, 'arp.truncated');
    return;
  }
  pkt.layers |= 2 /* Layer.ARP */;
  const hwLen = buf[off + 4];
  const protoLen = buf[off + 5];
  const bodyEnd = off + ARP_FIXED + 2 * (hwLen + protoLen);
  pkt.payloadOffset = off + ARP_FIXED;
  if (bodyEnd > end) {
    markMalformed(ctx, pkt, 'arp.truncated');
    pkt.payloadLength = end - off - ARP_FIXED;
    return;
  }
  pkt.payloadLength = bodyEnd - off - ARP_FIXED;
  if (hwLen === 6 && protoLen === 4 && dv.getUint16(off + 2) === 0x0800) {
    pkt.src4 = dv.getUint32(off + 14);
    pkt.dst4 = dv.getUint32(off + 24);
  }
}

function isEtherIpv4Arp(pkt: PacketView): boolean {
  return (pkt.layers & 2 /* Layer.ARP */) !== 0 && pkt.payloadLength >= ARP_ETHER_IPV4 - ARP_FIXED
    && pkt.buf[pkt.l3Offset + 4] === 6 && pkt.buf[pkt.l3Offset + 5] === 4;
}

/** ARP operation (1 request, 2 reply …), or -1 when the packet is not ARP. */
export function arpOperation(pkt: PacketView): number {
  return (pkt.layers & 2 /* Layer.ARP */) !== 0 ? be16(pkt.buf, pkt.l3Offset + 6) : -1;
}

/** Offset of the sender hardware address of an Ethernet/IPv4 ARP packet, or -1. */
export function arpSenderMacOffset(pkt: PacketView): number {
  return isEtherIpv4Arp(pkt) ? pkt.l3Offset + 8 : -1;
}

/** Offset of the target hardware address of an Ethernet/IPv4 ARP packet, or -1. */
export function arpTargetMacOffset(pkt: PacketView): number {
  return isEtherIpv4Arp(pkt) ? pkt.l3Offset + 18 : -1;
}
