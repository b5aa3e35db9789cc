/**
 * AS size for normalised rates: the IPv4 addresses an AS announces, from the AS range table
 * (telescope/geo.ts: the bundled @ip-location-db/asn data or an --asn-db CSV), counted once
 * per table and kept for the process. Rates are infected hosts (campaigns) or alerts (trends)
 * per 100,000 announced addresses; null where the AS is unknown or announces nothing over IPv4.
 */
import { openAsnTable, type AsnTable } from '../telescope/geo.js';

export type AsSize = (asn: number) => number | undefined;

const tables = new Map<string, AsnTable | null>();

/** The announced-address lookup of the bundled table (or of `asnDb`); a lookup that knows nothing when the table cannot be read. */
export function asSizeLookup(asnDb?: string): AsSize {
  const key = asnDb ?? '';
  if (!tables.has(key)) {
    try {
      tables.set(key, openAsnTable({ asnDb }));
    } catch (err) {
      if (asnDb) throw err; // the user's file: say what is wrong with it
      tables.set(key, null);
    }
  }
  const t = tables.get(key);
  return (asn) => t?.announced(asn);
}

/** count per 100,000 announced addresses, or null without a size. */
export function per100k(count: number, announced: number | undefined): number | null {
  return announced && announced > 0 ? Math.round((count / announced) * 1e5 * 1000) / 1000 : null;
}
