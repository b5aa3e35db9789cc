/**
 * WebExtension match patterns (the NoCoin extension's blacklist): `scheme://host/path` with
 * `*` wildcards. The host becomes a domain entry (`*.x` and `x` both mean x and below) and the
 * whole pattern is kept as an adblock-style URL pattern.
 */
import { normalizeDomain } from './domain-set.js';
import { emptyList, splitLines, type ListSourceInfo, type ParsedList } from './types.js';

const MATCH_PATTERN = /^(\*|https?|wss?|ftp|file):\/\/(\*|\*\.[^/*]+|[^/*]+)(\/.*)$/;

export function parseUrlPatternList(text: string, source: ListSourceInfo): ParsedList {
  const out = emptyList(source, 'url-patterns');
  const names = new Set<string>();
  const patterns = new Set<string>();
  for (const raw of splitLines(text)) {
    out.lines++;
    const line = raw.trim();
    if (line === '') { out.skipped.add('blank'); continue; }
    if (line.startsWith('#') || line.startsWith('//')) { out.skipped.add('comment'); continue; }
    const m = MATCH_PATTERN.exec(line);
    if (!m) { out.skipped.add('not-a-match-pattern'); continue; }
    const [, scheme, host, path] = m;
    let ok = false;
    if (host !== '*') {
      const bare = host.replace(/:\d{1,5}$/, '');
      const n = normalizeDomain(bare.startsWith('*.') ? bare.slice(2) : bare);
      if (typeof n !== 'string') { out.skipped.add(n.reason); continue; }
      if (!names.has(n)) { names.add(n); out.domains.push({ name: n }); }
      ok = true;
      // `*.x` in a match pattern also matches x itself: that is adblock's `||x` (scheme-agnostic).
      const wildcardHost = host.startsWith('*.');
      const hostPart = wildcardHost ? host.slice(2) : host;
      const adblock = scheme === '*' || wildcardHost ? `||${hostPart}${path}` : `|${scheme}://${hostPart}${path}`;
      if (!patterns.has(adblock)) { patterns.add(adblock); out.urlPatterns.push(adblock); }
    }
    if (ok) out.acceptedLines++;
    else out.skipped.add('host-wildcard-only');
  }
  return out;
}
