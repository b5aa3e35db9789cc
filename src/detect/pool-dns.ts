/**
 * Detector `pool-dns`: a device resolving a known mining-pool or miner-distribution name.
 * The name lists come from HostIntel (injected); the matching list goes into the evidence.
 * Also fills the DnsAnswerCache (address → name) from every A/AAAA answer, so detectors
 * that only see an address (stratum, mining-encrypted) can name the pool, and remembers the
 * answer addresses of listed names for pool-tls and pool-ip.
 *
 * Signatures (9100100+): 0 pool name, 1 browser-miner name, 2 miner download host,
 * 3 other listed name. Repeats of the same (device, name) are reported once an hour.
 */
import type { DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel, HostMatch } from '../events/intel.js';
import type { DnsFields } from '../events/messages.js';
import { Category, RepeatGate, SidBase, deviceOf, firstInFlow } from './common.js';
import type { DnsAnswerCache, PoolAnswer } from './dns-answer-cache.js';

export const POOL_DNS_DETECTOR = 'pool-dns';
const SID = SidBase['pool-dns'];
const HOUR_US = 3600e6;
const TYPE_A = 1;
const TYPE_AAAA = 28;
const TYPE_CNAME = 5;

export interface PoolDnsOptions {
  intel: HostIntel;
  dnsCache?: DnsAnswerCache;
}

export function sidOffsetForKind(kind: string): number {
  switch (kind) {
    case 'pool': return 0;
    case 'browser-miner': return 1;
    case 'miner-download': return 2;
    default: return 3;
  }
}

export function describeKind(kind: string): string {
  switch (kind) {
    case 'pool': return 'mining pool';
    case 'browser-miner': return 'in-browser miner';
    case 'miner-download': return 'miner download host';
    default: return 'listed coin-mining host';
  }
}

export function matchEvidence(m: HostMatch): Record<string, unknown> {
  return { entry: m.entry, list: m.list, kind: m.kind, ...(m.pool ? { pool: m.pool } : {}), ...(m.coin ? { coin: m.coin } : {}) };
}

/**
 * Evidence for a connection to an answer address of a listed name: the DNS answer (name,
 * time, address, who asked) and how long after it the connection came.
 */
export function resolvedEvidence(a: PoolAnswer, flow: FlowView, tsUs: number): Record<string, unknown> {
  return {
    dnsAnswer: { name: a.name, address: flow.serverIp, answeredAt: new Date(a.tsUs / 1000).toISOString(), askedBy: a.askedBy, list: a.list, kind: a.kind },
    secondsAfterAnswer: Math.round((tsUs - a.tsUs) / 1e5) / 10,
    sameDevice: a.askedBy === flow.clientIp,
    server: `${flow.serverIp.includes(':') ? `[${flow.serverIp}]` : flow.serverIp}:${flow.serverPort}`,
  };
}

export interface PoolDnsDetector extends DetectorOf<'dns'> {
  /** Learns from an answer whose flow another worker owns (no alert): the caches every worker needs. */
  learnAnswer(f: DnsFields, askedBy: string, tsUs: number): void;
}

export function createPoolDnsDetector(opts: PoolDnsOptions): PoolDnsDetector {
  const { intel, dnsCache } = opts;
  const gate = new RepeatGate(HOUR_US);

  function check(flow: FlowView, name: string, f: DnsFields, msg: ProtocolMessage, ctx: DetectorContext): void {
    const m = intel.matchDomain(name);
    if (!m) return;
    if (!firstInFlow(flow, POOL_DNS_DETECTOR, name)) return;
    // The asking device is the DNS client (the flow's client side for both query and answer).
    const device = deviceOf(flow, 0);
    if (!gate.pass(`${device.id}|${name}`, msg.tsUs)) return;
    const offset = sidOffsetForKind(m.kind);
    const addresses = f.answers.filter((a) => a.type === TYPE_A || a.type === TYPE_AAAA).slice(0, 8).map((a) => a.data);
    ctx.emit(flow, {
      detector: POOL_DNS_DETECTOR,
      signatureId: SID + offset,
      signature: `MINEWATCH COINMINER DNS lookup of ${describeKind(m.kind)} ${name}`,
      category: Category.MINING,
      severity: m.kind === 'pool' || m.kind === 'browser-miner' ? 2 : 3,
      evidence: { qname: name, qtype: f.qtype, response: f.response, ...(addresses.length ? { answers: addresses } : {}), listed: matchEvidence(m) },
      device,
      appProto: 'dns',
      dedupKey: `${POOL_DNS_DETECTOR}:${name}`,
    });
  }

  /** Remembers what an answer teaches: address → asked name, and the answer addresses of listed names. */
  function learn(f: DnsFields, qname: string, askedBy: string, tsUs: number): void {
    if (!f.response || !dnsCache || !Array.isArray(f.answers)) return;
    // Follow the CNAME chain so the address is remembered under the asked name.
    let target = qname;
    for (const a of f.answers) {
      if (a.type === TYPE_CNAME) target = a.data.toLowerCase();
      else if (a.type === TYPE_A || a.type === TYPE_AAAA) dnsCache.remember(a.data, qname, tsUs, a.name.toLowerCase() !== qname ? a.name.toLowerCase() : target !== qname ? target : '');
    }
    const names = [qname, ...f.answers.filter((a) => a.type === TYPE_CNAME).map((a) => a.data.toLowerCase().replace(/\.$/, ''))];
    for (const name of names) {
      const m = name ? intel.matchDomain(name) : null;
      if (!m) continue;
      // The answer addresses of a listed name: a later connection to one is itself an indicator (pool-tls, pool-ip).
      for (const a of f.answers) {
        if (a.type === TYPE_A || a.type === TYPE_AAAA) dnsCache.rememberPool(a.data, { name, askedBy, tsUs, list: m.list, kind: m.kind });
      }
    }
  }

  return {
    id: POOL_DNS_DETECTOR,
    protocols: ['dns'],
    learnAnswer(f: DnsFields, askedBy: string, tsUs: number): void {
      learn(f, (f.qname ?? '').toLowerCase().replace(/\.$/, ''), askedBy, tsUs);
    },
    onMessage(msg: ProtocolMessage<'dns'>, flow: FlowView, ctx: DetectorContext): void {
      const f = msg.fields;
      const qname = (f.qname ?? '').toLowerCase().replace(/\.$/, '');
      learn(f, qname, flow.clientIp, msg.tsUs);
      if (qname) check(flow, qname, f, msg, ctx);
      // A listed CNAME target behind an innocent-looking name (pool behind a vanity domain).
      if (f.response && Array.isArray(f.answers)) {
        for (const a of f.answers) if (a.type === TYPE_CNAME) check(flow, a.data.toLowerCase().replace(/\.$/, ''), f, msg, ctx);
      }
    },
  };
}
