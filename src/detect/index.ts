/**
 * The cryptojacking detectors and the parsers they need, assembled in one place.
 *
 * Detector ids and signature-id ranges (one block of 100 each; see common.ts SidBase):
 *   stratum           9100000  0 session, 1 attempt without work, 2 getwork over HTTP, 3 Stratum V2, 4 reconnect to a pool endpoint seen mining
 *   pool-dns          9100100  0 pool name, 1 browser-miner name, 2 miner download host, 3 other listed
 *   pool-tls          9100200  0 pool SNI, 1 browser-miner SNI, 2 certificate name, 3 miner TLS fingerprint, 4 other listed SNI
 *   pool-http         9100300  0 pool host, 1 browser-miner host, 2 miner download, 3 miner UA / getwork header, 4 other listed, 5 miner-download host
 *   browser-miner     9100400  0 miner in page, 1 script from listed host, 2 miner wasm, 3 WebSocket proxy, 4 WebSocket mining frames, 5 same key on unrelated sites
 *   mining-encrypted  9100500  0 encrypted mining (behaviour + knowledge score)
 *   scan              9100600  0 horizontal, 1 vertical, 2 Mirai, 3 masscan, 4 ZMap, 5 ping sweep
 *   bruteforce        9100700  0 telnet, 1 SSH, 2 FTP, 3 HTTP basic, 4 Mirai default credential success
 *   redis-exploit     9100800  0 dir, 1 dbfilename, 2 rogue master, 3 module load, 4 payload, 5 write-cron chain, 6 Lua escape, 7 system.exec
 *   probe             9100900  0 pool confirmed by active probe
 *
 * Order matters in one place: stratum runs before mining-encrypted, so a flow already
 * identified in clear text is not scored again as "encrypted".
 */
import type { ReasonCounter } from '../events/counters.js';
import type { AlertInput, Detector, DetectorContext } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import type { StreamConsumer } from '../events/stream.js';
import { createRedisConsumer } from '../protocols/redis.js';
import { createStratumConsumer } from '../protocols/stratum.js';
import { createFtpConsumer } from '../protocols/ftp.js';
import { createTelnetConsumer } from '../protocols/telnet.js';
import type { MessageSink } from '../protocols/types.js';
import { BROWSER_MINER_DETECTOR, createBrowserMinerDetector, readsResponseBody } from './browser-miner.js';
import { createBruteforceDetector } from './bruteforce.js';
import { DnsAnswerCache } from './dns-answer-cache.js';
import { MiningHostPairs } from './host-pairs.js';
import { createMiningEncryptedDetector } from './mining-encrypted.js';
import { createPoolDnsDetector } from './pool-dns.js';
import { createPoolHttpDetector } from './pool-http.js';
import { createPoolTlsDetector } from './pool-tls.js';
import { createProbeConfirmer, StratumProber, type ProbeOptions } from './probe.js';
import { createRedisExploitDetector } from './redis-exploit.js';
import { createScanDetector } from './scan.js';
import { createStratumDetector } from './stratum.js';
import { ipMatcher, suppressContext, type SuppressionCount } from './suppress.js';
import type { SuppressionConfig } from './suppress-types.js';

export { DnsAnswerCache } from './dns-answer-cache.js';
export { MiningHostPairs } from './host-pairs.js';
export { StratumProber, type ProbeOptions, type ProbeResult } from './probe.js';
export type { SuppressionConfig, SuppressionRule } from './suppress-types.js';
export type { SuppressionCount } from './suppress.js';
export { evaluateEncrypted, type EvalResult } from './eval-encrypted.js';
export { SidBase, Category } from './common.js';
/**
 * The HTTP response bodies the running detectors read, by Content-Type: only browser-miner
 * reads response bodies (stratum reads request bodies, which are always kept). The wiring
 * passes it to the HTTP parser when nothing else (rules) needs every body.
 */
export function responseBodiesRead(running: (detectorId: string) => boolean): (contentType: string) => boolean {
  return running(BROWSER_MINER_DETECTOR) ? readsResponseBody : readsNoResponseBody;
}

function readsNoResponseBody(): boolean {
  return false;
}

export interface DetectorOptions {
  intel: HostIntel;
  /** Home networks (CIDRs): alerts say whether the attributed device is inside them. */
  homeNets?: string[];
  suppress?: SuppressionConfig;
  /** Enables active confirmation of suspected pools (opt-in: it contacts remote hosts). */
  probe?: ProbeOptions;
}

export interface DetectorSet {
  detectors: Detector[];
  dnsCache: DnsAnswerCache;
  hostPairs: MiningHostPairs;
  prober: StratumProber | null;
  /** Alerts suppressed so far, per rule (empty without suppression rules). */
  suppressed(): SuppressionCount[];
}

