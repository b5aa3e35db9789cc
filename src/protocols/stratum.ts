/**
 * Stratum and friends: the JSON-RPC line protocols miners speak to pools, on ANY port and
 * in either direction, plus the visible parts of Stratum V2's binary framing and
 * getwork/getblocktemplate JSON-RPC over HTTP POST.
 *
 * Dialects:
 * - stratum-v1: Bitcoin-style `mining.*` (subscribe/authorize/notify/submit/set_difficulty/
 *   set_target/extranonce…), also used by Zcash (equihash) miners.
 * - cryptonote: Monero pools as XMRig/xmr-stak speak them (login/getjob/job/submit/keepalived).
 * - ethereum: eth_submitLogin/eth_getWork/eth_submitWork/eth_submitHashrate, and NiceHash's
 *   EthereumStratum/1.0.0 (`mining.*` announced in the subscribe).
 * - stratum-v2: binary frames; the plaintext SetupConnection (and a few mining messages).
 * - getwork-http: HTTP POST whose JSON body is a mining call.
 *
 * The parser never throws: anything it cannot use is counted in `malformed` by reason.
 * Memory per flow is bounded by `maxLine` bytes per direction.
 */
import { ReasonCounter } from '../events/counters.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { ConsumerVerdict, type ConsumerVerdictValue, type StreamConsumer } from '../events/stream.js';
import { message, type MessageSink, type StratumDialect, type StratumFields } from './types.js';

export const STRATUM_ID = 'stratum';
/** Longest line (or HTTP message, or V2 frame) we buffer; longer ⇒ malformed and give up. */
export const STRATUM_MAX_LINE = 16 * 1024;
/** Lines of valid JSON that are not mining we tolerate before giving up on a flow. */
const MAX_NON_MINING_LINES = 4;
const MAX_STR = 256;
const MAX_RAW = 512;
const MAX_ALGOS = 16;
const OVERFLOW_TAIL = 256;

// Methods that by themselves identify a mining session.
const V1_METHODS = new Set([
  'mining.subscribe', 'mining.authorize', 'mining.notify', 'mining.submit', 'mining.set_difficulty',
  'mining.set_target', 'mining.extranonce.subscribe', 'mining.set_extranonce', 'set_extranonce',
  'mining.get_transactions', 'mining.configure', 'mining.suggest_difficulty', 'mining.suggest_target',
  'mining.multi_version', 'mining.set_version_mask', 'mining.hashrate',
]);
// Methods that only mean something inside a session already known to be mining.
const V1_WEAK_METHODS = new Set(['client.reconnect', 'client.show_message', 'client.get_version', 'mining.ping', 'mining.pong']);
const ETH_METHODS = new Set(['eth_submitLogin', 'eth_getWork', 'eth_submitWork', 'eth_submitHashrate', 'eth_login']);
const GETWORK_METHODS = new Set(['getwork', 'getblocktemplate', 'submitblock']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/** Bounded string form of a scalar JSON value ('' for anything else). */
function str(v: unknown, max = MAX_STR): string {
  if (typeof v === 'string') return v.length > max ? v.slice(0, max) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}
function rpcId(v: unknown): string | number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return str(v, 64);
  return null;
}
/**
 * Worker (rig) name inside a pool login: "wallet.rig", "wallet.paymentid.rig",
 * "wallet.rig+difficulty" → "rig"; nanopool's "wallet/rig/email" → "rig"; '' when none.
 */
export function workerOf(login: string): string {
  let l = login;
  const slash = l.indexOf('/');
  if (slash >= 0) {
    const parts = l.split('/');
    if (parts.length >= 2 && parts[1] !== '' && !parts[1].includes('@')) return parts[1].slice(0, MAX_STR);
    l = parts[0];
  }
  const plus = l.indexOf('+');
  if (plus >= 0) l = l.slice(0, plus);
  const dot = l.lastIndexOf('.');
  if (dot > 0 && dot < l.length - 1) return l.slice(dot + 1);
  return '';
}

function emptyFields(dialect: StratumDialect, method: string, rpc: StratumFields['rpc'], id: string | number | null, raw: string): StratumFields {
  return { dialect, method, rpc, id, agent: '', login: '', worker: '', password: '', algorithms: [], jobId: '', target: '', raw: raw.length > MAX_RAW ? raw.slice(0, MAX_RAW) : raw };
}

