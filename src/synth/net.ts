/**
 * Addresses for the synthetic worlds: text conversion, MAC addresses with real vendor OUIs,
 * and deterministic name → address mapping for Internet services (same name, same address,
 * in a plausible provider range).
 */
import type { Rng } from './rng.js';
import { isPublicIpv4, parseCidr, parseIpv4, parseIpv6, type Cidr } from '../util/ip.js';

/**
 * A darknet prefix for synthetic captures: util/ip's CIDR, limited to /8–/30 (IPv4) and
 * /8–/120 (IPv6) so it holds hosts and is not the whole Internet; null otherwise.
 */
export function parseDarknetCidr(text: string): Cidr | null {
  const c = parseCidr(text.trim());
  if (c === null || c.prefix < 8 || c.prefix > (c.version === 4 ? 30 : 120)) return null;
  return c;
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
  return parseIpv4(`${net[0]}.${net[1]}.${(h >>> 8) & 255}.${1 + ((h >>> 16) % 253)}`);
}

export function serverIp6(name: string): Uint8Array {
  const h = fnv1a(`v6:${name}`);
  const a = parseIpv6('2606:4700::')!;
  a[4] = h >>> 24; a[5] = h >>> 16; a[14] = h >>> 8; a[15] = h | 1;
  return a;
}

/**
 * A random public-looking IPv4 address: globally reachable by util/ip's special-purpose
 * table (not private, loopback, link-local, CGN, multicast, reserved, benchmarking or
 * documentation space) and not ending in .0 or .255.
 */
export function publicIp4(rng: Rng): number {
  for (;;) {
    const a = rng.u32();
    if (!isPublicIpv4(a)) continue;
    const o4 = a & 255;
    if (o4 === 0 || o4 === 255) continue;
    return a;
  }
}
