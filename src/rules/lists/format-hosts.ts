/** hosts-file lists: "0.0.0.0 name [name …]" (the sink address is ignored; names are the entries). */
import { parseCidr } from '../../util/ip.js';
import { normalizeDomain } from './domain-set.js';
import { emptyList, splitLines, type ListSourceInfo, type ParsedList } from './types.js';

const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'local', 'broadcasthost', 'ip6-localhost', 'ip6-loopback',
  'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts', '0.0.0.0']);

export function parseHostsList(text: string, source: ListSourceInfo): ParsedList {
  const out = emptyList(source, 'hosts');
  const seen = new Set<string>();
  for (const raw of splitLines(text)) {
    out.lines++;
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') { out.skipped.add(hash >= 0 ? 'comment' : 'blank'); continue; }
    const parts = line.split(/\s+/);
    if (parts.length < 2) { out.skipped.add('no-hostname'); continue; }
    if (parseCidr(parts[0]) === null || parts[0].includes('/')) { out.skipped.add('bad-address'); continue; }
    let added = 0;
    let reason = 'local-name';
    for (const name of parts.slice(1)) {
      if (LOCAL_NAMES.has(name.toLowerCase())) continue;
      const n = normalizeDomain(name);
      if (typeof n !== 'string') { reason = n.reason; continue; }
      if (seen.has(n)) { reason = 'duplicate'; continue; }
      seen.add(n);
      out.domains.push({ name: n });
      added++;
    }
    if (added > 0) out.acceptedLines++;
    else out.skipped.add(reason);
  }
  return out;
}
