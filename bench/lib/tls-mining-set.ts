/**
 * The labelled Stratum-over-TLS evaluation set (issue 15, class 3), made of real programs in a
 * network namespace with nothing but loopback: fake pools (one Node TLS process) that refuse
 * the login (hang up, or answer an error and hang up), accept it and never send a job
 * (keep-alives), or accept it with a job-shaped message (all-zero blob, a target no hash
 * meets) and push such jobs at random times; `openssl s_client` logs in with XMRig's login
 * line and no SNI — reconnecting at several cadences when refused, keeping one connection
 * with keep-alives or with fixed-size share submits at random times when accepted. The
 * clients are openssl: nothing is mined, and no real miner is pointed at these pools. Beside
 * them, benign long-lived and periodic TLS from openssl and curl (beacons, push/chat and
 * MQTT-like keep-alives, varying push notifications, chat both ways, upload beacons,
 * websocket-like idles, health checks, streaming downloads; with and without SNI). Some
 * sessions first resolve a pool name through dnsmasq (the class-2 knowledge); others have no
 * knowledge at all. dumpcap captures everything; each session has its own server
 * address:port, which is its label.
 *
 * Time is compressed: XMRig's keep-alive is 60 s and its retry pause 5 s; here keep-alives
 * come every 4 s and submits every 2–8 s on average, so a run of about `durationS` seconds
 * shows the patterns.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { captureInNetns, type NetnsRunner } from './netns-capture.js';

export type Label = 'mining' | 'benign';

/** Server behaviour on one address:port. */
export type Mode =
  | 'refuse' | 'refuse-err' | 'accept' | 'pool'
  | 'beacon' | 'push' | 'push-var' | 'stream' | 'upload' | 'ws' | 'chat' | 'health';
/** Client program and pattern. */
export type Client =
  | 'openssl-reconnect' | 'openssl-long' | 'openssl-miner' | 'openssl-beacon' | 'openssl-upload' | 'openssl-ws'
  | 'openssl-chat' | 'openssl-health' | 'curl-beacon' | 'curl-stream';

export interface Session {
  label: Label;
  /** What kind of traffic (printed in the report). */
  type: string;
  server: string;
  port: number;
  mode: Mode;
  client: Client;
  /** The client's pace in ms: pause between reconnects, mean gap between share submits, upload period… */
  everyMs?: number;
  sni?: string;
  /** A pool name resolved (dig through dnsmasq) to `server` before the session starts. */
  resolve?: string;
}

const m = (type: string, server: string, port: number, mode: Mode, client: Client, more: Partial<Session> = {}): Session => ({ label: 'mining', type, server, port, mode, client, ...more });
const b = (type: string, server: string, port: number, mode: Mode, client: Client, more: Partial<Session> = {}): Session => ({ label: 'benign', type, server, port, mode, client, ...more });

