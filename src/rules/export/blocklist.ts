/**
 * The input every export format renders: names and addresses from the loaded lists (minus
 * allow entries) plus what minewatch itself saw in mining sessions (EVE alerts).
 */
import { ReasonCounter } from '../../events/counters.js';
import { MINING_DETECTORS } from '../../events/detector.js';
import { normalizeDomain, isSubdomainOrSelf } from '../lists/domain-set.js';
import { isPublicIp, parseCidr } from '../../util/ip.js';
import type { ListIntel } from '../lists/intel.js';

export interface Blocklist {
  /** Normalised names, sorted. */
  domains: string[];
  /** Addresses / CIDRs, IPv4 then IPv6, sorted. */
  ips: string[];
  /** Names and addresses that came from --seen (subset of the above). */
  seenDomains: number;
  seenIps: number;
  /** Why seen values were not used. */
  skipped: Record<string, number>;
  generatedAt: string;
  sources: string[];
}

export interface SeenHosts {
  domains: Set<string>;
  ips: Set<string>;
  skipped: ReasonCounter;
}

const MINING = new Set(MINING_DETECTORS);
/** Evidence fields of the detect/ detectors that name the pool side (stratum: pool "ip:port", poolName). */
const NAME_FIELDS = ['pool', 'poolName', 'pool_host', 'host', 'sni', 'qname', 'rrname', 'certificateName', 'domain', 'hostname'];
const IP_FIELDS = ['pool_ip', 'server_ip'];

/** "host", "host:port", "[v6]:port", "scheme://host/…" → host. */
function hostOf(v: string): string {
  const s = v.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const v6 = /^\[([0-9a-fA-F:.]+)\]/.exec(s);
  if (v6) return v6[1];
  if (parseCidr(s) !== null) return s;
  return s.replace(/[:/?#].*$/, '').replace(/^\*\./, '');
}

function isMiningAlert(ev: Record<string, unknown>): boolean {
  const mw = ev.minewatch as Record<string, unknown> | undefined;
  const det = typeof mw?.detector === 'string' ? mw.detector : '';
  const alert = ev.alert as Record<string, unknown> | undefined;
  const category = typeof alert?.category === 'string' ? alert.category : '';
  return MINING.has(det) || /min(ing|er)/i.test(category);
}

/** Distinct names/addresses kept from --seen (a flood of junk alerts cannot exhaust memory). */
export const SEEN_LIMIT = 1_000_000;

/** Incremental reader of EVE JSON lines (feed line by line; files of any size stream through). */
export class SeenHostsReader {
  readonly seen: SeenHosts = { domains: new Set(), ips: new Set(), skipped: new ReasonCounter() };

  addLine(line: string): void {
    const out = this.seen;
    const t = line.trim();
    if (!t) return;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(t) as Record<string, unknown>;
    } catch {
      out.skipped.add('bad-json');
      return;
    }
    this.addEvent(ev);
  }

  /** One EVE event (an object: the sensor feeds its alerts here as they happen). */
  addEvent(ev: Record<string, unknown>): void {
    const out = this.seen;
    if (ev === null || typeof ev !== 'object' || ev.event_type !== 'alert') return;
    if (!isMiningAlert(ev)) { out.skipped.add('not-a-mining-alert'); return; }
    const mw = ev.minewatch as Record<string, unknown>;
    const evidence = (mw?.evidence ?? {}) as Record<string, unknown>;
    for (const f of NAME_FIELDS) {
      const v = evidence[f];
      if (typeof v !== 'string' || !v) continue;
      const host = hostOf(v);
      if (parseCidr(host) !== null && !host.includes('/')) {
        if (!isPublicIp(host)) out.skipped.add('non-public-ip');
        else this.addIp(host);
        continue;
      }
      const d = normalizeDomain(host);
      if (typeof d === 'string') this.addDomain(d);
      else out.skipped.add(`seen-${d.reason}`);
    }
    const ips: unknown[] = IP_FIELDS.map((f) => evidence[f]);
    // the addresses a listed mining name resolved to (pool-dns: the DNS answers the device got)
    if (mw?.detector === 'pool-dns' && Array.isArray(evidence.answers)) ips.push(...evidence.answers.slice(0, 16));
    // Stratum evidence names the pool side as "ip:port"; dest_ip is only a fallback (a capture
    // taken at a pool-side proxy can make the miner the destination).
    if (mw?.detector === 'stratum' && typeof evidence.pool !== 'string') ips.push(ev.dest_ip);
    for (const ip of ips) if (typeof ip === 'string' && ip) this.addAddress(ip);
  }

  /** A pool address seen some other way (the sensor's DNS answer cache): public addresses only. */
  addAddress(ip: string): void {
    if (parseCidr(ip) === null) { this.seen.skipped.add('bad-ip'); return; }
    if (!isPublicIp(ip)) { this.seen.skipped.add('non-public-ip'); return; }
    this.addIp(ip);
  }

  private addDomain(d: string): void {
    if (this.seen.domains.size >= SEEN_LIMIT && !this.seen.domains.has(d)) { this.seen.skipped.add('seen-limit'); return; }
    this.seen.domains.add(d);
  }

  private addIp(ip: string): void {
    if (this.seen.ips.size >= SEEN_LIMIT && !this.seen.ips.has(ip)) { this.seen.skipped.add('seen-limit'); return; }
    this.seen.ips.add(ip);
  }
}

/**
 * Read EVE JSON lines; from alerts of mining sessions take pool names (evidence pool,
 * poolName, sni, qname …) and pool addresses. Private and loopback addresses are never exported.
 */
export function readSeenHosts(text: string): SeenHosts {
  const r = new SeenHostsReader();
  for (const line of text.split('\n')) r.addLine(line);
  return r.seen;
}

/** Stream a (possibly huge) EVE file line by line. */
export async function readSeenHostsFile(path: string): Promise<SeenHosts> {
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const r = new SeenHostsReader();
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) r.addLine(line);
  return r.seen;
}

