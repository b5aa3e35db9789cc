/**
 * The decoded-packet contract shared by every stage above decode/.
 *
 * Why a mutable view and not an object per packet: decode runs millions of times a
 * second, so the decoder fills ONE reusable PacketView per pipeline with numeric fields
 * and byte offsets into the capture buffer (zero-copy). Consumers must copy what they
 * keep beyond the current callback (`buf` is reused by the reader).
 */

/** Link-layer types (pcap LINKTYPE_* values). */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte host-order address family
  ETHERNET: 1,
  RAW: 101, // raw IPv4/IPv6, version from the first nibble
  LOOP: 108, // OpenBSD loopback: 4-byte network-order address family
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
export type LinkTypeValue = (typeof LinkType)[keyof typeof LinkType];

export const IpProto = { ICMP: 1, IGMP: 2, TCP: 6, UDP: 17, IPV6: 41, GRE: 47, ESP: 50, ICMPV6: 58, SCTP: 132 } as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** Which layers a decode reached. Bit set. */
export const Layer = { L2: 1, ARP: 2, IP: 4, L4: 8, FRAGMENT: 16, REASSEMBLED: 32 } as const;

/**
 * Packet classes a detector can ask for (Detector.packets, a bit set): the pipeline tests one
 * bit instead of calling every packet detector for every packet. Most packets of a busy
 * network are TCP data and pure ACKs, which host-level detectors (scan) never look at.
 */
export const PacketClass = {
  /** TCP with SYN and without ACK (connection attempts, scan probes). */
  TCP_SYN: 1,
  /** TCP with SYN and ACK. */
  TCP_SYNACK: 2,
  /** TCP without SYN carrying payload. */
  TCP_DATA: 4,
  /** TCP without SYN or payload (ACK, FIN, RST), or a TCP header that was not decoded. */
  TCP_CONTROL: 8,
  UDP: 16,
  /** ICMP and ICMPv6. */
  ICMP: 32,
  /** Anything else: no IP (the decoder resets proto to 0), other IP protocols. */
  OTHER: 64,
  ALL: 127,
} as const;

/** The PacketClass bit of a decoded packet. */
export function packetClassOf(pkt: PacketView): number {
  const proto = pkt.proto;
  if (proto === IpProto.TCP) {
    const f = pkt.tcpFlags;
    if ((f & TcpFlag.SYN) !== 0) return (f & TcpFlag.ACK) !== 0 ? PacketClass.TCP_SYNACK : PacketClass.TCP_SYN;
    return pkt.payloadLength > 0 ? PacketClass.TCP_DATA : PacketClass.TCP_CONTROL;
  }
  if (proto === IpProto.UDP) return PacketClass.UDP;
  if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) return PacketClass.ICMP;
  return PacketClass.OTHER;
}

export interface PacketView {
  // --- capture record ---
  /** Buffer holding the frame (reader chunk, or a reassembly buffer for defragmented IP). */
  buf: Uint8Array;
  /** Offset of the first frame byte in buf. */
  frameOffset: number;
  /** Bytes captured (may be less than wireLength when snaplen-cut). */
  capLength: number;
  /** Original length on the wire. */
  wireLength: number;
  /** Timestamp, microseconds since the Unix epoch (exact in a double up to year 2255). */
  tsUs: number;
  linkType: number;
  /** Capture interface index (pcapng), 0 for classic pcap. */
  ifIndex: number;

  // --- decode result ---
  /** Layer bits reached (see Layer). */
  layers: number;
  /** Non-empty when the packet was cut short or malformed; the pipeline counts it by reason. */
  malformed: string;

  // --- L2 ---
  /** Offset of the source MAC in buf, -1 when the link type has none. */
  macSrcOffset: number;
  macDstOffset: number;
  /** Outer and inner 802.1Q VLAN ids (0 = none). */
  vlan: number;
  vlanInner: number;
  etherType: number;

  // --- L3 ---
  /** 4 or 6, 0 when no IP layer. */
  ipVersion: number;
  l3Offset: number;
  /** IPv4 addresses as unsigned 32-bit integers. For IPv6 these hold a 32-bit fold used for hashing. */
  src4: number;
  dst4: number;
  /** IPv6 addresses: offsets into buf of the 16-byte address (valid only when ipVersion === 6). */
  src6Offset: number;
  dst6Offset: number;
  /** Final upper-layer protocol (after IPv6 extension headers). */
  proto: number;
  ttl: number;
  /** IPv4 identification (IPv6 fragment id low 16 bits). */
  ipId: number;
  /** IPv4 total length / IPv6 payload length + 40, as claimed by the header. */
  ipLength: number;
  /** True for a fragment that could not (yet) be reassembled. */
  isFragment: boolean;
  /** IPv4 DF bit. */
  dontFragment: boolean;
  tos: number;

  // --- L4 ---
  l4Offset: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  seq: number;
  ack: number;
  window: number;
  /** TCP option bytes present (offset into buf, length); -1 when none. */
  tcpOptionsOffset: number;
  tcpOptionsLength: number;
  icmpType: number;
  icmpCode: number;
  /** Payload after the L4 header (or after L3 for other protocols). */
  payloadOffset: number;
  payloadLength: number;
}

/** A PacketView with every field at its "nothing decoded" value. */
export function createPacketView(): PacketView {
  return {
    buf: new Uint8Array(0), frameOffset: 0, capLength: 0, wireLength: 0, tsUs: 0, linkType: 1, ifIndex: 0,
    layers: 0, malformed: '',
    macSrcOffset: -1, macDstOffset: -1, vlan: 0, vlanInner: 0, etherType: 0,
    ipVersion: 0, l3Offset: -1, src4: 0, dst4: 0, src6Offset: -1, dst6Offset: -1, proto: 0, ttl: 0, ipId: 0,
    ipLength: 0, isFragment: false, dontFragment: false, tos: 0,
    l4Offset: -1, srcPort: 0, dstPort: 0, tcpFlags: 0, seq: 0, ack: 0, window: 0,
    tcpOptionsOffset: -1, tcpOptionsLength: 0, icmpType: -1, icmpCode: -1, payloadOffset: 0, payloadLength: 0,
  };
}