export const SESSIONS: readonly Session[] = [
  // ---- mining: XMRig's login over TLS without SNI ----
  // refused (the pool hangs up, or answers an error and hangs up), reconnect loops at several cadences
  m('refused pool, reconnects every 2.5 s, Stratum port 3333', '127.0.1.1', 3333, 'refuse', 'openssl-reconnect', { everyMs: 2500 }),
  m('refused pool on 443, name resolved from a pool list', '127.0.1.2', 443, 'refuse', 'openssl-reconnect', { everyMs: 2500, resolve: 'pool.supportxmr.com' }),
  m('refused pool on 443, bare address, no knowledge', '127.0.1.5', 443, 'refuse', 'openssl-reconnect', { everyMs: 2500 }),
  m('refused pool, reconnects every 1 s, port 5555', '127.0.1.8', 5555, 'refuse', 'openssl-reconnect', { everyMs: 1000 }),
  m('refused pool, reconnects every 5 s, port 14444', '127.0.1.9', 14444, 'refuse', 'openssl-reconnect', { everyMs: 5000 }),
  m('refused pool, reconnects every 8 s, random port 21877, bare address', '127.0.1.10', 21877, 'refuse', 'openssl-reconnect', { everyMs: 8000 }),
  m('pool answers an error then hangs up, every 5 s, 443, bare address', '127.0.1.11', 443, 'refuse-err', 'openssl-reconnect', { everyMs: 5000 }),
  m('pool answers an error then hangs up, every 1 s, 3333, name resolved', '127.0.1.12', 3333, 'refuse-err', 'openssl-reconnect', { everyMs: 1000, resolve: 'xmr.2miners.com' }),
  m('refused pool, reconnects every 8 s, 443, name resolved', '127.0.1.13', 443, 'refuse', 'openssl-reconnect', { everyMs: 8000, resolve: 'gulf.moneroocean.stream' }),
  // accepted: a login answered by a job, share submits at random times (XMRig-like, time compressed), job pushes
  m('accepted pool, jobs + submits every ~4 s, port 3333', '127.0.1.20', 3333, 'pool', 'openssl-miner', { everyMs: 4000 }),
  m('accepted pool, jobs + submits every ~4 s, 443, bare address', '127.0.1.21', 443, 'pool', 'openssl-miner', { everyMs: 4000 }),
  m('accepted pool, jobs + submits, 443, name resolved', '127.0.1.22', 443, 'pool', 'openssl-miner', { everyMs: 4000, resolve: 'xmr-eu1.nanopool.org' }),
  m('accepted pool, jobs + submits every ~3 s, port 5555', '127.0.1.23', 5555, 'pool', 'openssl-miner', { everyMs: 3000 }),
  m('accepted pool, jobs + submits every ~6 s, port 14444', '127.0.1.24', 14444, 'pool', 'openssl-miner', { everyMs: 6000 }),
  m('accepted pool, jobs + submits every ~5 s, random port 40123, bare address', '127.0.1.25', 40123, 'pool', 'openssl-miner', { everyMs: 5000 }),
  m('accepted pool, jobs + submits every ~8 s, 443, bare address', '127.0.1.26', 443, 'pool', 'openssl-miner', { everyMs: 8000 }),
  m('accepted pool, jobs + submits every ~2 s, 443, bare address', '127.0.1.27', 443, 'pool', 'openssl-miner', { everyMs: 2000 }),
  m('accepted pool, jobs + submits, port 14433, name resolved', '127.0.1.28', 14433, 'pool', 'openssl-miner', { everyMs: 4000, resolve: 'pool.hashvault.pro' }),
  // accepted, but the pool never sends a job: the miner only sends keep-alives
  m('accepted pool, no job, keep-alives, port 14433', '127.0.1.3', 14433, 'accept', 'openssl-long'),
  m('accepted pool, no job, keep-alives, 443, name resolved', '127.0.1.4', 443, 'accept', 'openssl-long', { resolve: 'xmr-eu1.nanopool.org' }),
  m('accepted pool, no job, keep-alives, port 5555', '127.0.1.6', 5555, 'accept', 'openssl-long'),
  m('accepted pool, no job, keep-alives, 443, bare address', '127.0.1.7', 443, 'accept', 'openssl-long'),
  // ---- benign long-lived and periodic TLS ----
  b('beacon every 3 s, openssl, no SNI, no ALPN, 443', '127.0.2.1', 443, 'beacon', 'openssl-beacon', { everyMs: 3000 }),
  b('beacon every 3 s, curl to an IP (no SNI, ALPN), 443', '127.0.2.2', 443, 'beacon', 'curl-beacon'),
  b('beacon every 3 s, curl with SNI, 8443', '127.0.2.3', 8443, 'beacon', 'curl-beacon', { sni: 'beacon.example' }),
  b('dev server on 3333 polled every 3 s by curl (no SNI)', '127.0.2.4', 3333, 'beacon', 'curl-beacon'),
  b('push/chat keep-alive with SNI, 5223', '127.0.2.5', 5223, 'push', 'openssl-long', { sni: 'push.example' }),
  b('push/chat keep-alive without SNI, 443', '127.0.2.6', 443, 'push', 'openssl-long'),
  b('MQTT-like keep-alive without SNI, 8883', '127.0.2.7', 8883, 'push', 'openssl-long'),
  b('streaming download, curl to an IP (no SNI)', '127.0.2.8', 443, 'stream', 'curl-stream'),
  b('streaming download, curl with SNI', '127.0.2.9', 8443, 'stream', 'curl-stream', { sni: 'video.example' }),
  b('push notifications of varying size at random times, no SNI, 443', '127.0.2.10', 443, 'push-var', 'openssl-long'),
  b('push keep-alive without SNI on Stratum port 3333', '127.0.2.11', 3333, 'push', 'openssl-long'),
  b('chat, bursts both ways at random times, no SNI, 443', '127.0.2.12', 443, 'chat', 'openssl-chat', { everyMs: 3000 }),
  b('chat, bursts both ways, no SNI, 5222', '127.0.2.13', 5222, 'chat', 'openssl-chat', { everyMs: 2000 }),
  b('chat, bursts both ways, with SNI, 443', '127.0.2.14', 443, 'chat', 'openssl-chat', { everyMs: 3000, sni: 'chat.example' }),
  b('upload beacon: HTTP/1.1 keep-alive POST every 3 s, no SNI, 443', '127.0.2.15', 443, 'upload', 'openssl-upload', { everyMs: 3000 }),
  b('upload beacon every 5 s ± 20 % jitter, no SNI, 443', '127.0.2.16', 443, 'upload', 'openssl-upload', { everyMs: -5000 }),
  b('upload beacon every 2 s, no SNI, port 5555', '127.0.2.17', 5555, 'upload', 'openssl-upload', { everyMs: 2000 }),
  b('websocket-like idle session, pings every 5 s, no SNI, 443', '127.0.2.18', 443, 'ws', 'openssl-ws', { everyMs: 5000 }),
  b('websocket-like idle session, with SNI, 443', '127.0.2.19', 443, 'ws', 'openssl-ws', { everyMs: 5000, sni: 'ws.example' }),
  b('websocket-like idle session, pings every 2 s, no SNI, 8443', '127.0.2.20', 8443, 'ws', 'openssl-ws', { everyMs: 2000 }),
  b('TLS health check every 2 s (handshake, no data), openssl, no SNI, 443', '127.0.2.21', 443, 'health', 'openssl-health', { everyMs: 2000 }),
  b('beacon every 1 s, openssl, no SNI, 8443', '127.0.2.22', 8443, 'beacon', 'openssl-beacon', { everyMs: 1000 }),
];

