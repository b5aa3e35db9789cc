/**
 * Per-packet header tests of the telescope: what kind of packet (probe or reply), which
 * scanner fingerprints it matches, and which spoofing/noise filters (in the spirit of
 * corsaro3's `spoofed` and `erratic` filters) it fails. Pure functions over the PacketView:
 * no allocation.
 */
import type { PacketView } from '../events/packet.js';
import { FP_MASSCAN, FP_MASSCAN_SHAPE, FP_ZMAP } from '../decode/scanner-fingerprint.js';

export { FP_MASSCAN, FP_MASSCAN_SHAPE, FP_MIRAI, FP_NMAP, FP_ZMAP, synFingerprint } from '../decode/scanner-fingerprint.js';

/** Packet kinds (per-source counters are indexed by these). */
export const K_SYN = 0;
export const K_SYNACK = 1;
export const K_RST = 2;
export const K_TCP_OTHER = 3;
export const K_UDP_REQ = 4;
export const K_DNS_RESP = 5;
export const K_ICMP_REQ = 6;
export const K_ICMP_ECHO_REPLY = 7;
export const K_ICMP_ERROR = 8;
export const K_OTHER = 9;
export const KIND_COUNT = 10;
export const KIND_NAMES = ['syn', 'syn-ack', 'rst', 'tcp-other', 'udp', 'dns-response', 'icmp-request', 'echo-reply', 'icmp-error', 'other'] as const;

const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const FIN = 0x01;
const PSH = 0x08;
const URG = 0x20;

/** ICMP(v4) types that answer something (replies and errors): backscatter when unsolicited. */
const ICMP_RESPONSE = new Uint8Array(256);
for (const t of [0, 3, 4, 5, 11, 12, 14, 16, 18]) ICMP_RESPONSE[t] = 1;
/** ICMPv6 errors (1–4) and echo reply (129). */
const ICMP6_RESPONSE = new Uint8Array(256);
for (const t of [1, 2, 3, 4, 129]) ICMP6_RESPONSE[t] = 1;

export function packetKind(pkt: PacketView): number {
  if (pkt.isFragment) return K_OTHER;
  switch (pkt.proto) {
    case 6: {
      const f = pkt.tcpFlags;
      if ((f & RST) !== 0) return K_RST;
      if ((f & (SYN | ACK)) === (SYN | ACK)) return K_SYNACK;
      if ((f & (SYN | ACK | FIN)) === SYN) return K_SYN;
      return K_TCP_OTHER;
    }
    case 17:
      // DNS response: from port 53 with the QR bit set
      if (pkt.srcPort === 53 && pkt.payloadLength >= 12 && (pkt.buf[pkt.payloadOffset + 2] & 0x80) !== 0) return K_DNS_RESP;
      return K_UDP_REQ;
    case 1:
      if (pkt.icmpType < 0) return K_OTHER;
      if (pkt.icmpType === 0) return K_ICMP_ECHO_REPLY;
      return ICMP_RESPONSE[pkt.icmpType] === 1 ? K_ICMP_ERROR : K_ICMP_REQ;
    case 58:
      if (pkt.icmpType < 0) return K_OTHER;
      if (pkt.icmpType === 129) return K_ICMP_ECHO_REPLY;
      return ICMP6_RESPONSE[pkt.icmpType] === 1 ? K_ICMP_ERROR : K_ICMP_REQ;
    default:
      return K_OTHER;
  }
}

/** Kinds that are replies: unsolicited at a darknet, they are backscatter. */
export function isResponseKind(kind: number): boolean {
  return kind === K_SYNACK || kind === K_RST || kind === K_DNS_RESP || kind === K_ICMP_ECHO_REPLY || kind === K_ICMP_ERROR;
}

/** Hygiene filter reasons (index into the hygiene counters); 0 = clean. */
export const H_CLEAN = 0;
export const H_TTL = 1;
export const H_SRC_NET_BCAST = 2;
export const H_SRC_EQ_DST = 3;
export const H_PORT_ZERO = 4;
export const H_FRAGMENT = 5;
export const H_BAD_FLAGS = 6;
export const H_BOGON_SRC = 7;
export const HYGIENE_COUNT = 8;
export const HYGIENE_NAMES = ['clean', 'ttl-200-or-more', 'src-network-or-broadcast', 'src-equals-dst', 'port-zero', 'fragment', 'impossible-tcp-flags', 'bogon-source'] as const;

/**
 * The first spoofing/noise filter the packet fails (H_CLEAN when none). TTL ≥ 200 is only
 * suspicious for probes: masscan and ZMap send with TTL 255, and so do many routers'
 * replies (backscatter), so those are exempt. `bogonSource` is computed once per source.
 */
export function hygieneReason(pkt: PacketView, kind: number, fp: number, bogonSource: boolean): number {
  if (pkt.isFragment) return H_FRAGMENT;
  if (pkt.ipVersion === 4) {
    const last = pkt.src4 & 0xff;
    if (last === 0 || last === 0xff) return H_SRC_NET_BCAST;
    if (pkt.src4 === pkt.dst4) return H_SRC_EQ_DST;
  }
  const proto = pkt.proto;
  if ((proto === 6 || proto === 17) && (pkt.srcPort === 0 || pkt.dstPort === 0)) return H_PORT_ZERO;
  if (proto === 6) {
    const f = pkt.tcpFlags;
    if ((f & (SYN | FIN)) === (SYN | FIN) || (f & (SYN | RST)) === (SYN | RST) || (f & 0x3f) === 0 ||
        ((f & (FIN | PSH | URG)) === (FIN | PSH | URG) && (f & ACK) === 0)) return H_BAD_FLAGS;
  }
  if (pkt.ttl >= 200 && !isResponseKind(kind) && (fp & (FP_MASSCAN | FP_MASSCAN_SHAPE | FP_ZMAP)) === 0) return H_TTL;
  if (bogonSource) return H_BOGON_SRC;
  return H_CLEAN;
}
