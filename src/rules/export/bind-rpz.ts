/**
 * BIND response-policy zone: `name CNAME .` (NXDOMAIN) for each name and `*.name` for its
 * subdomains; addresses as rpz-ip triggers (answers containing them are rewritten).
 */
import { parseCidr } from '../../util/ip.js';
import { compactDomains, headerLines, type Blocklist } from './blocklist.js';

export const RPZ_ORIGIN = 'rpz.minewatch.';

function rpzIp(cidr: string): string | null {
  const r = parseCidr(cidr);
  if (r === null) return null;
  if (r.version === 4) return `${r.prefix}.${[...r.bytes].reverse().join('.')}.rpz-ip`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((r.bytes[i] << 8) | r.bytes[i + 1]).toString(16));
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
