/** Small helpers the package formats share. */
import type { InfectedHost } from '../types.js';

/** "2019-06-01T12:00:00.000Z" → "2019-06-01T12:00:00Z" (whole seconds, UTC). */
export function isoSeconds(t: string): string {
  return new Date(Date.parse(t)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** IntelMQ's DateTime form: "2019-06-01T12:00:00+00:00". */
export function isoUtcOffset(t: string): string {
  return isoSeconds(t).replace(/Z$/, '+00:00');
}

/** Shadowserver's report form: "2019-06-01 12:00:00" (UTC). */
export function shadowserverTime(t: string): string {
  return isoSeconds(t).replace('T', ' ').replace(/Z$/, '');
}

/** RFC 4180 cell: quoted when it holds a comma, quote or line break; formula-leading cells are prefixed with ' (CSV injection). */
export function csvCell(v: string | number | undefined): string {
  if (v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** "1.2.3.4:3333" / "[2001:db8::1]:3333" / "1.2.3.4" → address and port. */
export function splitHostPort(s: string): { host: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : undefined };
  const m = /^([^:]+):(\d{1,5})$/.exec(s);
  if (m) return { host: m[1], port: Number(m[2]) };
  return { host: s };
}

export function isIpv4(s: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s);
}

export function isIpv6(s: string): boolean {
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);
}

/** One line describing a host, for text fields. */
export function describeHost(h: InfectedHost): string {
  const what = h.signature ?? `${h.malware} cryptocurrency miner`;
  const dev = h.device?.vendor || h.device?.type ? ` on a ${[h.device?.vendor, h.device?.model, h.device?.type].filter(Boolean).join(' ')}` : '';
  return `${what}${dev} (detector ${h.detector}), seen ${isoSeconds(h.firstSeen)} to ${isoSeconds(h.lastSeen)}`;
}

/** The indicators of a set of hosts, deduplicated and sorted. */
export interface Indicators {
  poolNames: string[];
  poolAddresses: string[];
  wallets: string[];
  scriptUrls: string[];
}

export function indicatorsOf(hosts: readonly InfectedHost[]): Indicators {
  const s = { poolNames: new Set<string>(), poolAddresses: new Set<string>(), wallets: new Set<string>(), scriptUrls: new Set<string>() };
  for (const h of hosts) {
    h.evidence.poolNames.forEach((x) => s.poolNames.add(x.toLowerCase()));
    h.evidence.poolAddresses.forEach((x) => s.poolAddresses.add(x));
    h.evidence.wallets.forEach((x) => s.wallets.add(x));
    h.evidence.scriptUrls.forEach((x) => s.scriptUrls.add(x));
  }
  const sorted = (x: Set<string>): string[] => [...x].sort();
  return { poolNames: sorted(s.poolNames), poolAddresses: sorted(s.poolAddresses), wallets: sorted(s.wallets), scriptUrls: sorted(s.scriptUrls) };
}

/** A file-name-safe form of a recipient id: "cert:JP" → "cert-JP". */
export function fileStem(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '-');
}
