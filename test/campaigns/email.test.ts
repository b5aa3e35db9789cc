/**
 * Notification e-mail through a real SMTP server started here (smtp-server on a free loopback
 * port): one message per recipient, the package attached, the Japanese template for a `ja`
 * recipient, English fallback, a refused recipient recorded as failed, the dry run (default)
 * sending nothing; the log, the funnel and the inbound-webhook parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackages } from '../../src/campaigns/package.js';
import { PACKAGE_FORMATS } from '../../src/campaigns/formats/index.js';
import { composeMessage } from '../../src/campaigns/email.js';
import { sendNotifications } from '../../src/campaigns/notify.js';
import { funnel, JsonFileNotificationLog, MemoryNotificationLog } from '../../src/campaigns/notification-log.js';
import { parseInboundWebhook } from '../../src/campaigns/webhook.js';
import { loadTemplate } from '../../src/campaigns/templates.js';
import { decodeWords, parseMime, startSmtp } from '../helpers/smtp.js';
import { ConfigError } from '../../src/util/errors.js';
import { contacts, hosts } from './fixtures.js';

const filenameOf = (h: Record<string, string>): string | undefined => /filename="?([^";]+)"?/.exec(h['content-disposition'] ?? '')?.[1];

function messages() {
  const b = buildPackages(hosts(), contacts(), { campaign: 'goldfish-2019', by: 'cert', formats: PACKAGE_FORMATS });
  return b.packages.map((p) => composeMessage(p.pkg, p.files, b.context));
}

test('SMTP: one message per recipient, attachments present, Japanese template for the ja recipient, English fallback', async () => {
  const smtp = await startSmtp();
  const log = new MemoryNotificationLog();
  try {
    const msgs = messages();
    assert.equal(msgs.length, 2);
    const res = await sendNotifications(msgs, { dryRun: false, smtp: { host: '127.0.0.1', port: smtp.port }, log, now: () => new Date('2019-06-10T00:00:00Z') });
    assert.deepEqual(res.map((r) => r.status), ['sent', 'sent']);
    assert.equal(smtp.received.length, 2);
    assert.deepEqual(smtp.received.map((r) => r.to).sort(), [['id-cert@example.id'], ['jp-cert@example.jp']]);
    for (const r of smtp.received) assert.equal(r.from, 'notify@cert.example.org');

    const jp = parseMime(smtp.received.find((r) => r.to[0] === 'jp-cert@example.jp')!.raw);
    assert.match(decodeWords(jp.headers.subject), /不正マイニング/);
    const jpText = jp.parts.find((p) => (p.headers['content-type'] ?? '').startsWith('text/plain') && !filenameOf(p.headers))!;
    assert.match(jpText.body, /ご担当者様/);
    assert.match(jpText.body, /CVE-2018-14847/);
    assert.match(jpText.body, /203\.0\.113\.77/);
    const names = jp.parts.map((p) => filenameOf(p.headers)).filter(Boolean).sort();
    assert.deepEqual(names.filter((n) => !n!.includes('.misp-')), ['cert-JP.intelmq.jsonl', 'cert-JP.iodef.xml', 'cert-JP.shadowserver.csv', 'cert-JP.stix.json', 'cert-JP.xarf.jsonl']);
    assert.ok(names.includes('cert-JP.misp-manifest.json') && names.includes('cert-JP.misp-hashes.csv'));
    const xarf = jp.parts.find((p) => filenameOf(p.headers) === 'cert-JP.xarf.jsonl')!;
    assert.equal(xarf.body.trim().split('\n').length, 2, 'the attachment holds the package (2 hosts)');
    assert.equal(jp.headers['message-id'], msgs.find((m) => m.recipientId === 'cert:JP')!.messageIdHeader);
    assert.equal(decodeWords(jp.headers.from), 'Example Telemetry CERT <notify@cert.example.org>');
    assert.equal(jp.headers['content-language'], 'ja');

    const id = parseMime(smtp.received.find((r) => r.to[0] === 'id-cert@example.id')!.raw);
    const idText = id.parts.find((p) => (p.headers['content-type'] ?? '').startsWith('text/plain') && !filenameOf(p.headers))!;
    assert.match(idText.body, /^Dear ID-SIRTII/m, 'language "id" has no template: English');
    assert.match(idText.body, /separate network/);

    const recs = await log.list();
    assert.deepEqual(recs.map((r) => [r.recipientId, r.status, r.dryRun, r.at]), [['cert:ID', 'sent', false, '2019-06-10T00:00:00.000Z'], ['cert:JP', 'sent', false, '2019-06-10T00:00:00.000Z']]);
  } finally {
    await smtp.stop();
  }
});

test('SMTP: a refused recipient is recorded as failed; the others are still sent', async () => {
  const smtp = await startSmtp({ refuse: 'id-cert@example.id' });
  const log = new MemoryNotificationLog();
  try {
    const res = await sendNotifications(messages(), { dryRun: false, smtp: { host: '127.0.0.1', port: smtp.port }, log });
    assert.deepEqual(res.map((r) => [r.recipientId, r.status]), [['cert:ID', 'failed'], ['cert:JP', 'sent']]);
    assert.equal(smtp.received.length, 1);
    const f = funnel(await log.list());
    assert.equal(f.sent, 1);
    assert.equal(f.failed, 1);
  } finally {
    await smtp.stop();
  }
});

test('dry run is the default: .eml files written, nothing sent, log says pending', async () => {
  const smtp = await startSmtp();
  const dir = mkdtempSync(join(tmpdir(), 'mw-dry-'));
  const log = new MemoryNotificationLog();
  try {
    const res = await sendNotifications(messages(), { outDir: dir, smtp: { host: '127.0.0.1', port: smtp.port }, log });
    assert.deepEqual(res.map((r) => r.status), ['dry-run', 'dry-run']);
    assert.equal(smtp.connections(), 0);
    assert.equal(smtp.received.length, 0);
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    assert.equal(files.length, 2);
    const jp = parseMime(readFileSync(join(dir, files.find((f) => f.startsWith('cert-JP'))!), 'utf8'));
    assert.ok(jp.parts.some((p) => filenameOf(p.headers) === 'cert-JP.stix.json'));
    assert.deepEqual((await log.list()).map((r) => [r.status, r.dryRun]), [['pending', true], ['pending', true]]);
    await assert.rejects(sendNotifications(messages(), { log }), /directory/);
  } finally {
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('funnel: webhook payloads (own form, SendGrid, Mailgun, inbound reply) and manual acknowledgement move messages; bad moves and garbage are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-log-'));
  try {
    const path = join(dir, 'log.json');
    const log = new JsonFileNotificationLog(path);
    const ids = ['11111111-1111-5111-8111-111111111111', '22222222-2222-5222-8222-222222222222', '33333333-3333-5333-8333-333333333333', '44444444-4444-5444-8444-444444444444'];
    for (const [i, id] of ids.entries()) await log.record({ messageId: id, campaign: 'c', recipientId: `as:${i}`, recipientEmail: `a${i}@x.example`, subject: 's', at: '2019-06-10T00:00:00.000Z', status: 'sent', dryRun: false, history: [{ state: 'sent', at: '2019-06-10T00:00:00.000Z' }] });
    const payloads: unknown[] = [
      [{ event: 'bounce', 'smtp-id': `<${ids[0]}@cert.example.org>`, timestamp: 1560200000, reason: '550 no such user' }, { event: 'delivered', 'smtp-id': `<${ids[1]}@cert.example.org>` }],
      { 'event-data': { event: 'failed', severity: 'temporary', message: { headers: { 'message-id': `${ids[1]}@cert.example.org` } } } },
      JSON.stringify({ headers: `Subject: Re: notice\nIn-Reply-To: <${ids[1]}@cert.example.org>\n`, text: 'Thanks, we are looking into it.' }),
      { message_id: ids[2], event: 'replied', time: '2019-06-11T00:00:00Z' },
      { 'In-Reply-To': `<${ids[3]}@cert.example.org>`, subject: 'Re: [ACK] notice', text: 'done' },
      'not json {',
      42,
    ];
    const updates = payloads.flatMap((p) => parseInboundWebhook(p).updates);
    assert.deepEqual(updates.map((u) => [u.messageId, u.state]), [[ids[0], 'bounced'], [ids[1], 'delivered'], [ids[1], 'replied'], [ids[2], 'replied'], [ids[3], 'acknowledged']]);
    for (const u of updates) assert.equal(await log.setState(u.messageId, u.state, u.at ?? '2019-06-12T00:00:00.000Z', u.note), true);
    assert.equal(await log.setState(ids[2], 'acknowledged', '2019-06-13T00:00:00.000Z', 'by hand'), true);
    assert.equal(await log.setState(ids[3], 'bounced', '2019-06-13T00:00:00.000Z'), false, 'acknowledged is final');
    assert.equal(await log.setState('99999999-9999-5999-8999-999999999999', 'replied', '2019-06-13T00:00:00.000Z'), false, 'unknown message');
    assert.equal(parseInboundWebhook('not json {').ignored.length, 1);
    const reloaded = new JsonFileNotificationLog(path);
    const recs = await reloaded.list();
    assert.deepEqual(recs.map((r) => r.status), ['bounced', 'replied', 'acknowledged', 'acknowledged']);
    assert.deepEqual(funnel(recs), { messages: 4, queued: 0, sent: 4, delivered: 1, failed: 0, bounced: 1, replied: 2, acknowledged: 2, dryRun: 0 });
    writeFileSync(join(dir, 'bad.json'), '{');
    assert.throws(() => new JsonFileNotificationLog(join(dir, 'bad.json')), /not a minewatch notification log/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('templates: language fallback, a template without a Subject line is a config error', () => {
  assert.equal(loadTemplate('ja').language, 'ja');
  assert.equal(loadTemplate('JA').language, 'ja');
  assert.equal(loadTemplate('pt-BR').language, 'en');
  const dir = mkdtempSync(join(tmpdir(), 'mw-tpl-'));
  try {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'en.txt'), 'no subject here\n\nbody');
    assert.throws(() => loadTemplate('en', join(dir, 'sub')), (e: unknown) => e instanceof ConfigError && e.code === 'config.bad-template');
    assert.throws(() => loadTemplate('de', dir), (e: unknown) => e instanceof ConfigError && e.code === 'config.no-template');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
