/**
 * Active confirmation (opt-in, `--probe`): connect to a suspected pool and speak Stratum to
 * see whether it answers like a pool — a Stratum v1 `mining.subscribe`, then a CryptoNote
 * `login` with a dummy wallet (pools answer with a job, or with an "invalid wallet/address"
 * error, which is just as telling). Plain TCP first, then TLS. Nothing is ever mined.
 *
 * Safety: rate-limited (probes per minute), cached per address:port (TTL), one in-flight
 * probe per target, hard timeouts, bounded reply size, and an `allow` predicate the caller
 * uses to restrict targets (tests allow only 127.0.0.1).
 *
 * Signature (9100900+): 0 suspected pool confirmed by active probe.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { DetectorContext } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { parseStratumJson } from '../protocols/stratum.js';
import type { StratumDialect } from '../events/messages.js';
import { Category, LruMap, SidBase, clip } from './common.js';

export const PROBE_ID = 'probe';
const SID = SidBase.probe;
const MAX_REPLY = 8192;
const AGENT = 'minewatch-probe/1.0';
/** Not a wallet: pools reject it, which is enough to show they are pools. */
export const DUMMY_WALLET = 'minewatch-probe-not-a-wallet';

export interface ProbeOptions {
  timeoutMs?: number;
  maxPerMinute?: number;
  cacheTtlMs?: number;
  maxCache?: number;
  /** Try TLS when plain TCP does not answer like a pool (default true). */
  tls?: boolean;
  /** Which targets may be contacted (default: any). */
  allow?: (ip: string, port: number) => boolean;
  /** Clock for tests. */
  now?: () => number;
}

export interface ProbeResult {
  address: string;
  port: number;
  isPool: boolean;
  dialect: Exclude<StratumDialect, 'getwork-http'> | null;
  tls: boolean;
  /** First reply line (bounded) that decided it. */
  reply: string;
  /** 'rate-limited' | 'not-allowed' | 'timeout' | 'connect: …' | 'no-pool-reply' … */
  error?: string;
  cached?: boolean;
}

const SUBSCRIBE = `${JSON.stringify({ id: 1, method: 'mining.subscribe', params: [AGENT] })}\n`;
const LOGIN = `${JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'login', params: { login: DUMMY_WALLET, pass: 'x', agent: AGENT } })}\n`;

/** One exchange: connect, send `request`, return the first reply line (or an error). */
function exchange(host: string, port: number, useTls: boolean, request: string, timeoutMs: number): Promise<{ line: string } | { error: string }> {
  return new Promise((resolve) => {
    let done = false;
    let buf = '';
    let sock: Socket;
    const finish = (r: { line: string } | { error: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(buf ? { line: buf.slice(0, MAX_REPLY) } : { error: 'timeout' }), timeoutMs);
    const onConnect = () => sock.write(request);
    if (useTls) {
      // Pools commonly use self-signed certificates: the probe checks behaviour, not identity.
      sock = tlsConnect({ host, port, rejectUnauthorized: false, servername: undefined }, onConnect);
    } else {
      sock = tcpConnect({ host, port }, onConnect);
    }
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish({ line: buf.slice(0, nl) });
      else if (buf.length > MAX_REPLY) finish({ line: buf.slice(0, MAX_REPLY) });
    });
    sock.on('error', (e: Error) => finish({ error: `connect: ${e.message}` }));
    sock.on('close', () => finish(buf ? { line: buf } : { error: 'closed without reply' }));
  });
}

/** Does this reply line show a pool? */
export function judgeReply(line: string, asked: 'subscribe' | 'login'): ProbeResult['dialect'] {
  const r = parseStratumJson(line, null);
  if (r.kind === 'mining') return r.fields.dialect === 'getwork-http' ? 'stratum-v1' : r.fields.dialect;
  if (asked === 'login') {
    // Monero pools reject the dummy wallet with a JSON-RPC error naming it.
    try {
      const v = JSON.parse(line) as { error?: { message?: unknown } | null };
      const m = v && typeof v === 'object' && v.error && typeof v.error.message === 'string' ? v.error.message : '';
      // …but a generic JSON-RPC server saying it has no `login` method is not a pool.
      if (/method|not (?:found|exist|available|supported)|unknown/i.test(m)) return null;
      if (/wallet|address|login|payment id|miner/i.test(m)) return 'cryptonote';
    } catch {
      return null;
    }
  }
  return null;
}

