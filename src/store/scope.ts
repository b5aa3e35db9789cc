/**
 * Constituencies: which organisations may see a row. An organisation sees what its own
 * sensors sent, plus everything in its constituency: countries, AS numbers, address
 * prefixes (IPv4 and IPv6, matched against source and destination) and named sensors of
 * other organisations. It is evaluated once, at ingest, and written beside the row as
 * ",1,4," so a scoped read is one indexed-range scan with a LIKE filter and the roll-ups
 * can be kept per organisation (exact totals without scanning events). A change of
 * constituency applies to rows ingested after it.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { InputError } from '../util/errors.js';

export interface Constituency {
  countries: string[];
  asns: number[];
  prefixes: string[];
  sensorNames: string[];
}

export interface OrgScopeRow {
  id: number;
  countries: string;
  asns: string;
  prefixes: string;
  sensor_names: string;
}

/** Validates and normalises a constituency given by a user (CLI or API). */
export function normaliseConstituency(c: Partial<Omit<Constituency, 'asns'>> & { asns?: Array<number | string> }): Constituency {
  const countries = (c.countries ?? []).map((x) => x.trim().toUpperCase()).filter(Boolean);
  for (const cc of countries) if (!/^[A-Z]{2}$/.test(cc)) throw new InputError('org.bad-country', `country "${cc}" is not an ISO 3166 alpha-2 code (e.g. TH, VN)`, { subject: 'countries' });
  const asns = (c.asns ?? []).map((x) => {
    const a = /^(AS)?\d{1,10}$/i.test(String(x).trim()) ? Number(String(x).trim().replace(/^AS/i, '')) : NaN;
    if (!Number.isInteger(a) || a <= 0 || a > 4294967295) throw new InputError('org.bad-asn', `AS number "${String(x).slice(0, 20)}" is not a number between 1 and 4294967295 (e.g. 4621 or AS4621)`, { subject: 'asns' });
    return a;
  });
  const prefixes = (c.prefixes ?? []).map((x) => x.trim()).filter(Boolean);
  for (const p of prefixes) parsePrefix(p);
  const sensorNames = (c.sensorNames ?? []).map((x) => x.trim()).filter(Boolean);
  return { countries: [...new Set(countries)], asns: [...new Set(asns)], prefixes: [...new Set(prefixes)], sensorNames: [...new Set(sensorNames)] };
}

export function parsePrefix(p: string): { net: string; bits: number; family: 'ipv4' | 'ipv6' } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(p);
  const net = m ? m[1] : p;
  const family = isIPv4(net) ? 'ipv4' : isIPv6(net) ? 'ipv6' : null;
  const bits = m ? Number(m[2]) : family === 'ipv4' ? 32 : 128;
  if (family === null || bits > (family === 'ipv4' ? 32 : 128)) {
    throw new InputError('org.bad-prefix', `"${p}" is not an address prefix (e.g. 203.0.113.0/24 or 2001:db8::/32)`, { subject: 'prefixes' });
  }
  return { net, bits, family };
}

function json<T>(text: string): T[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

const PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

function family(ip: string): 'ipv4' | 'ipv6' | null {
  return isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : null;
}

// BlockList.check builds a SocketAddress per call: answers are cached per address (bounded)
const publicCache = new Map<string, boolean>();

/** A routable public address (not private, loopback, link-local, documentation or multicast). */
export function isPublicAddress(ip: string): boolean {
  let v = publicCache.get(ip);
  if (v === undefined) {
    const f = family(ip);
    v = f !== null && !PRIVATE.check(ip, f);
    if (publicCache.size >= 65_536) publicCache.clear();
    publicCache.set(ip, v);
  }
  return v;
}

export class ScopeIndex {
  private readonly byCountry = new Map<string, number[]>();
  private readonly byAsn = new Map<number, number[]>();
  private readonly bySensor = new Map<string, number[]>();
  private readonly prefixes: Array<{ org: number; list: BlockList }> = [];
  /** Organisations whose prefixes hold an address, per address (bounded). */
  private readonly prefixCache = new Map<string, number[]>();

  constructor(orgs: readonly OrgScopeRow[]) {
    const add = <K>(m: Map<K, number[]>, k: K, org: number) => {
      const l = m.get(k);
      if (l) {
        if (!l.includes(org)) l.push(org);
      } else m.set(k, [org]);
    };
    for (const o of orgs) {
      for (const c of json<string>(o.countries)) add(this.byCountry, c, o.id);
      for (const a of json<number>(o.asns)) add(this.byAsn, Number(a), o.id);
      for (const s of json<string>(o.sensor_names)) add(this.bySensor, s, o.id);
      const ps = json<string>(o.prefixes);
      if (ps.length > 0) {
        const list = new BlockList();
        for (const p of ps) {
          try {
            const { net, bits, family: f } = parsePrefix(p);
            list.addSubnet(net, bits, f);
          } catch {
            // validated when stored; a hand-edited row with a bad prefix matches nothing
          }
        }
        this.prefixes.push({ org: o.id, list });
      }
    }
  }

  /** ",owner,other,…," for one row. */
  scopeOf(owner: number, sensorName: string, country: string | null, asn: number | null, src: string | null, dest: string | null): string {
    let extra: number[] | null = null;
    const push = (ids: number[] | undefined) => {
      if (!ids) return;
      for (const id of ids) if (id !== owner && !(extra ??= []).includes(id)) extra.push(id);
    };
    if (country) push(this.byCountry.get(country));
    if (asn) push(this.byAsn.get(asn));
    push(this.bySensor.get(sensorName));
    if (this.prefixes.length > 0) {
      if (src) push(this.prefixOrgs(src));
      if (dest) push(this.prefixOrgs(dest));
    }
    if (extra === null) return `,${owner},`;
    return `,${owner},${(extra as number[]).join(',')},`;
  }

  private prefixOrgs(ip: string): number[] {
    let orgs = this.prefixCache.get(ip);
    if (orgs === undefined) {
      orgs = [];
      const f = family(ip);
      if (f) for (const p of this.prefixes) if (p.list.check(ip, f)) orgs.push(p.org);
      if (this.prefixCache.size >= 65_536) this.prefixCache.clear();
      this.prefixCache.set(ip, orgs);
    }
    return orgs;
  }

  /** One scope string holding every organisation of `scopes` (first seen first); null when there are none. */
  static union(scopes: Iterable<string>): string | null {
    const ids = new Set<number>();
    for (const s of scopes) for (const id of ScopeIndex.ids(s)) ids.add(id);
    return ids.size > 0 ? `,${[...ids].join(',')},` : null;
  }

  /** Organisation ids in a scope string (owner first). */
  static ids(scope: string): number[] {
    return scope.split(',').filter(Boolean).map(Number);
  }
}

/** The LIKE pattern that selects rows visible to an organisation. */
export function scopePattern(orgId: number): string {
  return `%,${orgId},%`;
}