function ipSortKey(cidr: string): string {
  const r = parseCidr(cidr);
  if (r === null) return `z${cidr}`;
  const hex = [...r.bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${r.version}${hex}${String(r.prefix).padStart(3, '0')}`;
}

/** Only what minewatch saw (no list entries): the sensor's own blocklist of pools it watched devices reach. */
export function seenBlocklist(seen: SeenHosts): Blocklist {
  return {
    domains: [...seen.domains].sort(),
    ips: [...seen.ips].sort((a, b) => (ipSortKey(a) < ipSortKey(b) ? -1 : 1)),
    seenDomains: seen.domains.size, seenIps: seen.ips.size, skipped: seen.skipped.toJSON(),
    generatedAt: new Date().toISOString(),
    sources: seen.domains.size + seen.ips.size > 0 ? ['minewatch-seen'] : [],
  };
}

export function buildBlocklist(intel: ListIntel, seen?: SeenHosts): Blocklist {
  const domains = new Set<string>();
  const sources = new Set<string>();
  for (const d of intel.blockedDomains()) { domains.add(d.name); sources.add(d.list); }
  const ips = new Set<string>();
  for (const ip of intel.blockedIps()) { ips.add(ip.cidr); sources.add(ip.list); }
  let seenDomains = 0;
  let seenIps = 0;
  const skipped = new ReasonCounter();
  if (seen) {
    skipped.merge(seen.skipped);
    for (const d of seen.domains) {
      // An allow entry wins over what we saw, too.
      if (intel.isAllowedDomain(d)) { skipped.add('allow-listed'); continue; }
      if (!domains.has(d)) { domains.add(d); seenDomains++; }
    }
    for (const ip of seen.ips) {
      if (intel.isAllowedIp(ip)) { skipped.add('allow-listed'); continue; }
      if (!ips.has(ip)) { ips.add(ip); seenIps++; }
    }
    if (seenDomains + seenIps > 0) sources.add('minewatch-seen');
  }
  return {
    domains: [...domains].sort(),
    ips: [...ips].sort((a, b) => (ipSortKey(a) < ipSortKey(b) ? -1 : 1)),
    seenDomains, seenIps, skipped: skipped.toJSON(),
    generatedAt: new Date().toISOString(),
    sources: [...sources].sort(),
  };
}

/** Drop names covered by a listed parent (for formats that match subdomains themselves). */
export function compactDomains(domains: readonly string[]): string[] {
  const set = new Set(domains);
  return domains.filter((d) => {
    for (let i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) {
      const parent = d.slice(i + 1);
      if (set.has(parent) && isSubdomainOrSelf(d, parent)) return false;
    }
    return true;
  });
}

export function splitIps(ips: readonly string[]): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const ip of ips) (ip.includes(':') ? v6 : v4).push(ip);
  return { v4, v6 };
}

export function headerLines(list: Blocklist, format: string, note: string): string[] {
  return [
    `minewatch blocklist (${format}) generated ${list.generatedAt}`,
    `sources: ${list.sources.join(', ') || 'none'}`,
    `${list.domains.length} names, ${list.ips.length} addresses; ${list.seenDomains} names and ${list.seenIps} addresses seen by minewatch`,
    note,
  ];
}
