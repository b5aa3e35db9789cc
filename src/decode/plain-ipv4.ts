/**
 * The one "plain Ethernet/IPv4" fast path, shared by the analyze pipeline (worker routes,
 * flow-index warming) and the telescope (routes, decoding): header checks on the raw frame
 * bytes, and a decoder for the frames that make up almost all traffic — untagged Ethernet,
 * IPv4 without options, not a fragment, fully captured, carrying a complete TCP, UDP or ICMP
 * header. The decoder fills the same PacketView fields PacketDecoder would (byte for byte the
 * same result, test/decode/plain-ipv4.test.ts holds it to that on every shared capture and on
 * random frames); anything else (VLAN, IPv6, options, fragments, snaplen cuts, bad lengths …)
 * returns false and goes through PacketDecoder, which also counts what is malformed.
 */
import type { PacketView } from '../events/packet.js';

const ETH = 14;
const LINKTYPE_ETHERNET = 1;

/**
 * An untagged Ethernet frame carrying IPv4 (EtherType 0x0800, version 4) with at least the
 * 20-byte IPv4 header captured: the source and destination addresses are at fixed offsets
 * (ipv4SrcAt, ipv4DstAt). The header may still be bad (IHL, lengths); a fragment passes.
 */
export function isEthernetIpv4(buf: Uint8Array, off: number, capLen: number, linkType: number): boolean {
  return linkType === LINKTYPE_ETHERNET && capLen >= 34 && buf[off + 12] === 0x08 && buf[off + 13] === 0x00 && buf[off + 14] >> 4 === 4;
}

/**
 * isEthernetIpv4 with a header length of at least 20 bytes and not a fragment (MF clear,
 * offset 0): exactly the conditions under which PacketDecoder gives the frame an IP layer
 * with these addresses and isFragment false, so an owner hashed from the raw addresses is the
 * owner hashing the decoded packet would give.
 */
export function isPlainIpv4(buf: Uint8Array, off: number, capLen: number, linkType: number): boolean {
  return linkType === LINKTYPE_ETHERNET && capLen >= 34 && buf[off + 12] === 0x08 && buf[off + 13] === 0x00 &&
    (buf[off + 14] & 0xf0) === 0x40 && (buf[off + 14] & 0x0f) >= 5 && (buf[off + 20] & 0x3f) === 0 && buf[off + 21] === 0;
}

/**
 * isPlainIpv4 without IP options, TCP or UDP, with the ports captured: the flow key
 * (addresses, ports, protocol) is at fixed offsets (ipv4SrcAt, ipv4DstAt, l4PortsAt, protoAt).
 */
export function isPlainIpv4Ports(buf: Uint8Array, off: number, capLen: number, linkType: number): boolean {
  if (linkType !== LINKTYPE_ETHERNET || capLen < 38 || buf[off + 12] !== 0x08 || buf[off + 13] !== 0x00 || buf[off + 14] !== 0x45 ||
      (buf[off + 20] & 0x3f) !== 0 || buf[off + 21] !== 0) return false;
  const proto = buf[off + 23];
  return proto === 6 || proto === 17;
}

/** Source address of an isEthernetIpv4 frame (int32: callers hash it or add >>> 0). */
export function ipv4SrcAt(buf: Uint8Array, off: number): number {
  return (buf[off + 26] << 24) | (buf[off + 27] << 16) | (buf[off + 28] << 8) | buf[off + 29];
}

/** Destination address of an isEthernetIpv4 frame (int32). */
export function ipv4DstAt(buf: Uint8Array, off: number): number {
  return (buf[off + 30] << 24) | (buf[off + 31] << 16) | (buf[off + 32] << 8) | buf[off + 33];
}

/** IP protocol of an isEthernetIpv4 frame. */
export function ipv4ProtoAt(buf: Uint8Array, off: number): number {
  return buf[off + 23];
}

/** Source port of an isPlainIpv4Ports frame. */
export function srcPortAt(buf: Uint8Array, off: number): number {
  return (buf[off + 34] << 8) | buf[off + 35];
}

/** Destination port of an isPlainIpv4Ports frame. */
export function dstPortAt(buf: Uint8Array, off: number): number {
  return (buf[off + 36] << 8) | buf[off + 37];
}

/**
 * Fills pkt from a plain Ethernet/IPv4/{TCP,UDP,ICMP} frame at buf[off, off + capLen) and
 * returns true; returns false (pkt partly written, to be re-decoded) for any other frame.
 * The caller has checked isEthernetIpv4.
 */
