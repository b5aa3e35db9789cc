/**
 * Hosts → per-recipient packages. Routing is by country (the national CERT) or by AS (the AS's
 * abuse address); hosts with no matching contact are returned as `unrouted` with the reason,
 * never dropped silently. Records of the same host identity are merged (earliest first seen,
 * latest last seen, union of the evidence). Order is deterministic: recipients by id, hosts by
 * first seen, address, identity.
 */
import type { Contacts, RouteBy } from './contacts.js';
import { stableKey } from './ids.js';
import type { HostEvidence, InfectedHost, RecipientPackage } from './types.js';

export interface Grouping {
  packages: RecipientPackage[];
  unrouted: { reason: 'no-country' | 'no-cert' | 'no-asn' | 'no-as-contact'; key: string; hosts: number }[];
}

export function identityKey(h: InfectedHost): string {
  return h.identity.rule === 'ip-day' ? `ip-day:${h.identity.ip}:${h.identity.day}` : `device-id:${h.identity.deviceId}`;
}

const union = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])].sort();

function mergeEvidence(a: HostEvidence, b: HostEvidence): HostEvidence {
  return {
    poolNames: union(a.poolNames, b.poolNames),
    poolAddresses: union(a.poolAddresses, b.poolAddresses),
    wallets: union(a.wallets, b.wallets),
    scriptUrls: union(a.scriptUrls, b.scriptUrls),
    notes: union(a.notes, b.notes),
  };
}

/** One record per host identity. */
export function mergeHosts(hosts: readonly InfectedHost[]): InfectedHost[] {
  const by = new Map<string, InfectedHost>();
  for (const h of hosts) {
    const k = identityKey(h);
    const prev = by.get(k);
    if (!prev) {
      by.set(k, { ...h, evidence: mergeEvidence(h.evidence, h.evidence) });
      continue;
    }
    const later = Date.parse(h.lastSeen) > Date.parse(prev.lastSeen) ? h : prev;
    by.set(k, {
      ...later,
      firstSeen: Date.parse(h.firstSeen) < Date.parse(prev.firstSeen) ? h.firstSeen : prev.firstSeen,
      lastSeen: later.lastSeen,
      evidence: mergeEvidence(prev.evidence, h.evidence),
    });
  }
  return sortHosts([...by.values()]);
}

export function sortHosts(hosts: InfectedHost[]): InfectedHost[] {
  return hosts.sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen) || cmp(a.ip, b.ip) || cmp(identityKey(a), identityKey(b)) || cmp(stableKey(a), stableKey(b)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function groupHosts(hosts: readonly InfectedHost[], contacts: Contacts, by: RouteBy): Grouping {
  const merged = mergeHosts(hosts);
  const packages = new Map<string, RecipientPackage>();
  const unrouted = new Map<string, Grouping['unrouted'][number]>();
  const miss = (reason: Grouping['unrouted'][number]['reason'], key: string): void => {
    const u = unrouted.get(`${reason}:${key}`) ?? { reason, key, hosts: 0 };
    u.hosts++;
    unrouted.set(`${reason}:${key}`, u);
  };
  for (const h of merged) {
    let r;
    if (by === 'cert') {
      if (!h.country) {
        miss('no-country', '-');
        continue;
      }
      r = contacts.certFor(h.country);
      if (!r) {
        miss('no-cert', h.country);
        continue;
      }
    } else {
      if (h.asn === undefined) {
        miss('no-asn', '-');
        continue;
      }
      r = contacts.asFor(h.asn);
      if (!r) {
        miss('no-as-contact', `AS${h.asn}`);
        continue;
      }
    }
    let p = packages.get(r.id);
    if (!p) {
      p = { recipient: r, hostIdentityRule: h.identity.rule, hosts: [] };
      packages.set(r.id, p);
    } else if (p.hostIdentityRule !== h.identity.rule) p.hostIdentityRule = 'mixed';
    p.hosts.push(h);
  }
  return {
    packages: [...packages.values()].sort((a, b) => cmp(a.recipient.id, b.recipient.id)),
    unrouted: [...unrouted.values()].sort((a, b) => cmp(`${a.reason}:${a.key}`, `${b.reason}:${b.key}`)),
  };
}
