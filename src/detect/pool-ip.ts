/**
 * Detector `pool-ip`: a connection, on any port and in any protocol we cannot read, to an
 * address that a device resolved from a listed pool or miner-script name (issue 15, class 2).
 * Miners resolve the pool name once and then connect to the bare address; when the protocol
 * is TLS the pool-tls detector reports it (signature 5), when it is readable Stratum the
 * stratum detector does (with the name in its evidence), HTTP to a listed Host pool-http;
 * everything else (HTTP to the bare address included) is reported here,
 * with the DNS answer (name, time, address, who asked) as evidence.
 *
 * When: at the flow's first payload burst, or at its end when it carried none (a refused or
 * unanswered connection is still an attempt). Once per (device, address, port) per hour.
 * Memory: the answers live in the shared DnsAnswerCache (bounded, evictions counted); per
 * flow one userData flag; the repeat gate is a bounded LRU.
 *
 * Signatures (9101100+): 0 connection to an answer address of a listed name.
 */
import type { DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import { Category, RepeatGate, SidBase, deviceOf, hostOnly, urlHost } from './common.js';
import type { DnsAnswerCache } from './dns-answer-cache.js';
import { describeKind, resolvedEvidence } from './pool-dns.js';

export const POOL_IP_DETECTOR = 'pool-ip';
const SID = SidBase['pool-ip'];
const HOUR_US = 3600e6;
/** Per-flow flag: already judged (or TLS, which pool-tls judges). */
const KEY = 'detect.pool-ip';
/** The stratum detector's per-flow session: a readable mining session is reported there. */
const STRATUM_KEY = 'detect.stratum';

export interface PoolIpOptions {
  dnsCache: DnsAnswerCache;
  /** To leave HTTP requests whose Host is listed to pool-http (which names them). */
  intel: HostIntel;
}

export function createPoolIpDetector(opts: PoolIpOptions): DetectorOf<'tls' | 'http'> {
  const { dnsCache, intel } = opts;
  const gate = new RepeatGate(HOUR_US);

  function judge(flow: FlowView, tsUs: number, ctx: DetectorContext): void {
    if (!dnsCache.hasPoolAnswers || flow.userData.has(KEY)) return;
    flow.userData.set(KEY, true);
    if (flow.proto !== 6 && flow.proto !== 17) return;
    if (flow.userData.has(STRATUM_KEY)) return;
    const a = dnsCache.lookupPool(flow.serverIp);
    if (!a) return;
    const device = deviceOf(flow, 0);
    if (!gate.pass(`${device.id}|${flow.serverIp}|${flow.serverPort}`, tsUs)) return;
    ctx.emit(flow, {
      detector: POOL_IP_DETECTOR,
      signatureId: SID,
      signature: `MINEWATCH COINMINER connection to ${flow.serverIp}:${flow.serverPort}, an address of ${describeKind(a.kind)} ${a.name}`,
      category: Category.MINING,
      severity: a.askedBy === flow.clientIp ? 2 : 3,
      evidence: { ...resolvedEvidence(a, flow, tsUs), packets: flow.pktsToServer + flow.pktsToClient, bytes: flow.bytesToServer + flow.bytesToClient },
      device,
      dedupKey: POOL_IP_DETECTOR,
    });
  }

  return {
    id: POOL_IP_DETECTOR,
    // only to know which flows pool-tls (TLS) or pool-http (HTTP to a listed host) report
    protocols: ['tls', 'http'],
    onMessage(msg: ProtocolMessage<'tls' | 'http'>, flow: FlowView): void {
      if (msg.protocol === 'tls') {
        if (msg.kind === 'client_hello') flow.userData.set(KEY, true);
        return;
      }
      if (msg.kind !== 'request' || flow.userData.has(KEY) || !dnsCache.hasPoolAnswers) return;
      const h = msg.fields;
      const host = urlHost(h.uri) || hostOnly(h.host);
      if (host && (intel.matchDomain(host) ?? intel.matchIp(host))) flow.userData.set(KEY, true);
    },
    onBurst(flow, burst, ctx): void {
      // the TLS parser's ClientHello comes with the first upstream burst's data, before the burst ends
      judge(flow, burst.startUs, ctx);
    },
    onFlowEnd(flow, _reason, ctx): void {
      judge(flow, flow.lastTsUs, ctx);
    },
  };
}