export function decodePlainIpv4(pkt: PacketView, buf: Uint8Array, off: number, capLen: number, wireLen: number, tsUs: number, ifIndex: number): boolean {
  const l3 = off + ETH;
  if (buf[l3] !== 0x45) return false; // version 4, no options
  const totalLen = (buf[l3 + 2] << 8) | buf[l3 + 3];
  const ipEnd = l3 + totalLen;
  // total length 0 (TSO) and frames cut short go to the decoder; fragments too (MF or offset set)
  if (totalLen < 20 || ipEnd > off + capLen || (buf[l3 + 6] & 0x3f) !== 0 || buf[l3 + 7] !== 0) return false;
  const proto = buf[l3 + 9];
  const l4 = l3 + 20;
  const l4Len = ipEnd - l4;
  let srcPort = 0;
  let dstPort = 0;
  let tcpFlags = 0;
  let seq = 0;
  let ack = 0;
  let win = 0;
  let optOff = -1;
  let optLen = 0;
  let icmpType = -1;
  let icmpCode = -1;
  let payloadOffset: number;
  let payloadEnd = ipEnd;
  if (proto === 6) {
    if (l4Len < 20) return false;
    const hl = (buf[l4 + 12] >> 4) << 2;
    if (hl < 20 || hl > l4Len) return false;
    srcPort = (buf[l4] << 8) | buf[l4 + 1];
    dstPort = (buf[l4 + 2] << 8) | buf[l4 + 3];
    seq = ((buf[l4 + 4] << 24) | (buf[l4 + 5] << 16) | (buf[l4 + 6] << 8) | buf[l4 + 7]) >>> 0;
    ack = ((buf[l4 + 8] << 24) | (buf[l4 + 9] << 16) | (buf[l4 + 10] << 8) | buf[l4 + 11]) >>> 0;
    tcpFlags = buf[l4 + 13];
    win = (buf[l4 + 14] << 8) | buf[l4 + 15];
    if (hl > 20) { optOff = l4 + 20; optLen = hl - 20; }
    payloadOffset = l4 + hl;
  } else if (proto === 17) {
    if (l4Len < 8) return false;
    const udpLen = (buf[l4 + 4] << 8) | buf[l4 + 5];
    if (udpLen < 8 || udpLen > l4Len) return false;
    srcPort = (buf[l4] << 8) | buf[l4 + 1];
    dstPort = (buf[l4 + 2] << 8) | buf[l4 + 3];
    payloadOffset = l4 + 8;
    payloadEnd = l4 + udpLen; // the UDP length, not the IP one, ends the datagram
  } else if (proto === 1) {
    if (l4Len < 8) return false;
    icmpType = buf[l4];
    icmpCode = buf[l4 + 1];
    payloadOffset = l4 + 8;
  } else {
    return false;
  }
  pkt.buf = buf;
  pkt.frameOffset = off;
  pkt.capLength = capLen;
  pkt.wireLength = wireLen;
  pkt.tsUs = tsUs;
  pkt.linkType = 1;
  pkt.ifIndex = ifIndex;
  pkt.layers = 1 | 4 | 8; // L2, IP, L4
  pkt.malformed = '';
  pkt.macDstOffset = off;
  pkt.macSrcOffset = off + 6;
  pkt.vlan = 0;
  pkt.vlanInner = 0;
  pkt.etherType = 0x0800;
  pkt.ipVersion = 4;
  pkt.l3Offset = l3;
  pkt.src4 = ((buf[l3 + 12] << 24) | (buf[l3 + 13] << 16) | (buf[l3 + 14] << 8) | buf[l3 + 15]) >>> 0;
  pkt.dst4 = ((buf[l3 + 16] << 24) | (buf[l3 + 17] << 16) | (buf[l3 + 18] << 8) | buf[l3 + 19]) >>> 0;
  pkt.src6Offset = -1;
  pkt.dst6Offset = -1;
  pkt.proto = proto;
  pkt.ttl = buf[l3 + 8];
  pkt.ipId = (buf[l3 + 4] << 8) | buf[l3 + 5];
  pkt.ipLength = totalLen;
  pkt.isFragment = false;
  pkt.dontFragment = (buf[l3 + 6] & 0x40) !== 0;
  pkt.tos = buf[l3 + 1];
  pkt.l4Offset = l4;
  pkt.srcPort = srcPort;
  pkt.dstPort = dstPort;
  pkt.tcpFlags = tcpFlags;
  pkt.seq = seq;
  pkt.ack = ack;
  pkt.window = win;
  pkt.tcpOptionsOffset = optOff;
  pkt.tcpOptionsLength = optLen;
  pkt.icmpType = icmpType;
  pkt.icmpCode = icmpCode;
  pkt.payloadOffset = payloadOffset;
  pkt.payloadLength = payloadEnd - payloadOffset;
  return true;
}
