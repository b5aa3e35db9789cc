/**
 * Issue 15, class 3: Stratum over TLS without SNI. The no-SNI scorer of mining-encrypted
 * (signature 9100501) never fires on the handshake shape (the OpenSSL default ClientHello)
 * alone; it needs behaviour (reconnect cadence, unanswered login, long connection with small
 * periodic uploads, the Stratum exchange: login first, share submits at random times, job
 * pushes) or endpoint knowledge on top. The labelled set of real openssl/curl
 * sessions (bench/lib/tls-mining-set.ts) is generated in a netns and scored per session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMiningEncryptedDetector, opensslDefaultHello } from '../../src/detect/mining-encrypted.js';
import { DnsAnswerCache } from '../../src/detect/dns-answer-cache.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { netnsCaptureProblem } from '../../bench/lib/netns-capture.js';
import { generateTlsMiningSet, scoreSet, SESSIONS } from '../../bench/lib/tls-mining-set.js';
import { fakeFlow, msg, recordingContext } from './fixtures.js';

// OpenSSL 3 s_client's default extensions (no SNI, no ALPN) and a Chrome-like list with GREASE
const OPENSSL_EXT = [11, 10, 35, 22, 23, 13, 43, 45, 51];
const CHROME_EXT = [0x2a2a, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 0x3a3a, 21];

void test('OpenSSL default ClientHello shape: OpenSSL yes, GREASE browsers no, Go-like (no encrypt_then_mac) no', () => {
  assert.ok(opensslDefaultHello(OPENSSL_EXT, [0x1302, 0x1303, 0x1301, 0xc02c]));
  assert.ok(!opensslDefaultHello(CHROME_EXT, [0x0a0a, 0x1301]));
  assert.ok(!opensslDefaultHello([0, 5, 10, 11, 13, 65281, 18, 43, 51], [0x1301]));
});

const T0 = 1_700_000_000_000_000;
type Det = ReturnType<typeof createMiningEncryptedDetector>;

/** One TLS connection without SNI: ClientHello, server flight, then `after` bursts; ends. */
function connection(det: Det, ctx: ReturnType<typeof recordingContext>, startUs: number, serverPort: number, after: [0 | 1, number, number][], ext = OPENSSL_EXT) {
  const flow = fakeFlow({ serverIp: '198.51.100.7', serverPort, firstTsUs: startUs });
  det.onMessage!(msg('tls', 'client_hello', { sni: '', ja3Hash: 'ja3-openssl-default', extensions: ext, ciphers: [0x1302, 0x1301], alpn: [] }), flow, ctx);
  const bursts: [0 | 1, number, number][] = [[0, 0, 297], [1, 2000, 1331], ...after];
  for (const [dir, dt, bytes] of bursts) {
    const t = startUs + dt;
    flow.lastTsUs = t;
    det.onBurst!(flow, { dir, startUs: t, lastUs: t, bytes, segments: 1 }, ctx);
  }
  det.onFlowEnd!(flow, 'tcp-closed', ctx);
  return flow;
}
const refused: [0 | 1, number, number][] = [[0, 4000, 80], [1, 5000, 574], [0, 6000, 308]];
const answered: [0 | 1, number, number][] = [[0, 4000, 80], [1, 5000, 574], [0, 6000, 55], [1, 7000, 830]];

void test('the handshake shape alone (one OpenSSL-default connection, no SNI, no ALPN, on 443) never alerts', () => {
  const det = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  const flow = connection(det, ctx, T0, 443, refused);
  assert.equal(ctx.alerts.length, 0);
  const r = det.scoreNoSni(flow)!;
  assert.deepEqual(r.indicators.map((i) => i.name).sort(), ['loginFirst', 'noAlpn', 'noSni', 'opensslDefault', 'unanswered']);
  assert.ok(r.score < 0.8);
});