/** Every detector plus the shared caches, prober and suppression counters. */
export function createDetectorSet(opts: DetectorOptions): DetectorSet {
  const dnsCache = new DnsAnswerCache();
  const hostPairs = new MiningHostPairs();
  const prober = opts.probe ? new StratumProber(opts.probe) : null;
  const confirm = prober ? createProbeConfirmer(prober) : undefined;
  const { intel } = opts;
  const raw: Detector[] = [
    createStratumDetector({ intel, dnsCache, hostPairs }),
    createPoolDnsDetector({ intel, dnsCache }),
    createPoolTlsDetector({ intel }),
    createPoolHttpDetector({ intel }),
    createBrowserMinerDetector({ intel }),
    createMiningEncryptedDetector({ intel, dnsCache, hostPairs, onSuspect: confirm }),
    createScanDetector(),
    createBruteforceDetector(),
    createRedisExploitDetector(),
  ];
  const home = (opts.homeNets ?? []).map((c) => ipMatcher(c)).filter((m): m is (ip: string) => boolean => m !== null);
  const rules = opts.suppress && opts.suppress.rules.length > 0 ? opts.suppress : null;
  if (!rules && home.length === 0) return { detectors: raw, dnsCache, hostPairs, prober, suppressed: () => [] };

  // One wrapper context per underlying context (memoised): no allocation per packet.
  let lastInner: DetectorContext | null = null;
  let lastWrapped: DetectorContext | null = null;
  let counters: (() => SuppressionCount[]) | null = null;
  const totals = new Map<number, SuppressionCount>();
  const wrap = (inner: DetectorContext): DetectorContext => {
    if (inner === lastInner && lastWrapped) return lastWrapped;
    if (counters) for (const c of counters()) totals.set(c.rule, { ...c, suppressed: (totals.get(c.rule)?.suppressed ?? 0) + c.suppressed });
    let ctx: DetectorContext = inner;
    if (rules) {
      const s = suppressContext(inner, rules);
      counters = () => s.counts();
      ctx = s;
    }
    if (home.length > 0) {
      const next = ctx;
      ctx = {
        emit(flow: FlowView | null, alert: AlertInput): void {
          const ip = alert.device?.ip ?? flow?.clientIp ?? alert.srcIp ?? '';
          next.emit(flow, ip ? { ...alert, evidence: { ...alert.evidence, deviceInHomeNet: home.some((m) => m(ip)) } } : alert);
        },
        emitEvent: (e) => next.emitEvent(e),
      };
    }
    lastInner = inner;
    lastWrapped = ctx;
    return ctx;
  };
  const detectors = raw.map((d): Detector => ({
    id: d.id,
    ...(d.packets !== undefined ? { packets: d.packets } : {}),
    ...(d.protocols !== undefined ? { protocols: d.protocols } : {}),
    ...(d.onPacket ? { onPacket: (p, f, c) => d.onPacket!(p, f, wrap(c)) } : {}),
    ...(d.onMessage ? { onMessage: (m, f, c) => d.onMessage!(m, f, wrap(c)) } : {}),
    ...(d.onBurst ? { onBurst: (f, b, c) => d.onBurst!(f, b, wrap(c)) } : {}),
    ...(d.onFlowEnd ? { onFlowEnd: (f, r, c) => d.onFlowEnd!(f, r, wrap(c)) } : {}),
    ...(d.onFinish ? { onFinish: (c) => d.onFinish!(wrap(c)) } : {}),
  }));
  return {
    detectors, dnsCache, hostPairs, prober,
    suppressed(): SuppressionCount[] {
      const now = counters ? counters() : rules ? rules.rules.map((r, i) => ({ rule: i, reason: r.reason, suppressed: 0 })) : [];
      return now.map((c) => ({ ...c, suppressed: c.suppressed + (totals.get(c.rule)?.suppressed ?? 0) }));
    },
  };
}

export function createDetectors(opts: DetectorOptions): Detector[] {
  return createDetectorSet(opts).detectors;
}

/**
 * The stream consumers this module owns: Stratum (any port), telnet, FTP, Redis. Pass a shared
 * ReasonCounter to collect their malformed-input counts ('stratum.*', 'telnet.*', 'ftp.*', 'redis.*');
 * each consumer also exposes its counter as `.malformed`.
 */
export function createMinerConsumers(sink: MessageSink, opts: { malformed?: ReasonCounter } = {}): StreamConsumer[] {
  const malformed = opts.malformed;
  return [createStratumConsumer(sink, { malformed }), createTelnetConsumer(sink, { malformed }), createFtpConsumer(sink, { malformed }), createRedisConsumer(sink, { malformed })];
}
