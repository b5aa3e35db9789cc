/**
 * The labelled Stratum-over-TLS evaluation set (issue 15, class 3), made of real programs in a
 * network namespace with nothing but loopback: fake pools (a Node TLS server that never sends
 * a job: it refuses the login by closing, or accepts it and answers keep-alives) that
 * `openssl s_client` logs into with XMRig's login line and no SNI — reconnecting every few
 * seconds when refused, keeping one connection with small periodic uploads when accepted —
 * beside benign long-lived and periodic TLS from openssl and curl (beacons, push/chat
 * keep-alives, MQTT-like keep-alives, streaming downloads; with and without SNI). Some
 * sessions first resolve a pool name through dnsmasq (the class-2 knowledge); others have
 * no knowledge at all. dumpcap captures everything; each session has its own server
 * address:port, which is its label.
 *
 * Time is compressed: XMRig's keep-alive is 60 s and its retry pause 5 s; here keep-alives
 * come every 4 s so a run of about `durationS` seconds shows the patterns.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { captureInNetns, type NetnsRunner } from './netns-capture.js';

export type Label = 'mining' | 'benign';

export interface Session {
  label: Label;
  /** What kind of traffic (printed in the report). */
  type: string;
  server: string;
  port: number;
  /** Server behaviour (the fake server's mode on this address:port). */
  mode: 'refuse' | 'accept' | 'beacon' | 'push' | 'stream';
  /** Client program and pattern. */
  client: 'openssl-reconnect' | 'openssl-long' | 'openssl-beacon' | 'curl-beacon' | 'curl-stream';
  sni?: string;
  /** A pool name resolved (dig through dnsmasq) to `server` before the session starts. */
  resolve?: string;
}

export const SESSIONS: readonly Session[] = [
  // mining: XMRig-like login over TLS without SNI
  { label: 'mining', type: 'refused pool, reconnects, Stratum port 3333', server: '127.0.1.1', port: 3333, mode: 'refuse', client: 'openssl-reconnect' },
  { label: 'mining', type: 'refused pool on 443, name resolved from a pool list', server: '127.0.1.2', port: 443, mode: 'refuse', client: 'openssl-reconnect', resolve: 'pool.supportxmr.com' },
  { label: 'mining', type: 'refused pool on 443, bare address, no knowledge', server: '127.0.1.5', port: 443, mode: 'refuse', client: 'openssl-reconnect' },
  { label: 'mining', type: 'accepted pool, keep-alives, port 14433', server: '127.0.1.3', port: 14433, mode: 'accept', client: 'openssl-long' },
  { label: 'mining', type: 'accepted pool on 443, name resolved from a pool list', server: '127.0.1.4', port: 443, mode: 'accept', client: 'openssl-long', resolve: 'xmr-eu1.nanopool.org' },
  { label: 'mining', type: 'accepted pool, keep-alives, port 5555', server: '127.0.1.6', port: 5555, mode: 'accept', client: 'openssl-long' },
  { label: 'mining', type: 'accepted pool on 443, bare address, no knowledge', server: '127.0.1.7', port: 443, mode: 'accept', client: 'openssl-long' },
  // benign
  { label: 'benign', type: 'beacon every 3 s, openssl, no SNI, no ALPN, 443', server: '127.0.2.1', port: 443, mode: 'beacon', client: 'openssl-beacon' },
  { label: 'benign', type: 'beacon every 3 s, curl to an IP (no SNI, ALPN), 443', server: '127.0.2.2', port: 443, mode: 'beacon', client: 'curl-beacon' },
  { label: 'benign', type: 'beacon every 3 s, curl with SNI, 8443', server: '127.0.2.3', port: 8443, mode: 'beacon', client: 'curl-beacon', sni: 'beacon.example' },
  { label: 'benign', type: 'dev server on 3333 polled every 3 s by curl (no SNI)', server: '127.0.2.4', port: 3333, mode: 'beacon', client: 'curl-beacon' },
  { label: 'benign', type: 'push/chat keep-alive with SNI, 5223', server: '127.0.2.5', port: 5223, mode: 'push', client: 'openssl-long', sni: 'push.example' },
  { label: 'benign', type: 'push/chat keep-alive without SNI, 443', server: '127.0.2.6', port: 443, mode: 'push', client: 'openssl-long' },
  { label: 'benign', type: 'MQTT-like keep-alive without SNI, 8883', server: '127.0.2.7', port: 8883, mode: 'push', client: 'openssl-long' },
  { label: 'benign', type: 'streaming download, curl to an IP (no SNI)', server: '127.0.2.8', port: 443, mode: 'stream', client: 'curl-stream' },
  { label: 'benign', type: 'streaming download, curl with SNI', server: '127.0.2.9', port: 8443, mode: 'stream', client: 'curl-stream', sni: 'video.example' },
];

