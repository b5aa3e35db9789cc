/**
 * Per-source classification from the counters the aggregator keeps: scanner (with family),
 * backscatter (with the reply kind), or other (erratic / misconfiguration), and a
 * Shadowserver-style tag. A family needs a majority of the source's SYNs to match a
 * fingerprint that already combines two or more header fields (see fingerprint.ts).
 */
import { K_DNS_RESP, K_ICMP_ECHO_REPLY, K_ICMP_ERROR, K_ICMP_REQ, K_RST, K_SYN, K_SYNACK, K_UDP_REQ } from './fingerprint.js';
import type { ScannerFamily, SourceClass } from './state.js';

/** Offsets into a source's fingerprint-match counters. */
export const M_MIRAI = 0;
export const M_MASSCAN = 1;
export const M_MASSCAN_SHAPE = 2;
export const M_ZMAP = 3;
export const M_NMAP = 4;
export const MATCH_COUNT = 5;

/** A fixed source port over at least this many SYNs corroborates masscan's shape (window 1024, no options). */
export const MASSCAN_SHAPE_MIN_SYNS = 8;

export interface SourceEvidence {
  packets: number;
  /** kind counters (K_*) at kinds[kindBase + K] */
  kinds: Int32Array | Uint32Array;
  kindBase: number;
  /** fingerprint matches (M_*) at matches[matchBase + M] */
  matches: Int32Array | Uint32Array;
  matchBase: number;
  /** packets failing a hard noise filter (src .0/.255, src = dst, port 0, fragment, impossible flags) */
  hardFailures: number;
  /** probes (not replies) with TTL ≥ 200 */
  highTtlProbes: number;
  /** all SYNs came from one source port */
  fixedSourcePort: boolean;
  /** one of many one-packet sources with an identical header fingerprint */
  burst: boolean;
  topPort: number;
}

export interface Classification {
  cls: SourceClass;
  family?: ScannerFamily;
  tag: string;
  spoofed: boolean;
}

const majority = (n: number, of: number): boolean => n > 0 && n * 2 > of;

export function classifySource(e: SourceEvidence): Classification {
  const k = e.kinds;
  const b = e.kindBase;
  const total = e.packets;
  if (e.burst) return { cls: 'scanner', family: 'unknown', tag: 'spoofed-burst', spoofed: true };
  if (majority(e.hardFailures, total)) return { cls: 'other', tag: 'erratic', spoofed: false };
  const syn = k[b + K_SYN];
  const m = e.matches;
  const mb = e.matchBase;
  const fingerprinted = majority(m[mb + M_MASSCAN], syn) || majority(m[mb + M_ZMAP], syn) ||
    (majority(m[mb + M_MASSCAN_SHAPE], syn) && e.fixedSourcePort && syn >= MASSCAN_SHAPE_MIN_SYNS);
  if (majority(e.highTtlProbes, total) && !fingerprinted) return { cls: 'other', tag: 'erratic-ttl', spoofed: false };

  const synack = k[b + K_SYNACK];
  const rst = k[b + K_RST];
  const dns = k[b + K_DNS_RESP];
  const echo = k[b + K_ICMP_ECHO_REPLY];
  const icmpErr = k[b + K_ICMP_ERROR];
  const replies = synack + rst + dns + echo + icmpErr;
  if (majority(replies, total)) {
    let tag = 'backscatter-syn-ack';
    let best = synack;
    if (rst > best) { best = rst; tag = 'backscatter-rst'; }
    if (dns > best) { best = dns; tag = 'backscatter-dns'; }
    if (echo > best) { best = echo; tag = 'backscatter-echo-reply'; }
    if (icmpErr > best) tag = 'backscatter-icmp-error';
    return { cls: 'backscatter', tag, spoofed: false };
  }
  const udp = k[b + K_UDP_REQ];
  const icmpReq = k[b + K_ICMP_REQ];
  if (majority(syn + udp + icmpReq, total)) {
    let family: ScannerFamily = 'unknown';
    let tag: string;
    if (majority(m[mb + M_MIRAI], syn)) { family = 'mirai'; tag = 'mirai-like'; }
    else if (majority(m[mb + M_MASSCAN], syn)) { family = 'masscan'; tag = 'masscan'; }
    else if (majority(m[mb + M_ZMAP], syn)) { family = 'zmap'; tag = 'zmap'; }
    else if (majority(m[mb + M_NMAP], syn)) { family = 'nmap'; tag = 'nmap-syn'; }
    else if (majority(m[mb + M_MASSCAN_SHAPE], syn) && e.fixedSourcePort && syn >= MASSCAN_SHAPE_MIN_SYNS) { family = 'masscan'; tag = 'masscan'; }
    else if (syn >= udp && syn >= icmpReq) tag = e.topPort === 6379 ? 'scan-redis' : 'scan-tcp';
    else tag = udp >= icmpReq ? 'scan-udp' : 'scan-icmp';
    return { cls: 'scanner', family, tag, spoofed: false };
  }
  return { cls: 'other', tag: 'misconfiguration', spoofed: false };
}
