/**
 * The packet decoder: fills one reusable PacketView from a frame in a capture buffer,
 * zero-copy (offsets into the buffer), layer by layer (linktype → ethernet/vlan/pppoe →
 * arp/ipv4/ipv6 → tcp/udp/icmp/icmpv6). Problems never throw: the first one goes to
 * pkt.malformed, all of them to `malformed`, named "<layer>.<problem>".
 */
import { ReasonCounter } from '../events/counters.js';
import type { PacketView } from '../events/packet.js';
import { DecodeContext, markMalformed } from './context.js';
import { FragmentReassembler, type FragmentStats } from './fragments.js';
import { icmpQuotedOffset } from './icmp.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeEthernet } from './ethernet.js';
import { decodeLinkLayer } from './linktype.js';

export interface PacketDecoderOptions {
  /** Reassemble IPv4/IPv6 fragments (default true). When false, fragments stop at L3. */
  reassembleFragments?: boolean;
  /** Datagrams in progress at most (default 4096). */
  maxFragmentBuffers?: number;
  /** Reassembly buffer bytes at most (default 16 MiB). */
  maxFragmentBytes?: number;
  /** Drop a datagram this long after its first fragment, in packet time (default 30 s). */
  fragmentTimeoutUs?: number;
}

/** Packets seen per layer; plain numbers so the pipeline can put them in `stats` events. */
export interface DecodeStats {
  packets: number;
  /** Sum of wire lengths. */
  bytes: number;
  ipv4: number;
  ipv6: number;
  arp: number;
  tcp: number;
  udp: number;
  icmp: number;
  icmpv6: number;
  /** IP packets whose transport has no decoder (GRE, ESP, IGMP …). */
  otherIp: number;
  /** Frames without IP or ARP (EAPOL, LLDP, unknown link types …). */
  nonIp: number;
  /** Fragments that did not (yet) complete a datagram. */
  fragments: number;
  /** Datagrams completed by reassembly (also counted under their transport). */
  reassembled: number;
  /** Packets with a non-empty malformed reason. */
  malformed: number;
}

// Counter indexes into PacketDecoder.counts.
const C_PACKETS = 0;
const C_BYTES = 1;
const C_IPV4 = 2;
const C_IPV6 = 3;
const C_ARP = 4;
const C_TCP = 5;
const C_UDP = 6;
const C_ICMP = 7;
const C_ICMPV6 = 8;
const C_OTHER_IP = 9;
const C_NON_IP = 10;
const C_FRAGMENTS = 11;
const C_REASSEMBLED = 12;
const C_MALFORMED = 13;
const C_SIZE = 14;

/** Transport protocol number → counter index. */
const PROTO_COUNTER = new Uint8Array(256).fill(C_OTHER_IP);
PROTO_COUNTER[6] = C_TCP;
PROTO_COUNTER[17] = C_UDP;
PROTO_COUNTER[1] = C_ICMP;
PROTO_COUNTER[58] = C_ICMPV6;

export class PacketDecoder {
  readonly malformed = new ReasonCounter();
  readonly fragments: FragmentReassembler | null;
  /**
   * Counters live in a typed array (indexes C_* above): incrementing object properties on
   * every packet cost ~15 % of decode time. `stats` builds the plain object on demand.
   */
  private readonly counts = new Float64Array(C_SIZE);
  /** Problems inside ICMP-quoted packets (quotes are cut short by design, so kept apart). */
  readonly quotedMalformed = new ReasonCounter();
  private readonly ctx: DecodeContext;
  private readonly quotedContext = new DecodeContext(this.quotedMalformed, null);

  constructor(opts: PacketDecoderOptions = {}) {
    this.fragments = opts.reassembleFragments === false ? null : new FragmentReassembler(opts);
    this.ctx = new DecodeContext(this.malformed, this.fragments);
  }

  /** Reassembly counters (all zero when reassembly is off). */
  get fragmentStats(): FragmentStats {
    return this.fragments?.stats ?? { fragments: 0, reassembled: 0, timedOut: 0, droppedOverLimit: 0, overlaps: 0, rejected: 0 };
  }

  get stats(): DecodeStats {
    const c = this.counts;
    return {
      packets: c[C_PACKETS], bytes: c[C_BYTES], ipv4: c[C_IPV4], ipv6: c[C_IPV6], arp: c[C_ARP], tcp: c[C_TCP], udp: c[C_UDP],
      icmp: c[C_ICMP], icmpv6: c[C_ICMPV6], otherIp: c[C_OTHER_IP], nonIp: c[C_NON_IP], fragments: c[C_FRAGMENTS],
      reassembled: c[C_REASSEMBLED], malformed: c[C_MALFORMED],
    };
  }

