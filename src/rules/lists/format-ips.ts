/** IP lists: one IPv4/IPv6 address or CIDR per line; '#' and ';' comments; trailing text ignored. */
import { parseCidrStrict } from '../../util/ip.js';
import { emptyList, splitLines, type ListSourceInfo, type ParsedList } from './types.js';

export function parseIpList(text: string, source: ListSourceInfo): ParsedList {
  const out = emptyList(source, 'ips');
  const seen = new Set<string>();
  for (const raw of splitLines(text)) {
    out.lines++;
    const cut = raw.search(/[#;]/);
    const line = (cut >= 0 ? raw.slice(0, cut) : raw).trim();
    if (line === '') { out.skipped.add(cut >= 0 ? 'comment' : 'blank'); continue; }
    const token = line.split(/[\s,]+/)[0];
    const r = parseCidrStrict(token);
    if (typeof r === 'string') { out.skipped.add(r); continue; }
    if (seen.has(token)) { out.skipped.add('duplicate'); continue; }
    seen.add(token);
    out.ips.push({ cidr: token });
    out.acceptedLines++;
  }
  return out;
}
