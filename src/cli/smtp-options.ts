/** The SMTP options shared by `campaign notify` and `telescope notify-owners` (dry run unless --send). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { SmtpOptions } from '../campaigns/notify.js';
import { InputError, UsageError } from '../util/errors.js';

export interface SmtpFlags {
  send?: boolean; out?: string;
  smtpHost?: string; smtpPort: string; smtpUser?: string; smtpPassFile?: string; smtpSecure?: boolean; smtpInsecureTls?: boolean;
}

export function withSmtpOptions(cmd: Command): Command {
  return cmd
    .option('--send', 'really send through SMTP (default: a dry run writing .eml files to --out)')
    .option('--smtp-host <host>', 'SMTP server for --send')
    .option('--smtp-port <n>', 'SMTP port', '587')
    .option('--smtp-user <name>', 'SMTP user (with --smtp-pass-file)')
    .option('--smtp-pass-file <file>', 'file holding the SMTP password')
    .option('--smtp-secure', 'implicit TLS (port 465)')
    .option('--smtp-insecure-tls', 'accept a self-signed certificate of the SMTP server');
}

/** Checks the flags (one clear line each) and gives the SMTP settings for --send, undefined for a dry run. */
export function smtpFromFlags(o: SmtpFlags): SmtpOptions | undefined {
  if (!o.send && !o.out) throw new UsageError('a dry run writes the messages to a directory: give --out DIR (or --send to deliver)', 'usage.missing-option', { subject: '--out' });
  if (o.send && !o.smtpHost) throw new UsageError('--send needs --smtp-host (and --smtp-port)', 'usage.missing-option', { subject: '--smtp-host' });
  const port = Number(o.smtpPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--smtp-port: "${o.smtpPort}" is not a port number`, 'usage.bad-value', { subject: '--smtp-port' });
  if (!o.smtpUser !== !o.smtpPassFile) throw new UsageError('give --smtp-user and --smtp-pass-file together', 'usage.missing-option', { subject: '--smtp-user' });
  if (!o.send) return undefined;
  let pass: string | undefined;
  if (o.smtpPassFile) {
    try {
      pass = readFileSync(o.smtpPassFile, 'utf8').trim();
    } catch (err) {
      throw new InputError('input.not-found', `--smtp-pass-file ${o.smtpPassFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: o.smtpPassFile, cause: err });
    }
  }
  return { host: o.smtpHost!, port, secure: o.smtpSecure === true, allowSelfSigned: o.smtpInsecureTls === true, ...(o.smtpUser ? { auth: { user: o.smtpUser, pass: pass! } } : {}) };
}