  decode(
    pkt: PacketView, buf: Uint8Array, offset: number, capLen: number, wireLen: number,
    tsUs: number, linkType: number, ifIndex: number,
  ): void {
    pkt.buf = buf;
    pkt.frameOffset = offset;
    pkt.capLength = capLen;
    pkt.wireLength = wireLen;
    pkt.tsUs = tsUs;
    pkt.linkType = linkType;
    pkt.ifIndex = ifIndex;
    resetDecodedFields(pkt);
    let end = offset + capLen;
    if (offset < 0 || capLen < 0 || end > buf.length) {
      // A reader bug or a corrupt record: never read outside the buffer.
      if (offset < 0 || offset > buf.length) pkt.frameOffset = offset = buf.length;
      end = Math.min(Math.max(end, offset), buf.length);
      pkt.capLength = end - offset;
      markMalformed(this.ctx, pkt, 'capture.bad-record-length');
    }
    this.ctx.setBuffer(buf);
    if (linkType === 1) decodeEthernet(this.ctx, pkt, offset, end); // LinkType.ETHERNET, the common case
    else decodeLinkLayer(this.ctx, pkt, linkType, offset, end);
    this.count(pkt, wireLen);
  }

  private count(pkt: PacketView, wireLen: number): void {
    const c = this.counts;
    c[C_PACKETS]++;
    c[C_BYTES] += wireLen; // the frame's, not a reassembled datagram's (no double counting)
    if (pkt.malformed !== '') c[C_MALFORMED]++;
    const layers = pkt.layers;
    if ((layers & 32 /* Layer.REASSEMBLED */) !== 0) c[C_REASSEMBLED]++;
    const version = pkt.ipVersion;
    if (version === 0) {
      c[(layers & 2 /* Layer.ARP */) !== 0 ? C_ARP : C_NON_IP]++;
      return;
    }
    c[version === 4 ? C_IPV4 : C_IPV6]++;
    c[pkt.isFragment ? C_FRAGMENTS : PROTO_COUNTER[pkt.proto]]++;
  }

  /**
   * Decodes the packet quoted inside an ICMP/ICMPv6 error of `outer` into `inner` (IP
   * header and, when quoted, ports). Returns false when outer is no such error. Quotes
   * are normally cut short (RFC 792 quotes 8 bytes of L4), so inner.malformed will often
   * say "…truncated"; those reasons go to quotedMalformed, not to `malformed`.
   */
  decodeIcmpQuoted(outer: PacketView, inner: PacketView): boolean {
    const q = icmpQuotedOffset(outer);
    if (q < 0) return false;
    const end = outer.payloadOffset + outer.payloadLength;
    inner.buf = outer.buf;
    inner.frameOffset = q;
    inner.capLength = end - q;
    inner.wireLength = end - q;
    inner.tsUs = outer.tsUs;
    inner.linkType = outer.linkType;
    inner.ifIndex = outer.ifIndex;
    resetDecodedFields(inner);
    this.quotedContext.setBuffer(outer.buf);
    if (outer.proto === 1 /* IpProto.ICMP */) decodeIpv4(this.quotedContext, inner, q, end);
    else decodeIpv6(this.quotedContext, inner, q, end);
    return true;
  }

  /** Drops fragments older than the timeout at packet time nowUs (call on idle input). */
  expireFragments(nowUs: number): void {
    this.fragments?.expire(nowUs);
  }
}

/** Puts every decode-result field back to its "nothing decoded" value (see createPacketView); frameOffset must be set. */
export function resetDecodedFields(pkt: PacketView): void {
  pkt.layers = 0;
  pkt.malformed = '';
  pkt.macSrcOffset = -1;
  pkt.macDstOffset = -1;
  pkt.vlan = 0;
  pkt.vlanInner = 0;
  pkt.etherType = 0;
  pkt.ipVersion = 0;
  pkt.l3Offset = -1;
  pkt.src4 = 0;
  pkt.dst4 = 0;
  pkt.src6Offset = -1;
  pkt.dst6Offset = -1;
  pkt.proto = 0;
  pkt.ttl = 0;
  pkt.ipId = 0;
  pkt.ipLength = 0;
  pkt.isFragment = false;
  pkt.dontFragment = false;
  pkt.tos = 0;
  pkt.l4Offset = -1;
  pkt.srcPort = 0;
  pkt.dstPort = 0;
  pkt.tcpFlags = 0;
  pkt.seq = 0;
  pkt.ack = 0;
  pkt.window = 0;
  pkt.tcpOptionsOffset = -1;
  pkt.tcpOptionsLength = 0;
  pkt.icmpType = -1;
  pkt.icmpCode = -1;
  // An empty payload at the frame start until a layer says otherwise (stays inside the frame).
  pkt.payloadOffset = pkt.frameOffset;
  pkt.payloadLength = 0;
}
