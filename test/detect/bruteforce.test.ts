import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBruteforceDetector } from '../../src/detect/bruteforce.js';
import { isMiraiCredential, MIRAI_CREDENTIALS } from '../../src/detect/data/mirai-credentials.js';
import type { SshConnectionFields } from '../../src/events/messages.js';
import type { FlowView } from '../../src/events/flow.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import { createTelnetConsumer } from '../../src/protocols/telnet.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, feedMessages, msg, needTshark, recordingContext, replay, tcpStreams } from './fixtures.js';

void test('bruteforce: telnet attempts with Mirai credentials, then a success on the victim', () => {
  const det = createBruteforceDetector();
  const ctx = recordingContext();
  const creds: [string, string, boolean][] = [['root', 'xc3511', false], ['root', 'vizxv', false], ['admin', 'admin', false], ['root', '888888', false], ['support', 'support', false], ['root', 'default', true]];
  let t = 1_700_000_000_000_000;
  for (const [u, p, ok] of creds) {
    const flow = fakeFlow({ clientIp: '192.168.1.50', serverIp: '192.168.1.77', serverPort: 23, serverMac: '02:00:00:00:00:77' });
    det.onMessage!(msg('telnet', 'login_attempt', { username: u, password: p, success: ok }, 0, (t += 2e6)), flow, ctx);
  }
  const brute = ctx.alerts.filter((a) => a.alert.signatureId === 9100700);
  assert.equal(brute.length, 1);
  assert.equal(brute[0].alert.severity, 1);
  assert.equal(brute[0].alert.evidence.miraiDefaultCredentials, 5);
  assert.deepEqual((brute[0].alert.evidence.credentials as string[]).slice(0, 2), ['root:xc3511', 'root:vizxv']);
  assert.equal(brute[0].alert.device?.ip, '192.168.1.50');
  const success = ctx.alerts.filter((a) => a.alert.signatureId === 9100704);
  assert.equal(success.length, 1);
  assert.equal(success[0].alert.device?.ip, '192.168.1.77');
});

void test('bruteforce: SSH connections: short authentication-only exchanges are likely attempts; banner grabs and long sessions are not', () => {
  const det = createBruteforceDetector();
  const ctx = recordingContext();
  const conn = (over: Partial<SshConnectionFields>): SshConnectionFields => ({
    clientSoftware: 'libssh2_1.10.0', serverSoftware: 'OpenSSH_9.2p1', kexDone: true, clientChunks: 4, clientBytes: 300, serverChunks: 4, serverBytes: 450, durationUs: 400_000, ...over,
  });
  let t = 1e15;
  const send = (f: SshConnectionFields) => det.onMessage!(msg('ssh', 'connection', f, 0, (t += 1e6)), fakeFlow({ clientIp: '192.168.1.10', serverIp: '192.168.1.5', serverPort: 2200 }), ctx);
  // A monitor: banner only, no key exchange; and a real session moving data.
  for (let i = 0; i < 20; i++) send(conn({ kexDone: false, clientChunks: 0, clientBytes: 0, serverChunks: 0, serverBytes: 0 }));
  for (let i = 0; i < 10; i++) send(conn({ clientChunks: 400, clientBytes: 60_000, serverChunks: 900, serverBytes: 2_000_000 }));
  for (let i = 0; i < 4; i++) send(conn({}));
  assert.equal(ctx.alerts.length, 0);
  send(conn({}));
  assert.equal(ctx.alerts.length, 1);
  const a = ctx.alerts[0].alert;
  assert.equal(a.signatureId, 9100701);
  assert.equal(a.srcIp, '192.168.1.10');
  assert.equal(a.destPort, 2200);
  assert.equal(a.evidence.connections, 35);
  assert.equal(a.evidence.likelyLoginAttempts, 5);
  assert.equal(a.evidence.loginAttempts, undefined);
});

void test('bruteforce: HTTP basic auth guessing and FTP USER/PASS', () => {
  const det = createBruteforceDetector();
  const ctx = recordingContext();
  const flow = fakeFlow({ serverPort: 80 });
  for (const pw of ['admin', '1234', 'password', 'admin123', 'root']) {
    det.onMessage!(msg('http', 'request', { method: 'GET', uri: '/', host: 'cam', userAgent: 'x', version: 'HTTP/1.1', headers: [['Authorization', `Basic ${Buffer.from(`admin:${pw}`).toString('base64')}`]], body: new Uint8Array(0), websocketUpgrade: false }), flow, ctx);
  }
  assert.equal(ctx.alerts.length, 1);
  assert.equal(ctx.alerts[0].alert.signatureId, 9100703);
  assert.ok((ctx.alerts[0].alert.evidence.credentials as string[]).includes('admin:password'));
  const ftp = createBruteforceDetector();
  const c2 = recordingContext();
  const f2 = fakeFlow({ serverPort: 21 });
  for (let i = 0; i < 5; i++) ftp.onMessage!(msg('ftp', 'login_attempt', { username: 'anonymous', password: `guess${i}`, success: false }, 0, 1e15 + i * 1e6), f2, c2);
  assert.equal(c2.alerts.length, 1);
  assert.equal(c2.alerts[0].alert.signatureId, 9100702);
  assert.ok((c2.alerts[0].alert.evidence.credentials as string[]).includes('anonymous:guess4'));
  assert.equal(c2.alerts[0].alert.evidence.failedLogins, 5);
  assert.equal(c2.alerts[0].alert.evidence.credentialsCut, undefined);
  // Past ten distinct credentials the evidence says the list was cut.
  const many = createBruteforceDetector({ attemptThreshold: 12 });
  const c3 = recordingContext();
  for (let i = 0; i < 12; i++) many.onMessage!(msg('ftp', 'login_attempt', { username: 'root', password: `p${i}`, success: false }, 0, 1e15 + i * 1e6), f2, c3);
  assert.equal((c3.alerts[0].alert.evidence.credentials as string[]).length, 10);
  assert.equal(c3.alerts[0].alert.evidence.credentialsCut, 'the first 10 distinct of 12 attempts');
});

void test('bruteforce: Hide-and-Seek telnet scanning hits each host once: scanning, not brute force', { skip: needSharedData() || needTshark() }, () => {
  const det = createBruteforceDetector();
  const ctx = recordingContext();
  for (const s of tcpStreams(sharedFile('iot-malware/hide-and-seek-rpi-telnet-scan-p2p.pcap'))) {
    const items: { flow: FlowView; msg: ProtocolMessage }[] = [];
    const telnet = createTelnetConsumer((flow, m) => items.push({ flow, msg: m }));
    replay(telnet, s);
    feedMessages(det, ctx, items);
  }
  assert.equal(ctx.alerts.length, 0);
});

void test('bruteforce: Mirai credential list', () => {
  assert.equal(MIRAI_CREDENTIALS.length, 61);
  assert.ok(isMiraiCredential('admin', '4321'));
  assert.ok(isMiraiCredential('root', 'xc3511'));
  assert.ok(isMiraiCredential('admin', ''));
  assert.ok(!isMiraiCredential('root', 'correct horse battery staple'));
});
