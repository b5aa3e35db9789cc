/**
 * Detector `stratum`: a device speaking a mining protocol to a pool — Stratum v1,
 * CryptoNote (XMRig/xmr-stak), Ethereum stratum/NiceHash, Stratum V2, or getwork /
 * getblocktemplate over plain HTTP.
 *
 * Input: 'stratum' messages from src/protocols/stratum.ts, and 'http' request messages
 * whose JSON body is a mining call (for HTTP flows the stratum parser did not take).
 *
 * When: once per flow, as soon as the session is confirmed — the pool pushed work
 * (notify/job/getWork result/V2 job), the miner submitted a share, or the pool answered a
 * login/authorize. A flow that only ever sent a subscribe/login (a pool prober, a refused
 * miner) is reported at flow end with lower severity. When a later job names another
 * algorithm (CryptoNote `algo`: pools switch, the login's list is only what the miner
 * offers), the session is reported again with the new algorithm and the previous one (at
 * most 4 times per flow).
 *
 * Signatures (9100000+): 0 session confirmed, 1 attempt without work, 2 getwork over HTTP,
 * 3 Stratum V2 SetupConnection.
 */
import type { AlertInput, DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import { parseStratumJson } from '../protocols/stratum.js';
import type { StratumDialect, StratumFields } from '../events/messages.js';
import { Category, SidBase, clip, deviceOf } from './common.js';
import type { DnsAnswerCache } from './dns-answer-cache.js';
import type { MiningHostPairs } from './host-pairs.js';

export const STRATUM_DETECTOR = 'stratum';
const SID = SidBase.stratum;
const MAX_METHOD_KINDS = 32;
/** Algorithm changes reported per flow (a pool switching back and forth stays bounded). */
const MAX_ALGO_UPDATES = 4;
/** flow.userData key (the parser owns 'stratum'). */
const SESSION_KEY = 'detect.stratum';

/** Messages by which the pool hands out work. */
const WORK_PUSH = new Set(['mining.notify', 'job', 'mining.set_target', 'mining.set_difficulty', 'NewMiningJob', 'NewExtendedMiningJob', 'SetNewPrevHash']);
const SHARE_SUBMIT = new Set(['mining.submit', 'submit', 'eth_submitWork', 'SubmitSharesStandard', 'SubmitSharesExtended', 'submitblock']);
const LOGIN = new Set(['mining.authorize', 'login', 'eth_submitLogin', 'eth_login', 'OpenStandardMiningChannel', 'OpenExtendedMiningChannel']);
/** Calls a miner (never a pool) makes: tells which side of the flow is the miner. */
const MINER_CALLS = new Set([...SHARE_SUBMIT, ...LOGIN, 'mining.subscribe', 'mining.extranonce.subscribe', 'getjob', 'keepalived', 'eth_getWork', 'eth_submitHashrate', 'getwork', 'getblocktemplate', 'SetupConnection', 'mining.configure', 'mining.get_transactions']);

interface Session {
  dialect: StratumDialect;
  /** 0 = the flow's client mines (the usual case), 1 = the server side does. */
  minerSide: 0 | 1;
  agent: string;
  login: string;
  worker: string;
  password: string;
  algorithms: string[];
  /** The algorithm of the pool's latest work (a CryptoNote job's `algo`), '' when none said. */
  jobAlgo: string;
  /** The algorithm the last alert of this flow stated. */
  reportedAlgo: string;
  algoUpdates: number;
  methods: Map<string, number>;
  loginSeen: boolean;
  firstRaw: string;
  lastJobId: string;
  target: string;
  alerted: boolean;
  v2Setup: string;
}

export interface StratumDetectorOptions {
  intel: HostIntel;
  dnsCache?: DnsAnswerCache;
  hostPairs?: MiningHostPairs;
}

/** Best algorithm statement: the pool's latest job, else what the miner named, else an inference marked as such. */
export function algorithmOf(s: { dialect: StratumDialect; algorithms: string[]; jobAlgo?: string; methods: Map<string, number> }): string {
  if (s.jobAlgo) return s.jobAlgo;
  if (s.algorithms.length > 0) return s.algorithms.join(',');
  switch (s.dialect) {
    case 'cryptonote': return 'cryptonight/randomx family (inferred from CryptoNote protocol)';
    case 'ethereum': return 'ethash (inferred from Ethereum stratum)';
    case 'stratum-v2': return 'sha256d (inferred: Stratum V2 is Bitcoin-only)';
    default: break;
  }
  if (s.methods.has('eth_getWork') || s.methods.has('eth_submitHashrate')) return 'ethash (inferred from eth_getWork)';
  if (s.methods.has('mining.set_target') && !s.methods.has('mining.set_difficulty')) return 'equihash (inferred: Zcash-style mining.set_target)';
  if (s.methods.has('getblocktemplate') || s.methods.has('getwork')) return 'sha256d/scrypt (inferred: Bitcoin-style getwork)';
  return 'sha256d/scrypt (inferred: Bitcoin-style Stratum)';
}

export function createStratumDetector(opts: StratumDetectorOptions): DetectorOf<'stratum' | 'http'> {
  const { intel, dnsCache, hostPairs } = opts;

  /**
   * Flows with a session now: while there are none (a flood of flows that never spoke
   * Stratum), a flow's end does not even open its userData (which would allocate it).
   */
  let liveSessions = 0;

  function session(flow: FlowView, f: StratumFields, dir: 0 | 1): Session {
    let s = flow.userData.get(SESSION_KEY) as Session | undefined;
    if (s === undefined) {
      const isMinerCall = f.rpc !== 'response' && MINER_CALLS.has(f.method);
      // A miner call travels from the miner; anything else (work push, result) from the pool.
      const minerSide = (isMinerCall ? dir : (1 - dir)) as 0 | 1;
      s = { dialect: f.dialect, minerSide, agent: '', login: '', worker: '', password: '', algorithms: [], jobAlgo: '', reportedAlgo: '', algoUpdates: 0, methods: new Map(), loginSeen: false, firstRaw: clip(f.raw, 300), lastJobId: '', target: '', alerted: false, v2Setup: '' };
      flow.userData.set(SESSION_KEY, s);
      liveSessions++;
    }
    return s;
  }

  function absorb(s: Session, f: StratumFields): void {
    if (s.dialect === 'stratum-v1' && f.dialect === 'ethereum') s.dialect = 'ethereum';
    if (f.agent && !s.agent) s.agent = f.agent;
    if (f.login && !s.login) s.login = f.login;
    if (f.worker && !s.worker) s.worker = f.worker;
    if (f.password && !s.password) s.password = f.password;
    // A job's algo is what the pool hands out now; a login's list is what the miner offers.
    if (f.jobId && f.algorithms.length === 1 && (f.method === 'job' || f.rpc === 'response')) s.jobAlgo = f.algorithms[0];
    else for (const a of f.algorithms) if (!s.algorithms.includes(a) && s.algorithms.length < 16) s.algorithms.push(a);
    if (f.jobId) s.lastJobId = f.jobId;
    if (f.target) s.target = f.target;
    if (f.method === 'SetupConnection') s.v2Setup = f.raw;
    if (f.method && (s.methods.has(f.method) || s.methods.size < MAX_METHOD_KINDS)) s.methods.set(f.method, (s.methods.get(f.method) ?? 0) + 1);
    if (LOGIN.has(f.method)) s.loginSeen = true;
  }

  function confirmed(s: Session, f: StratumFields): boolean {
    if (WORK_PUSH.has(f.method) || SHARE_SUBMIT.has(f.method)) return true;
    if (f.method === 'SetupConnection') return true;
    if (f.dialect === 'getwork-http' && f.rpc === 'request') return true;
    // A work package in a result (CryptoNote login, eth_getWork), or a pool's answer to a
    // login. Bitcoin-style Stratum waits for set_target/set_difficulty/notify, which follow
    // the authorize at once and tell Zcash (equihash) from Bitcoin-style algorithms.
    if (f.rpc === 'response' && (f.jobId !== '' || (s.loginSeen && s.dialect !== 'stratum-v1'))) return true;
    return false;
  }

  function alert(flow: FlowView, s: Session, ctx: DetectorContext, attemptOnly: boolean, previousAlgo = ''): void {
    s.alerted = true;
    const algorithm = algorithmOf(s);
    s.reportedAlgo = algorithm;
    const poolIp = s.minerSide === 0 ? flow.serverIp : flow.clientIp;
    const poolPort = s.minerSide === 0 ? flow.serverPort : flow.clientPort;
    const minerIp = s.minerSide === 0 ? flow.clientIp : flow.serverIp;
    hostPairs?.remember(minerIp, poolIp, poolPort, s.dialect, flow.lastTsUs);
    const poolName = dnsCache?.lookup(poolIp)?.name ?? '';
    const listed = intel.matchIp(poolIp) ?? (poolName ? intel.matchDomain(poolName) : null);
    const methods: Record<string, number> = {};
    for (const [k, v] of s.methods) methods[k] = v;
    const evidence: Record<string, unknown> = {
      pool: `${poolIp.includes(':') ? `[${poolIp}]` : poolIp}:${poolPort}`,
      dialect: s.dialect,
      algorithm,
    };
    if (previousAlgo) {
      evidence.previousAlgorithm = previousAlgo;
      evidence.update = 'a later job changed the algorithm';
    }
    if (s.jobAlgo && s.algorithms.length > 0) evidence.algorithmsOffered = s.algorithms.join(',');
    if (poolName) evidence.poolName = poolName;
    if (s.agent) evidence.agent = clip(s.agent, 128);
    if (s.login) evidence.wallet = clip(s.login, 160);
    if (s.worker) evidence.worker = clip(s.worker, 64);
    if (s.password && s.password !== 'x') evidence.password = clip(s.password, 64);
    evidence.methods = methods;
    if (s.lastJobId) evidence.jobId = clip(s.lastJobId, 80);
    if (s.target) evidence.target = clip(s.target, 80);
    if (listed) evidence.listed = { entry: listed.entry, list: listed.list, kind: listed.kind, ...(listed.pool ? { pool: listed.pool } : {}) };
    evidence.firstMessage = s.v2Setup || s.firstRaw;
    let offset = 0;
    let signature = `MINEWATCH COINMINER ${dialectName(s.dialect)} mining session to ${poolName || poolIp}:${poolPort}`;
    if (previousAlgo) signature += `: algorithm now ${algorithm} (was ${previousAlgo})`;
    if (attemptOnly) {
      offset = 1;
      signature = `MINEWATCH COINMINER ${dialectName(s.dialect)} pool login/subscribe without work (probe or refused miner) to ${poolName || poolIp}:${poolPort}`;
    } else if (s.dialect === 'getwork-http') offset = 2;
    else if (s.dialect === 'stratum-v2') offset = 3;
    const a: AlertInput = {
      detector: STRATUM_DETECTOR,
      signatureId: SID + offset,
      signature,
      category: Category.MINING,
      severity: attemptOnly ? 2 : 1,
      evidence,
      device: deviceOf(flow, s.minerSide),
      appProto: s.dialect === 'getwork-http' ? 'http' : 'stratum',
      // an algorithm update is a new alert of the same session signature
      dedupKey: `${STRATUM_DETECTOR}:${SID + offset}${previousAlgo ? `:algo:${algorithm}` : ''}`,
      metadata: { dialect: [s.dialect], ...(s.agent ? { agent: [clip(s.agent, 64)] } : {}) },
    };
    ctx.emit(flow, a);
  }

  /**
   * A connection with no Stratum in it between a device and the exact pool endpoint it was
   * seen mining on (reconnects, keep-alive probes, sessions cut before the first line) —
   * what nDPI's host-pair cache labels Mining. Weak on its own, so low severity; the
   * evidence names the earlier session.
   */
  function reconnect(flow: FlowView, ctx: DetectorContext): void {
    // integers first: the address text and the lookup only for a port a pair was mining on
    if (!hostPairs || flow.proto !== 6 || !hostPairs.mayHavePair(flow.serverPort)) return;
    const hit = hostPairs.lookup(flow.clientIp, flow.serverIp, flow.serverPort);
    if (!hit || hit.match !== 'pair') return;
    const poolName = dnsCache?.lookup(flow.serverIp)?.name ?? '';
    ctx.emit(flow, {
      detector: STRATUM_DETECTOR,
      signatureId: SID + 4,
      signature: `MINEWATCH COINMINER connection to pool endpoint ${poolName || flow.serverIp}:${flow.serverPort} already seen mining from this device`,
      category: Category.MINING,
      severity: 3,
      evidence: {
        pool: `${flow.serverIp.includes(':') ? `[${flow.serverIp}]` : flow.serverIp}:${flow.serverPort}`,
        dialect: hit.dialect,
        seenMiningAt: new Date(hit.tsUs / 1000).toISOString(),
        packets: flow.pktsToServer + flow.pktsToClient,
        bytes: flow.bytesToServer + flow.bytesToClient,
        ...(poolName ? { poolName } : {}),
      },
      device: deviceOf(flow, 0),
      dedupKey: `${STRATUM_DETECTOR}:${SID + 4}`,
    });
  }

  function onStratum(flow: FlowView, f: StratumFields, dir: 0 | 1, ctx: DetectorContext): void {
    const s = session(flow, f, dir);
    absorb(s, f);
    if (!s.alerted && confirmed(s, f)) alert(flow, s, ctx, false);
    else if (s.alerted && s.jobAlgo && s.jobAlgo !== s.reportedAlgo && s.algoUpdates < MAX_ALGO_UPDATES) {
      s.algoUpdates++;
      alert(flow, s, ctx, false, s.reportedAlgo);
    }
  }

  return {
    id: STRATUM_DETECTOR,
    // Stratum messages, and HTTP POST bodies for getwork/JSON-RPC mining over HTTP
    protocols: ['stratum', 'http'],
    onMessage(msg: ProtocolMessage<'stratum' | 'http'>, flow: FlowView, ctx: DetectorContext): void {
      if (msg.protocol === 'stratum') {
        onStratum(flow, msg.fields, msg.dir, ctx);
        return;
      }
      if (msg.protocol === 'http' && msg.kind === 'request') {
        // The stratum parser takes POST flows too; when it already recognised this one, its
        // messages are the ones counted.
        const parsed = flow.userData.get('stratum') as { dialect?: unknown } | undefined;
        if (parsed && parsed.dialect) return;
        const h = msg.fields;
        if (h.method !== 'POST' || h.body.length === 0) return;
        const c = h.body[0];
        if (c !== 0x7b && c !== 0x5b) return;
        const r = parseStratumJson(Buffer.from(h.body.buffer, h.body.byteOffset, h.body.length).toString('utf8'), null);
        if (r.kind !== 'mining') return;
        const f = r.fields;
        f.dialect = 'getwork-http';
        if (!f.agent && h.userAgent) f.agent = h.userAgent;
        // eth-proxy style: POST /?miner=<hashrate>@<wallet>@<rig>
        const m = /[?&]miner=[^@&]*@([^@&]+)(?:@([^&]+))?/.exec(h.uri);
        if (m && !f.login) { f.login = m[1]; f.worker = m[2] ?? ''; }
        onStratum(flow, f, msg.dir, ctx);
      }
    },
    onFlowEnd(flow: FlowView, _reason, ctx: DetectorContext): void {
      const s = liveSessions > 0 ? flow.userData.get(SESSION_KEY) as Session | undefined : undefined;
      if (s !== undefined) liveSessions--;
      if (s && !s.alerted) alert(flow, s, ctx, true);
      else if (!s) reconnect(flow, ctx);
    },
  };
}

function dialectName(d: StratumDialect): string {
  switch (d) {
    case 'stratum-v1': return 'Stratum';
    case 'cryptonote': return 'CryptoNote/Monero Stratum';
    case 'ethereum': return 'Ethereum Stratum';
    case 'stratum-v2': return 'Stratum V2';
    case 'getwork-http': return 'getwork/getblocktemplate over HTTP';
  }
}
