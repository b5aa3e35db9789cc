/**
 * Scan targets: addresses, CIDRs, ranges and hostnames → a list of addresses, and the
 * safety policy (public addresses need --i-own-these-addresses; a hard cap on host count).
 * IPv4 is expanded; IPv6 is accepted as single addresses (a /64 cannot be swept anyway).
 * Which addresses count as public is decided once, in src/util/ip.ts (isPublicIp).
 */
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { UsageError } from '../util/errors.js';
import { classifyIp, formatIpv4, ipVersion, isPublicIp, parseCidrStrict, parseIpv4 } from '../util/ip.js';

/** More than this many hosts in one run is almost certainly a typo (a /8 instead of a /24). */
export const DEFAULT_MAX_HOSTS = 4096;

/** 0.0.0.0/8 ("this network") and :: are never destinations: connecting to them reaches this machine. */
export function isUnspecifiedAddress(ip: string): boolean {
  const cls = classifyIp(ip);
  return cls === 'this-network' || cls === 'unspecified';
}

export interface TargetOptions {
  /** --i-own-these-addresses: allow public addresses. */
  allowPublic: boolean;
  maxHosts?: number;
  /** Name resolution; injectable so tests need no DNS. */
  resolve?: (name: string) => Promise<string[]>;
}

export interface ExpandedTarget {
  address: string;
  hostname?: string;
}

async function systemResolve(name: string): Promise<string[]> {
  const all = await lookup(name, { all: true });
  return all.map((a) => a.address);
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,62}[a-z0-9_])?)*\.?$/i;

/** Parse and expand every target spec; throws UsageError naming the bad spec and the fix. */
export async function expandTargets(specs: readonly string[], opts: TargetOptions): Promise<ExpandedTarget[]> {
  const max = opts.maxHosts ?? DEFAULT_MAX_HOSTS;
  const out: ExpandedTarget[] = [];
  const seen = new Set<string>();
  const add = (address: string, hostname?: string): void => {
    if (seen.has(address)) return;
    if (isUnspecifiedAddress(address)) {
      throw new UsageError(`${hostname ? `${hostname} (${address})` : address} is not a host address (0.0.0.0/8 and :: mean "this host/network", RFC 6890); give the address of a host or a network to scan`, 'usage.bad-target', { subject: address });
    }
    // Special-purpose space (private, loopback, link-local, CGN, ULA, documentation …) is what a
    // home user may scan without --i-own-these-addresses.
    if (!opts.allowPublic && isPublicIp(address)) {
      throw new UsageError(
        `${hostname ? `${hostname} (${address})` : address} is a public address; scan only networks you own, and confirm with --i-own-these-addresses`,
      );
    }
    seen.add(address);
    out.push(hostname ? { address, hostname } : { address });
    if (out.length > max) {
      throw new UsageError(`more than ${max} hosts to scan; narrow the targets (or raise --max-hosts)`);
    }
  };

  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === '') continue;
    const v4range = parseIpv4Range(spec);
    if (v4range) {
      const [first, last] = v4range;
      if (last - first + 1 > max) throw new UsageError(`${spec} has ${last - first + 1} addresses, more than ${max}; narrow it (or raise --max-hosts)`);
      for (let n = first; n <= last; n++) add(formatIpv4(n));
      continue;
    }
    if (ipVersion(spec) === 6) {
      add(spec);
      continue;
    }
    if (spec.includes('/') && ipVersion(spec.split('/')[0]) === 6) {
      throw new UsageError(`${spec}: IPv6 prefixes are not swept (too large); give single IPv6 addresses`);
    }
    if (HOSTNAME.test(spec) && !/^[\d.]+$/.test(spec)) {
      let addrs: string[];
      try {
        addrs = await (opts.resolve ?? systemResolve)(spec);
      } catch {
        throw new UsageError(`cannot resolve ${spec}; check the name or give an address`);
      }
      if (addrs.length === 0) throw new UsageError(`cannot resolve ${spec}; check the name or give an address`);
      for (const a of addrs) add(a, spec);
      continue;
    }
    throw new UsageError(`bad target "${spec}": give an address (192.168.1.1), a CIDR (192.168.1.0/24), a range (192.168.1.10-20) or a hostname`);
  }
  return out;
}

/** IPv4 address, CIDR or range → inclusive [first, last] as integers; null if not IPv4 syntax. */
export function parseIpv4Range(spec: string): [number, number] | null {
  if (spec.includes('/')) {
    if (spec.includes(':')) return null;
    const c = parseCidrStrict(spec);
    if (typeof c === 'string') return null;
    // Network and broadcast addresses are not hosts, except in /31 and /32.
    return c.prefix >= 31 ? [c.v4, c.last4] : [c.v4 + 1, c.last4 - 1];
  }
  const range = /^(\d+\.\d+\.\d+\.\d+)-(\d+(?:\.\d+\.\d+\.\d+)?)$/.exec(spec);
  if (range) {
    const first = parseIpv4(range[1]);
    if (first < 0) return null;
    let last: number;
    if (range[2].includes('.')) {
      last = parseIpv4(range[2]);
      if (last < 0) return null;
    } else {
      const octet = Number(range[2]);
      if (octet > 255) return null;
      last = ((first & 0xffffff00) | octet) >>> 0;
    }
    return last >= first ? [first, last] : null;
  }
  const n = parseIpv4(spec);
  if (n >= 0) return [n, n];
  return null;
}

/**
 * The machine's own IPv4 subnets (what `minewatch scan` with no target sweeps). Subnets
 * larger than a /24 are narrowed to the /24 around our own address, so a /16 office LAN
 * does not turn into a 65 000-host scan by accident.
 */
export function localSubnets(): string[] {
  const out = new Set<string>();
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal || a.family !== 'IPv4' || !a.cidr) continue;
      const bits = Math.max(24, Number(a.cidr.split('/')[1]));
      const mask = (0xffffffff << (32 - bits)) >>> 0;
      out.add(`${formatIpv4((parseIpv4(a.address) & mask) >>> 0)}/${bits}`);
    }
  }
  return [...out];
}
