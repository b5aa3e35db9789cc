/**
 * What a list loader produces: entries with provenance, and every line that was not an
 * entry counted by reason, so a report can say exactly what was loaded and what was not.
 */
import { ReasonCounter } from '../../events/counters.js';

export const LIST_FORMATS = ['domains', 'hosts', 'adblock', 'ips', 'smashed-csv', 'url-patterns'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/** What is known about one listed host beyond "it is listed". */
export interface EntryMeta {
  pool?: string;
  coin?: string;
  port?: number;
}

export interface ListSourceInfo {
  /** Provenance name carried into alerts (file or feed name). */
  name: string;
  /** 'pool' | 'browser-miner' | 'miner-download' | 'mixed' … */
  kind: string;
}

export interface ParsedList extends ListSourceInfo {
  format: ListFormat;
  /** Normalised names; a leading '*.' was folded into suffix semantics. */
  domains: { name: string; meta?: EntryMeta }[];
  allowDomains: string[];
  /** Address or CIDR text as listed (validated). */
  ips: { cidr: string; meta?: EntryMeta }[];
  allowIps: string[];
  /** URL patterns in adblock syntax (WebExtension patterns are converted). */
  urlPatterns: string[];
  allowUrlPatterns: string[];
  /** Lines read, lines that produced at least one entry, and the rest by reason. */
  lines: number;
  acceptedLines: number;
  skipped: ReasonCounter;
}

export function emptyList(source: ListSourceInfo, format: ListFormat): ParsedList {
  return {
    name: source.name, kind: source.kind, format,
    domains: [], allowDomains: [], ips: [], allowIps: [], urlPatterns: [], allowUrlPatterns: [],
    lines: 0, acceptedLines: 0, skipped: new ReasonCounter(),
  };
}

/** Entries a list contributes (what "entries loaded" counts in reports). */
export function entryCount(l: ParsedList): number {
  return l.domains.length + l.ips.length + l.urlPatterns.length + l.allowDomains.length + l.allowIps.length + l.allowUrlPatterns.length;
}

/** Split text into lines without the trailing '\r'. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}
