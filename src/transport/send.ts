/**
 * `--send URL --token-file F [--outbox DIR] [--outbox-max-bytes N]` for the commands that make
 * events (analyze, telescope, scan): open a Sender from the parsed options, hand it events,
 * and at the end wait (bounded) for the collector's acknowledgements and say what happened.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';
import { DEFAULT_OUTBOX_MAX_BYTES, readTokenFile, Sender } from './sender.js';

/** The option values as commander gives them (camel-cased). */
export interface SendFlags {
  send?: string;
  tokenFile?: string;
  outbox?: string;
  /** Bytes (the CLI parses `256M` with its shared size parser). */
  outboxMaxBytes?: number;
  sendTimeout?: string | number;
}

/** `$XDG_STATE_HOME/minewatch/outbox/<command>-<hash of the URL>` (or ~/.local/state/…). */
export function defaultOutboxDir(command: string, url: string): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const tag = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return join(base, 'minewatch', 'outbox', `${command}-${tag}`);
}

/** A Sender for the parsed flags, or null without --send; every mistake is a clear UsageError/ConfigError before any work. */
export function openSender(flags: SendFlags, command: string, log?: (line: string) => void): Sender | null {
  if (!flags.send) {
    if (flags.tokenFile || flags.outbox || flags.outboxMaxBytes !== undefined || flags.sendTimeout !== undefined) throw new UsageError('--token-file, --outbox, --outbox-max-bytes and --send-timeout go with --send URL', 'usage.send-missing', { subject: '--send' });
    return null;
  }
  const timeout = flags.sendTimeout === undefined ? 30 : Number(flags.sendTimeout);
  if (!Number.isFinite(timeout) || timeout < 0 || timeout > 86_400) throw new UsageError(`--send-timeout must be seconds from 0 to 86400 (got "${flags.sendTimeout}")`, 'usage.bad-timeout', { subject: '--send-timeout' });
  if (!flags.tokenFile) throw new UsageError('--send needs --token-file FILE (the sensor token from `minewatch admin token create`)', 'usage.token-missing', { subject: '--token-file' });
  const token = readTokenFile(flags.tokenFile);
  const outboxMaxBytes = flags.outboxMaxBytes ?? DEFAULT_OUTBOX_MAX_BYTES;
  return new Sender({ url: flags.send, token, outboxDir: flags.outbox ?? defaultOutboxDir(command, flags.send), outboxMaxBytes, ...(log ? { log } : {}) });
}

/** Hands a finished list of events (telescope alerts, scan results) to the sender. */
export function sendEvents(sender: Sender | null, events: Iterable<object>): void {
  if (!sender) return;
  for (const e of events) sender.write(e);
  sender.flush();
}

/**
 * Waits up to `timeoutMs` (default 30 s) for every batch to be acknowledged, stops the sender
 * and prints one line to stderr (unless quiet). What is left stays in the outbox for the next run.
 */
export async function finishSending(sender: Sender | null, flags: SendFlags & { quiet?: boolean } = {}): Promise<void> {
  if (!sender) return;
  const timeoutS = flags.sendTimeout === undefined ? 30 : Number(flags.sendTimeout);
  const done = await sender.drain(Number.isFinite(timeoutS) && timeoutS >= 0 ? timeoutS * 1000 : 30_000);
  await sender.stop();
  const s = sender.stats;
  const parts = [`sent ${s.ackedEvents} events (${s.accepted} new, ${s.duplicates} already stored)`];
  if (s.refusedEvents > 0) parts.push(`${s.refusedEvents} refused by the collector`);
  if (s.outbox.droppedEvents > 0) parts.push(`${s.outbox.droppedEvents} dropped (outbox full)`);
  if (!done) parts.push(`${s.outbox.pendingEvents} waiting in the outbox, sent on the next run with --send`);
  if (!flags.quiet || !done) process.stderr.write(`minewatch: ${parts.join('; ')}\n`);
}