void test('a refused miner reconnecting every 3 s alerts on its third connection; an answered beacon at the same cadence does not', () => {
  const det = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  for (let i = 0; i < 5; i++) connection(det, ctx, T0 + i * 3_000_000, 443, refused);
  assert.deepEqual(ctx.alerts.map((a) => a.alert.signatureId), [9100501]);
  const names = (ctx.alerts[0].alert.evidence.indicators as { name: string }[]).map((i) => i.name);
  assert.ok(names.includes('reconnects') && names.includes('unanswered'), names.join());
  const det2 = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx2 = recordingContext();
  let last = connection(det2, ctx2, T0, 443, answered);
  for (let i = 1; i < 10; i++) last = connection(det2, ctx2, T0 + i * 3_000_000, 443, answered);
  assert.equal(ctx2.alerts.length, 0, 'an OpenSSL beacon that gets answers');
  // docs/detection.md states this margin: handshake 0.45 + reconnects 0.3, below the 0.8 threshold
  assert.equal(det2.scoreNoSni(last)!.score, 0.75);
  // the same beacon with a browser-like (GREASE) ClientHello scores lower still
  const browser = det2.scoreNoSni(connection(det2, ctx2, T0 + 30_000_000, 443, answered, CHROME_EXT))!.score;
  assert.ok(browser <= det2.scoreNoSni(last)!.score - 0.1, String(browser));
});

void test('endpoint knowledge: one connection to an answer address of a pool name is enough with the handshake shape', () => {
  const cache = new DnsAnswerCache();
  cache.rememberPool('198.51.100.7', { name: 'pool.supportxmr.com', askedBy: '192.168.1.10', tsUs: T0 - 1e6, list: 'minewatch-pools', kind: 'pool' });
  const det = createMiningEncryptedDetector({ intel: NO_INTEL, dnsCache: cache });
  const ctx = recordingContext();
  connection(det, ctx, T0, 443, answered);
  assert.equal(ctx.alerts.length, 1);
  assert.equal(ctx.alerts[0].alert.evidence.serverName, 'pool.supportxmr.com');
  assert.equal(ctx.alerts[0].alert.severity, 1);
});

/** A long session after the handshake: the client's first message, then uploads at `gaps` (s) each answered by `ack` B, and server pushes of `push` B every 7 s. */
function longSession(first: number, up: number, gaps: number[], ack: number, push: number): [0 | 1, number, number][] {
  const out: [0 | 1, number, number][] = [[0, 4000, first], [1, 5000, 574 + 100]];
  let t = 1_000_000;
  for (const g of gaps) {
    t += g * 1e6;
    out.push([0, t, up], [1, t + 2000, ack]);
  }
  const end = t;
  if (push > 0) for (let p = 3_500_000; p < end; p += 7_000_000) out.push([1, p, push]);
  return out.sort((x, y) => x[1] - y[1]);
}
const POISSON_GAPS = [1.2, 6.5, 2.1, 9.0, 0.8, 4.4, 3.3, 7.7, 1.9, 5.6]; // CV ≈ 0.6
const TIMER_GAPS = POISSON_GAPS.map(() => 4.25); // the same mean, a timer

void test('an accepted pool on 443 at a bare address: login first, fixed-size submits at random times, job pushes alert; the same sizes on a timer do not', () => {
  const det = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  const flow = connection(det, ctx, T0, 443, longSession(364, 214, POISSON_GAPS, 85, 378));
  assert.equal(ctx.alerts.length, 1);
  const names = (ctx.alerts[0].alert.evidence.indicators as { name: string }[]).map((i) => i.name);
  for (const n of ['loginFirst', 'shareSubmits', 'jobPushes', 'periodicUploads']) assert.ok(names.includes(n), names.join());
  assert.ok(!names.includes('reconnects') && !names.includes('stratumPort'));
  assert.equal(ctx.alerts[0].alert.severity, 2, 'behaviour and handshake only');
  assert.ok(det.scoreNoSni(flow)!.score >= 1);
  // an upload beacon: the same sizes and answers on a timer, no pushes, first message after a pause
  const det2 = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx2 = recordingContext();
  const beacon = connection(det2, ctx2, T0, 443, longSession(80, 254, TIMER_GAPS, 110, 0));
  assert.equal(ctx2.alerts.length, 0);
  const r = det2.scoreNoSni(beacon)!;
  assert.deepEqual(r.indicators.map((i) => i.name).sort(), ['noAlpn', 'noSni', 'opensslDefault', 'periodicUploads']);
  assert.equal(r.score, 0.6);
});

