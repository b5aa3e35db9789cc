/**
 * Owner alerts from the telescope, end to end: a generated darknet capture, a watch list of two
 * organisations whose ranges hold some of its scanners, `minewatch telescope --watch --eve`,
 * then `minewatch campaign owner-alerts --send` through a real SMTP server started here: one
 * message per organisation per digest window (the expected windows computed here from the
 * alert file), to every contact of that organisation and no one else, in the contact's
 * language, listing exactly the organisation's sources; recorded in the store's notification
 * log; a re-run sends nothing twice; the dry run sends nothing; an organisation without a
 * contact is reported; garbage lines are counted, not thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, type DarknetTruth } from '../../src/synth/index.js';
import { openStore } from '../../src/store/open.js';
import { StoreNotificationLog } from '../../src/campaigns/notification-log.js';
import { OWNER_ALERTS, ownerAlertMessages } from '../../src/campaigns/owner-alerts.js';
import { Contacts, ContactsFile } from '../../src/campaigns/contacts.js';
import { decodeWords, parseMime, startSmtp } from '../helpers/smtp.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const HOUR = 3_600_000;

test('telescope owner alerts: one message per watched organisation per window, to its contacts, through SMTP', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-owner-'));
  const smtp = await startSmtp();
  try {
    const pcap = join(dir, 'd.pcap');
    await generate('darknet', { seed: 9, packets: 30_000, darknet: '198.18.0.0/16', hours: 6, truthFile: join(dir, 'truth.json') }, pcap);
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as DarknetTruth;
    // two organisations: the /16s of two scanners (one IPv4 scanner each); a third organisation with no contact
    const scanners = truth.sources.filter((s) => s.class === 'scanner' && !s.spoofed && /^\d+\.\d+\.\d+\.\d+$/.test(s.ip) && s.packets >= 3);
    const net = (ip: string) => `${ip.split('.').slice(0, 2).join('.')}.0.0/16`;
    const nets = [...new Set(scanners.map((s) => net(s.ip)))];
    assert.ok(nets.length >= 3);
    writeFileSync(join(dir, 'watch.txt'), `Example University: ${nets[0]}\nBeispiel Stadtwerke: ${nets[1]}\nNo Contact Ltd: ${nets[2]}\n`);
    const alertsFile = join(dir, 'alerts.jsonl');
    await run(process.execPath, [CLI, 'telescope', pcap, '--darknet', '198.18.0.0/16', '--watch', join(dir, 'watch.txt'), '--eve', alertsFile, '--workers', '1', '--no-geo', '-q']);
    const alerts = readFileSync(alertsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { src_ip: string; minewatch: { detector: string; evidence: { organisation?: string; first_seen: string } } });
    const owned = alerts.filter((a) => a.minewatch.detector === 'darknet-source');
    const orgOf = (o: string) => owned.filter((a) => a.minewatch.evidence.organisation === o);
    assert.ok(orgOf('Example University').length > 0 && orgOf('Beispiel Stadtwerke').length > 0 && orgOf('No Contact Ltd').length > 0);
    const windows = (o: string) => new Set(orgOf(o).map((a) => Math.floor(Date.parse(a.minewatch.evidence.first_seen) / HOUR))).size;
    appendFileSync(alertsFile, 'not json\n{"event_type":"alert","minewatch":{"detector":"stratum"}}\n');

    const contacts = {
      reporter: { org: 'Example Telescope', email: 'darknet@telescope.example.org', domain: 'telescope.example.org' },
      owners: [
        { organisation: 'Example University', email: 'soc@uni.example', language: 'en' },
        { organisation: 'Example University', email: 'noc@uni.example', language: 'en' },
        { organisation: 'Beispiel Stadtwerke', email: 'cert@stadtwerke.example', language: 'ja' },
      ],
    };
    writeFileSync(join(dir, 'contacts.json'), JSON.stringify(contacts));
    const db = `sqlite:${join(dir, 'mw.db')}`;
    const args = ['owner-alerts', alertsFile, '--contacts', join(dir, 'contacts.json'), '--digest', '1h'];

    // dry run (default): .eml files, nothing sent
    const dry = await run(process.execPath, [CLI, 'campaign', ...args, '--out', join(dir, 'dry')]);
    assert.match(dry.stdout, /dry run/);
    assert.equal(smtp.received.length, 0);
    assert.equal(readdirSync(join(dir, 'dry')).filter((f) => f.endsWith('.eml')).length, windows('Example University') + windows('Beispiel Stadtwerke'));

    const sent = await run(process.execPath, [CLI, 'campaign', '--db', db, ...args, '--send', '--smtp-host', '127.0.0.1', '--smtp-port', String(smtp.port)]);
    assert.match(sent.stdout, /no contact for "No Contact Ltd": \d+ alerts not sent/);
    assert.match(sent.stdout, /lines skipped: .*not-json 1/);
    assert.equal(smtp.received.length, windows('Example University') + windows('Beispiel Stadtwerke'));
    for (const m of smtp.received) {
      const mime = parseMime(m.raw);
      const text = mime.parts.map((p) => p.body).join('\n');
      const uni = m.to.includes('soc@uni.example');
      assert.deepEqual(m.to.sort(), uni ? ['noc@uni.example', 'soc@uni.example'] : ['cert@stadtwerke.example']);
      const org = uni ? 'Example University' : 'Beispiel Stadtwerke';
      const subject = decodeWords(mime.headers.subject);
      assert.ok(subject.includes(org), subject);
      if (!uni) assert.match(subject, /ダークネット/);
      // the message lists sources of its organisation only
      for (const a of owned) if (text.includes(`- ${a.src_ip} `)) assert.equal(a.minewatch.evidence.organisation, org);
    }
    const listed = smtp.received.map((m) => parseMime(m.raw).parts.map((p) => p.body).join('\n')).join('\n');
    for (const a of [...orgOf('Example University'), ...orgOf('Beispiel Stadtwerke')]) assert.ok(listed.includes(`- ${a.src_ip} `), a.src_ip);
    for (const a of orgOf('No Contact Ltd')) assert.ok(!listed.includes(a.src_ip));

    // recorded in the store; a re-run sends nothing twice
    const store = await openStore(db);
    try {
      const recs = await new StoreNotificationLog(store).list(OWNER_ALERTS);
      assert.equal(recs.length, smtp.received.length);
      assert.ok(recs.every((r) => r.status === 'sent' && !r.dryRun));
    } finally {
      await store.close();
    }
    const again = await run(process.execPath, [CLI, 'campaign', '--db', db, ...args, '--send', '--smtp-host', '127.0.0.1', '--smtp-port', String(smtp.port)]);
    assert.match(again.stdout, /0 sent, 0 failed, \d+ sent before/);
    assert.equal(smtp.received.length, windows('Example University') + windows('Beispiel Stadtwerke'));

    // a day window folds the hours into one message per organisation
    const daily = ownerAlertMessages(readFileSync(alertsFile, 'utf8').split('\n'), new Contacts(ContactsFile.parse(contacts)), { digestMs: 24 * HOUR });
    const days = (o: string) => new Set(orgOf(o).map((a) => Math.floor(Date.parse(a.minewatch.evidence.first_seen) / (24 * HOUR)))).size;
    assert.equal(daily.messages.length, days('Example University') + days('Beispiel Stadtwerke'));
    assert.equal(daily.skipped['not-json'], 1);
    assert.equal(daily.skipped['not-darknet-source'], 1 + alerts.length - owned.length);
  } finally {
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
