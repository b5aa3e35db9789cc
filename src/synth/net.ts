/**
 * Addresses for the synthetic worlds: text conversion, MAC addresses with real vendor OUIs,
 * and deterministic name → address mapping for Internet services (same name, same address,
 * in a plausible provider range).
 */
import type { Rng } from './rng.js';

export function ip4(text: string): number {
  const p = text.split('.');
  return ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0;
}

export function ip4Text(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Parses IPv6 text (with ::) into 16 bytes. */
export function ip6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head, tail] = text.includes('::') ? text.split('::') : [text, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  h.forEach((g, i) => { const v = parseInt(g, 16); out[i * 2] = v >>> 8; out[i * 2 + 1] = v & 255; });
  t.forEach((g, i) => { const v = parseInt(g, 16); const j = 16 - (t.length - i) * 2; out[j] = v >>> 8; out[j + 1] = v & 255; });
  return out;
}

/** Canonical (RFC 5952) IPv6 text. */
export function ip6Text(a: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((a[i] << 8) | a[i + 1]);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hx = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hx(g);
  return `${hx(g.slice(0, bestAt))}::${hx(g.slice(bestAt + bestLen))}`;
}

export interface Cidr4 { v6: false; base: number; bits: number; size: number; text: string }
export interface Cidr6 { v6: true; base: Uint8Array; bits: number; text: string }
export type Cidr = Cidr4 | Cidr6;

/** Parses "a.b.c.d/n" or an IPv6 prefix; returns null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return null;
  const bits = Number(m[2]);
  if (m[1].includes(':')) {
    if (bits < 8 || bits > 120 || !/^[0-9a-fA-F:]+$/.test(m[1])) return null;
    const base = ip6(m[1]);
    for (let i = 0; i < 16; i++) {
      const keep = Math.max(0, Math.min(8, bits - i * 8));
      base[i] &= (0xff << (8 - keep)) & 0xff;
    }
    return { v6: true, base, bits, text: `${ip6Text(base)}/${bits}` };
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(m[1]) || m[1].split('.').some((x) => +x > 255)) return null;
  if (bits < 8 || bits > 30) return null;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const base = (ip4(m[1]) & mask) >>> 0;
  return { v6: false, base, bits, size: 2 ** (32 - bits), text: `${ip4Text(base)}/${bits}` };
}

export function inCidr4(c: Cidr4, a: number): boolean {
  return a - c.base >= 0 && a - c.base < c.size;
}

export function inCidr6(c: Cidr6, a: Uint8Array): boolean {
  for (let i = 0; i < 16 && i * 8 < c.bits; i++) {
    const keep = Math.min(8, c.bits - i * 8);
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((a[i] & mask) !== c.base[i]) return false;
  }
  return true;
}

export function macText(m: Uint8Array): string {
  return Array.from(m, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Real OUIs by device kind (IEEE registry assignments). */
export const OUIS: Record<string, { vendor: string; oui: number }[]> = {
  router: [{ vendor: 'MikroTik', oui: 0x4c5e0c }, { vendor: 'TP-Link', oui: 0x50c7bf }, { vendor: 'AVM', oui: 0x3810d5 }],
  pc: [{ vendor: 'Intel', oui: 0x3c970e }, { vendor: 'Dell', oui: 0xf8bc12 }, { vendor: 'Lenovo', oui: 0x54ee75 }, { vendor: 'Apple', oui: 0xa45e60 }],
  phone: [{ vendor: 'Apple', oui: 0xf0989d }, { vendor: 'Samsung', oui: 0x8c771f }, { vendor: 'Xiaomi', oui: 0x64b473 }, { vendor: 'Google', oui: 0x3c5ab4 }],
  tablet: [{ vendor: 'Apple', oui: 0x28cfe9 }, { vendor: 'Samsung', oui: 0x5c497d }, { vendor: 'Amazon', oui: 0x74c246 }],
  tv: [{ vendor: 'Samsung', oui: 0xf47b5e }, { vendor: 'LG', oui: 0x6c5c14 }, { vendor: 'Sony', oui: 0x104fa8 }, { vendor: 'Roku', oui: 0xb0a737 }],
  camera: [{ vendor: 'Hikvision', oui: 0x4cbd8f }, { vendor: 'Dahua', oui: 0x3ce36b }, { vendor: 'Xiongmai', oui: 0x001210 }],
  nas: [{ vendor: 'Synology', oui: 0x001132 }, { vendor: 'QNAP', oui: 0x245ebe }],
  console: [{ vendor: 'Sony', oui: 0x00d9d1 }, { vendor: 'Nintendo', oui: 0x98b6e9 }, { vendor: 'Microsoft', oui: 0x7ced8d }],
  iot: [{ vendor: 'Espressif', oui: 0x240ac4 }, { vendor: 'Tuya', oui: 0xd81f12 }, { vendor: 'Raspberry Pi', oui: 0xb827eb }],
};

export function macFor(kind: string, rng: Rng): { mac: Uint8Array; vendor: string } {
  const v = rng.pick(OUIS[kind]);
  const m = new Uint8Array(6);
  m[0] = v.oui >>> 16;
  m[1] = v.oui >>> 8;
  m[2] = v.oui;
  m[3] = rng.int(256);
  m[4] = rng.int(256);
  m[5] = rng.int(256);
  return { mac: m, vendor: v.vendor };
}

/** FNV-1a, for stable name → number mapping independent of the seed. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Provider ranges (a /16 each) that public services live in. */
const PROVIDER_NETS = [
  '104.16', '104.18', '172.67', '142.250', '172.217', '151.101', '13.32', '52.84', '54.230', '31.13',
  '157.240', '23.45', '2.16', '185.199', '199.232', '140.82', '20.190', '40.126', '17.253', '93.184',
];
/** Hosting ranges that mining pools tend to use (OVH, Hetzner, DigitalOcean …). */
const POOL_NETS = ['51.68', '51.89', '141.94', '146.59', '94.23', '37.187', '88.99', '116.202', '138.201', '159.69', '178.32', '185.71'];

export function serverIp(name: string, mining = false): number {
  const h = fnv1a(name);
  const nets = mining ? POOL_NETS : PROVIDER_NETS;
  const net = nets[h % nets.length].split('.');
  return ip4(`${net[0]}.${net[1]}.${(h >>> 8) & 255}.${1 + ((h >>> 16) % 253)}`);
}

export function serverIp6(name: string): Uint8Array {
  const h = fnv1a(`v6:${name}`);
  const a = ip6('2606:4700::');
  a[4] = h >>> 24; a[5] = h >>> 16; a[14] = h >>> 8; a[15] = h | 1;
  return a;
}

/**
 * A random public-looking IPv4 address: not private, loopback, link-local, CGN, multicast,
 * reserved, the benchmarking range or documentation ranges.
 */
export function publicIp4(rng: Rng): number {
  for (;;) {
    const a = rng.u32();
    const o1 = a >>> 24;
    const o2 = (a >>> 16) & 255;
    if (o1 === 0 || o1 === 10 || o1 === 127 || o1 >= 224) continue;
    if (o1 === 100 && o2 >= 64 && o2 < 128) continue;
    if (o1 === 169 && o2 === 254) continue;
    if (o1 === 172 && o2 >= 16 && o2 < 32) continue;
    if (o1 === 192 && (o2 === 168 || o2 === 0)) continue;
    if (o1 === 198 && (o2 === 18 || o2 === 19 || o2 === 51)) continue;
    if (o1 === 203 && o2 === 0) continue;
    const o4 = a & 255;
    if (o4 === 0 || o4 === 255) continue;
    return a;
  }
}
