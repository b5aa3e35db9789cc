/**
 * Address text ⇄ binary, CIDR containment and special-purpose ranges. Not for the per-packet
 * path (these build strings); the flow table calls them once per flow, the scanner and
 * telescope once per target or source.
 */
import type { PacketView } from '../events/packet.js';

const HEX = '0123456789abcdef';

export function ip4ToString(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952 text: lowercase, no leading zeros, longest zero run (≥ 2 groups, first on ties) as "::", IPv4-mapped as ::ffff:a.b.c.d. */
export function ip6ToString(buf: Uint8Array, off: number): string {
  let mapped = true;
  for (let i = 0; i < 10; i++) if (buf[off + i] !== 0) mapped = false;
  if (mapped && buf[off + 10] === 0xff && buf[off + 11] === 0xff) {
    return `::ffff:${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed
  for (let i = 0; i < 8;) {
    if (buf[off + 2 * i] === 0 && buf[off + 2 * i + 1] === 0) {
      let j = i;
      while (j < 8 && buf[off + 2 * j] === 0 && buf[off + 2 * j + 1] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    } else {
      i++;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += ((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]).toString(16);
  }
  return out;
}

export function macToString(buf: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const b = buf[off + i];
    if (i > 0) s += ':';
    s += HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}

/** Source address text of a decoded packet ('' when it has no IP layer). */
export function srcIpString(pkt: PacketView): string {
  if (pkt.ipVersion === 4) return ip4ToString(pkt.src4);
  if (pkt.ipVersion === 6) return ip6ToString(pkt.buf, pkt.src6Offset);
  return '';
}

export function dstIpString(pkt: PacketView): string {
  if (pkt.ipVersion === 4) return ip4ToString(pkt.dst4);
  if (pkt.ipVersion === 6) return ip6ToString(pkt.buf, pkt.dst6Offset);
  return '';
}

export interface ParsedIp {
  version: 4 | 6;
  /** IPv4 as an unsigned 32-bit integer (0 for IPv6). */
  v4: number;
  /** 4 bytes for IPv4, 16 for IPv6 (network order). */
  bytes: Uint8Array;
}

/** Dotted quad with 4 decimal parts 0-255 and no leading zeros (as Node's net.isIPv4). */
function parseIpv4Number(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return -1;
  let n = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return -1;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 48 || c > 57) return -1;
    }
    const v = Number(p);
    if (v > 255) return -1;
    n = n * 256 + v;
  }
  return n;
}

function parseIpv6Bytes(text: string): Uint8Array | null {
  const zone = text.indexOf('%');
  if (zone >= 0) {
    if (zone === text.length - 1) return null;
    text = text.slice(0, zone);
  }
  const bytes = new Uint8Array(16);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : [];
  const groups: number[] = [];
  const parseGroups = (list: string[], isLastList: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i];
      if (isLastList && i === list.length - 1 && g.includes('.')) {
        const v4 = parseIpv4Number(g);
        if (v4 < 0) return false;
        groups.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      groups.push(parseInt(g, 16));
    }
    return true;
  };
  if (!parseGroups(head, halves.length === 1)) return null;
  const headCount = groups.length;
  if (!parseGroups(tail, true)) return null;
  const tailCount = groups.length - headCount;
  if (halves.length === 1) {
    if (groups.length !== 8) return null;
  } else if (groups.length > 7) {
    return null;
  }
  for (let i = 0; i < headCount; i++) {
    bytes[2 * i] = groups[i] >> 8;
    bytes[2 * i + 1] = groups[i] & 0xff;
  }
  for (let i = 0; i < tailCount; i++) {
    const at = 8 - tailCount + i;
    bytes[2 * at] = groups[headCount + i] >> 8;
    bytes[2 * at + 1] = groups[headCount + i] & 0xff;
  }
  return bytes;
}

/** Parses IPv4 or IPv6 text (IPv6 may carry a %zone, which is ignored); null when invalid. */
export function parseIp(text: string): ParsedIp | null {
  if (text.includes(':')) {
    const bytes = parseIpv6Bytes(text);
    return bytes === null ? null : { version: 6, v4: 0, bytes };
  }
  const n = parseIpv4Number(text);
  if (n < 0) return null;
  return { version: 4, v4: n, bytes: new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]) };
}

export interface Cidr {
  version: 4 | 6;
  /** Network address bytes with host bits cleared (4 or 16). */
  bytes: Uint8Array;
  prefix: number;
  /** IPv4 network and mask as unsigned integers (0 for IPv6), for the integer fast path. */
  v4: number;
  mask4: number;
}

/** "a.b.c.d/n" or "x::y/n"; a bare address is a /32 or /128. Null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (ip === null) return null;
  const max = ip.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  const bytes = ip.bytes;
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  const mask4 = ip.version === 4 ? (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0) : 0;
  const v4 = ip.version === 4 ? ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0 : 0;
  return { version: ip.version, bytes, prefix, v4, mask4 };
}

/** Is the IPv4 address n (unsigned 32-bit) inside an IPv4 cidr? No allocation. */
export function cidrContainsIpv4(cidr: Cidr, n: number): boolean {
  return cidr.version === 4 && ((n & cidr.mask4) >>> 0) === cidr.v4;
}

/** Are the 16 bytes at buf[off] inside an IPv6 cidr? No allocation. */
export function cidrContainsIpv6(cidr: Cidr, buf: Uint8Array, off: number): boolean {
  if (cidr.version !== 6) return false;
  const full = cidr.prefix >> 3;
  const net = cidr.bytes;
  for (let i = 0; i < full; i++) if (buf[off + i] !== net[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff00 >> rest) & 0xff;
  return (buf[off + full] & mask) === net[full];
}

/** Is the address (text or parsed) inside cidr? Versions must match. */
export function cidrContains(cidr: Cidr, ip: string | ParsedIp): boolean {
  const p = typeof ip === 'string' ? parseIp(ip) : ip;
  if (p === null) return false;
  return p.version === 4 ? cidrContainsIpv4(cidr, p.v4) : cidrContainsIpv6(cidr, p.bytes, 0);
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

/**
 * Special-purpose space (RFC 6890 registries, RFC 6598, RFC 5737, RFC 3849, RFC 9637):
 * private, shared CGNAT, loopback, link-local, documentation, benchmarking, multicast,
 * reserved and "this network". None of it is a real Internet host: a scanner must not
 * treat it as one, a telescope counts such sources as spoofed/bogon.
 */
const SPECIAL_V4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24',
  '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
].map((c) => parseCidr(c)!);
const SPECIAL_V6 = [
  '::/128', '::1/128', '100::/64', '2001:db8::/32', '3fff::/20', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
].map((c) => parseCidr(c)!);
const V4_MAPPED = parseCidr('::ffff:0:0/96')!;

/** IPv4 fast path of isPrivateOrReservedIp. */
export function isPrivateOrReservedIpv4(n: number): boolean {
  for (const c of SPECIAL_V4) if (((n & c.mask4) >>> 0) === c.v4) return true;
  return false;
}

export function isPrivateOrReservedIpv6(buf: Uint8Array, off: number): boolean {
  if (cidrContainsIpv6(V4_MAPPED, buf, off)) {
    return isPrivateOrReservedIpv4(((buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15]) >>> 0);
  }
  for (const c of SPECIAL_V6) if (cidrContainsIpv6(c, buf, off)) return true;
  return false;
}

/** True for special-purpose addresses (see above); false for public ones and for invalid text. */
export function isPrivateOrReservedIp(text: string): boolean {
  const p = parseIp(text);
  if (p === null) return false;
  return p.version === 4 ? isPrivateOrReservedIpv4(p.v4) : isPrivateOrReservedIpv6(p.bytes, 0);
}
