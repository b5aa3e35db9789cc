/**
 * Detector `pool-tls`: a TLS connection to a known pool or browser-miner host, by the
 * ClientHello SNI or the server certificate names (HostIntel), or a ClientHello whose
 * JA3/JA4 matches mining software (weak: reported at low severity, and remembered per
 * flow for mining-encrypted to fuse with behaviour).
 *
 * Signatures (9100200+): 0 SNI of a listed pool, 1 SNI of a browser-miner host,
 * 2 certificate name listed, 3 miner TLS fingerprint, 4 other listed SNI, 5 TLS without a
 * listed SNI to an answer address of a listed name (the DNS answer is the evidence).
 */
import type { DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import type { TlsCertificateFields, TlsClientHelloFields } from '../events/messages.js';
import { Category, RepeatGate, SidBase, deviceOf, firstInFlow } from './common.js';
import { MINER_TLS_FINGERPRINTS, type MinerTlsFingerprint } from './data/miner-tls-fingerprints.js';
import { describeKind, matchEvidence, resolvedEvidence } from './pool-dns.js';
import type { DnsAnswerCache } from './dns-answer-cache.js';

export const POOL_TLS_DETECTOR = 'pool-tls';
const SID = SidBase['pool-tls'];
/** flow.userData key where the matched fingerprint is left for mining-encrypted. */
export const TLS_FINGERPRINT_KEY = 'detect.pool-tls.fingerprint';

export interface PoolTlsOptions {
  intel: HostIntel;
  /** Answer addresses of listed names (filled by pool-dns): TLS to one without a listed SNI is signature 5. */
  dnsCache?: DnsAnswerCache;
  fingerprints?: readonly MinerTlsFingerprint[];
}

export function createPoolTlsDetector(opts: PoolTlsOptions): DetectorOf<'tls'> {
  const { intel } = opts;
  const resolvedGate = new RepeatGate(3600e6);
  const byValue = new Map<string, MinerTlsFingerprint>();
  for (const f of opts.fingerprints ?? MINER_TLS_FINGERPRINTS) byValue.set(f.value, f);

  function onHello(flow: FlowView, f: TlsClientHelloFields, tsUs: number, ctx: DetectorContext): void {
    const sni = (f.sni ?? '').toLowerCase();
    const m = sni ? intel.matchDomain(sni) : null;
    if (!m) resolved(flow, f, sni, tsUs, ctx);
    if (sni) {
      if (m && firstInFlow(flow, POOL_TLS_DETECTOR, `sni:${sni}`)) {
        const offset = m.kind === 'pool' ? 0 : m.kind === 'browser-miner' ? 1 : 4;
        ctx.emit(flow, {
          detector: POOL_TLS_DETECTOR,
          signatureId: SID + offset,
          signature: `MINEWATCH COINMINER TLS connection to ${describeKind(m.kind)} ${sni}`,
          category: Category.MINING,
          severity: m.kind === 'pool' || m.kind === 'browser-miner' ? 1 : 2,
          evidence: { sni, server: `${flow.serverIp}:${flow.serverPort}`, ja3: f.ja3Hash, ja4: f.ja4, alpn: f.alpn?.slice(0, 4) ?? [], listed: matchEvidence(m) },
          device: deviceOf(flow, 0),
          appProto: 'tls',
          dedupKey: `${POOL_TLS_DETECTOR}:sni`,
        });
      }
    }
    const fp = byValue.get(f.ja3Hash) ?? byValue.get(f.ja4);
    if (fp) {
      flow.userData.set(TLS_FINGERPRINT_KEY, fp);
      if (firstInFlow(flow, POOL_TLS_DETECTOR, 'fp')) {
        ctx.emit(flow, {
          detector: POOL_TLS_DETECTOR,
          signatureId: SID + 3,
          signature: `MINEWATCH COINMINER TLS client fingerprint of ${fp.software}`,
          category: Category.MINING,
          severity: 3,
          evidence: { [fp.kind]: fp.value, software: fp.software, fingerprintSource: fp.source, verified: fp.verified, sni, server: `${flow.serverIp}:${flow.serverPort}`, note: 'shared TLS libraries make this a weak indicator' },
          device: deviceOf(flow, 0),
          appProto: 'tls',
          dedupKey: `${POOL_TLS_DETECTOR}:fp`,
        });
      }
    }
  }

  /** TLS (without SNI, or with an unlisted one) to an address a device resolved from a listed name. */
  function resolved(flow: FlowView, f: TlsClientHelloFields, sni: string, tsUs: number, ctx: DetectorContext): void {
    const a = opts.dnsCache?.lookupPool(flow.serverIp);
    if (!a || !firstInFlow(flow, POOL_TLS_DETECTOR, 'resolved')) return;
    // a miner's reconnects are one finding: once per device, address and port an hour
    if (!resolvedGate.pass(`${deviceOf(flow, 0).id}|${flow.serverIp}|${flow.serverPort}`, tsUs)) return;
    ctx.emit(flow, {
      detector: POOL_TLS_DETECTOR,
      signatureId: SID + 5,
      signature: `MINEWATCH COINMINER TLS ${sni ? `(SNI ${sni})` : 'without SNI'} to ${flow.serverIp}:${flow.serverPort}, an address of ${describeKind(a.kind)} ${a.name}`,
      category: Category.MINING,
      severity: sni ? 2 : 1,
      evidence: { ...resolvedEvidence(a, flow, tsUs), sni, ja3: f.ja3Hash, ja4: f.ja4, alpn: f.alpn?.slice(0, 4) ?? [] },
      device: deviceOf(flow, 0),
      appProto: 'tls',
      dedupKey: `${POOL_TLS_DETECTOR}:resolved`,
    });
  }

  function onCertificate(flow: FlowView, f: TlsCertificateFields, ctx: DetectorContext): void {
    const names = [f.subjectCn, ...(f.sans ?? [])].filter((n) => typeof n === 'string' && n !== '').slice(0, 32);
    for (const raw of names) {
      const name = raw.toLowerCase().replace(/^\*\./, '');
      const m = intel.matchDomain(name);
      if (!m) continue;
      if (!firstInFlow(flow, POOL_TLS_DETECTOR, 'cert')) return;
      ctx.emit(flow, {
        detector: POOL_TLS_DETECTOR,
        signatureId: SID + 2,
        signature: `MINEWATCH COINMINER TLS certificate of ${describeKind(m.kind)} ${raw}`,
        category: Category.MINING,
        severity: 2,
        evidence: { certificateName: raw, subjectCn: f.subjectCn, issuerCn: f.issuerCn, server: `${flow.serverIp}:${flow.serverPort}`, listed: matchEvidence(m) },
        device: deviceOf(flow, 0),
        appProto: 'tls',
        dedupKey: `${POOL_TLS_DETECTOR}:cert`,
      });
      return;
    }
  }

  return {
    id: POOL_TLS_DETECTOR,
    protocols: ['tls'],
    onMessage(msg: ProtocolMessage<'tls'>, flow: FlowView, ctx: DetectorContext): void {
      if (msg.kind === 'client_hello') onHello(flow, msg.fields, msg.tsUs, ctx);
      else if (msg.kind === 'certificate') onCertificate(flow, msg.fields, ctx);
    },
  };
}
