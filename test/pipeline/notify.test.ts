/**
 * Notifications against real receivers: a webhook receiver (node:http on loopback) and a real
 * SMTP server (smtp-server) started by the test. One message per incident (not per alert),
 * a digest for the repeats, retries with backoff when the receiver fails, HMAC signatures,
 * minimum severity, and quiet hours (messages wait, then go out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Notifier, signBody, inQuietHours, parseQuietHours, type NotifyMessage } from '../../src/pipeline/notify.js';
import { SidBase } from '../../src/detect/common.js';

function alert(sid: number, src: string, severity = 1, i = 0): Record<string, unknown> {
  return {
    timestamp: `2026-12-07T10:00:${String(i % 60).padStart(2, '0')}.000000+0000`, event_type: 'alert', src_ip: src, src_port: 40000 + i, dest_ip: '141.94.96.144', dest_port: 3333, proto: 'TCP',
    alert: { signature_id: sid, signature: `MINEWATCH COINMINER test ${sid}`, category: 'Crypto Currency Mining Activity Detected', severity },
    minewatch: { detector: sid === SidBase.bruteforce ? 'bruteforce' : 'stratum', device: { id: `dev-${src}`, ip: src } },
  };
}

async function receiver(failFirst: number): Promise<{ url: string; got: Array<{ body: string; sig: string | undefined }>; attempts: () => number; close: () => void }> {
  const got: Array<{ body: string; sig: string | undefined }> = [];
  let attempts = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      if (attempts <= failFirst) { res.writeHead(503).end(); return; }
      got.push({ body: Buffer.concat(chunks).toString(), sig: req.headers['x-minewatch-signature'] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, attempts: () => attempts, close: () => server.close() };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('webhook: one signed message per incident, retried after failures, a digest for repeats, below-severity ignored', async () => {
  const rx = await receiver(2);
  let clock = new Date('2026-12-07T12:00:00');
  const n = new Notifier({ webhook: { url: rx.url, secret: 's3cret' }, backoffMs: 50, attempts: 5, digestMs: 60_000, tickMs: 3_600_000, now: () => clock, minSeverity: 2, onError: () => {} });
  try {
    // 30 alerts of two incidents, plus low-severity noise
    for (let i = 0; i < 30; i++) n.write(alert(SidBase.stratum, i % 2 === 0 ? '192.168.1.20' : '192.168.1.21', 1, i));
    for (let i = 0; i < 5; i++) n.write(alert(SidBase['pool-dns'], '192.168.1.22', 3, i));
    n.write({ event_type: 'flow', src_ip: '192.168.1.20' });
    await n.drain();
    assert.equal(rx.got.length, 2, 'one message per incident');
    assert.equal(rx.attempts(), 4, 'the first message was tried three times (two 503s, then delivered)');
    assert.equal(n.stats.retries, 2);
    for (const g of rx.got) assert.equal(g.sig, signBody('s3cret', g.body), 'HMAC-SHA256 over the body');
    const msgs = rx.got.map((g) => JSON.parse(g.body) as NotifyMessage);
    assert.deepEqual(msgs.map((m) => m.type === 'incident' ? m.incident.src_ip : '').sort(), ['192.168.1.20', '192.168.1.21']);
    assert.ok(msgs.every((m) => m.type === 'incident' && m.remediation.steps.length > 0));
    assert.equal(n.stats.belowSeverity, 5);
    // the digest: after its interval, one message with the 28 repeats
    clock = new Date(clock.getTime() + 61_000);
    n.tick();
    await n.drain();
    assert.equal(rx.got.length, 3);
    const d = JSON.parse(rx.got[2].body) as NotifyMessage;
    assert.equal(d.type, 'digest');
    assert.equal(d.type === 'digest' ? d.incidents.reduce((s, i) => s + i.new_alerts, 0) : 0, 28);
    // a tick with nothing new sends nothing
    clock = new Date(clock.getTime() + 61_000);
    n.tick();
    await n.drain();
    assert.equal(rx.got.length, 3);
  } finally {
    await n.stop();
    rx.close();
  }
});

test('webhook: a permanent refusal (4xx) is not retried; exhausted retries are reported', async () => {
  const rx = await receiver(1000);
  const errors: string[] = [];
  const n = new Notifier({ webhook: { url: rx.url }, backoffMs: 10, attempts: 3, tickMs: 3_600_000, onError: (l) => errors.push(l) });
  n.write(alert(SidBase.stratum, '10.0.0.5'));
  await n.drain();
  await n.stop();
  rx.close();
  assert.equal(rx.attempts(), 3);
  assert.equal(n.stats.failed.webhook, 1);
  assert.match(errors[0], /failed after 3 attempts: HTTP 503/);
});

test('quiet hours: messages wait until they end, then go out once; known incidents are not announced again', async () => {
  assert.ok(inQuietHours(parseQuietHours('22:00-07:00'), new Date('2026-12-07T23:30:00')));
  assert.ok(inQuietHours(parseQuietHours('22:00-07:00'), new Date('2026-12-07T06:59:00')));
  assert.ok(!inQuietHours(parseQuietHours('22:00-07:00'), new Date('2026-12-07T07:00:00')));
  assert.throws(() => parseQuietHours('25:00-07:00'));
  const rx = await receiver(0);
  let clock = new Date('2026-12-07T23:30:00');
  const n = new Notifier({ webhook: { url: rx.url }, quietHours: '22:00-07:00', tickMs: 3_600_000, digestMs: 0, now: () => clock, known: ['9100000|10.0.0.9'] });
  try {
    n.write(alert(SidBase.stratum, '10.0.0.7'));
    n.write(alert(SidBase.stratum, '10.0.0.7'));
    n.write(alert(SidBase.stratum, '10.0.0.9'));
    n.tick();
    await n.drain();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(rx.got.length, 0, 'nothing during quiet hours');
    assert.equal(n.stats.held, 1);
    clock = new Date('2026-12-08T07:01:00');
    n.tick();
    await n.drain();
    assert.equal(rx.got.length, 1, 'the held incident, once, after the quiet hours');
    const m = JSON.parse(rx.got[0].body) as NotifyMessage;
    assert.equal(m.type === 'incident' ? m.incident.src_ip : '', '10.0.0.7');
  } finally {
    await n.stop();
    rx.close();
  }
});

test('e-mail through a real SMTP server: one mail per incident with the advice', async () => {
  const mails: string[] = [];
  let failures = 1;
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _session, cb) {
      let text = '';
      stream.on('data', (c: Buffer) => { text += c.toString(); });
      stream.on('end', () => {
        if (failures-- > 0) { const e = new Error('try again later') as Error & { responseCode: number }; e.responseCode = 451; cb(e); return; }
        // quoted-printable body: soft line breaks and =XX escapes
        mails.push(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))));
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const port = (smtp.server.address() as AddressInfo).port;
  const n = new Notifier({ email: { smtp: `smtp://127.0.0.1:${port}`, from: 'sensor@home.test', to: ['owner@home.test'], ignoreTls: true }, backoffMs: 50, tickMs: 3_600_000, onError: () => {} });
  try {
    for (let i = 0; i < 10; i++) n.write(alert(SidBase.stratum, '192.168.1.50', 1, i));
    n.write(alert(SidBase.bruteforce, '192.168.1.51', 1));
    await n.drain(20_000);
    await until(() => mails.length >= 2);
    assert.equal(mails.length, 2, 'one mail per incident');
    assert.equal(n.stats.retries, 1, 'the 451 was retried');
    const all = mails.join('\n');
    assert.match(all, /To: owner@home\.test/);
    assert.match(all, /device 192\.168\.1\.50/);
    assert.match(all, /Find the program doing it on the device and remove it/);
    assert.match(all, /Close telnet and FTP/);
  } finally {
    await n.stop();
    await new Promise<void>((r) => smtp.close(() => r()));
  }
});
