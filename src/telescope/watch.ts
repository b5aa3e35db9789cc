/**
 * Watched organisations (DAEDALUS-style owner alerts): a text file of lines
 * `Organisation name: CIDR[, CIDR …]` (or a JSON array of {name, ranges}); '#' starts a comment.
 */
import { invalidConfig, parseConfigJson, readConfigText } from '../util/config.js';
import { cidrContainsIpv4, cidrContainsIpv6, parseCidr, type Cidr } from '../util/ip.js';

export interface WatchEntry {
  name: string;
  ranges: Cidr[];
  rangeText: string[];
}

export class WatchList {
  constructor(readonly entries: WatchEntry[]) {}

  /** Index of the first organisation owning the IPv4 address, -1 when none. */
  matchIpv4(ip: number): number {
    for (let i = 0; i < this.entries.length; i++) {
      for (const c of this.entries[i].ranges) if (cidrContainsIpv4(c, ip)) return i;
    }
    return -1;
  }

  matchIpv6(buf: Uint8Array, off: number): number {
    for (let i = 0; i < this.entries.length; i++) {
      for (const c of this.entries[i].ranges) if (cidrContainsIpv6(c, buf, off)) return i;
    }
    return -1;
  }
}

/** Parses the watch file text; throws a ConfigError naming the file and the line of the first bad entry. */
export function parseWatchList(text: string, file = '(watch list)', option?: string): WatchList {
  const bad = (where: string, problem: string) => invalidConfig(file, where, problem, option);
  const trimmed = text.trim();
  const entries: WatchEntry[] = [];
  const add = (name: string, ranges: string[], where: string): void => {
    const cidrs: Cidr[] = [];
    for (const r of ranges) {
      const c = parseCidr(r.trim());
      if (!c) throw bad(where, `"${r.trim()}" is not an address range (CIDR)`);
      cidrs.push(c);
    }
    if (cidrs.length === 0) throw bad(where, `organisation "${name}" has no address ranges`);
    entries.push({ name, ranges: cidrs, rangeText: ranges.map((r) => r.trim()) });
  };
  if (trimmed.startsWith('[')) {
    const list = parseConfigJson(trimmed, file, option) as { name?: unknown; ranges?: unknown }[];
    if (!Array.isArray(list)) throw bad('(top level)', 'expected an array of {name, ranges}');
    list.forEach((e, i) => {
      if (e === null || typeof e !== 'object' || typeof e.name !== 'string' || !Array.isArray(e.ranges)) throw bad(`entry ${i + 1}`, 'needs "name" and "ranges"');
      add(e.name, e.ranges.map(String), `entry ${i + 1}`);
    });
  } else {
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const colon = line.lastIndexOf(':', line.search(/\d/) >= 0 ? line.indexOf(':') : undefined);
      const sep = line.indexOf(': ') >= 0 ? line.indexOf(': ') : colon;
      if (sep <= 0) throw bad(`line ${i + 1}`, 'expected "Organisation: CIDR, CIDR"');
      add(line.slice(0, sep).trim(), line.slice(sep + 1).split(/[,\s]+/).filter((s) => s !== ''), `line ${i + 1}`);
    });
  }
  return new WatchList(entries);
}

export function loadWatchList(file: string, option = '--watch'): WatchList {
  return parseWatchList(readConfigText(file, option), file, option);
}
