/**
 * Public surface of the decode stage: capture frame → PacketView (src/events/packet.ts).
 *
 * Usage (one decoder and one view per pipeline / worker):
 *   const decoder = new PacketDecoder();  const pkt = createPacketView();
 *   for (let i = 0; i < batch.count; i++) {
 *     decoder.decode(pkt, batch.buf, batch.offsets[i], batch.capLens[i], batch.wireLens[i],
 *                    batch.tsUs[i], batch.linkTypes[i], batch.ifIndexes[i]);
 *     // pkt.malformed: first problem ('' when clean); decoder.malformed counts all of them.
 *   }
 * After a reassembled fragment, pkt.buf is the reassembler's buffer (valid until the
 * next decode). decoder.stats / decoder.fragmentStats / decoder.malformed.toJSON() feed
 * the summary and `stats` events.
 */
export { PacketDecoder, resetDecodedFields, type PacketDecoderOptions, type DecodeStats } from './decoder.js';
export { FragmentReassembler, FragmentResult, MAX_PIECES, type FragmentOptions, type FragmentStats } from './fragments.js';
export { decodeLinkLayer } from './linktype.js';
export { decodeEthernet, decodeEtherType, EtherType, MAX_VLAN_TAGS } from './ethernet.js';
export { decodeArp, arpOperation, arpSenderMacOffset, arpTargetMacOffset, ArpOp } from './arp.js';
export { decodeIpv4, ipv4OptionsValid } from './ipv4.js';
export { decodeIpv6, ip6Fold, MAX_IPV6_EXT_HEADERS } from './ipv6.js';
export { decodeTcp, tcpOptionFind, tcpOptionKinds, tcpOptionMss, tcpOptionWindowScale, tcpOptionTimestamp, TcpOption } from './tcp.js';
export { decodeUdp } from './udp.js';
export { decodeIcmp, icmpIsError, icmpQuotedOffset } from './icmp.js';
export { decodeIcmpv6, icmpv6IsError, icmpv6QuotedOffset } from './icmpv6.js';
export { symmetricFlowHash, symmetricHashV4, finalMix } from './hash.js';
export * from './address.js';
export { DecodeContext } from './context.js';
