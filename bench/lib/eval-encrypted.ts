/**
 * Evaluation of mining-encrypted on labelled, generated per-flow packet sequences.
 *
 * Mining over TLS: share submits upstream (Poisson, mean 10–60 s, one fixed size per flow in
 * 100–400 B ± a few bytes), each acknowledged by the pool within ~0.2 s, job pushes
 * downstream (200–600 B, mean every 30–120 s), optional keep-alives, 20 min – 3 h.
 * Ordinary long-lived TLS: video streaming, chat/WebSocket (with and without heart-beats),
 * push-notification channels with idle keep-alives, software-update downloads, VPN-like
 * constant traffic, and IoT telemetry (fixed-size periodic reports with acks — the hardest
 * negative). Parameters and jitter are randomised per flow.
 *
 * Half of the flows carry endpoint knowledge (mining: a listed pool SNI, a listed address or
 * a clear-text host-pair sighting; ordinary: ordinary SNI, with 3 % of them on a listed
 * address as list noise), half carry none: behaviour alone.
 *
 * Honesty: thresholds and weights were tuned on seed 1. Seed 2 was the first held-out set;
 * its errors were looked at once (chat flows whose incoming messages passed as job pushes),
 * which led to requiring ≥ 8 pushes of 150–1500 B. So `evaluateEncrypted()` now defaults to
 * seed 9, generated only after that last change and never inspected for tuning.
 *
 * Run: node dist/bench/eval-encrypted.js [seed] [flowsPerClass]
 */
import type { AlertInput, Detector, DetectorContext } from '../../src/events/detector.js';
import type { FlowView } from '../../src/events/flow.js';
import type { HostIntel } from '../../src/events/intel.js';
import { PayloadBursts } from '../../src/flow/bursts.js';
import { MiningHostPairs } from '../../src/detect/host-pairs.js';
import { createMiningEncryptedDetector, type IndicatorWeights, type NoSniWeights } from '../../src/detect/mining-encrypted.js';
import { mulberry32 } from '../../src/util/mulberry32.js';


type Rand = () => number;
const uni = (r: Rand, lo: number, hi: number) => lo + (hi - lo) * r();
const int = (r: Rand, lo: number, hi: number) => Math.floor(uni(r, lo, hi + 1));
const expo = (r: Rand, mean: number) => -Math.log(1 - r()) * mean;

/** One payload-carrying packet: seconds from flow start, direction (0 up, 1 down), bytes. */
export interface GenPacket { t: number; dir: 0 | 1; len: number }
export interface GenFlow { label: 'mining' | 'benign'; model: string; packets: GenPacket[]; knowledge: 'none' | 'sni' | 'ip' | 'pair' | 'ordinary-sni' | 'noise-ip'; serverPort: number }

function tlsHandshake(r: Rand, p: GenPacket[]): void {
  p.push({ t: 0.05, dir: 0, len: int(r, 250, 600) });
  p.push({ t: 0.1 + uni(r, 0, 0.1), dir: 1, len: int(r, 2500, 5500) });
  p.push({ t: 0.25, dir: 0, len: int(r, 60, 140) });
}

/** Bulk transfer split into large segments (GRO-sized, as captured on hosts with offload). */
function bulk(r: Rand, p: GenPacket[], t: number, dir: 0 | 1, bytes: number): number {
  let left = bytes;
  let tt = t;
  while (left > 0) {
    const n = Math.min(left, int(r, 16000, 64000));
    p.push({ t: tt, dir, len: n });
    left -= n;
    tt += uni(r, 0.001, 0.01);
  }
  return tt;
}

