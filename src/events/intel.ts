/**
 * Host intelligence contract: "is this name or address a known mining pool / miner host?".
 * rules/ implements it from the lists defenders maintain; detectors receive it by
 * injection, so detect/ never imports rules/.
 */

export interface HostMatch {
  /** What matched: the listed entry ("pool.example", "203.0.113.0/24"). */
  entry: string;
  /** Which list (name of the file or feed) said so — carried into the alert as provenance. */
  list: string;
  /** 'pool' | 'browser-miner' | 'miner-download' | 'unknown' … as the list classifies it. */
  kind: string;
  /** Pool operator / coin when the list knows it (e.g. "nanopool", "XMR"). */
  pool?: string;
  coin?: string;
}

export interface HostIntel {
  /** Suffix match: a listed `pool.example` matches `eu.pool.example`, never `notpool.example`. Allow-lists win. */
  matchDomain(name: string): HostMatch | null;
  /** Exact address or CIDR match (IPv4 and IPv6 text). Allow-lists win. */
  matchIp(ip: string): HostMatch | null;
}

/** An intel source that knows nothing (for tests and when lists are disabled). */
export const NO_INTEL: HostIntel = {
  matchDomain: () => null,
  matchIp: () => null,
};
