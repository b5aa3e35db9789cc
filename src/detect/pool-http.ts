/**
 * Detector `pool-http`: plain-HTTP traffic to pool or miner-script hosts (Host header or
 * absolute-URI host via HostIntel), downloads of miner software (XMRig release tarballs,
 * the binaries and scripts cryptojacking droppers fetch), and mining software announcing
 * itself (User-Agent, X-Mining-Extensions).
 *
 * Signatures (9100300+): 0 request to listed pool host, 1 request to listed browser-miner
 * host, 2 miner download (path), 3 mining software User-Agent / getwork header,
 * 4 request to other listed host, 5 request to listed miner-download host.
 */
import type { DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import { Category, SidBase, clip, deviceOf, firstInFlow, hostOnly, urlHost } from './common.js';
import { describeKind, matchEvidence } from './pool-dns.js';

export const POOL_HTTP_DETECTOR = 'pool-http';
const SID = SidBase['pool-http'];

/**
 * Paths of miner downloads. Each pattern names what it is; they are anchored on file
 * names so that an article *about* XMRig (/blog/xmrig-review) does not match.
 */
export const MINER_DOWNLOAD_PATTERNS: readonly { name: string; re: RegExp }[] = [
  { name: 'XMRig release archive', re: /\/xmrig-\d+\.\d+\.\d+[^/]*\.(?:tar\.gz|tgz|zip|7z)$/i },
  { name: 'XMRig binary or config', re: /\/(?:xmrig|xmrig-notls|xmrig-cuda|xmrig-proxy)(?:\.exe)?$|\/xmrig\/config\.json$/i },
  { name: 'xmr-stak binary', re: /\/xmr-stak(?:-cpu|-rx)?(?:\.exe)?$/i },
  { name: 'cpuminer/minerd binary', re: /\/(?:minerd|cpuminer(?:-multi|-opt)?)(?:\.exe)?$/i },
  { name: 'GPU miner archive', re: /\/(?:nbminer|t-rex|lolminer|phoenixminer|teamredminer|gminer|ccminer|ethminer|bminer|srbminer)[^/]*\.(?:tar\.(?:gz|xz)|tgz|zip|7z)$/i },
  { name: 'Kinsing/H2Miner dropper (kdevtmpfsi/kinsing)', re: /\/(?:kdevtmpfsi|kinsing)$/i },
  { name: 'cryptojacking dropper script', re: /\/(?:xm|ldr|init|mr|xmr|miner|mine)\.sh$/i },
  { name: 'Outlaw/TeamTNT miner kit', re: /\/(?:dota3|kthreaddi|tsm64|tsm32|sysupdate|networkservice)\.(?:tar\.gz|tgz)?$/i },
];

/** User-Agents mining software sends on its own HTTP (getwork, downloads, APIs). */
const MINER_AGENT = /^(?:cgminer|bfgminer|xmrig|xmr-stak|ethminer|sgminer|cpuminer|minerd|ccminer|claymore|phoenixminer|nbminer|t-rex|lolminer|teamredminer|gminer|srbminer|bminer|nanominer)\b/i;

export function createPoolHttpDetector(opts: { intel: HostIntel }): DetectorOf<'http'> {
  const { intel } = opts;

  function emit(flow: FlowView, ctx: DetectorContext, offset: number, severity: 1 | 2 | 3, signature: string, evidence: Record<string, unknown>): void {
    if (!firstInFlow(flow, POOL_HTTP_DETECTOR, String(offset))) return;
    ctx.emit(flow, {
      detector: POOL_HTTP_DETECTOR,
      signatureId: SID + offset,
      signature,
      category: Category.MINING,
      severity,
      evidence,
      device: deviceOf(flow, 0),
      appProto: 'http',
      dedupKey: `${POOL_HTTP_DETECTOR}:${offset}`,
    });
  }

  return {
    id: POOL_HTTP_DETECTOR,
    protocols: ['http'],
    onMessage(msg: ProtocolMessage<'http'>, flow: FlowView, ctx: DetectorContext): void {
      if (msg.kind !== 'request') return;
      const h = msg.fields;
      const uri = typeof h.uri === 'string' ? h.uri : '';
      const host = urlHost(uri) || hostOnly(typeof h.host === 'string' ? h.host : '');
      const base = { host, method: h.method, uri: clip(uri, 300), userAgent: clip(h.userAgent ?? '', 160), server: `${flow.serverIp}:${flow.serverPort}` };
      if (host) {
        const m = intel.matchDomain(host) ?? intel.matchIp(host);
        if (m) {
          const offset = m.kind === 'pool' ? 0 : m.kind === 'browser-miner' ? 1 : m.kind === 'miner-download' ? 5 : 4;
          emit(flow, ctx, offset, m.kind === 'pool' || m.kind === 'miner-download' ? 1 : 2, `MINEWATCH COINMINER HTTP request to ${describeKind(m.kind)} ${host}`, { ...base, listed: matchEvidence(m) });
        }
      }
      const path = uri.replace(/^[a-z]+:\/\/[^/]+/i, '').split(/[?#]/, 1)[0];
      for (const p of MINER_DOWNLOAD_PATTERNS) {
        if (p.re.test(path)) {
          emit(flow, ctx, 2, 1, `MINEWATCH COINMINER download of ${p.name}`, { ...base, pattern: p.name, path: clip(path, 300) });
          break;
        }
      }
      const agent = h.userAgent ?? '';
      const miningExt = Array.isArray(h.headers) ? h.headers.find(([k]) => k.toLowerCase() === 'x-mining-extensions') : undefined;
      if (MINER_AGENT.test(agent) || miningExt) {
        emit(flow, ctx, 3, 2, `MINEWATCH COINMINER mining software HTTP request (${clip(agent || 'X-Mining-Extensions', 40)})`, { ...base, ...(miningExt ? { xMiningExtensions: clip(miningExt[1], 120) } : {}) });
      }
    },
  };
}