export type StratumLineResult =
  | { kind: 'mining'; fields: StratumFields }
  | { kind: 'other' }
  | { kind: 'malformed'; reason: string };

const OTHER: StratumLineResult = { kind: 'other' };

/**
 * Classify one JSON-RPC text (a line, or an HTTP body). `flowDialect` is what the flow
 * already showed (null when nothing yet): it decides weak methods and responses.
 */
export function parseStratumJson(text: string, flowDialect: StratumDialect | null): StratumLineResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'bad-json' };
  }
  // getwork clients may batch calls in an array; look at the first element only.
  if (Array.isArray(v) && v.length > 0) v = v[0];
  if (!isObject(v)) return { kind: 'malformed', reason: 'not-object' };
  const method = typeof v.method === 'string' ? v.method : '';
  const id = rpcId(v.id);
  if (method !== '') {
    const rpc: StratumFields['rpc'] = v.id === undefined || v.id === null ? 'notification' : 'request';
    return classifyCall(v, method, rpc, id, text, flowDialect);
  }
  if ('result' in v || 'error' in v) return classifyResult(v, id, text, flowDialect);
  return OTHER;
}

function classifyCall(v: JsonObject, method: string, rpc: StratumFields['rpc'], id: string | number | null, text: string, flowDialect: StratumDialect | null): StratumLineResult {
  const params = v.params;
  const p = Array.isArray(params) ? params : [];
  const po = isObject(params) ? params : null;
  if (V1_METHODS.has(method) || (flowDialect !== null && V1_WEAK_METHODS.has(method))) {
    // NiceHash EthereumStratum announces itself in the subscribe; the flow keeps that dialect.
    let dialect: StratumDialect = flowDialect === 'ethereum' ? 'ethereum' : 'stratum-v1';
    if (method === 'mining.subscribe' && typeof p[1] === 'string' && p[1].startsWith('EthereumStratum')) dialect = 'ethereum';
    const f = emptyFields(dialect, method, rpc, id, text);
    switch (method) {
      case 'mining.subscribe': f.agent = str(p[0]); break;
      case 'mining.authorize': f.login = str(p[0]); f.worker = workerOf(f.login); f.password = str(p[1], 64); break;
      case 'mining.submit': f.login = str(p[0]); f.worker = workerOf(f.login); f.jobId = str(p[1], 64); break;
      case 'mining.notify': f.jobId = str(p[0], 64); f.target = str(p[6], 64); break;
      case 'mining.set_difficulty': case 'mining.set_target': f.target = str(p[0], 80); break;
      default: break;
    }
    return { kind: 'mining', fields: f };
  }
  if (ETH_METHODS.has(method)) {
    const f = emptyFields('ethereum', method, rpc, id, text);
    if (method === 'eth_submitLogin' || method === 'eth_login') {
      f.login = str(p[0]);
      f.password = str(p[1], 64);
      // The rig suffix of the login is what pools display; eth-proxy's "worker" field is a fallback.
      f.worker = workerOf(f.login) || str(v.worker);
    } else if (method === 'eth_submitWork') {
      f.jobId = str(p[1], 80);
    }
    if (f.worker === '' && typeof v.worker === 'string') f.worker = str(v.worker);
    return { kind: 'mining', fields: f };
  }
  if (GETWORK_METHODS.has(method)) {
    // Over a line protocol these are Bitcoin-style; over HTTP the caller re-labels them.
    return { kind: 'mining', fields: emptyFields(flowDialect ?? 'getwork-http', method, rpc, id, text) };
  }
  // CryptoNote pool calls: common verbs, so require the shape XMRig/xmr-stak use.
  if (method === 'login' && po && (typeof po.login === 'string' || typeof po.agent === 'string') && ('pass' in po || 'agent' in po)) {
    const f = emptyFields('cryptonote', method, rpc, id, text);
    f.login = str(po.login);
    f.password = str(po.pass, 64);
    f.agent = str(po.agent);
    f.worker = str(po.rigid) || workerOf(f.login);
    if (Array.isArray(po.algo)) for (const a of po.algo.slice(0, MAX_ALGOS)) { const s = str(a, 32); if (s) f.algorithms.push(s); }
    return { kind: 'mining', fields: f };
  }
  if (method === 'job' && po && (typeof po.blob === 'string' || typeof po.job_id === 'string')) {
    const f = emptyFields('cryptonote', method, rpc, id, text);
    f.jobId = str(po.job_id, 64);
    f.target = str(po.target, 80);
    const algo = str(po.algo, 32);
    if (algo) f.algorithms.push(algo);
    return { kind: 'mining', fields: f };
  }
  if (method === 'submit' && po && 'job_id' in po && 'nonce' in po) {
    const f = emptyFields('cryptonote', method, rpc, id, text);
    f.jobId = str(po.job_id, 64);
    return { kind: 'mining', fields: f };
  }
  if ((method === 'getjob' || method === 'keepalived') && (po !== null || flowDialect === 'cryptonote')) {
    return { kind: 'mining', fields: emptyFields('cryptonote', method, rpc, id, text) };
  }
  return OTHER;
}

