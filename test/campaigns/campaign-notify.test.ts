/**
 * `campaign notify` from the store, through a real SMTP server started here: the dry run
 * (default) writes .eml files and sends nothing; --send delivers one message per CERT, leaves
 * the control group out, records queued → sent in the store's notification log, sets the
 * campaign's notification time; a re-run sends nothing twice; the funnel moves by hand
 * (`mark`) and by webhook, refuses backward moves and other campaigns' messages, and the
 * campaign report shows it. The CLI: notify dry run, mark, a bad --state (exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/open.js';
import { campaignHosts, campaignReport, createCampaign, getCampaign } from '../../src/campaigns/campaign-store.js';
import { applyWebhook, campaignLog, notifyCampaign } from '../../src/campaigns/campaign-notify.js';
import { ContactsFile } from '../../src/campaigns/contacts.js';
import { PACKAGE_FORMATS } from '../../src/campaigns/formats/index.js';
import { reportMarkdown } from '../../src/campaigns/report-text.js';
import { parseMime, startSmtp } from '../helpers/smtp.js';
import { CONTACTS_JSON } from './fixtures.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

async function seed(store: Store, name: string): Promise<number> {
  const c = await createCampaign(store, name, { period: { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' } });
  const host = (key: string, ip: string, country: string, grp: string) => ({
    campaign_id: c.id, host_key: key, ip, device_id: null, sensor_ids: '[1]', feeds: '[]', country, asn: country === 'JP' ? 64500 : 64501,
    first_seen_ms: T0 + DAY, last_seen_ms: T0 + 3 * DAY, events: 3, evidence: JSON.stringify({ detectors: ['stratum'], signatureIds: [], malware: ['xmrig'] }),
    grp, notify_state: grp === 'control' ? 'held-back' : 'pending', notified_ms: null, scope: ',0,',
  });
  await store.db.insertInto('campaign_hosts').values([
    host('ip:203.0.113.10', '203.0.113.10', 'JP', 'treatment'),
    host('ip:203.0.113.11', '203.0.113.11', 'JP', 'treatment'),
    host('ip:203.0.113.12', '203.0.113.12', 'JP', 'control'),
    host('ip:198.51.100.7', '198.51.100.7', 'ID', 'treatment'),
  ]).execute();
  await store.db.insertInto('campaign_host_days').values([1, 2, 3].map((d) => ({ campaign_id: c.id, host_key: 'ip:203.0.113.10', day: Math.floor(T0 / DAY) + d, sightings: 1 }))).execute();
  return c.id;
}

test('campaign notify: dry run, SMTP send from the store, funnel by hand and webhook, report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cnotify-'));
  const store = await openStore(`sqlite:${join(dir, 'mw.db')}`);
  const smtp = await startSmtp();
  try {
    const id = await seed(store, 'goldfish');
    const other = await seed(store, 'other');
    const contacts = ContactsFile.parse(CONTACTS_JSON);
    const base = { contacts, by: 'cert' as const, formats: PACKAGE_FORMATS, now: () => new Date('2026-03-10T00:00:00Z') };

    // dry run (the default): .eml files, nothing sent, not notified
    const dry = await notifyCampaign(store, id, { ...base, outDir: join(dir, 'out') });
    assert.deepEqual(dry.results.map((r) => [r.recipientId, r.status]), [['cert:ID', 'dry-run'], ['cert:JP', 'dry-run']]);
    assert.equal(dry.hosts, 3);
    assert.equal(dry.heldBack, 1);
    assert.equal(readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.eml')).length, 2);
    assert.ok(dry.packageFiles > 0);
    assert.equal(smtp.received.length, 0);
    assert.equal((await getCampaign(store, id)).definition.notifiedAt, undefined);

    // send: one message per CERT, control host in none, queued → sent, campaign notified
    const sent = await notifyCampaign(store, id, { ...base, dryRun: false, smtp: { host: '127.0.0.1', port: smtp.port } });
    assert.deepEqual(sent.results.map((r) => [r.recipientId, r.status]), [['cert:ID', 'sent'], ['cert:JP', 'sent']]);
    assert.deepEqual(sent.results.map((r) => r.messageId), dry.results.map((r) => r.messageId), 'same content, same message ids');
    assert.equal(smtp.received.length, 2);
    const text = (to: string) => parseMime(smtp.received.find((r) => r.to[0] === to)!.raw).parts.map((p) => p.body).join('\n');
    assert.ok(text('jp-cert@example.jp').includes('203.0.113.10') && text('jp-cert@example.jp').includes('203.0.113.11'));
    assert.ok(text('id-cert@example.id').includes('198.51.100.7'));
    assert.ok(!text('jp-cert@example.jp').includes('203.0.113.12'), 'the control host is held back');
    assert.equal(sent.notifiedAt, '2026-03-10T00:00:00.000Z');
    assert.deepEqual((await campaignHosts(store, id)).map((h) => [h.ip, h.notifyState]).sort(), [['198.51.100.7', 'notified'], ['203.0.113.10', 'notified'], ['203.0.113.11', 'notified'], ['203.0.113.12', 'held-back']]);
    const log = await campaignLog(store, id);
    const rec = (await log.get(sent.results[1].messageId))!;
    assert.deepEqual(rec.history.map((h) => h.state), ['queued', 'sent']);
    assert.equal(rec.dryRun, false);

    // a re-run sends nothing twice; a dry run does not overwrite the sent record
    const again = await notifyCampaign(store, id, { ...base, dryRun: false, smtp: { host: '127.0.0.1', port: smtp.port } });
    assert.deepEqual(again.results.map((r) => r.status), ['already-sent', 'already-sent']);
    await notifyCampaign(store, id, { ...base, outDir: join(dir, 'out2') });
    assert.equal(smtp.received.length, 2);
    assert.equal((await log.get(sent.results[0].messageId))!.status, 'sent');

    // funnel: delivered by hand, acknowledged by webhook, bounced after acknowledged refused, other campaign's message refused
    const [idMsg, jpMsg] = sent.results.map((r) => r.messageId);
    assert.equal(await log.setState(idMsg, 'delivered', '2026-03-10T01:00:00.000Z', 'by hand'), true);
    const wh = await applyWebhook(store, id, JSON.stringify([
      { message_id: jpMsg, event: 'delivered' },
      { message_id: jpMsg, event: 'acknowledged', time: '2026-03-11T00:00:00Z' },
      { message_id: jpMsg, event: 'bounced' },
      { event: 'open' },
    ]));
    assert.deepEqual([wh.applied, wh.refused, wh.ignored.length], [2, 1, 1]);
    const otherSent = await notifyCampaign(store, other, { ...base, dryRun: false, smtp: { host: '127.0.0.1', port: smtp.port } });
    const cross = await applyWebhook(store, id, { message_id: otherSent.results[0].messageId, event: 'acknowledged' });
    assert.deepEqual([cross.applied, cross.refused], [0, 1]);

    const rep = await campaignReport(store, id);
    assert.deepEqual(rep.notifications, { messages: 2, queued: 2, sent: 2, delivered: 2, failed: 0, bounced: 0, replied: 0, acknowledged: 1, dryRun: 0 });
    const md = reportMarkdown(rep);
    assert.match(md, /## Notification delivery/);
    assert.match(md, /\| 2 \| 2 \(100\.0 %\) \| 2 \(100\.0 %\) \| 2 \(100\.0 %\) \| 0 \(0\.0 %\) \| 0 \(0\.0 %\) \| 1 \(50\.0 %\) \| 0 \(0\.0 %\) \|/);
  } finally {
    await smtp.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('campaign notify CLI: dry run by default, mark, bad state exits 2', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cnotify-cli-'));
  const db = `sqlite:${join(dir, 'mw.db')}`;
  try {
    const store = await openStore(db);
    await seed(store, 'goldfish');
    await store.close();
    writeFileSync(join(dir, 'contacts.json'), JSON.stringify(CONTACTS_JSON));
    const dry = await run(process.execPath, [CLI, 'campaign', '--db', db, 'notify', 'goldfish', '--contacts', join(dir, 'contacts.json'), '--out', join(dir, 'out')]);
    assert.match(dry.stdout, /dry run: 2 messages written/);
    const msg = /cert:JP\tdry-run\t([0-9a-f-]{36})/.exec(dry.stdout)![1];
    // a dry-run message cannot be marked delivered (it was never sent): one line, exit 2
    await assert.rejects(run(process.execPath, [CLI, 'campaign', '--db', db, 'mark', 'goldfish', '--message', msg, '--state', 'delivered']), (e: { code: number; stderr: string }) => e.code === 2 && /pending: it cannot move to delivered/.test(e.stderr));
    await assert.rejects(run(process.execPath, [CLI, 'campaign', '--db', db, 'mark', 'goldfish', '--message', msg, '--state', 'sent']), (e: { code: number; stderr: string }) => e.code === 2 && /--state must be one of/.test(e.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
