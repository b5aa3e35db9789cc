/**
 * The sMaSheD mining-server table (nesfit, 2018) as CSV:
 * fqdn,pool,pool_url,port,coin,coin_name,ip_addresses,protocols_up,protocols_listen_only.
 * Each row yields the server name (with pool, coin, port) and its addresses.
 */
import { parseCidr, parseIpv4 } from '../../util/ip.js';
import { normalizeDomain } from './domain-set.js';
import { emptyList, splitLines, type ListSourceInfo, type ParsedList } from './types.js';

export function parseSmashedCsv(text: string, source: ListSourceInfo): ParsedList {
  const out = emptyList(source, 'smashed-csv');
  const names = new Set<string>();
  const ips = new Set<string>();
  let header: string[] | null = null;
  for (const raw of splitLines(text)) {
    out.lines++;
    if (raw.trim() === '') { out.skipped.add('blank'); continue; }
    const cols = raw.split(',');
    if (!header) {
      header = cols.map((c) => c.trim());
      if (!header.includes('fqdn') || !header.includes('ip_addresses')) { out.skipped.add('bad-header'); header = null; continue; }
      out.skipped.add('header');
      continue;
    }
    if (cols.length !== header.length) { out.skipped.add('bad-column-count'); continue; }
    const col = (n: string): string => cols[header!.indexOf(n)]?.trim() ?? '';
    const meta = {
      pool: col('pool') || undefined,
      coin: col('coin') || undefined,
      port: /^\d{1,5}$/.test(col('port')) ? Number(col('port')) : undefined,
    };
    let added = false;
    const fqdn = col('fqdn');
    if (parseIpv4(fqdn) >= 0) {
      if (!ips.has(fqdn)) { ips.add(fqdn); out.ips.push({ cidr: fqdn, meta }); }
      added = true;
    } else {
      const n = normalizeDomain(fqdn);
      if (typeof n === 'string') {
        if (!names.has(n)) { names.add(n); out.domains.push({ name: n, meta }); }
        added = true;
      }
    }
    for (const ip of col('ip_addresses').split(/\s+/).filter(Boolean)) {
      if (parseCidr(ip) === null) continue;
      if (!ips.has(ip)) { ips.add(ip); out.ips.push({ cidr: ip, meta }); }
      added = true;
    }
    if (added) out.acceptedLines++;
    else out.skipped.add('no-usable-host');
  }
  return out;
}
