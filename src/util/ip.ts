/**
 * The one IP-address module: text ⇄ binary for IPv4 and IPv6, one CIDR type with
 * containment, and the special-purpose address table (IANA IPv4/IPv6 Special-Purpose
 * Address Registries, RFC 6890 and successors) behind `classifyIp`/`isPublicIp`. Every stage
 * uses these; nothing else in the tree parses or formats addresses.
 *
 * Forms:
 * - IPv4: an unsigned 32-bit integer (`number`, 0 … 2^32-1) on hot paths, dotted quad as text.
 * - IPv6: 16 bytes in network order (`Uint8Array`, possibly a view into a packet at an offset)
 *   on hot paths; 4 big-endian uint32 words where ranges are compared (CidrSet).
 * - Text: IPv4 dotted quad with no leading zeros (as Node's `net.isIPv4`); IPv6 per RFC 4291
 *   §2.2 on input (a `%zone` is accepted and ignored) and RFC 5952 on output (lowercase, no
 *   leading zeros, the longest run of two or more zero groups as `::`, the first on ties,
 *   IPv4-mapped as `::ffff:a.b.c.d`).
 *
 * Parsers return -1 / null / a reason, never throw: addresses arrive from packets, list files
 * and rules, all hostile input.
 */

// --- IPv4 -----------------------------------------------------------------------------------

/** Dotted quad → unsigned 32-bit integer, or -1. Four decimal parts 0-255, no leading zeros. */
export function parseIpv4(text: string, from = 0, to = text.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  let lead = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && lead) return -1; // "01"
      if (digits === 0) lead = c === 48;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Unsigned 32-bit integer → dotted quad. */
export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The 4 bytes at buf[off] as an unsigned 32-bit integer. */
export function ipv4FromBytes(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** Dotted quad of the 4 bytes at buf[off] (DNS A records, DHCP options). */
export function formatIpv4Bytes(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

// --- IPv6 -----------------------------------------------------------------------------------

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Zone id characters Node's net.isIPv6 accepts after '%': [0-9a-zA-Z-.:]. */
function isZoneChar(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 45 || c === 46;
}

/**
 * IPv6 text → 16 bytes written to out[off] (a new array when out is omitted); null when the
 * text is not an IPv6 address. Accepts '::', an embedded dotted quad as the last 32 bits and a
 * '%zone' suffix (ignored).
 */
export function parseIpv6(text: string, out?: Uint8Array, off = 0): Uint8Array | null {
  let end = text.length;
  const zone = text.indexOf('%');
  if (zone >= 0) {
    if (zone === end - 1) return null;
    for (let i = zone + 1; i < end; i++) if (!isZoneChar(text.charCodeAt(i))) return null;
    end = zone;
  }
  if (end < 2 || end > 45) return null;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let n = 0; // groups written
  let gap = -1; // group index where '::' stands
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return null; // ':1'
    gap = 0;
    i = 2;
    if (i === end) return finish6(groups, n, gap, out, off);
  }
  for (;;) {
    // one group: hex digits, or a dotted quad that ends the address
    let v = 0;
    let digits = 0;
    const start = i;
    while (i < end) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      i++;
      digits++;
    }
    if (i < end && text.charCodeAt(i) === 46) {
      if (n > 6) return null;
      const v4 = parseIpv4(text, start, end);
      if (v4 < 0) return null;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      return finish6(groups, n, gap, out, off);
    }
    if (digits === 0 || digits > 4 || n === 8) return null;
    groups[n++] = v;
    if (i === end) return finish6(groups, n, gap, out, off);
    if (text.charCodeAt(i) !== 58) return null;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (gap >= 0) return null; // second '::'
      gap = n;
      i++;
      if (i === end) return finish6(groups, n, gap, out, off);
    } else if (i === end) return null; // trailing single ':'
  }
}

