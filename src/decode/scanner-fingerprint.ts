/**
 * Scanner fingerprints of a bare TCP SYN, the one definition both the `scan` detector
 * (detect/scan.ts) and the telescope (telescope/fingerprint.ts) use. Pure function over the
 * decoded PacketView: no allocation.
 */
import type { PacketView } from '../events/packet.js';

/** Fingerprint bits (a TCP SYN can match several; the classifier wants a majority of one). */
export const FP_MIRAI = 1;
export const FP_MASSCAN = 2;
export const FP_MASSCAN_SHAPE = 4;
export const FP_ZMAP = 8;
export const FP_NMAP = 16;

/**
 * Scanner fingerprints of a bare TCP SYN (IPv4). Every bit needs at least two fields so that
 * a chance 16-bit match (1 in 65,536 packets) does not name a family:
 * - Mirai: sequence number = destination address (32 bits).
 * - masscan: IP ID = low 16 bits of (destination ^ destination port ^ sequence) and window 1024.
 * - masscan shape: window 1024 and no TCP options (masscan ≥ 1.0.4 randomises the IP ID); the
 *   classifier also wants one fixed source port and several packets before using it.
 * - ZMap (builds before 2024): IP ID 54321, window 65535, TTL ≥ 200: ZMap's make_ip_header
 *   sets ip_id = htons(54321) and ip_ttl = MAXTTL (255), and make_tcp_header window 65535,
 *   so the TTL seen is 255 minus the hops (≥ 200 in practice). Newer ZMap randomises the IP
 *   ID, so those scans fall under "unknown".
 * - Nmap SYN scan: window 1024/2048/3072/4096 and exactly one TCP option (MSS).
 */
export function synFingerprint(pkt: PacketView): number {
  if (pkt.ipVersion !== 4) return 0;
  let bits = 0;
  const w = pkt.window;
  if (pkt.seq === pkt.dst4) bits |= FP_MIRAI;
  if (w === 1024) {
    if (pkt.ipId === ((pkt.dst4 ^ pkt.dstPort ^ pkt.seq) & 0xffff)) bits |= FP_MASSCAN;
    if (pkt.tcpOptionsLength <= 0) bits |= FP_MASSCAN_SHAPE;
  }
  if (pkt.ipId === 54321 && w === 65535 && pkt.ttl >= 200) bits |= FP_ZMAP;
  if ((w === 1024 || w === 2048 || w === 3072 || w === 4096) && pkt.tcpOptionsLength === 4 && pkt.buf[pkt.tcpOptionsOffset] === 2) bits |= FP_NMAP;
  return bits;
}
