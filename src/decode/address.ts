/**
 * Address helpers for decoded packets: text of a packet's addresses (once per flow or per
 * source, never per packet) and CIDR containment without strings. Parsing, formatting, CIDRs
 * and the special-purpose table are util/ip.ts.
 */
import type { PacketView } from '../events/packet.js';
import { cidrContainsIpv4, cidrContainsIpv6, formatIpv4, formatIpv6, type Cidr } from '../util/ip.js';

/** Source address text of a decoded packet ('' when it has no IP layer). */
export function srcIpString(pkt: PacketView): string {
  if (pkt.ipVersion === 4) return formatIpv4(pkt.src4);
  if (pkt.ipVersion === 6) return formatIpv6(pkt.buf, pkt.src6Offset);
  return '';
}

export function dstIpString(pkt: PacketView): string {
  if (pkt.ipVersion === 4) return formatIpv4(pkt.dst4);
  if (pkt.ipVersion === 6) return formatIpv6(pkt.buf, pkt.dst6Offset);
  return '';
}

/** The packet's source (or destination) address inside cidr? No allocation. */
export function cidrContainsPacketSrc(cidr: Cidr, pkt: PacketView): boolean {
  if (pkt.ipVersion === 4) return cidrContainsIpv4(cidr, pkt.src4);
  return pkt.ipVersion === 6 && cidrContainsIpv6(cidr, pkt.buf, pkt.src6Offset);
}

export function cidrContainsPacketDst(cidr: Cidr, pkt: PacketView): boolean {
  if (pkt.ipVersion === 4) return cidrContainsIpv4(cidr, pkt.dst4);
  return pkt.ipVersion === 6 && cidrContainsIpv6(cidr, pkt.buf, pkt.dst6Offset);
}
