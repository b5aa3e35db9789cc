/**
 * Shadowserver-style CSV in the layout of their Drone (botnet drone) report, which is what
 * CERTs already ingest for infected hosts: `timestamp` in UTC as "YYYY-MM-DD HH:MM:SS", the
 * infected address and its AS/geo, `infection` = malware family, `cc*` = the endpoint it
 * talked to (the mining pool). One row per host and pool endpoint (at least one per host).
 * Column order from the report's documentation as IntelMQ's Shadowserver parser reads it
 * (certtools/intelmq, parsers/shadowserver, "Botnet-Drone-Hadoop"), plus the newer
 * `sector,family,tag,public_source` columns.
 */
import type { InfectedHost, PackageContext, PackageFile, RecipientPackage } from '../types.js';
import { csvCell, isIpv4, isIpv6, shadowserverTime, splitHostPort } from './common.js';

export const SHADOWSERVER_COLUMNS = [
  'timestamp', 'ip', 'port', 'asn', 'geo', 'region', 'city', 'hostname', 'type', 'infection', 'url', 'agent',
  'cc', 'cc_port', 'cc_asn', 'cc_geo', 'cc_dns', 'count', 'proxy', 'application', 'p0f_genre', 'p0f_detail',
  'machine_name', 'id', 'naics', 'sic', 'sector', 'family', 'tag', 'public_source',
] as const;
type Column = (typeof SHADOWSERVER_COLUMNS)[number];

interface Endpoint { cc?: string; ccPort?: number; ccDns?: string; url?: string }

function endpoints(h: InfectedHost): Endpoint[] {
  const out: Endpoint[] = [];
  const names = [...h.evidence.poolNames];
  for (const a of h.evidence.poolAddresses) {
    const { host, port } = splitHostPort(a);
    const ip = isIpv4(host) || isIpv6(host) ? host : undefined;
    out.push({ cc: ip, ccPort: port, ccDns: ip ? (names.length === 1 ? names[0] : undefined) : host });
  }
  const used = new Set(out.map((e) => e.ccDns));
  for (const n of names) if (!used.has(n)) out.push({ ccDns: n });
  for (const u of h.evidence.scriptUrls) out.push({ url: u });
  return out.length ? out : [{}];
}

export function shadowserverRows(h: InfectedHost, ctx: PackageContext): Record<Column, string | number | undefined>[] {
  return endpoints(h).map((ep) => ({
    timestamp: shadowserverTime(h.lastSeen),
    ip: h.ip,
    port: h.port,
    asn: h.asn,
    geo: h.country,
    region: undefined,
    city: undefined,
    hostname: undefined,
    type: ep.url ? 'tcp' : ep.ccPort !== undefined ? 'tcp' : undefined,
    infection: h.malware.toLowerCase(),
    url: ep.url,
    agent: undefined,
    cc: ep.cc,
    cc_port: ep.ccPort,
    cc_asn: undefined,
    cc_geo: undefined,
    cc_dns: ep.ccDns,
    count: 1,
    proxy: undefined,
    application: ep.url ? (ep.url.startsWith('https:') ? 'https' : 'http') : ep.ccPort !== undefined ? 'stratum' : undefined,
    p0f_genre: undefined,
    p0f_detail: undefined,
    machine_name: undefined,
    id: h.identity.rule === 'device-id' ? h.identity.deviceId : undefined,
    naics: undefined,
    sic: undefined,
    sector: undefined,
    family: h.malware.toLowerCase(),
    tag: [h.detector, h.device?.type, h.device?.vendor].filter(Boolean).join(';'),
    public_source: ctx.feedName,
  }));
}

export function shadowserverCsv(hosts: readonly InfectedHost[], ctx: PackageContext): string {
  const lines = [SHADOWSERVER_COLUMNS.join(',')];
  for (const h of hosts) for (const r of shadowserverRows(h, ctx)) lines.push(SHADOWSERVER_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function shadowserverPackage(pkg: RecipientPackage, ctx: PackageContext, stem: string): PackageFile[] {
  return [{ path: `${stem}.shadowserver.csv`, content: shadowserverCsv(pkg.hosts, ctx), contentType: 'text/csv' }];
}
