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
 * Signature (9100500+): 0 encrypted mining (score ≥ threshold), 1 Stratum over TLS without
 * SNI (the no-SNI scorer below).
 *
 * Stratum over TLS without SNI (issue 15, class 3). XMRig and its forks connect with TLS and
 * no SNI (OpenSSL's default ClientHello: no server_name, no ALPN, no GREASE), reconnect every
 * few seconds when the pool refuses them, and keep one long connection with small periodic
 * uploads when it accepts. That ClientHello alone is every OpenSSL client's, so the JA3 is
 * never enough: a second score adds, for ClientHellos without SNI only, the handshake shape,
 * the reconnect cadence to the same endpoint (a bounded per-endpoint LRU, evictions counted),
 * an upload left unanswered before the flow ended (a refused login), a long connection with
 * small periodic uploads, a Stratum port, and the endpoint knowledge (an answer address of a
 * pool name from pool-dns, a listed address, the clear-text host-pair cache). Evaluated on a
 * labelled set of real openssl/curl sessions (bench/eval-tls-mining.ts).
 */
import type { DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowBurst, FlowEndReason, FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import { Category, LruMap, SidBase, deviceOf } from './common.js';
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
/** Ports mining pools commonly listen on (also the device baselines' "mining-typical port"). */
export const MINING_PORTS: ReadonlySet<number> = new Set([3333, 3334, 3335, 3336, 4444, 5555, 5588, 6666, 7777, 8008, 8888, 9000, 9999, 10001, 10128, 10343, 14433, 14444, 15555, 17777, 20535, 20580, 45560, 45700]);

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

/** Weights of the no-SNI scorer (signature 1); the handshake shape alone stays far below the threshold. */
export interface NoSniWeights {
  noSni: number; noAlpn: number; opensslDefault: number; reconnects: number; unanswered: number; periodicUploads: number;
  loginFirst: number; shareSubmits: number; jobPushes: number;
  stratumPort: number; poolAnswer: number; poolAddress: number; hostPair: number; poolServerSeen: number; poolName: number;
}
export const NO_SNI_WEIGHTS: NoSniWeights = {
  noSni: 0.2, noAlpn: 0.15, opensslDefault: 0.1, reconnects: 0.3, unanswered: 0.1, periodicUploads: 0.15,
  loginFirst: 0.1, shareSubmits: 0.25, jobPushes: 0.15,
  stratumPort: 0.15, poolAnswer: 0.4, poolAddress: 0.3, hostPair: 0.45, poolServerSeen: 0.25, poolName: 0.35,
};
export const NO_SNI_THRESHOLD = 0.8;
/** Ports that are Stratum's and little else (narrower than MINING_PORTS: 8888, 9000, 9999 … are common services). */
const STRATUM_PORTS = new Set([3333, 3334, 3335, 3336, 4444, 5555, 7777, 10128, 10343, 14433, 14444, 15555, 17777, 20535, 20580, 45560, 45700]);
/** Reconnects: at least this many no-SNI connections to one endpoint, each within RECONNECT_GAP of the one before. */
const RECONNECT_MIN = 3;
const RECONNECT_GAP_US = 60_000_000;
const LONG_FLOW_US = 30_000_000;
const NO_SNI_EVAL_EVERY_US = 5_000_000;
const ENDPOINT_REPEAT_US = 3600e6;
/** The client's first upload after the server's flight up to this size is its handshake finish alone (TLS 1.3 Finished: 80 B). */
const FINISH_ONLY_BYTES = 100;
/** A client message this soon after its handshake finish is its first message ("speaks first"), not a later upload. */
const FIRST_MESSAGE_US = 1_000_000;
/** Upload sizes (TCP payload, TLS overhead included) of a Stratum login and of a share submit (nonce + 64-hex result). */
const LOGIN_MIN = 200;
const LOGIN_MAX = 1000;
const SUBMIT_MIN = 120;
const SUBMIT_MAX = 600;
/** Sizes the no-SNI scorer keeps per flow: uploads after the login at [0, NS_SAMPLES), server pushes at [NS_SAMPLES, 2 × NS_SAMPLES). */
const NS_SAMPLES = 16;

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
  // ---- the no-SNI scorer's per-flow features (all bursts, no warm-up) ----
  /** A ClientHello without SNI was seen (the no-SNI scorer runs on these flows only). */
  noSniHello = false;
  alpn = 0;
  opensslDefault = false;
  bursts = 0;
  /** Bytes of the first downstream burst (the server's handshake flight). */
  firstDown = -1;
  /** Upstream bursts after the server's flight; the first of them (handshake finish, maybe with the client's first message). */
  postFlightUps = 0;
  firstUp = -1;
  /** The client's first message of its own (with the handshake finish, or within FIRST_MESSAGE_US after it), bytes; -1: none yet. */
  firstMsg = -1;
  finishEndUs = -1;
  lastUpWasSub = false;
  /** An upload of login size (LOGIN_MIN–LOGIN_MAX B) was seen after the server's flight. */
  substantiveUp = false;
  /** Uploads after the first one ("submits"), how many were answered within ANSWER_WINDOW, and their start-to-start gaps (Welford). */
  subs = 0;
  subsInRange = 0;
  subsAnswered = 0;
  subGapN = 0;
  subGapMean = 0;
  subGapM2 = 0;
  lastSubStartUs = -1;
  /** End of the last upload, and whether a downstream burst answered it yet. */
  lastNsUpEndUs = -1;
  nsAwaiting = false;
  /** Server pushes: downstream bursts after the first upload that answer no upload. */
  pushes = 0;
  pushesInRange = 0;
  /** Sizes of submits and pushes (allocated at the first one). */
  nsSizes: Float64Array = NO_SIZES;
  /** Whether the last burst so far was upstream after the handshake (an upload nobody answered yet). */
  lastUpUnanswered = false;
  /** Downstream bytes after the server's handshake flight. */
  downAfterHandshake = 0;
  /** Upstream bursts after the first (the ClientHello) of 20–1000 bytes, and of any other size. */
  smallUps = 0;
  otherUps = 0;
  firstSmallUpUs = -1;
  lastSmallUpUs = -1;
  noSniAlerted = false;
  lastNoSniEvalUs = 0;

  /** One payload burst of the flow, in order (the flow stage reports each once it has ended). */
  addBurst(dir: number, startUs: number, lastUs: number, bytes: number): void {
    if (this.firstUs < 0) this.firstUs = startUs;
    this.lastUs = lastUs;
    if (dir === 0) this.upBytes += bytes; else this.downBytes += bytes;
    if (this.noSniHello) this.addNoSniBurst(dir, startUs, lastUs, bytes);
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

  /** No-SNI scorer: the handshake flight, then uploads, their sizes and timing, and what answered them. */
  addNoSniBurst(dir: number, startUs: number, lastUs: number, bytes: number): void {
    const n = this.bursts++;
    if (dir === 1) {
      if (this.firstDown < 0) { this.firstDown = bytes; return; }
      this.downAfterHandshake += bytes;
      this.lastUpUnanswered = false;
      if (this.postFlightUps === 0) return;
      if (this.nsAwaiting && startUs - this.lastNsUpEndUs <= ANSWER_WINDOW_US) {
        if (this.lastUpWasSub) this.subsAnswered++;
      } else {
        if (this.nsSizes === NO_SIZES) this.nsSizes = new Float64Array(2 * NS_SAMPLES);
        this.nsSizes[NS_SAMPLES + (this.pushes % NS_SAMPLES)] = bytes;
        this.pushes++;
        if (bytes >= 150 && bytes <= 1500) this.pushesInRange++;
      }
      this.nsAwaiting = false;
      return;
    }
    if (n === 0) return; // the ClientHello
    if (this.firstDown < 0) return; // more of the client's first flight
    this.lastNsUpEndUs = lastUs;
    this.nsAwaiting = true;
    if (bytes >= LOGIN_MIN && bytes <= LOGIN_MAX) this.substantiveUp = true;
    this.lastUpWasSub = false;
    const i = this.postFlightUps++;
    if (i === 0) {
      this.firstUp = bytes;
      this.finishEndUs = lastUs;
      // the handshake finish alone is no upload of the client's own
      if (bytes <= FINISH_ONLY_BYTES) return;
      this.firstMsg = bytes;
    } else if (i === 1 && this.firstMsg < 0 && startUs - this.finishEndUs <= FIRST_MESSAGE_US) {
      this.firstMsg = bytes; // sent right after the handshake, in a burst of its own
    } else {
      this.lastUpWasSub = true;
      if (this.nsSizes === NO_SIZES) this.nsSizes = new Float64Array(2 * NS_SAMPLES);
      this.nsSizes[this.subs % NS_SAMPLES] = bytes;
      this.subs++;
      if (bytes >= SUBMIT_MIN && bytes <= SUBMIT_MAX) this.subsInRange++;
      if (this.lastSubStartUs >= 0) {
        const x = (startUs - this.lastSubStartUs) / 1e6;
        this.subGapN++;
        const d = x - this.subGapMean;
        this.subGapMean += d / this.subGapN;
        this.subGapM2 += d * (x - this.subGapMean);
      }
      this.lastSubStartUs = startUs;
    }
    this.lastUpUnanswered = true;
    if (bytes >= 20 && bytes <= 1000) {
      if (this.firstSmallUpUs < 0) this.firstSmallUpUs = startUs;
      this.lastSmallUpUs = startUs;
      this.smallUps++;
    } else this.otherUps++;
  }
}

/** Largest fraction of the samples a[base, base + min(n, SAMPLES)) within ±12 % of one sample's value (fixed-format messages). */
function modeFraction(a: Float64Array, base: number, n: number, cap = SAMPLES): number {
  const m = Math.min(n, cap);
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
  noSniWeights?: NoSniWeights;
  noSniThreshold?: number;
  /** Client/server:port pairs the reconnect memory keeps (LRU). */
  endpointCapacity?: number;
  /** Called for flows scoring at least `suspectAt` but below threshold (active probing hook). */
  onSuspect?: (flow: FlowView, score: number, ctx: DetectorContext) => void;
  suspectAt?: number;
}

export interface MiningEncryptedDetector extends DetectorOf<'tls'> {
  /** Score a flow now (also used by the evaluation): total, indicators, features. */
  score(flow: FlowView): { score: number; indicators: Indicator[]; features: ShapeFeatures } | null;
  /** The no-SNI scorer's view of a flow now (null: not a ClientHello without SNI). */
  scoreNoSni(flow: FlowView): { score: number; indicators: Indicator[] } | null;
  /** Endpoints the reconnect memory forgot because it was full. */
  readonly endpointsEvicted: number;
}

/** No-SNI connections from one client to one server:port: how many in a row, each within RECONNECT_GAP of the last. */
interface EndpointRun { n: number; firstUs: number; lastUs: number; /** when this endpoint was last reported (0: never) */ alertedUs: number }

const FP_BY_VALUE = new Map(MINER_TLS_FINGERPRINTS.map((f) => [f.value, f]));

export function createMiningEncryptedDetector(opts: MiningEncryptedOptions): MiningEncryptedDetector {
  const w = opts.weights ?? DEFAULT_WEIGHTS;
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const suspectAt = opts.suspectAt ?? threshold * 0.6;
  const { intel, dnsCache, hostPairs } = opts;
  const nw = opts.noSniWeights ?? NO_SNI_WEIGHTS;
  const noSniThreshold = opts.noSniThreshold ?? NO_SNI_THRESHOLD;
  const endpoints = new LruMap<string, EndpointRun>(opts.endpointCapacity ?? 20000);
  let endpointsEvicted = 0;

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

  function endpointKey(flow: FlowView): string {
    return `${flow.clientIp}|${flow.serverIp}|${flow.serverPort}`;
  }

  /** A ClientHello without SNI: counts the connection into its endpoint's run of reconnects. */
  function noteNoSniConnection(flow: FlowView, tsUs: number): void {
    const key = endpointKey(flow);
    const run = endpoints.get(key);
    if (run && tsUs - run.lastUs <= RECONNECT_GAP_US) {
      run.n++;
      run.lastUs = tsUs;
      return;
    }
    if (run) { run.n = 1; run.firstUs = tsUs; run.lastUs = tsUs; return; } // alertedUs kept: one report per endpoint an hour
    const reuse = endpoints.evictOldestIfFull();
    if (reuse) endpointsEvicted++;
    endpoints.set(key, reuse ? Object.assign(reuse, { n: 1, firstUs: tsUs, lastUs: tsUs, alertedUs: 0 }) : { n: 1, firstUs: tsUs, lastUs: tsUs, alertedUs: 0 });
  }

  function scoreNoSni(flow: FlowView): { score: number; indicators: Indicator[] } | null {
    const s = flow.userData.get(KEY) as FlowShape | undefined;
    if (!s || !s.noSniHello) return null;
    const out: Indicator[] = [{ name: 'noSni', weight: nw.noSni, detail: 'ClientHello without server_name' }];
    if (s.alpn === 0) out.push({ name: 'noAlpn', weight: nw.noAlpn, detail: 'no ALPN' });
    if (s.opensslDefault) out.push({ name: 'opensslDefault', weight: nw.opensslDefault, detail: 'OpenSSL default ClientHello shape (no GREASE, encrypt_then_mac and session_ticket offered)' });
    const run = endpoints.peek(endpointKey(flow));
    if (run && run.n >= RECONNECT_MIN) {
      out.push({ name: 'reconnects', weight: nw.reconnects, detail: `${run.n} connections without SNI to ${flow.serverIp}:${flow.serverPort}, every ${Math.round((run.lastUs - run.firstUs) / (run.n - 1) / 1e5) / 10} s on average` });
    }
    const ups = s.smallUps + s.otherUps; // (a handshake finish alone is not counted)
    if (ups >= 1 && ups <= 3 && s.downAfterHandshake <= UNANSWERED_DOWN_BYTES && s.lastUs - s.firstUs < LONG_FLOW_US) {
      out.push({ name: 'unanswered', weight: nw.unanswered, detail: `${ups} upload(s) after the handshake, ${s.downAfterHandshake} B back (session tickets at most)` });
    }
    const dur = s.lastUs - s.firstUs;
    if (dur >= LONG_FLOW_US && s.smallUps >= 4 && s.otherUps <= s.smallUps / 4) {
      const every = (s.lastSmallUpUs - s.firstSmallUpUs) / (s.smallUps - 1) / 1e6;
      const bps = (s.upBytes + s.downBytes) / (dur / 1e6);
      if (every >= 2 && every <= 300 && bps < 2000) out.push({ name: 'periodicUploads', weight: nw.periodicUploads, detail: `${Math.round(dur / 1e6)} s open, ${s.smallUps} small uploads every ${Math.round(every * 10) / 10} s, ${Math.round(bps)} B/s` });
    }
    out.push(...stratumShape(s, nw));
    if (STRATUM_PORTS.has(flow.serverPort)) out.push({ name: 'stratumPort', weight: nw.stratumPort, detail: `server port ${flow.serverPort}` });
    const answer = dnsCache?.lookupPool(flow.serverIp);
    if (answer) out.push({ name: 'poolAnswer', weight: nw.poolAnswer, detail: `${flow.serverIp} answered a lookup of ${answer.name} (${answer.kind}, ${answer.list})` });
    else {
      const dnsName = dnsCache?.lookup(flow.serverIp)?.name ?? '';
      const nameHit = dnsName ? intel.matchDomain(dnsName) : null;
      if (nameHit) out.push({ name: 'poolName', weight: nw.poolName, detail: `${dnsName} listed as ${nameHit.kind} by ${nameHit.list} (DNS answer)` });
    }
    const ipHit = intel.matchIp(flow.serverIp);
    if (ipHit) out.push({ name: 'poolAddress', weight: nw.poolAddress, detail: `${flow.serverIp} listed as ${ipHit.kind} by ${ipHit.list}` });
    const pair = hostPairs?.lookup(flow.clientIp, flow.serverIp, flow.serverPort) ?? null;
    if (pair?.match === 'pair') out.push({ name: 'hostPair', weight: nw.hostPair, detail: `same client and server:port seen mining in clear text (${pair.dialect})` });
    else if (pair) out.push({ name: 'poolServerSeen', weight: nw.poolServerSeen, detail: `server seen as a clear-text pool (${pair.dialect})` });
    let total = 0;
    for (const i of out) total += i.weight;
    return { score: Math.round(total * 100) / 100, indicators: out };
  }

  function evaluateNoSni(flow: FlowView, s: FlowShape, ctx: DetectorContext): void {
    s.lastNoSniEvalUs = s.lastUs;
    if (s.noSniAlerted || s.alerted || flow.userData.has(CLEAR_TEXT_KEY)) return;
    // a miner's reconnects are one finding: the endpoint is reported once an hour
    const run = endpoints.peek(endpointKey(flow));
    if (run && run.alertedUs > 0 && s.lastUs - run.alertedUs < ENDPOINT_REPEAT_US) { s.noSniAlerted = true; return; }
    const r = scoreNoSni(flow);
    if (!r || r.score < noSniThreshold) return;
    s.noSniAlerted = true;
    if (run) run.alertedUs = Math.max(1, s.lastUs);
    const name = dnsCache?.lookupPool(flow.serverIp)?.name || dnsCache?.lookup(flow.serverIp)?.name || '';
    ctx.emit(flow, {
      detector: MINING_ENCRYPTED_DETECTOR,
      signatureId: SID + 1,
      signature: `MINEWATCH COINMINER Stratum over TLS without SNI to ${name || flow.serverIp}:${flow.serverPort} (handshake shape + ${r.indicators.filter((i) => !HANDSHAKE_NAMES.has(i.name)).map((i) => i.name).join(' + ')})`,
      category: Category.MINING,
      severity: r.indicators.some((i) => KNOWLEDGE_NAMES.has(i.name)) ? 1 : 2,
      evidence: {
        score: r.score, threshold: noSniThreshold,
        indicators: r.indicators.map((i) => ({ name: i.name, weight: i.weight, detail: i.detail })),
        server: `${flow.serverIp.includes(':') ? `[${flow.serverIp}]` : flow.serverIp}:${flow.serverPort}`,
        ja3: s.ja3,
        ...(name ? { serverName: name } : {}),
      },
      device: deviceOf(flow, 0),
      appProto: 'tls',
      dedupKey: `${MINING_ENCRYPTED_DETECTOR}:nosni`,
    });
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
    scoreNoSni,
    get endpointsEvicted() { return endpointsEvicted; },
    onBurst(flow: FlowView, burst: FlowBurst, ctx: DetectorContext): void {
      const s = shape(flow);
      s.addBurst(burst.dir, burst.startUs, burst.lastUs, burst.bytes);
      if (s.noSniHello && !s.noSniAlerted && s.lastUs - s.firstUs >= LONG_FLOW_US && s.lastUs - s.lastNoSniEvalUs >= NO_SNI_EVAL_EVERY_US) evaluateNoSni(flow, s, ctx);
      if (!s.alerted && s.lastUs - s.lastEvalUs >= EVAL_EVERY_US && s.lastUs - s.firstUs >= MIN_DURATION_US) evaluate(flow, s, ctx);
    },
    onMessage(msg: ProtocolMessage<'tls'>, flow: FlowView): void {
      if (msg.kind !== 'client_hello') return;
      const f = msg.fields;
      const s = shape(flow);
      s.sni = typeof f.sni === 'string' ? f.sni.toLowerCase().slice(0, 253) : '';
      s.ja3 = typeof f.ja3Hash === 'string' ? f.ja3Hash : '';
      if (s.sni === '' && !s.noSniHello) {
        s.noSniHello = true;
        s.alpn = f.alpn?.length ?? 0;
        s.opensslDefault = opensslDefaultHello(f.extensions ?? [], f.ciphers ?? []);
        // the ClientHello's own burst is still open: it becomes the flow's first burst
        noteNoSniConnection(flow, msg.tsUs);
      }
    },
    onFlowEnd(flow: FlowView, _reason: FlowEndReason, ctx: DetectorContext): void {
      // (the flow's last burst came in before this call)
      if (liveShapes === 0) return;
      const s = flow.userData.get(KEY) as FlowShape | undefined;
      if (!s) return;
      liveShapes--;
      evaluate(flow, s, ctx);
      if (s.noSniHello) evaluateNoSni(flow, s, ctx);
    },
  };
}

const HANDSHAKE_NAMES = new Set(['noSni', 'noAlpn', 'opensslDefault']);
const KNOWLEDGE_NAMES = new Set(['poolAnswer', 'poolName', 'poolAddress', 'hostPair', 'poolServerSeen']);
/** Downstream bytes after the server's handshake flight that still mean "no answer": TLS 1.3 session tickets. */
const UNANSWERED_DOWN_BYTES = 600;

/**
 * OpenSSL's default ClientHello (what XMRig sends; also curl/wget/python without ALPN): no
 * GREASE (browsers and BoringSSL add it), and encrypt_then_mac (22) and session_ticket (35)
 * offered — extensions OpenSSL sends by default and Go, rustls, NSS and SChannel do not.
 */
export function opensslDefaultHello(extensions: readonly number[], ciphers: readonly number[]): boolean {
  const grease = (v: number) => (v & 0x0f0f) === 0x0a0a;
  if (extensions.some(grease) || ciphers.some(grease)) return false;
  return extensions.includes(22) && extensions.includes(35);
}

/**
 * The Stratum exchange seen through TLS (no-SNI scorer): the client speaks first right after the
 * handshake with a login-size message of its own size (a beacon's first request, repeated
 * later at the same size, is no login); later uploads are share submits — one fixed size
 * (nonce + 64-hex result), answered within 1.5 s, at random times (share finds are a Poisson
 * process: gap CV ≈ 1; timers and beacons have CV ≈ 0); the server pushes fixed-size jobs that
 * answer no upload, after the client logged in (push services whose clients only ping do not
 * count). Each indicator is weak alone; chat (sizes vary both ways), upload beacons (a timer),
 * push keep-alives (tiny client pings) and websocket idles (tiny pings, no pushes) miss most.
 */
/** Whether most later uploads have the first message's size (±12 %): a series of equal requests (a beacon), not a one-off login. */
function repeatsFirst(s: FlowShape): boolean {
  const m = Math.min(s.subs, NS_SAMPLES);
  if (m < 2) return false;
  let c = 0;
  for (let i = 0; i < m; i++) if (s.nsSizes[i] >= s.firstMsg * 0.88 && s.nsSizes[i] <= s.firstMsg * 1.12) c++;
  return c >= 0.6 * m;
}

export function stratumShape(s: FlowShape, nw: NoSniWeights): Indicator[] {
  const out: Indicator[] = [];
  if (s.firstMsg >= LOGIN_MIN && s.firstMsg <= LOGIN_MAX && !repeatsFirst(s)) {
    out.push({ name: 'loginFirst', weight: nw.loginFirst, detail: `the client speaks first, right after the handshake, with a login-sized message (${s.firstMsg} B)` });
  }
  if (s.subs >= 3 && s.subGapN >= 2) {
    const mode = modeFraction(s.nsSizes, 0, s.subs, NS_SAMPLES);
    const cv = s.subGapMean > 0 ? Math.sqrt(s.subGapM2 / (s.subGapN - 1)) / s.subGapMean : 0;
    if (mode >= 0.6 && s.subsInRange >= 0.8 * s.subs && s.subsAnswered >= 0.6 * s.subs && cv >= 0.4 && cv <= 3) {
      out.push({ name: 'shareSubmits', weight: nw.shareSubmits, detail: `${s.subs} uploads, ${Math.round(mode * 100)} % of one size (${SUBMIT_MIN}–${SUBMIT_MAX} B), ${Math.round((s.subsAnswered / s.subs) * 100)} % answered within 1.5 s, at random times (gap CV ${Math.round(cv * 100) / 100}, mean ${Math.round(s.subGapMean * 10) / 10} s)` });
    }
  }
  if (s.substantiveUp && s.pushes >= 3 && s.pushesInRange >= 0.8 * s.pushes) {
    const mode = modeFraction(s.nsSizes, NS_SAMPLES, s.pushes, NS_SAMPLES);
    if (mode >= 0.5) out.push({ name: 'jobPushes', weight: nw.jobPushes, detail: `${s.pushes} server pushes answering no upload, ${Math.round(mode * 100)} % of one size (150–1500 B), after a login-size upload` });
  }
  return out;
}

const BEHAVIOUR_NAMES: Record<string, true> = {
  longLived: true, submitRate: true, fixedSizeSubmits: true, poissonSubmits: true, jobPushes: true, sharesAcked: true, lowVolume: true,
};
