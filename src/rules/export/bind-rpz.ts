/**
 * BIND response-policy zone: `name CNAME .` (NXDOMAIN) for each name and `*.name` for its
 * subdomains; addresses as rpz-ip triggers (answers containing them are rewritten).
 */
import { parseCidr } from '../lists/ip.js';
import { compactDomains, headerLines, type Blocklist } from './blocklist.js';

export const RPZ_ORIGIN = 'rpz.minewatch.';

function rpzIp(cidr: string): string | null {
  const r = parseCidr(cidr);
  if (typeof r === 'string') return null;
  if (r.v === 4) {
    const o = [24, 16, 8, 0].map((s) => Math.floor(r.start / 2 ** s) % 256);
    return `${r.prefix}.${o.reverse().join('.')}.rpz-ip`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 4; i++) groups.push((r.start[i] >>> 16).toString(16), (r.start[i] & 0xffff).toString(16));
  return `${r.prefix}.${groups.reverse().join('.')}.rpz-ip`;
}

export function toBindRpz(list: Blocklist, serial = Math.floor(Date.now() / 1000)): string {
  const head = headerLines(list, 'bind-rpz', `zone origin ${RPZ_ORIGIN} — use with response-policy { zone "${RPZ_ORIGIN.slice(0, -1)}"; };`);
  const out = [
    ...head.map((l) => `; ${l}`),
    '$TTL 300',
    `@ IN SOA localhost. hostmaster.localhost. ${serial} 3600 600 86400 300`,
    '@ IN NS localhost.',
  ];
  for (const d of compactDomains(list.domains)) out.push(`${d} CNAME .`, `*.${d} CNAME .`);
  for (const ip of list.ips) {
    const owner = rpzIp(ip);
    if (owner) out.push(`${owner} CNAME .`);
  }
  out.push('');
  return out.join('\n');
}
