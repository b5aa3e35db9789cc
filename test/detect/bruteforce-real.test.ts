/**
 * Login brute force on non-standard ports, from real programs, captured on loopback by the test
 * (dumpcap into a temporary pcap) and analyzed by the whole pipeline with only the bruteforce
 * detector: OpenSSH's sshd with sshpass + ssh wrong-password loops, inetutils telnetd with
 * minewatch's own credential checker as the client, and a scripted FTP peer (Debian's FTP
 * servers are not installed here) with a scripted client. None of the ports is 21/22/23:
 * the services are recognised by banner and handshake.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { analyze } from '../../src/pipeline/analyze.js';
import { checkPortCredentials } from '../../src/scan/credentials.js';
import { Conversation } from '../../src/scan/conversation.js';
import type { CredentialPair } from '../../src/scan/knowledge.js';
import { looksLikeFtpGreeting } from '../../src/protocols/ftp.js';
import { startCapture, type Capture } from '../helpers/capture.js';
import { findBinary, missing, startSshd, startTelnetd } from '../helpers/servers.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

async function bruteforceAlerts(file: string) {
  const r = await analyze({ inputs: [file], workers: 1, progress: false, keepAlerts: 100, analyzers: { detect: true, detectors: ['bruteforce'] } });
  assert.ok(r.summary.packets > 0, `the capture ${file} has packets`);
  if (process.env.MW_DEBUG) console.log(JSON.stringify(r.summary.protocols), JSON.stringify(r.summary.stream));
  return r.alerts as { alert: { signature_id: number }; minewatch: { evidence: Record<string, unknown> } }[];
}

async function captured(filter: string, produce: () => Promise<void>): Promise<string | Capture> {
  const cap = await startCapture(filter, { maxSeconds: 90 });
  if (typeof cap === 'string') return cap;
  cleanups.push(() => cap.remove());
  await produce();
  await cap.stop();
  return cap;
}

void test('bruteforce: sshd on a high port, 6 wrong passwords with sshpass → SSH brute force with 5 connections and 5 likely login attempts at the alert', { timeout: 120_000 }, async (t) => {
  const sshpass = findBinary('sshpass');
  const ssh = findBinary('ssh');
  if (!sshpass || !ssh) return t.skip(missing('sshpass and ssh (Debian packages sshpass, openssh-client)'));
  const s = await startSshd({ username: 'mwbrutetest', password: 'right-horse-battery' });
  if (typeof s === 'string') return t.skip(s);
  cleanups.push(() => s.stop());
  const cap = await captured(`tcp port ${s.port}`, async () => {
    for (let i = 0; i < 6; i++) {
      const r: ReturnType<typeof spawnSync> = spawnSync(sshpass, ['-p', `wrong-${i}`, ssh, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'PubkeyAuthentication=no', '-o', 'ConnectTimeout=5', '-p', String(s.port), `mwbrutetest@${s.host}`, 'true'], { timeout: 15_000 });
      assert.equal(r.status, 5, `sshpass reports a wrong password (got ${r.status}: ${r.stderr?.toString()})`);
    }
  });
  if (typeof cap === 'string') return t.skip(cap);
  const alerts = await bruteforceAlerts(cap.file);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  assert.equal(alerts[0].alert.signature_id, 9100701);
  const ev = alerts[0].minewatch.evidence;
  assert.equal(ev.service, 'ssh');
  assert.equal(ev.target, `127.0.0.1:${s.port}`);
  assert.equal(ev.connections, 5);
  assert.equal(ev.likelyLoginAttempts, 5);
  assert.match(String(ev.serverSoftware), /^OpenSSH_/);
});

void test('bruteforce: telnetd on a high port, 5 refused logins by a real client → telnet brute force quoting the credentials', { timeout: 120_000 }, async (t) => {
  const s = await startTelnetd();
  if (typeof s === 'string') return t.skip(s);
  cleanups.push(() => s.stop());
  const pairs: CredentialPair[] = [1, 2, 3, 4, 5].map((i) => ({ username: `nosuchuser${i}`, password: `pw${i}`, services: ['telnet'] }) as unknown as CredentialPair);
  const cap = await captured(`tcp port ${s.port}`, async () => {
    const ctx = {
      host: s.host, timeoutMs: 6000,
      async open(port: number) { const o = await Conversation.open(s.host, port, 6000); return o.state === 'open' ? o.conversation : null; },
      beforeAttempt: async () => {}, counted() {},
    };
    const r = await checkPortCredentials(ctx, { port: s.port, proto: 'tcp', state: 'open', service: 'telnet', product: '', version: '', banner: '', details: {} }, pairs, 5);
    assert.equal(r?.attempts, 5);
  });
  if (typeof cap === 'string') return t.skip(cap);
  const alerts = await bruteforceAlerts(cap.file);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  assert.equal(alerts[0].alert.signature_id, 9100700);
  const ev = alerts[0].minewatch.evidence;
  assert.equal(ev.loginAttempts, 5);
  assert.equal(ev.connections, 5);
  assert.deepEqual(ev.credentials, pairs.map((p) => `${p.username}:${p.password}`));
});

void test('bruteforce: an FTP peer on a high port, 5 refused USER/PASS logins → FTP brute force; an SMTP greeting is not FTP', { timeout: 60_000 }, async (t) => {
  const server = createServer((sock) => {
    sock.write('220 (vsFTPd 3.0.3)\r\n');
    sock.on('data', (d) => {
      for (const line of d.toString('latin1').split('\r\n')) {
        if (line.startsWith('USER')) sock.write('331 Please specify the password.\r\n');
        else if (line.startsWith('PASS')) sock.write('530 Login incorrect.\r\n');
        else if (line.startsWith('QUIT')) sock.end('221 Goodbye.\r\n');
      }
    });
    sock.on('error', () => {});
  });
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const login = (user: string, pass: string) => new Promise<void>((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`FTP peer stalled: ${got}`)); }, 5000);
    c.on('data', (d) => {
      got += d.toString('latin1');
      if (got.endsWith('220 (vsFTPd 3.0.3)\r\n')) c.write(`USER ${user}\r\n`);
      else if (got.endsWith('331 Please specify the password.\r\n')) c.write(`PASS ${pass}\r\n`);
      else if (got.endsWith('530 Login incorrect.\r\n')) c.write('QUIT\r\n');
    });
    c.on('close', () => { clearTimeout(timer); resolve(); });
    c.on('error', reject);
  });
  const cap = await captured(`tcp port ${port}`, async () => {
    for (let i = 0; i < 5; i++) await login('admin', `guess${i}`);
  });
  if (typeof cap === 'string') return t.skip(cap);
  const alerts = await bruteforceAlerts(cap.file);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  assert.equal(alerts[0].alert.signature_id, 9100702);
  const ev = alerts[0].minewatch.evidence;
  assert.equal(ev.loginAttempts, 5);
  assert.equal(ev.failedLogins, 5);
  assert.equal(ev.connections, 5);
  assert.equal(looksLikeFtpGreeting(Buffer.from('220 (vsFTPd 3.0.3)\r\n')), true);
  assert.equal(looksLikeFtpGreeting(Buffer.from('220 mail.example.com ESMTP Postfix (Debian)\r\n')), false);
});
