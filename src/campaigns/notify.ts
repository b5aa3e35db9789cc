/**
 * Sending the notification e-mails. DRY RUN BY DEFAULT: the messages are written as .eml files
 * to a directory and nothing is sent; with `dryRun: false` they go through SMTP (nodemailer).
 * Every message is recorded in the NotificationLog: `queued` before the SMTP transaction, then
 * `sent` or `failed`. A message whose id the log already holds as sent (or further along the
 * funnel) is not sent again: message ids are derived from the content, so re-running a
 * campaign's notify sends only what is new or failed before.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';
import type { OutgoingMessage } from './email.js';
import type { NotificationLog } from './notification-log.js';

export interface SmtpOptions {
  host: string;
  port: number;
  /** Implicit TLS (port 465). Default false: STARTTLS when the server offers it. */
  secure?: boolean;
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  /** Trust a self-signed certificate (tests, internal relays). */
  allowSelfSigned?: boolean;
}

export interface NotifyOptions {
  /** Default true: write .eml files to `outDir`, send nothing. */
  dryRun?: boolean;
  outDir?: string;
  smtp?: SmtpOptions;
  log: NotificationLog;
  now?: () => Date;
}

export interface NotifyResult {
  messageId: string;
  recipientId: string;
  status: 'sent' | 'failed' | 'dry-run' | 'already-sent';
  detail: string;
  file?: string;
}

const ALREADY_SENT = new Set(['sent', 'delivered', 'bounced', 'replied', 'acknowledged']);

function mailOf(m: OutgoingMessage): SendMailOptions {
  return {
    from: { name: m.fromName, address: m.from },
    to: m.to,
    subject: m.subject,
    text: m.text,
    messageId: m.messageIdHeader,
    headers: { 'Content-Language': m.language, 'X-Minewatch-Campaign': m.campaign },
    attachments: m.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
  };
}

export async function sendNotifications(messages: readonly OutgoingMessage[], opts: NotifyOptions): Promise<NotifyResult[]> {
  const dryRun = opts.dryRun ?? true;
  const now = opts.now ?? (() => new Date());
  if (dryRun && !opts.outDir) throw new UsageError('a dry run writes the messages to a directory: give one (--out DIR)', 'usage.missing-option', { subject: '--out' });
  if (!dryRun && !opts.smtp) throw new UsageError('sending needs an SMTP server (--smtp-host, --smtp-port)', 'usage.missing-option', { subject: '--smtp-host' });
  const transport = dryRun
    ? nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
    : nodemailer.createTransport({
      host: opts.smtp!.host, port: opts.smtp!.port, secure: opts.smtp!.secure ?? false, requireTLS: opts.smtp!.requireTLS,
      auth: opts.smtp!.auth, tls: opts.smtp!.allowSelfSigned ? { rejectUnauthorized: false } : undefined,
      connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000,
    });
  if (dryRun) mkdirSync(opts.outDir!, { recursive: true });
  const results: NotifyResult[] = [];
  try {
    for (const m of messages) {
      const at = now().toISOString();
      const base = { messageId: m.id, campaign: m.campaign, recipientId: m.recipientId, recipientEmail: m.to, subject: m.subject, at, dryRun };
      if (dryRun) {
        const info = (await transport.sendMail(mailOf(m))) as { message: Buffer };
        const file = join(opts.outDir!, `${m.recipientId.replace(/[^A-Za-z0-9._-]+/g, '-')}.${m.id}.eml`);
        writeFileAtomic(file, info.message);
        // a dry run never overwrites the record of a message really sent
        const before = await opts.log.get(m.id);
        if (!before || before.dryRun) await opts.log.record({ ...base, status: 'pending', detail: `dry run: written to ${file}`, history: [{ state: 'pending', at, note: 'dry run' }] });
        results.push({ messageId: m.id, recipientId: m.recipientId, status: 'dry-run', detail: 'not sent (dry run)', file });
        continue;
      }
      const before = await opts.log.get(m.id);
      if (before && !before.dryRun && ALREADY_SENT.has(before.status)) {
        results.push({ messageId: m.id, recipientId: m.recipientId, status: 'already-sent', detail: `${before.status} since ${before.at}` });
        continue;
      }
      const history = [...(before && !before.dryRun ? before.history : []), { state: 'queued' as const, at }];
      await opts.log.record({ ...base, status: 'queued', history });
      let status: 'sent' | 'failed';
      let detail: string;
      try {
        const info = (await transport.sendMail(mailOf(m))) as { response?: string; rejected?: unknown[] };
        status = Array.isArray(info.rejected) && info.rejected.length > 0 ? 'failed' : 'sent';
        detail = info.response ?? '';
      } catch (err) {
        status = 'failed';
        detail = (err as Error).message.split('\n')[0];
      }
      const done = now().toISOString();
      await opts.log.record({ ...base, at: done, status, detail, history: [...history, { state: status, at: done, note: detail }] });
      results.push({ messageId: m.id, recipientId: m.recipientId, status, detail });
    }
  } finally {
    transport.close();
  }
  return results;
}
