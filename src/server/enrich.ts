/**
 * Ingest enrichment: country and AS number of an event's public address, from the same
 * lookups the telescope uses (telescope/geo.ts: the bundled iptoasn country mmdb, or any
 * MaxMind-format file given with --geoip-db; the AS range table from @ip-location-db/asn,
 * or a current CSV given with --asn-db). AS numbers are looked up for IPv4.
 */
import { isIPv4 } from 'node:net';
import type { Enricher } from '../store/index.js';
import { openGeo, type GeoOptions } from '../telescope/geo.js';

function ipv4Number(ip: string): number {
  const p = ip.split('.');
  return ((Number(p[0]) << 24) >>> 0) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3]);
}

export function geoEnricher(opts: GeoOptions = {}): Enricher {
  const geo = openGeo(opts);
  return (ip: string) => {
    const cc = geo.country(ip);
    const asn = geo.asn && isIPv4(ip) ? geo.asn.lookup(ipv4Number(ip)) : 0;
    return { country: cc === '??' ? null : cc, asn: asn > 0 ? asn : null };
  };
}