export class StratumProber {
  private readonly cache: LruMap<string, { result: ProbeResult; atMs: number }>;
  private readonly inflight = new Map<string, Promise<ProbeResult>>();
  private readonly recent: number[] = [];
  private readonly timeoutMs: number;
  private readonly maxPerMinute: number;
  private readonly ttlMs: number;
  private readonly tryTls: boolean;
  private readonly now: () => number;
  probesSent = 0;

  constructor(private readonly opts: ProbeOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxPerMinute = opts.maxPerMinute ?? 10;
    this.ttlMs = opts.cacheTtlMs ?? 6 * 3600_000;
    this.tryTls = opts.tls ?? true;
    this.now = opts.now ?? Date.now;
    this.cache = new LruMap(opts.maxCache ?? 4096);
  }

  probe(address: string, port: number): Promise<ProbeResult> {
    const key = `${address}|${port}`;
    const c = this.cache.get(key);
    if (c && this.now() - c.atMs < this.ttlMs) return Promise.resolve({ ...c.result, cached: true });
    const running = this.inflight.get(key);
    if (running) return running;
    if (this.opts.allow && !this.opts.allow(address, port)) return Promise.resolve({ address, port, isPool: false, dialect: null, tls: false, reply: '', error: 'not-allowed' });
    const t = this.now();
    while (this.recent.length > 0 && t - this.recent[0] > 60_000) this.recent.shift();
    if (this.recent.length >= this.maxPerMinute) return Promise.resolve({ address, port, isPool: false, dialect: null, tls: false, reply: '', error: 'rate-limited' });
    this.recent.push(t);
    const p = this.run(address, port).then((result) => {
      this.inflight.delete(key);
      this.cache.set(key, { result, atMs: this.now() });
      return result;
    });
    this.inflight.set(key, p);
    return p;
  }

  /** Wait for every probe in flight (the pipeline calls this before it closes). */
  async drain(): Promise<void> {
    await Promise.all([...this.inflight.values()]);
  }

  private async run(address: string, port: number): Promise<ProbeResult> {
    let lastError = 'no-pool-reply';
    let lastReply = '';
    for (const useTls of this.tryTls ? [false, true] : [false]) {
      for (const [asked, request] of [['subscribe', SUBSCRIBE], ['login', LOGIN]] as const) {
        this.probesSent++;
        const r = await exchange(address, port, useTls, request, this.timeoutMs);
        if ('error' in r) {
          lastError = r.error;
          // A refused connection will not change with another request on the same transport.
          if (r.error.startsWith('connect:')) break;
          continue;
        }
        lastReply = r.line;
        const dialect = judgeReply(r.line, asked);
        if (dialect) return { address, port, isPool: true, dialect, tls: useTls, reply: clip(r.line, 300) };
        lastError = 'no-pool-reply';
      }
    }
    return { address, port, isPool: false, dialect: null, tls: false, reply: clip(lastReply, 300), error: lastError };
  }
}

/**
 * Glue for mining-encrypted's `onSuspect`: probe the server of a suspicious flow and, when it
 * answers like a pool, emit a confirmation alert (not tied to the flow, which may be gone).
 */
export function createProbeConfirmer(prober: StratumProber): (flow: FlowView, score: number, ctx: DetectorContext) => void {
  const asked = new Set<string>();
  return (flow, score, ctx) => {
    const key = `${flow.serverIp}|${flow.serverPort}`;
    if (asked.has(key) || asked.size > 10000) return;
    asked.add(key);
    const { clientIp, clientMac, serverIp, serverPort, clientPort } = flow;
    void prober.probe(serverIp, serverPort).then((r) => {
      if (!r.isPool) return;
      ctx.emit(null, {
        detector: PROBE_ID, signatureId: SID,
        signature: `MINEWATCH COINMINER ${serverIp}:${serverPort} confirmed as a mining pool by active probe (${r.dialect}${r.tls ? ' over TLS' : ''})`,
        category: Category.MINING, severity: 1,
        evidence: { server: `${serverIp}:${serverPort}`, dialect: r.dialect, tls: r.tls, reply: r.reply, flowScore: score },
        device: clientMac ? { mac: clientMac, ip: clientIp, id: clientMac } : { ip: clientIp, id: clientIp },
        srcIp: clientIp, srcPort: clientPort, destIp: serverIp, destPort: serverPort, proto: 'TCP',
        dedupKey: `${PROBE_ID}:${serverIp}:${serverPort}`,
      });
    });
  };
}
