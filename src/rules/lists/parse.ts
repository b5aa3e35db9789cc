/** One entry point for every list format, and format detection for files given without one. */
import { parseAdblockList } from './format-adblock.js';
import { parseDomainList } from './format-domains.js';
import { parseHostsList } from './format-hosts.js';
import { parseIpList } from './format-ips.js';
import { parseSmashedCsv } from './format-smashed.js';
import { parseUrlPatternList } from './format-url-patterns.js';
import { LIST_FORMATS, type ListFormat, type ListSourceInfo, type ParsedList } from './types.js';

const PARSERS: Record<ListFormat, (text: string, source: ListSourceInfo) => ParsedList> = {
  domains: parseDomainList,
  hosts: parseHostsList,
  adblock: parseAdblockList,
  ips: parseIpList,
  'smashed-csv': parseSmashedCsv,
  'url-patterns': parseUrlPatternList,
};

export function isListFormat(s: string): s is ListFormat {
  return (LIST_FORMATS as readonly string[]).includes(s);
}

export function parseList(format: ListFormat, text: string, source: ListSourceInfo): ParsedList {
  return PARSERS[format](text, source);
}

/** Guess the format from the first meaningful lines (used when a config gives none). */
export function detectListFormat(text: string): ListFormat {
  const lines = text.split('\n', 200).map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
  const head = lines.slice(0, 50);
  if (text.startsWith('[Adblock') || head.some((l) => l.startsWith('||'))) return 'adblock';
  if (head[0]?.startsWith('fqdn,')) return 'smashed-csv';
  if (head.length > 0 && head.every((l) => /^[a-z*]+:\/\//i.test(l))) return 'url-patterns';
  if (head.length > 0 && head.every((l) => /^[0-9a-fA-F.:]+\s+\S/.test(l))) return 'hosts';
  if (head.length > 0 && head.every((l) => /^[0-9a-fA-F.:]+(\/\d+)?$/.test(l))) return 'ips';
  return 'domains';
}