const HEX256 = /^0x[0-9a-fA-F]{64}$/;

function classifyResult(v: JsonObject, id: string | number | null, text: string, flowDialect: StratumDialect | null): StratumLineResult {
  const r = v.result;
  // CryptoNote login result / getjob result: {id, job:{blob, job_id, target}, status}.
  const job = isObject(r) && isObject(r.job) ? r.job : isObject(r) && typeof r.blob === 'string' ? r : null;
  if (job && (typeof job.blob === 'string' || typeof job.job_id === 'string')) {
    const f = emptyFields('cryptonote', '', 'response', id, text);
    f.jobId = str(job.job_id, 64);
    f.target = str(job.target, 80);
    const algo = str(job.algo, 32);
    if (algo) f.algorithms.push(algo);
    return { kind: 'mining', fields: f };
  }
  // Stratum v1 subscribe result: [[["mining.set_difficulty", id], ["mining.notify", id]], extranonce1, size].
  if (Array.isArray(r) && Array.isArray(r[0]) && (Array.isArray(r[0][0]) ? r[0][0][0] : r[0][0]) !== undefined) {
    const first = Array.isArray(r[0][0]) ? r[0][0][0] : r[0][0];
    if (typeof first === 'string' && first.startsWith('mining.')) {
      return { kind: 'mining', fields: emptyFields(flowDialect ?? 'stratum-v1', '', 'response', id, text) };
    }
  }
  // Ethereum getWork result: [headerHash, seedHash, target] (0x + 64 hex each).
  if (Array.isArray(r) && r.length >= 3 && typeof r[0] === 'string' && HEX256.test(r[0]) && typeof r[1] === 'string' && HEX256.test(r[1])) {
    const f = emptyFields('ethereum', '', 'response', id, text);
    f.jobId = str(r[0], 80);
    f.target = str(r[2], 80);
    return { kind: 'mining', fields: f };
  }
  // Any other result is mining only inside a session already known to be one.
  if (flowDialect !== null) return { kind: 'mining', fields: emptyFields(flowDialect, '', 'response', id, text) };
  return OTHER;
}

// ---------------------------------------------------------------------------------------------
// Stratum V2 binary framing (plaintext): u16 extension_type, u8 msg_type, u24 msg_length, payload.

const SV2_NAMES: Record<number, string> = {
  0x00: 'SetupConnection', 0x01: 'SetupConnection.Success', 0x02: 'SetupConnection.Error',
  0x03: 'ChannelEndpointChanged', 0x10: 'OpenStandardMiningChannel', 0x11: 'OpenStandardMiningChannel.Success',
  0x12: 'OpenMiningChannel.Error', 0x13: 'OpenExtendedMiningChannel', 0x14: 'OpenExtendedMiningChannel.Success',
  0x15: 'NewMiningJob', 0x16: 'UpdateChannel', 0x17: 'UpdateChannel.Error', 0x18: 'CloseChannel',
  0x19: 'SetExtranoncePrefix', 0x1a: 'SubmitSharesStandard', 0x1b: 'SubmitSharesExtended',
  0x1c: 'SubmitShares.Success', 0x1d: 'SubmitShares.Error', 0x1f: 'NewExtendedMiningJob',
  0x20: 'SetNewPrevHash', 0x21: 'SetTarget', 0x22: 'SetCustomMiningJob', 0x25: 'Reconnect',
};
const SV2_HEADER = 6;