const LOGIN = '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A","pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0","algo":["rx/0","cn/r","cn/2"]}}\n';
const keepalive = (id: number) => `{"id":${id},"jsonrpc":"2.0","method":"keepalived","params":{"id":"1"}}\n`;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
/** XMRig's share submit (fixed format: nonce 8 hex, result 64 hex). */
const submit = (id: number, job: number) => `{"id":${id},"jsonrpc":"2.0","method":"submit","params":{"id":"1","job_id":"${String(job).padStart(8, '0')}","nonce":"${hex(8)}","result":"${hex(64)}","algo":"rx/0"}}\n`;
/** Exponential gap with the given mean (share finds are a Poisson process). */
const expGap = (meanMs: number) => Math.min(meanMs * 4, -Math.log(1 - Math.random()) * meanMs);

/**
 * The fake servers, one Node process: every session's address:port in its mode. The fake pool
 * ('pool') answers openssl's login with a job-shaped message whose blob is all zeros and whose
 * target no hash meets, then pushes such jobs now and then; the client is openssl, so nothing
 * is ever mined (a real miner is never pointed at it).
 */
function serverScript(cert: string, key: string): string {
  const listeners = SESSIONS.map((s) => ({ host: s.server, port: s.port, mode: s.mode }));
  return `
const tls = require('tls'); const fs = require('fs');
const opts = { cert: fs.readFileSync(${JSON.stringify(cert)}), key: fs.readFileSync(${JSON.stringify(key)}) };
let jobN = 0;
const job = () => ({ blob: '0'.repeat(152), job_id: String(++jobN).padStart(8, '0'), target: '01000000', algo: 'rx/0', height: 3000000 + jobN, seed_hash: '0'.repeat(64) });
const exp = (mean) => Math.min(mean * 4, -Math.log(1 - Math.random()) * mean);
for (const l of ${JSON.stringify(listeners)}) {
  tls.createServer(opts, (s) => {
    s.on('error', () => {});
    let buf = '';
    const timers = [];
    s.on('close', () => timers.forEach((t) => clearTimeout(t)));
    const every = (f, gap) => { const run = () => { if (s.destroyed) return; f(); timers.push(setTimeout(run, gap())); }; timers.push(setTimeout(run, gap())); };
    if (l.mode === 'stream') { let n = 0; const t = setInterval(() => { if (n++ > 150 || s.destroyed) { clearInterval(t); s.end(); return; } s.write(Buffer.alloc(32768, 7)); }, 100); s.on('close', () => clearInterval(t)); }
    if (l.mode === 'push') every(() => s.write('{"type":"notification","body":"' + 'n'.repeat(150) + '"}\\n'), () => 7000);
    if (l.mode === 'push-var') every(() => s.write(JSON.stringify({ type: 'notification', body: 'n'.repeat(40 + Math.floor(Math.random() * 1400)) }) + '\\n'), () => exp(5000));
    if (l.mode === 'chat') every(() => s.write(JSON.stringify({ from: 'peer', text: 't'.repeat(20 + Math.floor(Math.random() * 900)) }) + '\\n'), () => exp(3000));
    let pushing = false;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (l.mode === 'refuse') { setTimeout(() => s.destroy(), 300); return; }
      if (l.mode === 'refuse-err') { s.write('{"id":1,"jsonrpc":"2.0","error":{"code":-1,"message":"Invalid payment address provided"}}\\n'); setTimeout(() => s.destroy(), 200); return; }
      if (l.mode === 'health') return;
      if (l.mode === 'beacon' || l.mode === 'stream') {
        if (buf.includes('\\r\\n\\r\\n') && l.mode === 'beacon') s.end('HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: 96\\r\\nConnection: close\\r\\n\\r\\n' + JSON.stringify({ ok: true, next: 3, pad: 'p'.repeat(60) }).padEnd(96));
        if (buf.includes('\\r\\n\\r\\n') && l.mode === 'stream') s.write('HTTP/1.1 200 OK\\r\\nContent-Type: video/mp4\\r\\n\\r\\n');
        return;
      }
      if (l.mode === 'upload') {
        let i;
        while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) {
          const len = Number((/content-length: (\\d+)/i.exec(buf.slice(0, i)) || [0, 0])[1]);
          if (buf.length < i + 4 + len) break;
          buf = buf.slice(i + 4 + len);
          s.write('HTTP/1.1 204 No Content\\r\\nDate: ' + new Date().toUTCString() + '\\r\\nConnection: keep-alive\\r\\n\\r\\n');
        }
        return;
      }
      if (l.mode === 'ws') {
        if (buf.includes('\\r\\n\\r\\n') && buf.startsWith('GET')) { buf = ''; s.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\\r\\n\\r\\n'); return; }
        if (buf.length > 0) { buf = ''; s.write(Buffer.from([0x8a, 0x00])); }
        return;
      }
      if (l.mode === 'chat') { buf = ''; s.write(JSON.stringify({ ack: true }) + '\\n'); return; }
      let i;
      while ((i = buf.indexOf('\\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        let id = 0; try { id = JSON.parse(line).id ?? 0; } catch {}
        const login = line.includes('"login"');
        if (l.mode === 'pool') {
          s.write(JSON.stringify(login ? { id, jsonrpc: '2.0', error: null, result: { id: '1', job: job(), extensions: ['algo', 'nicehash', 'connect', 'tls', 'keepalive'], status: 'OK' } } : { id, jsonrpc: '2.0', error: null, result: { status: 'OK' } }) + '\\n');
          if (login && !pushing) { pushing = true; every(() => s.write(JSON.stringify({ jsonrpc: '2.0', method: 'job', params: job() }) + '\\n'), () => exp(6000)); }
        } else if (l.mode === 'accept') s.write(JSON.stringify(login ? { id, jsonrpc: '2.0', error: null, result: { id: '1', status: 'OK' } } : { id, jsonrpc: '2.0', error: null, result: { status: 'KEEPALIVED' } }) + '\\n');
        else s.write('{"type":"pong"}\\n');
      }
    });
  }).listen(l.port, l.host);
}
setTimeout(() => process.exit(0), 600000);
`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitExit(c: ChildProcess, ms: number): Promise<void> {
  return new Promise((res) => {
    if (c.exitCode !== null) { res(); return; }
    const t = setTimeout(() => { c.kill('SIGKILL'); res(); }, ms);
    c.once('exit', () => { clearTimeout(t); res(); });
  });
}

function sniArgs(s: Session): string[] {
  return s.sni ? ['-servername', s.sni] : ['-noservername'];
}

function curlUrl(s: Session, path: string): string[] {
  return s.sni ? ['--resolve', `${s.sni}:${s.port}:${s.server}`, `https://${s.sni}:${s.port}${path}`] : [`https://${s.server}:${s.port}${path}`];
}

/** A masked WebSocket ping frame (what a browser's idle socket sends). */
function wsPing(): Buffer {
  const mask = [1, 2, 3, 4].map(() => Math.floor(Math.random() * 256));
  const body = Buffer.from('ping');
  return Buffer.from([0x89, 0x80 | body.length, ...mask, ...body.map((x, i) => x ^ mask[i % 4])]);
}

/** One session's client, for about `durationS` seconds. */
async function runClient(r: NetnsRunner, s: Session, durationS: number, offsetMs: number): Promise<void> {
  await sleep(offsetMs);
  const end = Date.now() + durationS * 1000;
  const connect = ['s_client', '-connect', `${s.server}:${s.port}`, ...sniArgs(s), '-quiet'];
  const every = s.everyMs ?? 3000;
  /** One long openssl connection: `first` right away, then `next(i)` after each `gap()` until the end. */
  const long = async (first: string | Buffer, gap: () => number, next: (i: number) => string | Buffer) => {
    const c = r.start('openssl', connect);
    c.stdin?.on('error', () => {});
    if (first.length) c.stdin?.write(first);
    for (let i = 2; Date.now() < end; i++) {
      await sleep(gap());
      c.stdin?.write(next(i));
    }
    c.stdin?.end();
    await waitExit(c, 3000);
  };
  switch (s.client) {
    case 'openssl-reconnect':
      // XMRig refused: log in, the pool hangs up, retry after a pause
      while (Date.now() < end) {
        const c = r.start('openssl', connect);
        c.stdin?.write(LOGIN);
        await waitExit(c, 5000);
        await sleep(every);
      }
      return;
    case 'openssl-long':
      return long(s.mode === 'accept' ? LOGIN : '', () => 4000, (id) => (s.mode === 'accept' ? keepalive(id) : '{"type":"ping"}\n'));
    case 'openssl-miner': {
      let jobId = 1;
      return long(LOGIN, () => expGap(every), (id) => submit(id, jobId++));
    }
    case 'openssl-upload': {
      const gap = every > 0 ? () => every : () => -every * (0.8 + 0.4 * Math.random());
      return long('', gap, () => {
        const body = JSON.stringify({ host: 'sensor-7', cpu: Math.random(), mem: Math.random(), ts: Date.now(), tags: ['a', 'b'] });
        return `POST /v1/telemetry HTTP/1.1\r\nHost: ${s.sni ?? s.server}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`;
      });
    }
    case 'openssl-ws':
      return long(`GET /socket HTTP/1.1\r\nHost: ${s.sni ?? s.server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: https://${s.sni ?? s.server}\r\n\r\n`, () => every, () => wsPing());
    case 'openssl-chat':
      return long('{"type":"hello","user":"alice"}\n', () => expGap(every), () => JSON.stringify({ type: 'msg', text: 'm'.repeat(10 + Math.floor(Math.random() * 700)) }) + '\n');
    case 'openssl-health':
      while (Date.now() < end) {
        const c = r.start('openssl', connect);
        c.stdin?.end();
        await waitExit(c, 5000);
        await sleep(every);
      }
      return;
    case 'openssl-beacon':
      while (Date.now() < end) {
        const c = r.start('openssl', connect);
        c.stdin?.write('GET /beacon HTTP/1.1\r\nHost: x\r\n\r\n');
        await waitExit(c, 5000);
        await sleep(every);
      }
      return;
    case 'curl-beacon':
      while (Date.now() < end) {
        await r.run('curl', ['-sk', '--max-time', '5', '-o', '/dev/null', ...curlUrl(s, '/beacon')], 10_000).catch(() => '');
        await sleep(3000);
      }
      return;
    case 'curl-stream':
      await r.run('curl', ['-sk', '--max-time', String(Math.min(durationS, 20)), '--limit-rate', '300k', '-o', '/dev/null', ...curlUrl(s, '/stream')], (durationS + 10) * 1000).catch(() => '');
      return;
  }
}

/** Generates the capture at `pcap` (needs root, ip, dumpcap, openssl, curl, dnsmasq, dig). */
export async function generateTlsMiningSet(pcap: string, workDir: string, durationS = 40): Promise<void> {
  const cert = join(workDir, 'cert.pem');
  const key = join(workDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=server', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  await captureInNetns(pcap, async (r) => {
    const addresses = SESSIONS.filter((s) => s.resolve).map((s) => `--address=/${s.resolve}/${s.server}`);
    r.start('dnsmasq', ['--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces', '--listen-address=127.0.0.1', '--port=53', ...addresses]);
    r.start(process.execPath, ['-e', serverScript(cert, key)]);
    let up = '';
    for (let i = 0; i < 50 && up.trim() === ''; i++) up = await r.run('dig', ['@127.0.0.1', '+short', '+tries=1', '+time=1', SESSIONS.find((s) => s.resolve)!.resolve!]).catch(() => '');
    if (up.trim() === '') throw new Error('dnsmasq did not answer');
    for (const s of SESSIONS) if (s.resolve) await r.run('dig', ['@127.0.0.1', '+short', s.resolve]);
    await sleep(500);
    await Promise.all(SESSIONS.map((s, i) => runClient(r, s, durationS, i * 61)));
  }, (durationS + 60) * 1000);
}

