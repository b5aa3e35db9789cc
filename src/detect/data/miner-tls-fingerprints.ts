/**
 * TLS client fingerprints of mining software.
 *
 * Honesty note: each entry says where it comes from. Miners link a stock TLS library
 * (OpenSSL through libuv for XMRig, OpenSSL for bfgminer/cgminer), so their JA3 is often
 * shared with other programs built on the same library version: a match is a WEAK
 * indicator that mining-encrypted fuses with flow behaviour, never an alert on its own
 * strength (pool-tls reports it with low severity).
 */
export interface MinerTlsFingerprint {
  kind: 'ja3' | 'ja4';
  value: string;
  software: string;
  /** Where the value comes from; 'assumption' entries are not verified against a capture. */
  source: string;
  verified: boolean;
}

export const MINER_TLS_FINGERPRINTS: readonly MinerTlsFingerprint[] = [
  {
    kind: 'ja3',
    value: 'ec2e8760003621ca668b5f03e616cd57',
    software: 'bfgminer/5.2.0 (OpenSSL 1.0.x default client hello)',
    // Computed with tshark (tls.handshake.ja3) from the 5 ClientHellos to us1.bitminter.com:3333
    // in shared/data/mining/bitcoin-bfgminer-stratum-gbt-getwork.pcap (jsiwek/zeek-cryptomining).
    source: 'jsiwek/zeek-cryptomining testing/Traces/bitcoin-mining.pcap, verified with tshark',
    verified: true,
  },
  // No XMRig JA3/JA4 is shipped: no public capture of XMRig over TLS was found (see
  // shared/data/SOURCES.md "Searched for and not found"), and inventing one would be an
  // untestable assumption. Operators can add values through createDetectors' options.
];