function finish6(groups: number[], n: number, gap: number, out: Uint8Array | undefined, off: number): Uint8Array | null {
  if (gap < 0 ? n !== 8 : n > 7) return null;
  const bytes = out ?? new Uint8Array(16);
  const base = out ? off : 0;
  const tail = gap < 0 ? 0 : n - gap;
  const head = n - tail;
  for (let g = 0; g < 8; g++) {
    let v = 0;
    if (g < head) v = groups[g];
    else if (g >= 8 - tail) v = groups[head + g - (8 - tail)];
    bytes[base + 2 * g] = v >>> 8;
    bytes[base + 2 * g + 1] = v & 0xff;
  }
  return bytes;
}

/** True when the 16 bytes at buf[off] are an IPv4-mapped address (::ffff:0:0/96). */
export function isIpv4Mapped(buf: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (buf[off + i] !== 0) return false;
  return buf[off + 10] === 0xff && buf[off + 11] === 0xff;
}

/** RFC 5952 text of the 16 bytes at buf[off]. */
export function formatIpv6(buf: Uint8Array, off = 0): string {
  if (isIpv4Mapped(buf, off)) return `::ffff:${formatIpv4Bytes(buf, off + 12)}`;
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed
  for (let g = 0; g < 8;) {
    if (buf[off + 2 * g] === 0 && buf[off + 2 * g + 1] === 0) {
      let j = g + 1;
      while (j < 8 && buf[off + 2 * j] === 0 && buf[off + 2 * j + 1] === 0) j++;
      if (j - g > bestLen) {
        bestStart = g;
        bestLen = j - g;
      }
      g = j;
    } else g++;
  }
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (g > 0 && g !== bestStart + bestLen) out += ':';
    out += ((buf[off + 2 * g] << 8) | buf[off + 2 * g + 1]).toString(16);
  }
  return out;
}

/** The 16 bytes at buf[off] as 4 big-endian uint32 words, written to out (new when omitted). */
export function ipv6Words(buf: Uint8Array, off: number, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  for (let i = 0; i < 4; i++) out[i] = ipv4FromBytes(buf, off + 4 * i);
  return out;
}

/** 4 big-endian uint32 words → 16 bytes. */
export function ipv6FromWords(words: ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    const w = words[i];
    b[4 * i] = w >>> 24;
    b[4 * i + 1] = (w >>> 16) & 255;
    b[4 * i + 2] = (w >>> 8) & 255;
    b[4 * i + 3] = w & 255;
  }
  return b;
}

// --- either family --------------------------------------------------------------------------

export interface IpAddress {
  version: 4 | 6;
  /** IPv4 as an unsigned 32-bit integer (0 for IPv6). */
  v4: number;
  /** 4 bytes for IPv4, 16 for IPv6 (network order). */
  bytes: Uint8Array;
}

/** IPv4 or IPv6 text → address, or null. Accepts exactly what Node's net.isIP accepts. */
export function parseIp(text: string): IpAddress | null {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes === null ? null : { version: 6, v4: 0, bytes };
  }
  const n = parseIpv4(text);
  if (n < 0) return null;
  return { version: 4, v4: n, bytes: Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255) };
}

/** 4, 6, or 0 for text that is no address (the contract of net.isIP). */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (text.includes(':')) return parseIpv6(text, SCRATCH16, 0) === null ? 0 : 6;
  return parseIpv4(text) < 0 ? 0 : 4;
}

const SCRATCH16 = new Uint8Array(16);

export function formatIp(ip: IpAddress): string {
  return ip.version === 4 ? formatIpv4(ip.v4) : formatIpv6(ip.bytes, 0);
}

/** Canonical text of an address (RFC 5952 for IPv6), or null for text that is no address. */
export function canonicalIp(text: string): string | null {
  const p = parseIp(text);
  return p === null ? null : formatIp(p);
}

// --- CIDR -----------------------------------------------------------------------------------

export interface Cidr {
  version: 4 | 6;
  prefix: number;
  /** Network address bytes, host bits cleared (4 or 16). */
  bytes: Uint8Array;
  /** IPv4: network, mask and last address as unsigned integers (0 for IPv6). */
  v4: number;
  mask4: number;
  last4: number;
  /** IPv6: first and last address as 4 big-endian uint32 words (empty for IPv4). */
  first6: Uint32Array;
  last6: Uint32Array;
}