function mining(r: Rand): GenPacket[] {
  const p: GenPacket[] = [];
  tlsHandshake(r, p);
  const dur = uni(r, 20 * 60, 3 * 3600);
  p.push({ t: 0.4, dir: 0, len: int(r, 200, 450) }); // login
  p.push({ t: 0.6, dir: 1, len: int(r, 400, 900) }); // login result with first job
  const submitMean = uni(r, 10, 60);
  const submitSize = int(r, 100, 400);
  const ackSize = int(r, 60, 130);
  const jobMean = uni(r, 30, 120);
  const jobSize = int(r, 200, 600);
  const keepalive = r() < 0.5;
  for (let t = 1 + expo(r, submitMean); t < dur; t += expo(r, submitMean)) {
    p.push({ t, dir: 0, len: submitSize + int(r, -3, 3) });
    p.push({ t: t + uni(r, 0.04, 0.3), dir: 1, len: ackSize + int(r, -2, 2) });
  }
  for (let t = 1 + expo(r, jobMean); t < dur; t += expo(r, jobMean)) p.push({ t, dir: 1, len: jobSize + int(r, -4, 4) });
  if (keepalive) for (let t = 60; t < dur; t += 60 + uni(r, -1, 1)) { p.push({ t, dir: 0, len: int(r, 80, 120) }); p.push({ t: t + uni(r, 0.05, 0.3), dir: 1, len: int(r, 60, 100) }); }
  return p;
}

function video(r: Rand): GenPacket[] {
  const p: GenPacket[] = [];
  tlsHandshake(r, p);
  const dur = uni(r, 10 * 60, 60 * 60);
  const seg = uni(r, 2, 10);
  for (let t = 1; t < dur; t += seg + uni(r, -0.5, 0.5)) {
    p.push({ t, dir: 0, len: int(r, 300, 900) });
    bulk(r, p, t + uni(r, 0.03, 0.2), 1, int(r, 100_000, 3_000_000));
  }
  return p;
}

function chat(r: Rand): GenPacket[] {
  const p: GenPacket[] = [];
  tlsHandshake(r, p);
  const dur = uni(r, 30 * 60, 3 * 3600);
  const heartbeat = r() < 0.6 ? uni(r, 20, 45) : 0;
  if (heartbeat) for (let t = heartbeat; t < dur; t += heartbeat + uni(r, -0.5, 0.5)) { p.push({ t, dir: 0, len: int(r, 40, 90) }); p.push({ t: t + uni(r, 0.03, 0.1), dir: 1, len: int(r, 40, 90) }); }
  const sendMean = uni(r, 20, 600);
  for (let t = expo(r, sendMean); t < dur; t += expo(r, sendMean)) { p.push({ t, dir: 0, len: int(r, 100, 1500) }); p.push({ t: t + uni(r, 0.05, 0.3), dir: 1, len: int(r, 50, 150) }); }
  const recvMean = uni(r, 20, 300);
  for (let t = expo(r, recvMean); t < dur; t += expo(r, recvMean)) {
    if (r() < 0.05) bulk(r, p, t, 1, int(r, 50_000, 500_000));
    else p.push({ t, dir: 1, len: int(r, 100, 3000) });
  }
  return p;
}

function push(r: Rand): GenPacket[] {
  const p: GenPacket[] = [];
  tlsHandshake(r, p);
  const dur = uni(r, 1 * 3600, 4 * 3600);
  const ka = uni(r, 4 * 60, 30 * 60);
  for (let t = ka; t < dur; t += ka + uni(r, -5, 5)) { p.push({ t, dir: 0, len: int(r, 40, 80) }); p.push({ t: t + uni(r, 0.05, 0.4), dir: 1, len: int(r, 40, 80) }); }
  const pm = uni(r, 300, 1800);
  for (let t = expo(r, pm); t < dur; t += expo(r, pm)) p.push({ t, dir: 1, len: int(r, 200, 1500) });
  return p;
}

function update(r: Rand): GenPacket[] {
  const p: GenPacket[] = [];
  tlsHandshake(r, p);
  let t = 1;
  const files = int(r, 1, 20);
  for (let i = 0; i < files; i++) {
    p.push({ t, dir: 0, len: int(r, 300, 800) });
    t = bulk(r, p, t + 0.1, 1, int(r, 1_000_000, 200_000_000)) + uni(r, 0.5, 30);
  }
  return p;
}