/** A SetupConnection frame header at `data[0]`? (cheap, used by accepts). */
export function looksLikeSv2Setup(data: Uint8Array): boolean {
  if (data.length < SV2_HEADER + 6) return false;
  const ext = data[0] | (data[1] << 8);
  if ((ext & 0x7fff) !== 0 || data[2] !== 0x00) return false;
  const len = data[3] | (data[4] << 8) | (data[5] << 16);
  // protocol (u8) 0..3, then min/max version u16 LE == 2 in every deployed implementation.
  return len >= 6 + 12 && len <= 2048 && data[6] <= 3 && data[7] === 2 && data[8] === 0;
}

/** Read a STR0_255 at `o`; returns [text, nextOffset] or null when it runs past `end`. */
function readStr0255(b: Uint8Array, o: number, end: number): [string, number] | null {
  if (o >= end) return null;
  const n = b[o];
  if (o + 1 + n > end) return null;
  let s = '';
  for (let i = o + 1; i < o + 1 + n; i++) {
    const c = b[i];
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return [s, o + 1 + n];
}

/** Decode one SV2 frame payload into fields (null when the message is not one we name). */
export function parseSv2Frame(msgType: number, b: Uint8Array, o: number, end: number): StratumFields | string | null {
  const name = SV2_NAMES[msgType];
  if (name === undefined) return null;
  const f = emptyFields('stratum-v2', name, msgType === 0x00 || msgType === 0x10 || msgType === 0x13 || msgType === 0x1a || msgType === 0x1b ? 'request' : 'response', null, '');
  if (msgType === 0x00) {
    // protocol u8, min u16, max u16, flags u32, endpoint_host STR0_255, endpoint_port u16, vendor, hw, fw, device_id
    let p = o + 1 + 2 + 2 + 4;
    const host = readStr0255(b, p, end);
    if (!host) return 'stratum.v2-short-setup';
    p = host[1];
    if (p + 2 > end) return 'stratum.v2-short-setup';
    const port = b[p] | (b[p + 1] << 8);
    p += 2;
    const parts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = readStr0255(b, p, end);
      if (!s) return 'stratum.v2-short-setup';
      parts.push(s[0]);
      p = s[1];
    }
    f.agent = [parts[0], parts[1], parts[2]].filter((x) => x !== '').join(' ');
    f.worker = parts[3];
    f.raw = `SetupConnection protocol=${b[o]} endpoint=${host[0]}:${port} vendor=${parts[0]} hardware=${parts[1]} firmware=${parts[2]} device=${parts[3]}`.slice(0, MAX_RAW);
  } else if (msgType === 0x10 || msgType === 0x13) {
    // request_id u32, user_identity STR0_255, …
    const user = readStr0255(b, o + 4, end);
    if (user) {
      f.login = user[0];
      f.worker = workerOf(user[0]);
    }
    f.raw = `${name} user=${f.login}`;
  } else {
    f.raw = name;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// The stream consumer.

const MODE_JSON = 0;
const MODE_HTTP = 1;
const MODE_SV2 = 2;

interface DirBuffer {
  buf: Uint8Array;
  len: number;
}

interface StratumFlowState {
  mode: number;
  dialect: StratumDialect | null;
  nonMining: number;
  done: boolean;
  pending: [DirBuffer | null, DirBuffer | null];
  /** Bytes to drop from the next data of each direction (mid-session pick-up: partial first line). */
  skip: [number, number];
  /** Head of an overlong line being skipped in a known session (null when not skipping). */
  overflow: [string | null, string | null];
  /** Last bytes of that overlong line: JSON key order is free, "method" may come last. */
  overflowTail: [string, string];
}

export interface StratumConsumerOptions {
  maxLine?: number;
  /** Shared malformed counter (reasons 'stratum.*'); one is created when absent. */
  malformed?: ReasonCounter;
}

export interface StratumConsumer extends StreamConsumer {
  readonly malformed: ReasonCounter;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

function startsWithAscii(d: Uint8Array, s: string): boolean {
  if (d.length < s.length) return false;
  for (let i = 0; i < s.length; i++) if (d[i] !== s.charCodeAt(i)) return false;
  return true;
}
function firstNonSpace(d: Uint8Array): number {
  for (let i = 0; i < d.length && i < 16; i++) {
    const c = d[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return c;
  }
  return -1;
}
/** Byte-level search for an ASCII needle (no string conversion). */
function indexOfAscii(d: Uint8Array, needle: string, from = 0, to = d.length): number {
  const n0 = needle.charCodeAt(0);
  outer: for (let i = from; i + needle.length <= to; i++) {
    if (d[i] !== n0) continue;
    for (let j = 1; j < needle.length; j++) if (d[i + j] !== needle.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

const ACCEPT_HINTS = ['"method"', '"result"', '"jsonrpc"', '"id"'];

export function createStratumConsumer(sink: MessageSink, opts: StratumConsumerOptions = {}): StratumConsumer {
  const maxLine = opts.maxLine ?? STRATUM_MAX_LINE;
  const malformed = opts.malformed ?? new ReasonCounter();

  function state(flow: FlowView): StratumFlowState {
    let st = flow.userData.get(STRATUM_ID) as StratumFlowState | undefined;
    if (st === undefined) {
      st = { mode: MODE_JSON, dialect: null, nonMining: 0, done: false, pending: [null, null], skip: [0, 0], overflow: [null, null], overflowTail: ['', ''] };
      flow.userData.set(STRATUM_ID, st);
    }
    return st;
  }

  function giveUp(st: StratumFlowState, reason: string | null): ConsumerVerdictValue {
    if (reason) malformed.add(reason);
    st.done = true;
    st.pending[0] = null;
    st.pending[1] = null;
    return ConsumerVerdict.DONE;
  }

  function deliver(flow: FlowView, st: StratumFlowState, dir: DirectionValue, tsUs: number, f: StratumFields): void {
    if (st.dialect === null || (st.dialect === 'stratum-v1' && f.dialect === 'ethereum')) st.dialect = f.dialect;
    sink(flow, message(STRATUM_ID, f.method || 'response', dir, tsUs, f));
  }

  /** Handle one JSON text; returns false when the flow should be abandoned. */
  function handleJson(flow: FlowView, st: StratumFlowState, dir: DirectionValue, tsUs: number, text: string, viaHttp: boolean): boolean {
    const r = parseStratumJson(text, st.dialect);
    if (r.kind === 'mining') {
      if (viaHttp) r.fields.dialect = 'getwork-http';
      deliver(flow, st, dir, tsUs, r.fields);
      return true;
    }
    if (r.kind === 'malformed') malformed.add(r.reason);
    if (st.dialect === null && ++st.nonMining > MAX_NON_MINING_LINES) return false;
    // Before anything mining-like, a non-JSON line means this is some other protocol.
    if (st.dialect === null && r.kind === 'malformed' && !viaHttp) return false;
    return true;
  }

  function pendingFor(st: StratumFlowState, dir: DirectionValue): DirBuffer {
    let p = st.pending[dir];
    if (p === null) {
      p = { buf: new Uint8Array(1024), len: 0 };
      st.pending[dir] = p;
    }
    return p;
  }
  function append(p: DirBuffer, data: Uint8Array, from: number, to: number): void {
    const need = p.len + (to - from);
    if (need > p.buf.length) {
      const nb = new Uint8Array(Math.min(Math.max(need, p.buf.length * 2), maxLine + 1));
      nb.set(p.buf.subarray(0, p.len));
      p.buf = nb;
    }
    p.buf.set(data.subarray(from, to), p.len);
    p.len = need;
  }

  /**
   * A line longer than maxLine inside a known session (P2Pool-style notify with a huge
   * coinbase reaches 18 KB): keep its first bytes, skip the rest, and report the method
   * from the head so counts stay right while memory stays bounded.
   */
  function startOverflow(st: StratumFlowState, dir: DirectionValue, head: Uint8Array): void {
    malformed.add('line-too-long');
    st.overflow[dir] = decoder.decode(head.subarray(0, Math.min(head.length, MAX_RAW)));
    st.overflowTail[dir] = decoder.decode(head.subarray(Math.max(0, head.length - OVERFLOW_TAIL)));
    const p = st.pending[dir];
    if (p) p.len = 0;
  }
  function finishOverflow(flow: FlowView, st: StratumFlowState, dir: DirectionValue, tsUs: number): void {
    const head = st.overflow[dir] ?? '';
    const tail = st.overflowTail[dir];
    st.overflow[dir] = null;
    st.overflowTail[dir] = '';
    const re = /"method"\s*:\s*"([A-Za-z0-9_.]{1,64})"/;
    const m = re.exec(head) ?? re.exec(tail);
    if (!m || st.dialect === null) return;
    const method = m[1];
    if (!V1_METHODS.has(method) && !ETH_METHODS.has(method) && !GETWORK_METHODS.has(method) && !['login', 'job', 'submit', 'getjob', 'keepalived'].includes(method)) return;
    const idm = /"id"\s*:\s*(\d{1,15}|null)/.exec(head);
    const id = idm && idm[1] !== 'null' ? Number(idm[1]) : null;
    deliver(flow, st, dir, tsUs, emptyFields(st.dialect, method, id === null ? 'notification' : 'request', id, `${head}…`));
  }

  function onJsonData(flow: FlowView, st: StratumFlowState, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
    let start = 0;
    const p = st.pending[dir];
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (st.overflow[dir] !== null) {
        const end = nl < 0 ? data.length : nl;
        if (end > start) st.overflowTail[dir] = (st.overflowTail[dir] + decoder.decode(data.subarray(Math.max(start, end - OVERFLOW_TAIL), end))).slice(-OVERFLOW_TAIL);
        if (nl < 0) return ConsumerVerdict.CONTINUE;
        finishOverflow(flow, st, dir, tsUs);
        start = nl + 1;
        continue;
      }
      if (nl < 0) break;
      let line: Uint8Array;
      if (p !== null && p.len > 0) {
        if (p.len + (nl - start) > maxLine) {
          if (st.dialect === null) return giveUp(st, 'line-too-long');
          startOverflow(st, dir, p.buf.subarray(0, p.len));
          continue;
        }
        append(p, data, start, nl);
        line = p.buf.subarray(0, p.len);
        p.len = 0;
      } else {
        if (nl - start > maxLine) {
          if (st.dialect === null) return giveUp(st, 'line-too-long');
          startOverflow(st, dir, data.subarray(start, nl));
          continue;
        }
        line = data.subarray(start, nl);
      }
      start = nl + 1;
      // Blank lines (\r\n keep-alives) are legal between messages.
      const c = firstNonSpace(line);
      if (c === -1) continue;
      if (c !== 0x7b /* { */ && c !== 0x5b /* [ */) {
        if (st.dialect === null) return giveUp(st, 'not-json');
        malformed.add('not-json');
        continue;
      }
      if (!handleJson(flow, st, dir, tsUs, decoder.decode(line), false)) return giveUp(st, null);
    }
    if (start < data.length) {
      const q = pendingFor(st, dir);
      if (q.len + (data.length - start) > maxLine) {
        if (st.dialect === null) return giveUp(st, 'line-too-long');
        const head = q.len > 0 ? q.buf.subarray(0, q.len) : data.subarray(start);
        startOverflow(st, dir, head);
        return ConsumerVerdict.CONTINUE;
      }
      append(q, data, start, data.length);
    }
    return ConsumerVerdict.CONTINUE;
  }

  /** HTTP/1.x POST requests (and their responses) carrying JSON-RPC mining calls. */
  function onHttpData(flow: FlowView, st: StratumFlowState, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
    const p = pendingFor(st, dir);
    if (p.len + data.length > maxLine) {
      if (st.dialect === null) return giveUp(st, 'http-too-long');
      malformed.add('http-too-long');
      p.len = 0;
      return ConsumerVerdict.CONTINUE;
    }
    append(p, data, 0, data.length);
    for (let guard = 0; guard < 64; guard++) {
      const b = p.buf.subarray(0, p.len);
      const hdrEnd = indexOfAscii(b, '\r\n\r\n');
      if (hdrEnd < 0) break;
      const head = decoder.decode(b.subarray(0, hdrEnd));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const bodyLen = m ? Number(m[1]) : 0;
      if (bodyLen > maxLine) return st.dialect === null ? giveUp(st, 'http-too-long') : (malformed.add('http-too-long'), p.len = 0, ConsumerVerdict.CONTINUE);
      const total = hdrEnd + 4 + bodyLen;
      if (p.len < total) break;
      const isRequest = head.startsWith('POST ');
      const body = b.subarray(hdrEnd + 4, total);
      const bc = bodyLen > 0 ? firstNonSpace(body) : -1;
      if (bc === 0x7b || bc === 0x5b) {
        const before = st.dialect;
        if (!handleJson(flow, st, dir, tsUs, decoder.decode(body), true) && isRequest) return giveUp(st, null);
        if (before === null && st.dialect === null && isRequest) return giveUp(st, null);
      } else if (isRequest && st.dialect === null) {
        return giveUp(st, null);
      }
      p.buf.copyWithin(0, total, p.len);
      p.len -= total;
    }
    return ConsumerVerdict.CONTINUE;
  }

  function onSv2Data(flow: FlowView, st: StratumFlowState, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
    const p = pendingFor(st, dir);
    if (p.len + data.length > maxLine + SV2_HEADER) return giveUp(st, 'v2-frame-too-long');
    append(p, data, 0, data.length);
    let o = 0;
    for (let guard = 0; guard < 256 && p.len - o >= SV2_HEADER; guard++) {
      const b = p.buf;
      const msgType = b[o + 2];
      const len = b[o + 3] | (b[o + 4] << 8) | (b[o + 5] << 16);
      if (len > maxLine) return giveUp(st, 'v2-frame-too-long');
      if (p.len - o < SV2_HEADER + len) break;
      const r = parseSv2Frame(msgType, b, o + SV2_HEADER, o + SV2_HEADER + len);
      if (typeof r === 'string') malformed.add(r);
      else if (r !== null) deliver(flow, st, dir, tsUs, r);
      o += SV2_HEADER + len;
    }
    p.buf.copyWithin(0, o, p.len);
    p.len -= o;
    return ConsumerVerdict.CONTINUE;
  }

  return {
    id: STRATUM_ID,
    malformed,
    accepts(flow: FlowView, dir: DirectionValue, data: Uint8Array): boolean {
      if (data.length === 0) return false;
      if (looksLikeSv2Setup(data)) {
        state(flow).mode = MODE_SV2;
        return true;
      }
      if (startsWithAscii(data, 'POST ')) {
        state(flow).mode = MODE_HTTP;
        return true;
      }
      const limit = Math.min(data.length, 512);
      const c = firstNonSpace(data);
      if (c === 0x7b || c === 0x5b) {
        for (const h of ACCEPT_HINTS) if (indexOfAscii(data, h, 0, limit) >= 0) return true;
        // A first segment too short to show a key: let onData decide after the first line.
        return data.length < 32 && data.indexOf(0x0a) < 0;
      }
      // Picked up mid-session: the first bytes are the tail of a line; look for the next one.
      const nl = data.indexOf(0x0a);
      if (nl >= 0 && nl + 1 < limit && data[nl + 1] === 0x7b && indexOfAscii(data, '"method"', nl, limit) >= 0) {
        state(flow).skip[dir] = nl + 1;
        return true;
      }
      return false;
    },
    onData(flow: FlowView, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
      const st = state(flow);
      if (st.done) return ConsumerVerdict.DONE;
      // Mid-session pick-up: drop the partial line before the first newline, once.
      const skip = st.skip[dir];
      if (skip > 0) {
        st.skip[dir] = 0;
        data = data.subarray(Math.min(skip, data.length));
      }
      if (st.mode === MODE_HTTP) return onHttpData(flow, st, dir, data, tsUs);
      if (st.mode === MODE_SV2) return onSv2Data(flow, st, dir, data, tsUs);
      return onJsonData(flow, st, dir, data, tsUs);
    },
    onGap(flow: FlowView, dir: DirectionValue): ConsumerVerdictValue {
      // A hole splits a line: drop the partial line and resync at the next newline.
      const st = state(flow);
      if (st.done) return ConsumerVerdict.DONE;
      const p = st.pending[dir];
      if (p) p.len = 0;
      malformed.add('gap');
      // Unknown flow: not worth resynchronising. Known session: the next partial line is
      // counted as malformed and parsing resumes at the following newline.
      if (st.dialect === null) return giveUp(st, null);
      return ConsumerVerdict.CONTINUE;
    },
    onEnd(flow: FlowView): void {
      flow.userData.delete(STRATUM_ID);
    },
  };
}