/**
 * What to do with a CIDR whose address has bits set past the prefix (10.1.2.3/8): 'clear'
 * (the default, as Suricata and the list formats do) takes the network it lies in; 'reject'
 * refuses it (for options where it is more likely a typo).
 */
export type HostBitsPolicy = 'clear' | 'reject';

export type CidrReason = 'bad-address' | 'bad-prefix' | 'host-bits-set';

/** What scanCidr fills in: reused by bulk loaders so that parsing allocates nothing. */
export interface CidrScan {
  version: 4 | 6;
  prefix: number;
  /** IPv4 network as an unsigned integer (host bits cleared). */
  v4: number;
  /** IPv6 network, 16 bytes (host bits cleared); untouched for IPv4. */
  bytes: Uint8Array;
}

export function newCidrScan(): CidrScan {
  return { version: 4, prefix: 0, v4: 0, bytes: new Uint8Array(16) };
}

/**
 * The CIDR parser. "a.b.c.d/n" or "x::y/n"; a bare address is a /32 or /128. The prefix is
 * 0-32 or 0-128 in decimal without sign or leading zeros ("10.0.0.0/99", "/08", "/-1", "/"
 * are refused); IPv6 zones are refused. Fills out and returns null, or returns the reason.
 */
export function scanCidr(text: string, hostBits: HostBitsPolicy, out: CidrScan): CidrReason | null {
  const slash = text.indexOf('/');
  const end = slash >= 0 ? slash : text.length;
  const colon = text.indexOf(':');
  if (colon >= 0 && colon < end) {
    if (text.indexOf('%') >= 0 || parseIpv6(slash >= 0 ? text.slice(0, end) : text, out.bytes, 0) === null) return 'bad-address';
    out.version = 6;
  } else {
    const n = parseIpv4(text, 0, end);
    if (n < 0) return 'bad-address';
    out.version = 4;
    out.v4 = n;
  }
  const max = out.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const digits = text.length - slash - 1;
    if (digits < 1 || digits > 3 || (digits > 1 && text.charCodeAt(slash + 1) === 48)) return 'bad-prefix';
    prefix = 0;
    for (let i = slash + 1; i < text.length; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return 'bad-prefix';
      prefix = prefix * 10 + c;
    }
    if (prefix > max) return 'bad-prefix';
  }
  out.prefix = prefix;
  let hostSet = false;
  if (out.version === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (out.v4 & mask) >>> 0;
    hostSet = net !== out.v4;
    out.v4 = net;
  } else {
    const b = out.bytes;
    for (let bit = prefix; bit < 128; bit++) {
      const m = 0x80 >> (bit & 7);
      if (b[bit >> 3] & m) {
        hostSet = true;
        b[bit >> 3] &= ~m;
      }
    }
  }
  return hostSet && hostBits === 'reject' ? 'host-bits-set' : null;
}

/** scanCidr into a new Cidr, or the reason. */
export function parseCidrStrict(text: string, hostBits: HostBitsPolicy = 'clear'): Cidr | CidrReason {
  const out = newCidrScan();
  const err = scanCidr(text, hostBits, out);
  if (err !== null) return err;
  if (out.version === 4) return cidr4(out.v4, out.prefix);
  return makeCidr(6, out.bytes, out.prefix);
}

/** parseCidrStrict, null on any problem. */
export function parseCidr(text: string, hostBits: HostBitsPolicy = 'clear'): Cidr | null {
  const c = parseCidrStrict(text, hostBits);
  return typeof c === 'string' ? null : c;
}

const EMPTY_WORDS = new Uint32Array(0);

