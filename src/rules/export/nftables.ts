/**
 * nftables: table `inet minewatch` with interval sets pool4/pool6 and a forward chain that
 * drops traffic to them. Ranges are merged here (nft rejects overlapping intervals) and the
 * file re-creates its table so it can be applied repeatedly with `nft -f`.
 */
import { formatIpv4, formatIpv6, parseCidr } from '../lists/ip.js';
import { headerLines, type Blocklist } from './blocklist.js';

function merge4(cidrs: readonly string[]): string[] {
  const ranges: [number, number][] = [];
  for (const c of cidrs) {
    const r = parseCidr(c);
    if (typeof r !== 'string' && r.v === 4) ranges.push([r.start, r.end]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out.map(([a, b]) => (a === b ? formatIpv4(a) : `${formatIpv4(a)}-${formatIpv4(b)}`));
}

function big(w: Uint32Array): bigint {
  return (BigInt(w[0]) << 96n) | (BigInt(w[1]) << 64n) | (BigInt(w[2]) << 32n) | BigInt(w[3]);
}
function words(v: bigint): Uint32Array {
  return Uint32Array.from([Number((v >> 96n) & 0xffffffffn), Number((v >> 64n) & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)]);
}

function merge6(cidrs: readonly string[]): string[] {
  const ranges: [bigint, bigint][] = [];
  for (const c of cidrs) {
    const r = parseCidr(c);
    if (typeof r !== 'string' && r.v === 6) ranges.push([big(r.start), big(r.end)]);
  }
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1n) { if (r[1] > last[1]) last[1] = r[1]; } else out.push([r[0], r[1]]);
  }
  return out.map(([a, b]) => (a === b ? formatIpv6(words(a)) : `${formatIpv6(words(a))}-${formatIpv6(words(b))}`));
}

function set(name: string, type: string, elements: string[]): string[] {
  const lines = [`    set ${name} {`, `        type ${type}`, '        flags interval'];
  if (elements.length > 0) {
    lines.push('        elements = {');
    for (let i = 0; i < elements.length; i++) lines.push(`            ${elements[i]}${i < elements.length - 1 ? ',' : ''}`);
    lines.push('        }');
  }
  lines.push('    }');
  return lines;
}

export function toNftables(list: Blocklist): string {
  const head = headerLines(list, 'nftables', 'apply with: nft -f FILE (re-creates table inet minewatch); names are not expressible here');
  return [
    '#!/usr/sbin/nft -f',
    ...head.map((l) => `# ${l}`),
    'table inet minewatch',
    'delete table inet minewatch',
    'table inet minewatch {',
    ...set('pool4', 'ipv4_addr', merge4(list.ips)),
    ...set('pool6', 'ipv6_addr', merge6(list.ips)),
    '    chain forward {',
    '        type filter hook forward priority filter; policy accept;',
    '        ip daddr @pool4 counter drop',
    '        ip6 daddr @pool6 counter drop',
    '    }',
    '    chain output {',
    '        type filter hook output priority filter; policy accept;',
    '        ip daddr @pool4 counter drop',
    '        ip6 daddr @pool6 counter drop',
    '    }',
    '}',
    '',
  ].join('\n');
}
