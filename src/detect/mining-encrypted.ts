/**
 * Detector `mining-encrypted`: mining hidden inside TLS (or any encrypted TCP), found from
 * how the flow behaves, fused with weak knowledge about the endpoint.
 *
 * What others do, and what we take from each:
 * - nDPI (src/lib/protocols/mining.c) caches the address pair of every flow it saw speak
 *   Stratum in clear text, and labels a later TLS flow between the same pair as mining. Its
 *   weakness: it never fires without a clear-text sighting first. We keep that cache
 *   (MiningHostPairs, keyed by server port too) as ONE indicator among several.
 * - CESNET Nemea miner_detector scores flows to candidate pool addresses by flow shape
 *   (long-lived, few small packets, client→server share submissions) and can verify a
 *   candidate by connecting to it (our probe.ts). We score the shape per flow, online.
 * - DeCrypto (Plný et al.) fuses several weak indicators (SNI/name classifier, flow-feature
 *   classifier, pool-address knowledge) because each alone is noisy. We do the same with
 *   an explainable weighted sum: every indicator that contributed is listed in the evidence.
 *
 * Behaviour (from the flow stage's payload bursts, onBurst: numbers only, fixed memory per
 * flow): a burst is a run of payload segments in one direction with gaps < 0.5 s, about one
 * TLS record train or message (events/flow.ts FlowBurst). A miner's
 * flow is long-lived; the miner uploads share submissions at random times (share finds are
 * a Poisson process: inter-submit CV ≈ 1, unlike timer keep-alives with CV ≈ 0) and they
 * all have the same size (fixed-format JSON); the pool acknowledges each within a second
 * and pushes fixed-size jobs unsolicited; volumes stay tiny.
 *
 * Signature (9100500+): 0 encrypted mining (score ≥ threshold).
 */