function vpn(r: Rand): GenPacket[] {
  const p: GenPacket[] = [];
  tlsHandshake(r, p);
  const dur = uni(r, 10 * 60, 40 * 60);
  const gap = uni(r, 0.05, 0.3);
  for (let t = 1; t < dur; t += expo(r, gap)) p.push({ t, dir: r() < 0.4 ? 0 : 1, len: int(r, 80, 1400) });
  return p;
}

function telemetry(r: Rand): GenPacket[] {
  const p: GenPacket[] = [];
  tlsHandshake(r, p);
  const dur = uni(r, 30 * 60, 4 * 3600);
  const period = uni(r, 10, 60);
  const size = int(r, 150, 400);
  for (let t = period; t < dur; t += period * uni(r, 0.9, 1.1)) { p.push({ t, dir: 0, len: size + int(r, -5, 5) }); p.push({ t: t + uni(r, 0.05, 0.3), dir: 1, len: int(r, 50, 100) }); }
  const cm = uni(r, 300, 3600);
  for (let t = expo(r, cm); t < dur; t += expo(r, cm)) p.push({ t, dir: 1, len: int(r, 200, 2000) });
  return p;
}

const BENIGN_MODELS: [string, (r: Rand) => GenPacket[]][] = [
  ['video', video], ['chat', chat], ['push', push], ['update', update], ['vpn', vpn], ['telemetry', telemetry],
];

/** Labelled flows: `perClass` mining flows and `perClass` ordinary ones (spread over the models). */
export function generateFlows(seed: number, perClass: number): GenFlow[] {
  const r = mulberry32(seed);
  const out: GenFlow[] = [];
  const sortByTime = (ps: GenPacket[]) => ps.sort((a, b) => a.t - b.t);
  for (let i = 0; i < perClass; i++) {
    const k = r();
    const knowledge: GenFlow['knowledge'] = r() < 0.5 ? 'none' : k < 0.4 ? 'sni' : k < 0.7 ? 'ip' : 'pair';
    out.push({ label: 'mining', model: 'mining', packets: sortByTime(mining(r)), knowledge, serverPort: r() < 0.7 ? 443 : [3333, 5555, 14433, 9000][int(r, 0, 3)] });
  }
  for (let i = 0; i < perClass; i++) {
    const [model, gen] = BENIGN_MODELS[i % BENIGN_MODELS.length];
    const knowledge: GenFlow['knowledge'] = r() < 0.5 ? 'none' : r() < 0.03 ? 'noise-ip' : 'ordinary-sni';
    out.push({ label: 'benign', model, packets: sortByTime(gen(r)), knowledge, serverPort: r() < 0.9 ? 443 : [8443, 5222, 9000][int(r, 0, 2)] });
  }
  return out;
}

export interface EvalResult {
  seed: number;
  flows: number;
  tp: number; fp: number; fn: number; tn: number;
  precision: number; recall: number; f1: number;
  /** Same figures restricted to flows without any endpoint knowledge. */
  behaviourOnly: { tp: number; fp: number; fn: number; tn: number; precision: number; recall: number; f1: number };
  falsePositivesByModel: Record<string, number>;
  missedByKnowledge: Record<string, number>;
}

function prf(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = tp + fn ? tp / (tp + fn) : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return { precision: r3(precision), recall: r3(recall), f1: r3(f1) };
}

const POOL_SNI = 'gulf.moneroocean.stream';
const POOL_IP = '198.51.100.77';

/**
 * Feeds one generated flow's packets to a detector as the pipeline does: payload segments
 * through the flow stage's burst tracker (onBurst), then the flow's end (onFlowEnd).
 */
export function replayFlow(
  det: Detector, flow: FlowView & { lastDir: 0 | 1; lastTsUs: number }, packets: readonly GenPacket[], t0Us: number, ctx: DetectorContext,
): void {
  const bursts = new PayloadBursts(1, (f, b) => det.onBurst?.(f, b, ctx));
  for (const p of packets) {
    const tsUs = t0Us + Math.round(p.t * 1e6);
    flow.lastDir = p.dir;
    flow.lastTsUs = tsUs;
    if (p.len > 0) bursts.add(0, flow, p.dir, tsUs, p.len);
  }
  bursts.end(0, flow);
  det.onFlowEnd?.(flow, 'tcp-closed', ctx);
}

