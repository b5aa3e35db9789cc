/**
 * `minewatch campaign notify|owner-alerts|mark|webhook`: notification e-mails from a campaign in
 * the store and owner alerts from the telescope's darknet-source alerts (dry run by default,
 * `--send` to deliver through SMTP), and the delivery funnel's later states set by hand or from
 * a saved inbound-webhook payload. Thin: src/campaigns/campaign-notify.ts, owner-alerts.ts.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withStore } from './with-store.js';
import { InputError, UsageError } from '../util/errors.js';
import { checkOutputs } from './outputs.js';
import { smtpFromFlags, withSmtpOptions, type SmtpFlags } from './smtp-options.js';

interface NotifyOpts extends SmtpFlags {
  contacts?: string; by: string; format: string; templates?: string;
}

const MARKABLE = ['delivered', 'bounced', 'replied', 'acknowledged'] as const;

export function register(program: Command): void {
  const campaign = program.commands.find((c) => c.name() === 'campaign') ?? program.command('campaign').description('notification campaigns');

  withSmtpOptions(campaign.command('notify <name>')
    .description('build the packages per CERT or AS contact from the campaign\'s notified group and e-mail them (dry run unless --send); every message is recorded in the store'))
    .option('-o, --out <dir>', 'write the package files (and, in a dry run, the .eml messages) to DIR')
    .option('--contacts <file>', 'contacts file (default: the one in the campaign definition)')
    .option('--by <route>', 'cert (the CERT of the host\'s country) or as (the AS abuse address)', 'cert')
    .option('-f, --format <formats>', 'package formats attached: intelmq, shadowserver, xarf, iodef, stix, misp, or all', 'all')
    .option('--templates <dir>', 'e-mail templates directory (default: the shipped English and Japanese ones)')
    .action(async (name: string, o: NotifyOpts, cmd: Command) => {
      const { PACKAGE_FORMATS, isPackageFormat } = await import('../campaigns/formats/index.js');
      const formats = o.format.trim() === 'all' ? [...PACKAGE_FORMATS] : o.format.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = formats.filter((f) => !isPackageFormat(f));
      if (unknown.length > 0 || formats.length === 0) throw new UsageError(`--format: unknown ${unknown.join(', ') || '(empty)'}; use ${PACKAGE_FORMATS.join(', ')} or all`, 'usage.bad-value', { subject: '--format' });
      if (o.by !== 'cert' && o.by !== 'as') throw new UsageError(`--by must be cert or as (got "${o.by}")`, 'usage.bad-value', { subject: '--by' });
      const smtp = smtpFromFlags(o);
      checkOutputs([{ option: '--out', path: o.out, dir: true }]);
      const { readContactsFile } = await import('../campaigns/contacts.js');
      const { getCampaign } = await import('../campaigns/campaign-store.js');
      const { notifyCampaign } = await import('../campaigns/campaign-notify.js');
      const r = await withStore(cmd, async (s) => {
        const c = await getCampaign(s, name);
        const contactsPath = o.contacts ?? c.definition.contacts;
        if (!contactsPath) throw new UsageError(`campaign "${name}" names no contacts file: give --contacts FILE`, 'usage.missing-option', { subject: '--contacts' });
        return notifyCampaign(s, c.id, {
          contacts: readContactsFile(contactsPath), by: o.by as 'cert' | 'as', formats: formats as (typeof PACKAGE_FORMATS)[number][], dryRun: !o.send, outDir: o.out, templatesDir: o.templates,
          smtp,
        });
      });
      for (const x of r.results) process.stdout.write(`${x.recipientId}\t${x.status}\t${x.messageId}\t${x.file ?? x.detail}\n`);
      for (const u of r.unrouted) process.stdout.write(`unrouted (${u.reason}${u.key !== '-' ? ` ${u.key}` : ''}): ${u.hosts} hosts\n`);
      const count = (s: string) => r.results.filter((x) => x.status === s).length;
      process.stdout.write(`${name}: ${r.hosts} hosts to ${r.results.length} recipients (${r.heldBack} held back as control); ${o.send ? `${count('sent')} sent, ${count('failed')} failed, ${count('already-sent')} sent before` : `dry run: ${count('dry-run')} messages written to ${o.out}, nothing sent`}${r.notifiedAt ? `; campaign notified at ${r.notifiedAt}` : ''}\n`);
      if (count('failed') > 0) process.exitCode = 1;
    });

  withSmtpOptions(campaign
    .command('owner-alerts')
    .description('owner alerts (DAEDALUS): e-mail each watched organisation\'s contacts about its addresses seen as darknet sources, one message per organisation per --digest window (dry run unless --send)')
    .argument('<alerts>', "the telescope's alert events (--eve output, EVE JSON lines)"))
    .requiredOption('--contacts <file>', 'contacts file with an "owners" list: {organisation, email, language} per contact (organisation = the --watch name)')
    .option('--digest <duration>', 'reporting window: one message per organisation per window (1h, 1d …)', '1d')
    .option('-o, --out <dir>', 'dry run: write the .eml messages (and notifications.json) here')
    .option('--log <file>', 'record the messages in this JSON notification log (default: the store given with campaign --db, else OUT/notifications.json)')
    .option('--templates <dir>', 'templates directory with owner/<lang>.txt (default: the shipped English and Japanese ones)')
    .action(async (alerts: string, o: SmtpFlags & { contacts: string; digest: string; log?: string; templates?: string }, cmd: Command) => {
      const db = (cmd.optsWithGlobals() as { db?: string }).db;
      const smtp = smtpFromFlags(o);
      const { parseInterval } = await import('./options.js');
      const digestS = parseInterval(o.digest, '--digest');
      if (o.send && !db && !o.log) throw new UsageError('--send records every message: give campaign --db URL or --log FILE', 'usage.missing-option', { subject: '--log' });
      checkOutputs([{ option: '--out', path: o.out, dir: true }]);
      let text: string;
      try {
        text = readFileSync(alerts, 'utf8');
      } catch (err) {
        throw new InputError('input.not-found', `${alerts}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: alerts, cause: err });
      }
      const { readContactsFile, Contacts } = await import('../campaigns/contacts.js');
      const { ownerAlertMessages } = await import('../campaigns/owner-alerts.js');
      const { sendNotifications } = await import('../campaigns/notify.js');
      const { JsonFileNotificationLog, StoreNotificationLog } = await import('../campaigns/notification-log.js');
      const r = ownerAlertMessages(text.split('\n'), new Contacts(readContactsFile(o.contacts)), { digestMs: digestS * 1000, templates: o.templates });
      let close = async (): Promise<void> => {};
      let log;
      if (db) {
        const { openStore, parseDatabaseUrl } = await import('../store/open.js');
        const store = await openStore(parseDatabaseUrl(db));
        close = () => store.close();
        log = new StoreNotificationLog(store);
      } else {
        const { join } = await import('node:path');
        if (o.out) (await import('node:fs')).mkdirSync(o.out, { recursive: true });
        log = new JsonFileNotificationLog(o.log ?? join(o.out!, 'notifications.json'));
      }
      try {
        const res = await sendNotifications(r.messages, { dryRun: !o.send, outDir: o.out, smtp, log });
        for (const x of res) process.stdout.write(`${x.recipientId}\t${x.status}\t${x.messageId}\t${x.file ?? x.detail}\n`);
        for (const u of r.unrouted) process.stdout.write(`no contact for "${u.organisation}": ${u.alerts} alerts not sent\n`);
        const skipped = Object.entries(r.skipped).map(([k, v]) => `${k} ${v}`).join(', ');
        const n = (st: string) => res.filter((x) => x.status === st).length;
        process.stdout.write(`${r.messages.length} owner alerts: ${o.send ? `${n('sent')} sent, ${n('failed')} failed, ${n('already-sent')} sent before` : `dry run, written to ${o.out}`}${skipped ? `; lines skipped: ${skipped}` : ''}\n`);
        if (n('failed') > 0) process.exitCode = 1;
      } finally {
        await close();
      }
    });

  campaign.command('mark <name>')
    .description('move a notification message along the delivery funnel by hand: delivered, bounced, replied or acknowledged')
    .requiredOption('--message <id>', 'the message id (campaign notify prints it; the Message-ID header\'s local part)')
    .requiredOption('--state <state>', MARKABLE.join(', '))
    .option('--at <time>', 'when (ISO 8601 with zone; default now)')
    .option('--note <text>', 'a note kept in the message history')
    .action(async (name: string, o: { message: string; state: string; at?: string; note?: string }, cmd: Command) => {
      if (!(MARKABLE as readonly string[]).includes(o.state)) throw new UsageError(`--state must be one of ${MARKABLE.join(', ')} (got "${o.state}")`, 'usage.bad-value', { subject: '--state' });
      if (o.at !== undefined && (Number.isNaN(Date.parse(o.at)) || !/(Z|[+-]\d\d:\d\d)$/.test(o.at))) throw new UsageError(`--at: "${o.at}" is not an ISO 8601 time with a zone`, 'usage.bad-value', { subject: '--at' });
      const at = new Date(o.at === undefined ? Date.now() : Date.parse(o.at)).toISOString();
      const { getCampaign } = await import('../campaigns/campaign-store.js');
      const { campaignLog } = await import('../campaigns/campaign-notify.js');
      const res = await withStore(cmd, async (s) => {
        const log = await campaignLog(s, (await getCampaign(s, name)).id);
        const before = await log.get(o.message);
        if (!before || before.campaign !== name) return { ok: false, why: `no message ${o.message} in campaign "${name}"` };
        return (await log.setState(o.message, o.state as (typeof MARKABLE)[number], at, o.note)) ? { ok: true, why: '' } : { ok: false, why: `message ${o.message} is ${before.status}: it cannot move to ${o.state}` };
      });
      if (!res.ok) throw new UsageError(res.why, 'usage.bad-value', { subject: '--message' });
      process.stdout.write(`${o.message}: ${o.state} at ${at}\n`);
    });

  campaign.command('webhook <name> <file>')
    .description('apply a saved inbound webhook payload (minewatch form, SendGrid, Mailgun, inbound-parse reply; JSON) to the campaign\'s messages')
    .action(async (name: string, file: string, _o: unknown, cmd: Command) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new InputError('input.not-found', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: file, cause: err });
      }
      const { getCampaign } = await import('../campaigns/campaign-store.js');
      const { applyWebhook } = await import('../campaigns/campaign-notify.js');
      const r = await withStore(cmd, async (s) => applyWebhook(s, (await getCampaign(s, name)).id, text));
      for (const i of r.ignored.slice(0, 20)) process.stderr.write(`${file}: ignored ${i}\n`);
      process.stdout.write(`${name}: ${r.applied} updates applied, ${r.refused} refused (unknown message or not a forward move), ${r.ignored.length} items ignored\n`);
    });
}