import type { DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowBurst, FlowEndReason, FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import { Category, SidBase, deviceOf } from './common.js';
import { MINER_TLS_FINGERPRINTS } from './data/miner-tls-fingerprints.js';
import type { DnsAnswerCache } from './dns-answer-cache.js';
import type { MiningHostPairs } from './host-pairs.js';

export const MINING_ENCRYPTED_DETECTOR = 'mining-encrypted';
const SID = SidBase['mining-encrypted'];
const KEY = 'detect.mining-encrypted';
/** The stratum detector's per-flow key: flows already identified in clear text are skipped. */
const CLEAR_TEXT_KEY = 'detect.stratum';

const ANSWER_WINDOW_US = 1_500_000;
const WARMUP_US = 15_000_000;
const EVAL_EVERY_US = 60_000_000;
const MIN_DURATION_US = 300_000_000;
const SAMPLES = 64;
/** The burst-size store of a flow with no burst after its warm-up yet (shared, never written). */
const NO_SIZES = new Float64Array(0);

/** Ports pools commonly listen on (sMaSheD list); a very weak hint. */
const MINING_PORTS = new Set([3333, 3334, 3335, 3336, 4444, 5555, 5588, 6666, 7777, 8008, 8888, 9000, 9999, 10001, 10128, 10343, 14433, 14444, 15555, 17777, 20535, 20580, 45560, 45700]);

export interface IndicatorWeights {
  longLived: number; submitRate: number; fixedSizeSubmits: number; poissonSubmits: number;
  jobPushes: number; sharesAcked: number; lowVolume: number;
  poolName: number; poolAddress: number; hostPair: number; poolServerSeen: number; minerFingerprint: number; miningPort: number;
}

/** Behaviour weights sum to 1.0; knowledge adds on top. */
export const DEFAULT_WEIGHTS: IndicatorWeights = {
  longLived: 0.1, submitRate: 0.15, fixedSizeSubmits: 0.15, poissonSubmits: 0.15,
  jobPushes: 0.15, sharesAcked: 0.15, lowVolume: 0.15,
  poolName: 0.35, poolAddress: 0.3, hostPair: 0.45, poolServerSeen: 0.25, minerFingerprint: 0.2, miningPort: 0.05,
};
export const DEFAULT_THRESHOLD = 0.85;

/** Per-flow behaviour features: fixed-size numeric state, no allocation per packet. */
export class FlowShape {
  firstUs = -1;
  lastUs = 0;
  upBytes = 0;
  downBytes = 0;
  // upstream bursts (after warm-up)
  upBursts = 0;
  upInRange = 0;
  lastUpStartUs = -1;
  lastUpEndUs = -1;
  intervalN = 0;
  intervalMean = 0;
  intervalM2 = 0;
  awaitingAnswer = false;
  answered = 0;
  // downstream bursts
  downBursts = 0;
  unsolicited = 0;
  unsolicitedInRange = 0;
  maxBurst = 0;
  /**
   * Burst sizes, upstream at [0, SAMPLES) and pushes at [SAMPLES, 2 × SAMPLES). Allocated at
   * the first burst after the warm-up: most flows end before it, and two typed arrays per
   * flow were a measurable share of this detector's cost on a busy network.
   */
  sizes: Float64Array = NO_SIZES;
  // evaluation bookkeeping
  lastEvalUs = 0;
  alerted = false;
  sni = '';
  ja3 = '';

  /** One payload burst of the flow, in order (the flow stage reports each once it has ended). */
  addBurst(dir: number, startUs: number, lastUs: number, bytes: number): void {
    if (this.firstUs < 0) this.firstUs = startUs;
    this.lastUs = lastUs;
    if (dir === 0) this.upBytes += bytes; else this.downBytes += bytes;
    if (startUs - this.firstUs < WARMUP_US) return;
    if (bytes > this.maxBurst) this.maxBurst = bytes;
    if (this.sizes === NO_SIZES) this.sizes = new Float64Array(2 * SAMPLES);
    if (dir === 0) {
      this.sizes[this.upBursts % SAMPLES] = bytes;
      this.upBursts++;
      if (bytes >= 90 && bytes <= 1000) this.upInRange++;
      if (this.lastUpStartUs >= 0) {
        const x = (startUs - this.lastUpStartUs) / 1e6;
        this.intervalN++;
        const d = x - this.intervalMean;
        this.intervalMean += d / this.intervalN;
        this.intervalM2 += d * (x - this.intervalMean);
      }
      this.lastUpStartUs = startUs;
      this.lastUpEndUs = lastUs;
      this.awaitingAnswer = true;
    } else {
      this.downBursts++;
      const isAnswer = this.lastUpEndUs >= 0 && startUs - this.lastUpEndUs <= ANSWER_WINDOW_US;
      if (isAnswer && this.awaitingAnswer && bytes <= 400) this.answered++;
      else if (!isAnswer) {
        this.sizes[SAMPLES + (this.unsolicited % SAMPLES)] = bytes;
        this.unsolicited++;
        if (bytes >= 150 && bytes <= 1500) this.unsolicitedInRange++;
      }
      this.awaitingAnswer = false;
    }
  }
}

/** Largest fraction of the samples a[base, base + min(n, SAMPLES)) within ±12 % of one sample's value (fixed-format messages). */
function modeFraction(a: Float64Array, base: number, n: number): number {
  const m = Math.min(n, SAMPLES);
  if (m === 0) return 0;
  let best = 0;
  for (let i = base; i < base + m; i++) {
    const lo = a[i] * 0.88;
    const hi = a[i] * 1.12;
    let c = 0;
    for (let j = base; j < base + m; j++) if (a[j] >= lo && a[j] <= hi) c++;
    if (c > best) best = c;
  }
  return best / m;
}

export interface ShapeFeatures {
  durationS: number; upBursts: number; submitIntervalMeanS: number; submitIntervalCv: number;
  upInRangeFrac: number; upModeFrac: number; answeredFrac: number;
  unsolicited: number; pushRatePerMin: number; pushInRangeFrac: number; pushModeFrac: number;
  bytesPerS: number; maxBurst: number; upBytes: number; downBytes: number;
}

export function shapeFeatures(s: FlowShape): ShapeFeatures {
  const dur = Math.max(0, (s.lastUs - s.firstUs) / 1e6);
  const variance = s.intervalN > 1 ? s.intervalM2 / (s.intervalN - 1) : 0;
  const activeS = Math.max(1, dur - WARMUP_US / 1e6);
  return {
    durationS: Math.round(dur),
    upBursts: s.upBursts,
    submitIntervalMeanS: Math.round(s.intervalMean * 10) / 10,
    submitIntervalCv: s.intervalMean > 0 ? Math.round((Math.sqrt(variance) / s.intervalMean) * 100) / 100 : 0,
    upInRangeFrac: s.upBursts ? Math.round((s.upInRange / s.upBursts) * 100) / 100 : 0,
    upModeFrac: Math.round(modeFraction(s.sizes, 0, s.upBursts) * 100) / 100,
    answeredFrac: s.upBursts ? Math.round((s.answered / s.upBursts) * 100) / 100 : 0,
    unsolicited: s.unsolicited,
    pushRatePerMin: Math.round((s.unsolicited / activeS) * 60 * 100) / 100,
    pushInRangeFrac: s.unsolicited ? Math.round((s.unsolicitedInRange / s.unsolicited) * 100) / 100 : 0,
    pushModeFrac: Math.round(modeFraction(s.sizes, SAMPLES, s.unsolicited) * 100) / 100,
    bytesPerS: Math.round((s.upBytes + s.downBytes) / Math.max(1, dur)),
    maxBurst: s.maxBurst,
    upBytes: s.upBytes,
    downBytes: s.downBytes,
  };
}

export interface Indicator { name: string; weight: number; detail: string }

/** Behaviour indicators that hold for these features (explainable: each says why). */
export function behaviourIndicators(f: ShapeFeatures, w: IndicatorWeights = DEFAULT_WEIGHTS): Indicator[] {
  const out: Indicator[] = [];
  if (f.durationS >= MIN_DURATION_US / 1e6) out.push({ name: 'longLived', weight: w.longLived, detail: `${f.durationS} s` });
  const perMin = f.durationS > 0 ? (f.upBursts / f.durationS) * 60 : 0;
  if (f.upBursts >= 8 && perMin >= 0.3 && perMin <= 30) out.push({ name: 'submitRate', weight: w.submitRate, detail: `${f.upBursts} upstream messages, ${perMin.toFixed(2)}/min` });
  if (f.upModeFrac >= 0.6 && f.upInRangeFrac >= 0.85) out.push({ name: 'fixedSizeSubmits', weight: w.fixedSizeSubmits, detail: `${Math.round(f.upModeFrac * 100)} % of upstream messages share one size (90–1000 B)` });
  if (f.upBursts >= 8 && f.submitIntervalCv >= 0.45 && f.submitIntervalCv <= 3) out.push({ name: 'poissonSubmits', weight: w.poissonSubmits, detail: `inter-submit CV ${f.submitIntervalCv} (random share finds, not a timer)` });
  if (f.unsolicited >= 8 && f.pushRatePerMin >= 0.1 && f.pushRatePerMin <= 10 && f.pushInRangeFrac >= 0.8 && f.pushModeFrac >= 0.6) out.push({ name: 'jobPushes', weight: w.jobPushes, detail: `${f.unsolicited} unsolicited fixed-size server pushes (150–1500 B), ${f.pushRatePerMin}/min` });
  if (f.upBursts >= 8 && f.answeredFrac >= 0.6) out.push({ name: 'sharesAcked', weight: w.sharesAcked, detail: `${Math.round(f.answeredFrac * 100)} % of upstream messages answered within 1.5 s` });
  if (f.bytesPerS < 2000 && f.maxBurst < 20000) out.push({ name: 'lowVolume', weight: w.lowVolume, detail: `${f.bytesPerS} B/s, largest burst ${f.maxBurst} B` });
  return out;
}

export interface MiningEncryptedOptions {
  intel: HostIntel;
  dnsCache?: DnsAnswerCache;
  hostPairs?: MiningHostPairs;
  weights?: IndicatorWeights;
  threshold?: number;
  /** Called for flows scoring at least `suspectAt` but below threshold (active probing hook). */
  onSuspect?: (flow: FlowView, score: number, ctx: DetectorContext) => void;
  suspectAt?: number;
}

export interface MiningEncryptedDetector extends DetectorOf<'tls'> {
  /** Score a flow now (also used by the evaluation): total, indicators, features. */
  score(flow: FlowView): { score: number; indicators: Indicator[]; features: ShapeFeatures } | null;
}

const FP_BY_VALUE = new Map(MINER_TLS_FINGERPRINTS.map((f) => [f.value, f]));

export function createMiningEncryptedDetector(opts: MiningEncryptedOptions): MiningEncryptedDetector {
  const w = opts.weights ?? DEFAULT_WEIGHTS;
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const suspectAt = opts.suspectAt ?? threshold * 0.6;
  const { intel, dnsCache, hostPairs } = opts;

  /** Flows with a shape now: none (a flood without payload) ⇒ a flow's end does not open userData. */
  let liveShapes = 0;

  function shape(flow: FlowView): FlowShape {
    let s = flow.userData.get(KEY) as FlowShape | undefined;
    if (s === undefined) {
      s = new FlowShape();
      flow.userData.set(KEY, s);
      liveShapes++;
    }
    return s;
  }

  function knowledge(flow: FlowView, s: FlowShape): Indicator[] {
    const out: Indicator[] = [];
    const dnsName = dnsCache?.lookup(flow.serverIp)?.name ?? '';
    const nameHit = (s.sni ? intel.matchDomain(s.sni) : null) ?? (dnsName ? intel.matchDomain(dnsName) : null);
    if (nameHit) out.push({ name: 'poolName', weight: w.poolName, detail: `${s.sni || dnsName} listed as ${nameHit.kind} by ${nameHit.list}${s.sni ? ' (SNI)' : ' (DNS answer)'}` });
    const ipHit = intel.matchIp(flow.serverIp);
    if (ipHit) out.push({ name: 'poolAddress', weight: w.poolAddress, detail: `${flow.serverIp} listed as ${ipHit.kind} by ${ipHit.list}` });
    const pair = hostPairs?.lookup(flow.clientIp, flow.serverIp, flow.serverPort) ?? null;
    if (pair?.match === 'pair') out.push({ name: 'hostPair', weight: w.hostPair, detail: `same client and server:port seen mining in clear text (${pair.dialect})` });
    else if (pair) out.push({ name: 'poolServerSeen', weight: w.poolServerSeen, detail: `server seen as a clear-text pool (${pair.dialect})` });
    const fp = s.ja3 ? FP_BY_VALUE.get(s.ja3) : undefined;
    if (fp) out.push({ name: 'minerFingerprint', weight: w.minerFingerprint, detail: `${fp.kind} ${fp.value} of ${fp.software}` });
    if (MINING_PORTS.has(flow.serverPort)) out.push({ name: 'miningPort', weight: w.miningPort, detail: `server port ${flow.serverPort}` });
    return out;
  }

  function score(flow: FlowView): { score: number; indicators: Indicator[]; features: ShapeFeatures } | null {
    const s = flow.userData.get(KEY) as FlowShape | undefined;
    if (!s || s.firstUs < 0) return null;
    const features = shapeFeatures(s);
    const indicators = [...behaviourIndicators(features, w), ...knowledge(flow, s)];
    let total = 0;
    for (const i of indicators) total += i.weight;
    return { score: Math.round(total * 100) / 100, indicators, features };
  }

  function evaluate(flow: FlowView, s: FlowShape, ctx: DetectorContext): void {
    s.lastEvalUs = s.lastUs;
    if (s.alerted || flow.userData.has(CLEAR_TEXT_KEY)) return;
    const r = score(flow);
    if (!r) return;
    if (r.score < threshold) {
      if (r.score >= suspectAt && opts.onSuspect && (s.lastUs - s.firstUs) >= MIN_DURATION_US) opts.onSuspect(flow, r.score, ctx);
      return;
    }
    s.alerted = true;
    const name = s.sni || dnsCache?.lookup(flow.serverIp)?.name || '';
    const behaviourOnly = r.indicators.every((i) => i.name in BEHAVIOUR_NAMES);
    ctx.emit(flow, {
      detector: MINING_ENCRYPTED_DETECTOR,
      signatureId: SID,
      signature: `MINEWATCH COINMINER encrypted mining session to ${name || flow.serverIp}:${flow.serverPort} (flow behaviour${behaviourOnly ? '' : ' + endpoint knowledge'})`,
      category: Category.MINING,
      severity: behaviourOnly ? 2 : 1,
      evidence: {
        score: r.score, threshold,
        indicators: r.indicators.map((i) => ({ name: i.name, weight: i.weight, detail: i.detail })),
        features: r.features,
        server: `${flow.serverIp}:${flow.serverPort}`,
        ...(name ? { serverName: name } : {}),
      },
      device: deviceOf(flow, 0),
      appProto: s.sni ? 'tls' : 'failed',
      dedupKey: MINING_ENCRYPTED_DETECTOR,
    });
  }

  return {
    id: MINING_ENCRYPTED_DETECTOR,
    // the ClientHello's SNI and JA3 (knowledge indicators)
    protocols: ['tls'],
    score,
    onBurst(flow: FlowView, burst: FlowBurst, ctx: DetectorContext): void {
      const s = shape(flow);
      s.addBurst(burst.dir, burst.startUs, burst.lastUs, burst.bytes);
      if (!s.alerted && s.lastUs - s.lastEvalUs >= EVAL_EVERY_US && s.lastUs - s.firstUs >= MIN_DURATION_US) evaluate(flow, s, ctx);
    },
    onMessage(msg: ProtocolMessage<'tls'>, flow: FlowView): void {
      if (msg.kind !== 'client_hello') return;
      const f = msg.fields;
      const s = shape(flow);
      s.sni = typeof f.sni === 'string' ? f.sni.toLowerCase().slice(0, 253) : '';
      s.ja3 = typeof f.ja3Hash === 'string' ? f.ja3Hash : '';
    },
    onFlowEnd(flow: FlowView, _reason: FlowEndReason, ctx: DetectorContext): void {
      // (the flow's last burst came in before this call)
      if (liveShapes === 0) return;
      const s = flow.userData.get(KEY) as FlowShape | undefined;
      if (!s) return;
      liveShapes--;
      evaluate(flow, s, ctx);
    },
  };
}

const BEHAVIOUR_NAMES: Record<string, true> = {
  longLived: true, submitRate: true, fixedSizeSubmits: true, poissonSubmits: true, jobPushes: true, sharesAcked: true, lowVolume: true,
};