/** Run the detector on generated flows and score it. */
export function evaluateEncrypted(opts: { seed?: number; flowsPerClass?: number; weights?: IndicatorWeights; threshold?: number; noSniWeights?: NoSniWeights } = {}): EvalResult {
  const seed = opts.seed ?? 9;
  const flows = generateFlows(seed, opts.flowsPerClass ?? 300);
  const intel: HostIntel = {
    matchDomain: (n) => (n === POOL_SNI ? { entry: 'moneroocean.stream', list: 'eval-pools', kind: 'pool' } : null),
    matchIp: (ip) => (ip === POOL_IP ? { entry: ip, list: 'eval-pool-ips', kind: 'pool' } : null),
  };
  const hostPairs = new MiningHostPairs();
  const det = createMiningEncryptedDetector({ intel, hostPairs, weights: opts.weights, threshold: opts.threshold, noSniWeights: opts.noSniWeights });
  let alerted = false;
  const ctx: DetectorContext = { emit: (_f: FlowView | null, _a: AlertInput) => { alerted = true; }, emitEvent: () => {} };
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const b = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const fpByModel: Record<string, number> = {};
  const missed: Record<string, number> = {};
  let id = 1;
  const t0 = 1_700_000_000_000_000;
  for (const g of flows) {
    const serverIp = g.knowledge === 'ip' || g.knowledge === 'noise-ip' ? POOL_IP : `100.${64 + ((id >> 16) & 63)}.${(id >> 8) & 255}.${id & 255}`;
    const clientIp = `10.0.${(id >> 8) & 255}.${id & 255}`;
    const flow = {
      id: id++, proto: 6, ipVersion: 4, vlan: 0, clientIp, serverIp, clientPort: 40000 + (id % 20000), serverPort: g.serverPort,
      client4: 0, server4: 0, clientMac: '', serverMac: '', firstTsUs: t0, lastTsUs: t0, pktsToServer: 0, pktsToClient: 0,
      bytesToServer: 0, bytesToClient: 0, handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false,
      state: 'established' as const, tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: 0 as 0 | 1, userData: new Map<string, unknown>(),
    };
    if (g.knowledge === 'pair') hostPairs.remember(clientIp, serverIp, g.serverPort, 'cryptonote', t0);
    const sni = g.knowledge === 'sni' ? POOL_SNI : g.knowledge === 'ordinary-sni' ? `api${id % 97}.example-cdn.net` : '';
    det.onMessage!({ protocol: 'tls', kind: 'client_hello', dir: 0, tsUs: t0, fields: {
      sni, alpn: [], version: 0x0303, supportedVersions: [], ciphers: [], compressionMethods: [], extensions: [], groups: [], ecPointFormats: [],
      signatureAlgorithms: [], ja3: '', ja3Hash: '', ja4: '', ja4Raw: '',
    } }, flow, ctx);
    alerted = false;
    replayFlow(det, flow, g.packets, t0, ctx);
    const none = g.knowledge === 'none';
    const key = g.label === 'mining' ? (alerted ? 'tp' : 'fn') : (alerted ? 'fp' : 'tn');
    c[key]++;
    if (none) b[key]++;
    if (key === 'fp') fpByModel[g.model] = (fpByModel[g.model] ?? 0) + 1;
    if (key === 'fn') missed[g.knowledge] = (missed[g.knowledge] ?? 0) + 1;
  }
  return {
    seed, flows: flows.length, ...c, ...prf(c.tp, c.fp, c.fn),
    behaviourOnly: { ...b, ...prf(b.tp, b.fp, b.fn) },
    falsePositivesByModel: fpByModel, missedByKnowledge: missed,
  };
}
