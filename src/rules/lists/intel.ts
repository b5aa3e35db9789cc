/**
 * ListIntel: the HostIntel that detectors receive. Composes block lists and allow lists
 * (allow always wins), keeps provenance per entry (list name, kind, pool/coin when the list
 * knows them) and a per-list load report.
 */
import type { HostIntel, HostMatch } from '../../events/intel.js';
import { CidrSet } from '../../util/ip-set.js';
import { DomainSet, normalizeDomain } from './domain-set.js';
import { UrlPatternSet } from './url-pattern-set.js';
import { entryCount, type EntryMeta, type ParsedList } from './types.js';

interface Provenance { list: string; kind: string; meta?: EntryMeta }

export type ListRole = 'block' | 'allow';

export interface ListReport {
  name: string;
  kind: string;
  format: string;
  role: ListRole;
  lines: number;
  acceptedLines: number;
  entries: number;
  domains: number;
  ips: number;
  urlPatterns: number;
  allowEntries: number;
  skipped: Record<string, number>;
}

function toMatch(entry: string, p: Provenance): HostMatch {
  const m: HostMatch = { entry, list: p.list, kind: p.kind };
  if (p.meta?.pool) m.pool = p.meta.pool;
  if (p.meta?.coin) m.coin = p.meta.coin;
  return m;
}

/** Answers remembered per memo (a few MB at most: keys are names ≤ 253 bytes or addresses). */
const MEMO_LIMIT = 8192;

/** Remembered match answers, shared frozen between callers; emptied when full. */
class MatchMemo {
  private readonly map = new Map<string, Readonly<HostMatch> | null>();

  get(key: string, compute: (key: string) => HostMatch | null): HostMatch | null {
    const cached = this.map.get(key);
    if (cached !== undefined) return cached;
    const hit = compute(key);
    if (this.map.size >= MEMO_LIMIT) this.map.clear();
    this.map.set(key, hit === null ? null : Object.freeze(hit));
    return hit;
  }

  clear(): void {
    this.map.clear();
  }
}

export class ListIntel implements HostIntel {
  private readonly blockDomains = new DomainSet<Provenance>();
  private readonly allowDomains = new DomainSet<Provenance>();
  private readonly blockIps = new CidrSet<Provenance>();
  private readonly allowIps = new CidrSet<Provenance>();
  private readonly blockUrls = new UrlPatternSet<Provenance>();
  private readonly allowUrls = new UrlPatternSet<Provenance>();
  private readonly ipEntries: { cidr: string; p: Provenance }[] = [];
  readonly reports: ListReport[] = [];
  /**
   * Traffic asks about the same few names and addresses over and over (every DNS query and
   * answer, SNI, Host header, flow end): normalising or parsing costs ~1-3 µs, a repeat one
   * Map probe. Emptied when lists change.
   */
  private readonly domainMemo = new MatchMemo();
  private readonly ipMemo = new MatchMemo();

  /** Add a parsed list. role 'allow' turns all its entries into allow entries. */
  addList(list: ParsedList, role: ListRole = 'block'): ListReport {
    this.domainMemo.clear();
    this.ipMemo.clear();
    const p: Provenance = { list: list.name, kind: list.kind };
    const allow = role === 'allow';
    for (const d of list.domains) (allow ? this.allowDomains : this.blockDomains).add(d.name, d.meta ? { ...p, meta: d.meta } : p);
    for (const d of list.allowDomains) this.allowDomains.add(d, p);
    for (const ip of list.ips) {
      const prov = ip.meta ? { ...p, meta: ip.meta } : p;
      (allow ? this.allowIps : this.blockIps).add(ip.cidr, prov);
      if (!allow) this.ipEntries.push({ cidr: ip.cidr, p: prov });
    }
    for (const ip of list.allowIps) this.allowIps.add(ip, p);
    for (const u of list.urlPatterns) (allow ? this.allowUrls : this.blockUrls).add(u, p);
    for (const u of list.allowUrlPatterns) this.allowUrls.add(u, p);
    const report: ListReport = {
      name: list.name, kind: list.kind, format: list.format, role,
      lines: list.lines, acceptedLines: list.acceptedLines, entries: entryCount(list),
      domains: list.domains.length, ips: list.ips.length, urlPatterns: list.urlPatterns.length,
      allowEntries: list.allowDomains.length + list.allowIps.length + list.allowUrlPatterns.length,
      skipped: list.skipped.toJSON(),
    };
    this.reports.push(report);
    return report;
  }

  matchDomain(name: string): HostMatch | null {
    return this.domainMemo.get(name, this.matchDomainUncached);
  }

  private readonly matchDomainUncached = (name: string): HostMatch | null => {
    const n = normalizeDomain(name);
    if (typeof n !== 'string') return null;
    if (this.allowDomains.matchNormalized(n)) return null;
    const hit = this.blockDomains.matchNormalized(n);
    return hit ? toMatch(hit.entry, hit.value) : null;
  };

  matchIp(ip: string): HostMatch | null {
    return this.ipMemo.get(ip, this.matchIpUncached);
  }

  private readonly matchIpUncached = (ip: string): HostMatch | null => {
    if (this.allowIps.lookup(ip) !== undefined) return null;
    const p = this.blockIps.lookup(ip);
    return p ? toMatch(ip, p) : null;
  };

  /** Full URL (scheme://host/path) against URL patterns and the host against domains. */
  matchUrl(url: string): HostMatch | null {
    if (this.allowUrls.match(url)) return null;
    const host = /^[a-z][a-z0-9+.-]*:\/\/([^/?#:]+)/i.exec(url)?.[1];
    if (host && this.allowDomains.match(host)) return null;
    const hit = this.blockUrls.match(url);
    if (hit) return toMatch(hit.entry, hit.value);
    return host ? this.matchDomain(host) : null;
  }

  /** Blocked names that no allow entry covers (for exports). */
  *blockedDomains(): IterableIterator<{ name: string; list: string; kind: string }> {
    for (const name of this.blockDomains.names()) {
      if (this.allowDomains.matchNormalized(name)) continue;
      const p = this.blockDomains.get(name)!;
      yield { name, list: p.list, kind: p.kind };
    }
  }

  /** Blocked addresses/CIDRs, minus allowed single addresses (for exports). */
  *blockedIps(): IterableIterator<{ cidr: string; list: string; kind: string }> {
    for (const { cidr, p } of this.ipEntries) {
      if (!cidr.includes('/') && this.allowIps.lookup(cidr) !== undefined) continue;
      yield { cidr, list: p.list, kind: p.kind };
    }
  }

  /** Is the name covered by an allow entry? */
  isAllowedDomain(name: string): boolean {
    return this.allowDomains.match(name) !== null;
  }

  isAllowedIp(ip: string): boolean {
    return this.allowIps.lookup(ip) !== undefined;
  }

  get domainCount(): number { return this.blockDomains.size; }
  get ipCount(): number { return this.blockIps.size; }
  get urlPatternCount(): number { return this.blockUrls.size; }
}