function makeCidr(version: 4 | 6, bytes: Uint8Array, prefix: number): Cidr {
  if (version === 4) {
    const mask4 = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const v4 = ipv4FromBytes(bytes, 0);
    return { version, prefix, bytes, v4, mask4, last4: (v4 | ~mask4) >>> 0, first6: EMPTY_WORDS, last6: EMPTY_WORDS };
  }
  const first6 = ipv6Words(bytes, 0);
  const last6 = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    const mask = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    last6[i] = (first6[i] | ~mask) >>> 0;
  }
  return { version, prefix, bytes, v4: 0, mask4: 0, last4: 0, first6, last6 };
}

/** The CIDR of an IPv4 network (host bits cleared). */
export function cidr4(n: number, prefix: number): Cidr {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const v = (n & mask) >>> 0;
  return makeCidr(4, Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255), prefix);
}

/** Text of a CIDR: "net/prefix" with the network in canonical form. */
export function formatCidr(c: Cidr): string {
  return `${c.version === 4 ? formatIpv4(c.v4) : formatIpv6(c.bytes, 0)}/${c.prefix}`;
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
export function cidrContains(cidr: Cidr, ip: string | IpAddress): boolean {
  const p = typeof ip === 'string' ? parseIp(ip) : ip;
  if (p === null) return false;
  return p.version === 4 ? cidrContainsIpv4(cidr, p.v4) : cidrContainsIpv6(cidr, p.bytes, 0);
}

// --- special-purpose addresses --------------------------------------------------------------

/**
 * Kind of address. Everything but 'public' is special-purpose space; `SPECIAL_PUBLIC` lists
 * the special kinds that are nevertheless globally reachable hosts.
 */
export type IpClass =
  | 'public' | 'this-network' | 'unspecified' | 'private' | 'shared-cgn' | 'loopback' | 'link-local'
  | 'ietf-protocol' | 'documentation' | 'benchmarking' | 'multicast' | 'reserved' | 'broadcast'
  | 'unique-local' | 'site-local' | 'discard' | 'nat64-local' | 'srv6-sid' | 'orchid' | '6to4-relay'
  | 'teredo' | 'anycast';

/** One row of the table: prefix, class, and whether the IANA registry calls it globally reachable. */
interface SpecialRow { cidr: string; cls: IpClass; global: boolean }

/**
 * IANA IPv4 Special-Purpose Address Registry (RFC 6890 §2.2.2 and its updates) plus
 * multicast (RFC 5771) and the limited broadcast address. The most specific row wins.
 */
const SPECIAL_V4_ROWS: SpecialRow[] = [
  { cidr: '0.0.0.0/8', cls: 'this-network', global: false }, // RFC 791
  { cidr: '0.0.0.0/32', cls: 'unspecified', global: false }, // RFC 1122 "this host"
  { cidr: '10.0.0.0/8', cls: 'private', global: false }, // RFC 1918
  { cidr: '100.64.0.0/10', cls: 'shared-cgn', global: false }, // RFC 6598
  { cidr: '127.0.0.0/8', cls: 'loopback', global: false }, // RFC 1122
  { cidr: '169.254.0.0/16', cls: 'link-local', global: false }, // RFC 3927
  { cidr: '172.16.0.0/12', cls: 'private', global: false }, // RFC 1918
  { cidr: '192.0.0.0/24', cls: 'ietf-protocol', global: false }, // RFC 6890
  { cidr: '192.0.0.9/32', cls: 'anycast', global: true }, // RFC 7723 PCP anycast
  { cidr: '192.0.0.10/32', cls: 'anycast', global: true }, // RFC 8155 TURN anycast
  { cidr: '192.0.2.0/24', cls: 'documentation', global: false }, // RFC 5737 TEST-NET-1
  { cidr: '192.88.99.0/24', cls: '6to4-relay', global: false }, // RFC 7526 (deprecated)
  { cidr: '192.168.0.0/16', cls: 'private', global: false }, // RFC 1918
  { cidr: '198.18.0.0/15', cls: 'benchmarking', global: false }, // RFC 2544
  { cidr: '198.51.100.0/24', cls: 'documentation', global: false }, // RFC 5737 TEST-NET-2
  { cidr: '203.0.113.0/24', cls: 'documentation', global: false }, // RFC 5737 TEST-NET-3
  { cidr: '224.0.0.0/4', cls: 'multicast', global: false }, // RFC 5771
  { cidr: '240.0.0.0/4', cls: 'reserved', global: false }, // RFC 1112
  { cidr: '255.255.255.255/32', cls: 'broadcast', global: false }, // RFC 919
];

/**
 * IANA IPv6 Special-Purpose Address Registry, plus multicast (RFC 4291), the deprecated
 * site-local block and RFC 9637's second documentation prefix. IPv4-mapped and NAT64
 * well-known-prefix addresses are classified by the IPv4 address they carry, 6to4 by the
 * IPv4 address of its site.
 */
const SPECIAL_V6_ROWS: SpecialRow[] = [
  { cidr: '::/128', cls: 'unspecified', global: false }, // RFC 4291
  { cidr: '::1/128', cls: 'loopback', global: false }, // RFC 4291
  { cidr: '64:ff9b:1::/48', cls: 'nat64-local', global: false }, // RFC 8215
  { cidr: '100::/64', cls: 'discard', global: false }, // RFC 6666
  { cidr: '2001::/23', cls: 'ietf-protocol', global: false }, // RFC 2928
  { cidr: '2001::/32', cls: 'teredo', global: true }, // RFC 4380 (globally reachable hosts)
  { cidr: '2001:1::1/128', cls: 'anycast', global: true }, // RFC 7723 PCP anycast
  { cidr: '2001:1::2/128', cls: 'anycast', global: true }, // RFC 8155 TURN anycast
  { cidr: '2001:1::3/128', cls: 'anycast', global: true }, // RFC 9665 DNS-SD SRP anycast
  { cidr: '2001:2::/48', cls: 'benchmarking', global: false }, // RFC 5180
  { cidr: '2001:3::/32', cls: 'anycast', global: true }, // RFC 7450 AMT
  { cidr: '2001:4:112::/48', cls: 'anycast', global: true }, // RFC 7535 AS112-v6
  { cidr: '2001:10::/28', cls: 'orchid', global: false }, // RFC 4843 (deprecated)
  { cidr: '2001:20::/28', cls: 'orchid', global: true }, // RFC 7343 ORCHIDv2
  { cidr: '2001:30::/28', cls: 'orchid', global: true }, // RFC 9374 DRIP
  { cidr: '2001:db8::/32', cls: 'documentation', global: false }, // RFC 3849
  { cidr: '3fff::/20', cls: 'documentation', global: false }, // RFC 9637
  { cidr: '5f00::/16', cls: 'srv6-sid', global: false }, // RFC 9602
  { cidr: 'fc00::/7', cls: 'unique-local', global: false }, // RFC 4193
  { cidr: 'fe80::/10', cls: 'link-local', global: false }, // RFC 4291
  { cidr: 'fec0::/10', cls: 'site-local', global: false }, // RFC 3879 (deprecated)
  { cidr: 'ff00::/8', cls: 'multicast', global: false }, // RFC 4291
];

/** Prefixes whose addresses carry an IPv4 address in their last 32 bits, classified by it. */
const V4_MAPPED = parseCidr('::ffff:0:0/96')!;
const NAT64_WKP = parseCidr('64:ff9b::/96')!; // RFC 6052
const SIX_TO_FOUR = parseCidr('2002::/16')!; // RFC 3056: 2002:AABB:CCDD::/48 is the site of a.b.c.d

interface CompiledRow { cidr: Cidr; cls: IpClass; global: boolean }
const compileRows = (rows: SpecialRow[]): CompiledRow[] =>
  rows.map((r) => ({ cidr: parseCidr(r.cidr, 'reject')!, cls: r.cls, global: r.global }))
    // most specific first: the first containing row is the answer
    .sort((a, b) => b.cidr.prefix - a.cidr.prefix);
const V4_ROWS = compileRows(SPECIAL_V4_ROWS);
const V6_ROWS = compileRows(SPECIAL_V6_ROWS);
/** Per first octet: 1 when some IPv4 row starts in it (most public addresses stop here). */
const V4_FIRST_OCTET = new Uint8Array(256);
for (const r of V4_ROWS) {
  const first = r.cidr.v4 >>> 24;
  const last = r.cidr.last4 >>> 24;
  for (let o = first; o <= last; o++) V4_FIRST_OCTET[o] = 1;
}

function rowOf4(n: number): CompiledRow | null {
  if (V4_FIRST_OCTET[n >>> 24] === 0) return null;
  for (let i = 0; i < V4_ROWS.length; i++) {
    const r = V4_ROWS[i];
    if (((n & r.cidr.mask4) >>> 0) === r.cidr.v4) return r;
  }
  return null;
}

function rowOf6(buf: Uint8Array, off: number): CompiledRow | null {
  for (let i = 0; i < V6_ROWS.length; i++) if (cidrContainsIpv6(V6_ROWS[i].cidr, buf, off)) return V6_ROWS[i];
  return null;
}

/** Class of an IPv4 address given as an unsigned 32-bit integer. */
export function classifyIpv4(n: number): IpClass {
  const r = rowOf4(n);
  return r === null ? 'public' : r.cls;
}

/** Class of the 16-byte IPv6 address at buf[off]. */
export function classifyIpv6(buf: Uint8Array, off = 0): IpClass {
  if (cidrContainsIpv6(V4_MAPPED, buf, off) || cidrContainsIpv6(NAT64_WKP, buf, off)) return classifyIpv4(ipv4FromBytes(buf, off + 12));
  if (cidrContainsIpv6(SIX_TO_FOUR, buf, off)) return classifyIpv4(ipv4FromBytes(buf, off + 2));
  const r = rowOf6(buf, off);
  return r === null ? 'public' : r.cls;
}

/**
 * Class of an address in text; null when the text is no address. 'public' is ordinary
 * globally routed unicast space.
 */
export function classifyIp(text: string): IpClass | null {
  const p = parseIp(text);
  if (p === null) return null;
  return p.version === 4 ? classifyIpv4(p.v4) : classifyIpv6(p.bytes, 0);
}

/** Is the IPv4 address (unsigned 32-bit) a globally reachable host? Integer fast path. */
export function isPublicIpv4(n: number): boolean {
  const r = rowOf4(n);
  return r === null || r.global;
}

/** Is the 16-byte IPv6 address at buf[off] a globally reachable host? */
export function isPublicIpv6(buf: Uint8Array, off = 0): boolean {
  if (cidrContainsIpv6(V4_MAPPED, buf, off) || cidrContainsIpv6(NAT64_WKP, buf, off)) return isPublicIpv4(ipv4FromBytes(buf, off + 12));
  if (cidrContainsIpv6(SIX_TO_FOUR, buf, off)) return isPublicIpv4(ipv4FromBytes(buf, off + 2));
  const r = rowOf6(buf, off);
  return r === null || r.global;
}

/**
 * Is the address a globally reachable host? False for special-purpose space (private,
 * loopback, link-local, documentation, benchmarking, CGN, multicast, reserved, …) and for
 * text that is no address. The one answer to "may this be a real Internet host?" for the
 * scanner, the telescope's bogon check and the blocklist exporters.
 */
export function isPublicIp(text: string): boolean {
  const p = parseIp(text);
  if (p === null) return false;
  return p.version === 4 ? isPublicIpv4(p.v4) : isPublicIpv6(p.bytes, 0);
}

/**
 * Why `text` is not an address or CIDR, as a phrase for an option's error line
 * (`--home-net: "10.0.0.0/99" has no valid prefix length (0-32)`), or null when it is one.
 */
export function cidrProblem(text: string): string | null {
  const r = parseCidrStrict(text, 'clear');
  if (typeof r !== 'string') return null;
  if (r === 'bad-address') return 'is not an IP address or CIDR';
  return `has no valid prefix length (0-${text.includes(':') ? 128 : 32})`;
}
