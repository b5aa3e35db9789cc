/**
 * Adblock Plus filter lists (NoCoin and friends):
 * - `||domain^` and `||domain^$options` → domain entries (a host may be an IP → IP entry)
 * - `||domain/path…` and plain URL parts (`/coinhive.min.js`, `-coin-hive.js`) → URL patterns
 * - `@@…` exceptions → allow entries (allow-lists win over block-lists)
 * - comments `!`, `[Adblock …]` headers, cosmetic `##` rules, `/regex/` filters and
 *   option-only lines are counted as skipped by reason.
 */
import { parseCidr } from '../../util/ip.js';
import { normalizeDomain } from './domain-set.js';
import { emptyList, splitLines, type ListSourceInfo, type ParsedList } from './types.js';

export function parseAdblockList(text: string, source: ListSourceInfo): ParsedList {
  const out = emptyList(source, 'adblock');
  const seen = new Set<string>();
  for (const raw of splitLines(text)) {
    out.lines++;
    let line = raw.trim();
    if (line === '') { out.skipped.add('blank'); continue; }
    if (line.startsWith('!') || (line.startsWith('[') && line.endsWith(']'))) { out.skipped.add('comment'); continue; }
    if (/#[@?$]?#/.test(line)) { out.skipped.add('cosmetic'); continue; }
    const allow = line.startsWith('@@');
    if (allow) line = line.slice(2);
    if (line.startsWith('/') && /\/(\$.*)?$/.test(line) && line.length > 2 && /[\\^()|[\]]/.test(line)) { out.skipped.add('regex-filter'); continue; }
    const dollar = line.lastIndexOf('$');
    const pattern = dollar >= 0 && !line.slice(dollar).includes('/') ? line.slice(0, dollar) : line;
    if (pattern === '') { out.skipped.add('options-only'); continue; }
    const key = `${allow ? '@' : ''}${pattern}`;
    if (seen.has(key)) { out.skipped.add('duplicate'); continue; }
    seen.add(key);
    const host = /^\|\|([^/^*|$]+)\^?$/.exec(pattern);
    if (host) {
      const h = host[1];
      if (parseCidr(h) !== null) {
        if (allow) out.allowIps.push(h);
        else out.ips.push({ cidr: h });
        out.acceptedLines++;
        continue;
      }
      const n = normalizeDomain(h);
      if (typeof n !== 'string') { out.skipped.add(n.reason); continue; }
      if (allow) out.allowDomains.push(n);
      else out.domains.push({ name: n });
      out.acceptedLines++;
      continue;
    }
    (allow ? out.allowUrlPatterns : out.urlPatterns).push(pattern);
    out.acceptedLines++;
  }
  return out;
}
