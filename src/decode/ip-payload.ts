/** Hands the IP payload to the transport decoder for its protocol number (IPv4 and IPv6 share it). */
import type { PacketView } from '../events/packet.js';
import type { DecodeContext } from './context.js';
import { decodeIcmp } from './icmp.js';
import { decodeIcmpv6 } from './icmpv6.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';

export function decodeIpPayload(ctx: DecodeContext, pkt: PacketView, proto: number, off: number, end: number): void {
  switch (proto) {
    case 6: // IpProto.TCP
      decodeTcp(ctx, pkt, off, end);
      return;
    case 17: // IpProto.UDP
      decodeUdp(ctx, pkt, off, end);
      return;
    case 1: // IpProto.ICMP
      decodeIcmp(ctx, pkt, off, end);
      return;
    case 58: // IpProto.ICMPV6
      decodeIcmpv6(ctx, pkt, off, end);
      return;
    default:
      // Protocols without a decoder (GRE, ESP, IGMP, SCTP …): the payload is everything after L3.
      pkt.payloadOffset = off;
      pkt.payloadLength = end - off;
  }
}
