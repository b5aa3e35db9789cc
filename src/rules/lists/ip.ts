/**
 * IP text parsing shared by CIDR sets, list loaders and rule address groups.
 * Returns typed "invalid" values instead of throwing: list files and rules are hostile input.
 */

/** IPv4 dotted quad → unsigned 32-bit integer, or -1. */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
      if (digits > 3 || part > 255) return -1;
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

/** IPv6 text (with :: and embedded IPv4) → 4 big-endian 32-bit words, or null. */
export function parseIpv6(text: string): Uint32Array | null {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 < 0) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return null;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else groups = head;
  if (groups.length !== 8) return null;
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = (groups[2 * i] * 65536 + groups[2 * i + 1]) >>> 0;
  return words;
}

export function formatIpv4(v: number): string {
  return `${Math.floor(v / 16777216) % 256}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
}

export function formatIpv6(w: Uint32Array): string {
  const g: string[] = [];
  for (let i = 0; i < 4; i++) g.push((w[i] >>> 16).toString(16), (w[i] & 0xffff).toString(16));
  // Compress the longest zero run (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

export type ParsedCidr =
  | { v: 4; start: number; end: number; prefix: number }
  | { v: 6; start: Uint32Array; end: Uint32Array; prefix: number };

/** "a.b.c.d", "a.b.c.d/n", "v6", "v6/n" → range, or a reason string. */
export function parseCidr(text: string): ParsedCidr | string {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const prefixText = slash >= 0 ? text.slice(slash + 1) : '';
  if (slash >= 0 && !/^\d{1,3}$/.test(prefixText)) return 'bad-prefix';
  const v4 = parseIpv4(addr);
  if (v4 >= 0) {
    const prefix = slash >= 0 ? Number(prefixText) : 32;
    if (prefix > 32) return 'bad-prefix';
    const size = 2 ** (32 - prefix);
    const start = Math.floor(v4 / size) * size;
    return { v: 4, start, end: start + size - 1, prefix };
  }
  const v6 = parseIpv6(addr);
  if (!v6) return 'bad-address';
  const prefix = slash >= 0 ? Number(prefixText) : 128;
  if (prefix > 128) return 'bad-prefix';
  const start = new Uint32Array(4);
  const end = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    const mask = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    start[i] = (v6[i] & mask) >>> 0;
    end[i] = (start[i] | (~mask >>> 0)) >>> 0;
  }
  return { v: 6, start, end, prefix };
}

/** Private, loopback, link-local, multicast, unspecified: never useful in a public blocklist. */
export function isNonPublicIp(text: string): boolean {
  const v4 = parseIpv4(text);
  if (v4 >= 0) {
    const a = Math.floor(v4 / 16777216);
    const b = Math.floor(v4 / 65536) % 256;
    return a === 0 || a === 10 || a === 127 || a >= 224 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32)
      || (a === 192 && b === 168) || (a === 100 && b >= 64 && b < 128);
  }
  const v6 = parseIpv6(text);
  if (!v6) return true;
  const top = v6[0] >>> 16;
  const allZero = v6[0] === 0 && v6[1] === 0 && v6[2] === 0 && (v6[3] === 0 || v6[3] === 1);
  return allZero || (top & 0xfe00) === 0xfc00 || (top & 0xffc0) === 0xfe80 || (top & 0xff00) === 0xff00;
}