export interface SetScore {
  precision: number; recall: number; tp: number; fp: number; fn: number; tn: number;
  /** Per session: its label, type and whether it was flagged (and by what). */
  sessions: { label: Label; type: string; endpoint: string; flagged: string[] }[];
}

/** Scores alerts by session (a session is flagged when any of `detectorsCounted` alerted on its server address:port). */
export function scoreSet(alerts: { dest_ip?: string; dest_port?: number; alert: { signature_id: number }; minewatch: { detector: string } }[], counted: (a: { alert: { signature_id: number }; minewatch: { detector: string } }) => boolean): SetScore {
  let tp = 0; let fp = 0; let fn = 0; let tn = 0;
  const sessions = SESSIONS.map((s) => {
    const endpoint = `${s.server}:${s.port}`;
    const flagged = [...new Set(alerts.filter((a) => `${a.dest_ip}:${a.dest_port}` === endpoint && counted(a)).map((a) => `${a.minewatch.detector} ${a.alert.signature_id}`))];
    const hit = flagged.length > 0;
    if (s.label === 'mining') { if (hit) tp++; else fn++; } else if (hit) fp++; else tn++;
    return { label: s.label, type: s.type, endpoint, flagged };
  });
  const r2 = (x: number) => Math.round(x * 1000) / 1000;
  return { precision: r2(tp + fp === 0 ? 1 : tp / (tp + fp)), recall: r2(tp + fn === 0 ? 1 : tp / (tp + fn)), tp, fp, fn, tn, sessions };
}