void test('push keep-alives (tiny client pings, fixed-size server pushes) and chat (sizes vary) show no Stratum exchange', () => {
  const det = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  // a push service on a Stratum port: pings of 38 B every 4 s, notifications of 206 B
  const push = connection(det, ctx, T0, 3333, longSession(80, 38, TIMER_GAPS, 38, 206));
  const names = det.scoreNoSni(push)!.indicators.map((i) => i.name);
  assert.ok(!names.includes('jobPushes') && !names.includes('shareSubmits') && !names.includes('loginFirst'), names.join());
  assert.equal(det.scoreNoSni(push)!.score, 0.75);
  // chat: random times, but every message a different size
  const chatBursts = longSession(790, 0, POISSON_GAPS, 35, 0).map(([d, t, n], i): [0 | 1, number, number] => [d, t, d === 0 && i > 0 ? 60 + ((i * 137) % 700) : n]);
  const chat = connection(det, ctx, T0 + 100e6, 443, chatBursts);
  assert.ok(!det.scoreNoSni(chat)!.indicators.some((i) => i.name === 'shareSubmits'));
  assert.equal(ctx.alerts.length, 0);
});

void test('a TLS health check (handshake finish, no data, reconnecting every 2 s) is no refused login', () => {
  const det = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  let last = connection(det, ctx, T0, 443, [[0, 4000, 80], [1, 5000, 574]]);
  for (let i = 1; i < 8; i++) last = connection(det, ctx, T0 + i * 2_000_000, 443, [[0, 4000, 80], [1, 5000, 574]]);
  assert.equal(ctx.alerts.length, 0);
  assert.deepEqual(det.scoreNoSni(last)!.indicators.map((i) => i.name).sort(), ['noAlpn', 'noSni', 'opensslDefault', 'reconnects']);
});

void test('the reconnect memory is bounded and counts evictions', () => {
  const det = createMiningEncryptedDetector({ intel: NO_INTEL, endpointCapacity: 8 });
  const ctx = recordingContext();
  for (let port = 1000; port < 1020; port++) connection(det, ctx, T0, port, answered);
  assert.equal(det.endpointsEvicted, 12);
});

const skip = (): false | string => {
  const p = netnsCaptureProblem(['openssl', 'curl', 'dnsmasq', 'dig']);
  if (!p) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and the TLS-mining set ${p}`);
  console.error(`\n*** SKIPPING: the TLS-mining set ${p} ***\n`);
  return p;
};

void test('labelled set of real openssl/curl sessions (44): precision and recall >= 0.95; the only miner it may miss is the no-job accepted pool on 443 at a bare address', { skip: skip(), timeout: 240_000 }, async () => {
  assert.ok(SESSIONS.length >= 40 && SESSIONS.filter((s) => s.label === 'benign').length >= 20);
  const dir = mkdtempSync(join(tmpdir(), 'mw-tls-set-'));
  try {
    const pcap = join(dir, 'set.pcap');
    await generateTlsMiningSet(pcap, dir, 40);
    const { alerts } = await analyze({ inputs: [pcap], workers: 1, progress: false, keepAlerts: 100_000 });
    const r = scoreSet(alerts as unknown as Parameters<typeof scoreSet>[0], (a) => a.minewatch.detector === 'mining-encrypted' && a.alert.signature_id === 9100501);
    console.log(`TLS-mining set: precision ${r.precision} recall ${r.recall} (tp ${r.tp} fp ${r.fp} fn ${r.fn} tn ${r.tn})`);
    assert.equal(r.tp + r.fn, SESSIONS.filter((s) => s.label === 'mining').length);
    assert.equal(r.fp + r.tn, SESSIONS.filter((s) => s.label === 'benign').length);
    assert.equal(r.fp, 0, JSON.stringify(r.sessions.filter((s) => s.label === 'benign' && s.flagged.length)));
    const missed = r.sessions.filter((s) => s.label === 'mining' && s.flagged.length === 0).map((s) => s.type);
    // Known blind spot: a pool that accepts the login but never sends a job, on 443 at a bare
    // address with no knowledge, leaves only a login and keep-alives: a JSON keep-alive chat.
    assert.ok(missed.every((t) => t === 'accepted pool, no job, keep-alives, 443, bare address'), missed.join('; '));
    assert.ok(r.precision >= 0.95 && r.recall >= 0.95, `precision ${r.precision} recall ${r.recall}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
