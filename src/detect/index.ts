/**
 * The cryptojacking detectors, one factory each, and the state some of them share (DNS
 * answers, mining host pairs, the active prober, suppression). Which of them run, in what
 * order and on which partition is decided in one place: the component registry
 * (src/pipeline/components.ts), which loads this module only when detection runs.
 *
 * Detector ids and signature-id ranges (one block of 100 each; see common.ts SidBase):
 *   stratum           9100000  0 session, 1 attempt without work, 2 getwork over HTTP, 3 Stratum V2, 4 reconnect to a pool endpoint seen mining
 *   pool-dns          9100100  0 pool name, 1 browser-miner name, 2 miner download host, 3 other listed
 *   pool-tls          9100200  0 pool SNI, 1 browser-miner SNI, 2 certificate name, 3 miner TLS fingerprint, 4 other listed SNI, 5 TLS to an answer address of a listed name
 *   pool-http         9100300  0 pool host, 1 browser-miner host, 2 miner download, 3 miner UA / getwork header, 4 other listed, 5 miner-download host
 *   browser-miner     9100400  0 miner in page, 1 script from listed host, 2 miner wasm, 3 WebSocket proxy, 4 WebSocket mining frames, 5 same key on unrelated sites
 *   mining-encrypted  9100500  0 encrypted mining (behaviour + knowledge score)
 *   scan              9100600  0 horizontal, 1 vertical, 2 Mirai, 3 masscan, 4 ZMap, 5 ping sweep, 6 ARP sweep
 *   bruteforce        9100700  0 telnet, 1 SSH, 2 FTP, 3 HTTP basic, 4 Mirai default credential success
 *   redis-exploit     9100800  0 dir, 1 dbfilename, 2 rogue master, 3 module load, 4 payload, 5 write-cron chain, 6 Lua escape, 7 system.exec
 *   probe             9100900  0 pool confirmed by active probe
 *   version-scan      9101000  0 Nmap service/version scan (probe strings, NSE user agent)
 *   pool-ip           9101100  0 connection (not TLS, not readable Stratum) to an answer address of a listed name
 */
export { createStratumDetector } from './stratum.js';
export { createPoolDnsDetector } from './pool-dns.js';
export { createPoolTlsDetector } from './pool-tls.js';
export { createPoolIpDetector } from './pool-ip.js';
export { createPoolHttpDetector } from './pool-http.js';
export { createBrowserMinerDetector, readsResponseBody } from './browser-miner.js';
export { createMiningEncryptedDetector } from './mining-encrypted.js';
export { createScanDetector } from './scan.js';
export { createVersionScanDetector } from './version-scan.js';
export { createBruteforceDetector } from './bruteforce.js';
export { createRedisExploitDetector } from './redis-exploit.js';
export { DnsAnswerCache } from './dns-answer-cache.js';
export { MiningHostPairs } from './host-pairs.js';
export { StratumProber, createProbeConfirmer, type ProbeOptions, type ProbeResult } from './probe.js';
export { ipMatcher, suppressContext, type SuppressingContext, type SuppressionCount } from './suppress.js';
export type { SuppressionConfig, SuppressionRule } from './suppress-types.js';
export { SidBase, Category } from './common.js';
