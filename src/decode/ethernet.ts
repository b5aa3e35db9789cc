/**
 * Ethernet II and the EtherType dispatch shared with Linux cooked captures. VLAN tags
 * (802.1Q 0x8100, 802.1ad 0x88a8, legacy QinQ 0x9100) are peeled: the outer id goes to
 * pkt.vlan, the second to pkt.vlanInner; at most MAX_VLAN_TAGS are walked.
 */
import type { PacketView } from '../events/packet.js';
import { decodeArp } from './arp.js';
import { markMalformed, type DecodeContext } from './context.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodePppoeSession } from './pppoe.js';

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  PPPOE_SESSION: 0x8864,
  QINQ: 0x88a8,
  QINQ_LEGACY: 0x9100,
} as const;

const ETHERNET_HEADER = 14;
export const MAX_VLAN_TAGS = 4;

export function decodeEthernet(ctx: DecodeContext, pkt: PacketView, off: number, end: number): void {
  const dv = ctx.dv;
  if (end - off < ETHERNET_HEADER) {
    pkt.payloadOffset = end;
    pkt.payloadLength = 0;
    markMalformed(ctx, pkt, 'ethernet.truncated');
    return;
  }
  pkt.macDstOffset = off;
  pkt.macSrcOffset = off + 6;
  pkt.layers |= 1 /* Layer.L2 */;
  const type = dv.getUint16(off + 12);
  if (type === 0x0800) {
    // Untagged IPv4, by far the most common frame: skip the generic dispatch.
    pkt.etherType = type;
    decodeIpv4(ctx, pkt, off + ETHERNET_HEADER, end);
    return;
  }
  decodeEtherType(ctx, pkt, type, off + ETHERNET_HEADER, end);
}

/** Decodes what follows an EtherType field (after Ethernet, Linux SLL/SLL2). */
export function decodeEtherType(ctx: DecodeContext, pkt: PacketView, etherType: number, off: number, end: number): void {
  const dv = ctx.dv;
  let type = etherType;
  let p = off;
  for (let tags = 0; type === 0x8100 /* EtherType.VLAN */ || type === 0x88a8 /* EtherType.QINQ */ || type === 0x9100 /* EtherType.QINQ_LEGACY */; tags++) {
    if (tags >= MAX_VLAN_TAGS) {
      pkt.payloadOffset = end;
      pkt.payloadLength = 0;
      markMalformed(ctx, pkt, 'vlan.too-many-tags');
      return;
    }
    if (end - p < 4) {
      pkt.payloadOffset = end;
      pkt.payloadLength = 0;
      markMalformed(ctx, pkt, 'vlan.truncated');
      return;
    }
    const id = dv.getUint16(p) & 0x0fff;
    if (tags === 0) pkt.vlan = id;
    else if (tags === 1) pkt.vlanInner = id;
    type = dv.getUint16(p + 2);
    p += 4;
  }
  pkt.etherType = type;
  switch (type) {
    case 0x0800: // EtherType.IPV4
      decodeIpv4(ctx, pkt, p, end);
      return;
    case 0x86dd: // EtherType.IPV6
      decodeIpv6(ctx, pkt, p, end);
      return;
    case 0x0806: // EtherType.ARP
      decodeArp(ctx, pkt, p, end);
      return;
    case 0x8864: // EtherType.PPPOE_SESSION
      decodePppoeSession(ctx, pkt, p, end);
      return;
    default:
      // Other EtherTypes (EAPOL, LLDP …) and 802.3 length frames (type < 0x600): no L3 here.
      pkt.payloadOffset = p;
      pkt.payloadLength = end - p;
  }
}
