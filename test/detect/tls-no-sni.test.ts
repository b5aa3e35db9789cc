/**
 * Issue 15, class 3: Stratum over TLS without SNI. The no-SNI scorer of mining-encrypted
 * (signature 9100501) never fires on the handshake shape (the OpenSSL default ClientHello)
 * alone; it needs behaviour (reconnect cadence, unanswered login, long connection with small
 * periodic uploads) or endpoint knowledge on top. The labelled set of real openssl/curl
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
  assert.deepEqual(r.indicators.map((i) => i.name).sort(), ['noAlpn', 'noSni', 'opensslDefault', 'unanswered']);
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

void test('labelled set of real openssl/curl sessions: no benign session flagged; every miner flagged but the bare-address accepted pool on 443', { skip: skip(), timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-tls-set-'));
  try {
    const pcap = join(dir, 'set.pcap');
    await generateTlsMiningSet(pcap, dir, 40);
    const { alerts } = await analyze({ inputs: [pcap], workers: 1, progress: false, keepAlerts: 100_000 });
    const r = scoreSet(alerts as unknown as Parameters<typeof scoreSet>[0], (a) => a.minewatch.detector === 'mining-encrypted' && a.alert.signature_id === 9100501);
    console.log(`TLS-mining set: precision ${r.precision} recall ${r.recall} (tp ${r.tp} fp ${r.fp} fn ${r.fn} tn ${r.tn})`);
    assert.equal(r.fp, 0, JSON.stringify(r.sessions.filter((s) => s.label === 'benign' && s.flagged.length)));
    const missed = r.sessions.filter((s) => s.label === 'mining' && s.flagged.length === 0).map((s) => s.type);
    // Known blind spot: an accepted pool on 443 at a bare address with no knowledge looks like a keep-alive chat without SNI.
    assert.deepEqual(missed, ['accepted pool on 443, bare address, no knowledge']);
    assert.equal(r.tp + r.fn, SESSIONS.filter((s) => s.label === 'mining').length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
