/**
 * Watched organisations (DAEDALUS-style owner alerts): a text file of lines
 * `Organisation name: CIDR[, CIDR …]` (or a JSON array of {name, ranges}); '#' starts a comment.
 */
import { readFileSync } from 'node:fs';
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

/** Parses the watch file text; throws an Error naming the line for bad entries. */
export function parseWatchList(text: string): WatchList {
  const trimmed = text.trim();
  const entries: WatchEntry[] = [];
  const add = (name: string, ranges: string[], where: string): void => {
    const cidrs: Cidr[] = [];
    for (const r of ranges) {
      const c = parseCidr(r.trim());
      if (!c) throw new Error(`${where}: "${r.trim()}" is not an address range (CIDR)`);
      cidrs.push(c);
    }
    if (cidrs.length === 0) throw new Error(`${where}: organisation "${name}" has no address ranges`);
    entries.push({ name, ranges: cidrs, rangeText: ranges.map((r) => r.trim()) });
  };
  if (trimmed.startsWith('[')) {
    const list = JSON.parse(trimmed) as { name?: unknown; ranges?: unknown }[];
    list.forEach((e, i) => {
      if (typeof e.name !== 'string' || !Array.isArray(e.ranges)) throw new Error(`entry ${i + 1}: needs "name" and "ranges"`);
      add(e.name, e.ranges.map(String), `entry ${i + 1}`);
    });
  } else {
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const colon = line.lastIndexOf(':', line.search(/\d/) >= 0 ? line.indexOf(':') : undefined);
      const sep = line.indexOf(': ') >= 0 ? line.indexOf(': ') : colon;
      if (sep <= 0) throw new Error(`line ${i + 1}: expected "Organisation: CIDR, CIDR"`);
      add(line.slice(0, sep).trim(), line.slice(sep + 1).split(/[,\s]+/).filter((s) => s !== ''), `line ${i + 1}`);
    });
  }
  return new WatchList(entries);
}

export function loadWatchList(file: string): WatchList {
  return parseWatchList(readFileSync(file, 'utf8'));
}
