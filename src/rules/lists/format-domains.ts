/** Plain domain lists: one name per line, '#' comments, optional '*.' prefix or ':port' suffix. */
import { parseIpv4 } from '../../util/ip.js';
import { normalizeDomain } from './domain-set.js';
import { emptyList, splitLines, type ListSourceInfo, type ParsedList } from './types.js';

export function parseDomainList(text: string, source: ListSourceInfo): ParsedList {
  const out = emptyList(source, 'domains');
  const seen = new Set<string>();
  for (const raw of splitLines(text)) {
    out.lines++;
    const hash = raw.indexOf('#');
    let line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') { out.skipped.add(hash >= 0 ? 'comment' : 'blank'); continue; }
    if (/\s/.test(line)) { out.skipped.add('not-a-single-name'); continue; }
    if (line.startsWith('*.')) line = line.slice(2);
    // "host:port" appears in community lists; the port says nothing for DNS blocking.
    const colon = line.lastIndexOf(':');
    if (colon > 0 && /^\d{1,5}$/.test(line.slice(colon + 1)) && !line.slice(0, colon).includes(':')) line = line.slice(0, colon);
    if (parseIpv4(line) >= 0) {
      out.ips.push({ cidr: line });
      out.acceptedLines++;
      continue;
    }
    const n = normalizeDomain(line);
    if (typeof n !== 'string') { out.skipped.add(n.reason); continue; }
    if (seen.has(n)) { out.skipped.add('duplicate'); continue; }
    seen.add(n);
    out.domains.push({ name: n });
    out.acceptedLines++;
  }
  return out;
}
