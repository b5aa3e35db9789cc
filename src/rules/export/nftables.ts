/**
 * nftables: table `inet minewatch` with interval sets pool4/pool6 and a forward chain that
 * drops traffic to them. Ranges are merged here (nft rejects overlapping intervals) and the
 * file re-creates its table so it can be applied repeatedly with `nft -f`.
 */
import { formatIpv4, formatIpv6, parseCidr, type Cidr } from '../../util/ip.js';
import { IpRangeSet } from '../../util/ip-set.js';
import { headerLines, type Blocklist } from './blocklist.js';

/** The list's addresses as merged ranges per family ("a" or "a-b"): nft rejects overlapping intervals. */
function merged(cidrs: readonly string[]): { v4: string[]; v6: string[] } {
  const set = IpRangeSet.fromCidrs(cidrs.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null));
  const text = (a: string, b: string): string => (a === b ? a : `${a}-${b}`);
  return {
    v4: set.ranges4().map(([a, b]) => text(formatIpv4(a), formatIpv4(b))),
    v6: set.ranges6().map(([a, b]) => text(formatIpv6(a), formatIpv6(b))),
  };
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
  const ranges = merged(list.ips);
  return [
    '#!/usr/sbin/nft -f',
    ...head.map((l) => `# ${l}`),
    'table inet minewatch',
    'delete table inet minewatch',
    'table inet minewatch {',
    ...set('pool4', 'ipv4_addr', ranges.v4),
    ...set('pool6', 'ipv6_addr', ranges.v6),
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