const LOGIN = '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A","pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0","algo":["rx/0","cn/r","cn/2"]}}\n';
const keepalive = (id: number) => `{"id":${id},"jsonrpc":"2.0","method":"keepalived","params":{"id":"1"}}\n`;

/** The fake servers, one Node process: every session's address:port in its mode. */
function serverScript(cert: string, key: string): string {
  const listeners = SESSIONS.map((s) => ({ host: s.server, port: s.port, mode: s.mode }));
  return `
const tls = require('tls'); const fs = require('fs');
const opts = { cert: fs.readFileSync(${JSON.stringify(cert)}), key: fs.readFileSync(${JSON.stringify(key)}) };
for (const l of ${JSON.stringify(listeners)}) {
  tls.createServer(opts, (s) => {
    s.on('error', () => {});
    let buf = '';
    if (l.mode === 'stream') { let n = 0; const t = setInterval(() => { if (n++ > 150 || s.destroyed) { clearInterval(t); s.end(); return; } s.write(Buffer.alloc(32768, 7)); }, 100); s.on('close', () => clearInterval(t)); }
    if (l.mode === 'push') { const t = setInterval(() => s.write('{"type":"notification","body":"' + 'n'.repeat(150) + '"}\\n'), 7000); s.on('close', () => clearInterval(t)); }
    s.on('data', (d) => {
      buf += d.toString();
      if (l.mode === 'refuse') { setTimeout(() => s.destroy(), 300); return; }
      if (l.mode === 'beacon' || l.mode === 'stream') {
        if (buf.includes('\\r\\n\\r\\n') && l.mode === 'beacon') s.end('HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: 96\\r\\nConnection: close\\r\\n\\r\\n' + JSON.stringify({ ok: true, next: 3, pad: 'p'.repeat(60) }).padEnd(96));
        if (buf.includes('\\r\\n\\r\\n') && l.mode === 'stream') s.write('HTTP/1.1 200 OK\\r\\nContent-Type: video/mp4\\r\\n\\r\\n');
        return;
      }
      let i;
      while ((i = buf.indexOf('\\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        let id = 0; try { id = JSON.parse(line).id ?? 0; } catch {}
        if (l.mode === 'accept') s.write(JSON.stringify(line.includes('"login"') ? { id, jsonrpc: '2.0', error: null, result: { id: '1', status: 'OK' } } : { id, jsonrpc: '2.0', error: null, result: { status: 'KEEPALIVED' } }) + '\\n');
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

/** One session's client, for about `durationS` seconds. */
async function runClient(r: NetnsRunner, s: Session, durationS: number, offsetMs: number): Promise<void> {
  await sleep(offsetMs);
  const end = Date.now() + durationS * 1000;
  const connect = ['s_client', '-connect', `${s.server}:${s.port}`, ...sniArgs(s), '-quiet'];
  switch (s.client) {
    case 'openssl-reconnect':
      // XMRig refused: log in, the pool hangs up, retry after a pause
      while (Date.now() < end) {
        const c = r.start('openssl', connect);
        c.stdin?.write(LOGIN);
        await waitExit(c, 5000);
        await sleep(2500);
      }
      return;
    case 'openssl-long': {
      const c = r.start('openssl', connect);
      c.stdin?.on('error', () => {});
      if (s.mode === 'accept') c.stdin?.write(LOGIN);
      for (let id = 2; Date.now() < end; id++) {
        await sleep(4000);
        c.stdin?.write(s.mode === 'accept' ? keepalive(id) : '{"type":"ping"}\n');
      }
      c.stdin?.end();
      await waitExit(c, 3000);
      return;
    }
    case 'openssl-beacon':
      while (Date.now() < end) {
        const c = r.start('openssl', connect);
        c.stdin?.write('GET /beacon HTTP/1.1\r\nHost: x\r\n\r\n');
        await waitExit(c, 5000);
        await sleep(3000);
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
    await Promise.all(SESSIONS.map((s, i) => runClient(r, s, durationS, i * 137)));
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
