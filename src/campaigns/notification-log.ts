/**
 * Every notification message is recorded (id, recipient, time, status) with its history, and
 * moves through the delivery funnel: sent → bounced | replied → acknowledged (the last two set
 * by hand or from an inbound webhook, see webhook.ts). `NotificationLog` is the interface the
 * store will implement; here are an in-memory and a JSON-file implementation.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { InputError } from '../util/errors.js';
import type { NotificationState } from './types.js';

export interface NotificationRecord {
  messageId: string;
  campaign: string;
  recipientId: string;
  recipientEmail: string;
  subject: string;
  /** When the message was (or would have been, in a dry run) sent. */
  at: string;
  status: NotificationState;
  dryRun: boolean;
  /** SMTP reply or error text. */
  detail?: string;
  history: { state: NotificationState; at: string; note?: string }[];
}

export interface NotificationLog {
  record(r: NotificationRecord): Promise<void>;
  /** Moves a message to a later funnel state; false (and no change) when the message is unknown or the move is not allowed. */
  setState(messageId: string, state: NotificationState, at: string, note?: string): Promise<boolean>;
  list(campaign?: string): Promise<NotificationRecord[]>;
}

/** Allowed moves; anything else is refused (e.g. acknowledged → bounced). */
const NEXT: Record<NotificationState, readonly NotificationState[]> = {
  pending: ['sent', 'failed'],
  failed: ['sent', 'failed'],
  sent: ['bounced', 'replied', 'acknowledged'],
  bounced: ['replied', 'acknowledged'],
  replied: ['acknowledged'],
  acknowledged: [],
};

export function canMove(from: NotificationState, to: NotificationState): boolean {
  return NEXT[from].includes(to);
}

export class MemoryNotificationLog implements NotificationLog {
  protected readonly records = new Map<string, NotificationRecord>();

  async record(r: NotificationRecord): Promise<void> {
    this.records.set(r.messageId, structuredClone(r));
    await this.persist();
  }

  async setState(messageId: string, state: NotificationState, at: string, note?: string): Promise<boolean> {
    const r = this.records.get(messageId);
    if (!r || !canMove(r.status, state)) return false;
    r.status = state;
    r.history.push(note === undefined ? { state, at } : { state, at, note });
    await this.persist();
    return true;
  }

  async list(campaign?: string): Promise<NotificationRecord[]> {
    return [...this.records.values()].filter((r) => campaign === undefined || r.campaign === campaign).map((r) => structuredClone(r)).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.messageId < b.messageId ? -1 : 1));
  }

  protected async persist(): Promise<void> {}
}

/** The log as one JSON file, rewritten atomically on every change (fine for thousands of messages; the store takes over beyond). */
export class JsonFileNotificationLog extends MemoryNotificationLog {
  constructor(private readonly path: string) {
    super();
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      try {
        for (const r of (JSON.parse(text) as { messages: NotificationRecord[] }).messages) this.records.set(r.messageId, r);
      } catch (err) {
        throw new InputError('input.bad-notification-log', `${path}: not a minewatch notification log (${(err as Error).message.split('\n')[0]})`, { subject: path, cause: err });
      }
    }
  }

  protected override async persist(): Promise<void> {
    writeFileAtomic(this.path, `${JSON.stringify({ messages: await this.list() }, null, 2)}\n`);
  }
}

/** The delivery funnel: how many messages ever reached each state (a replied message also counts as sent). */
export function funnel(records: readonly NotificationRecord[]): Record<'messages' | 'sent' | 'failed' | 'bounced' | 'replied' | 'acknowledged' | 'dryRun', number> {
  const out = { messages: records.length, sent: 0, failed: 0, bounced: 0, replied: 0, acknowledged: 0, dryRun: 0 };
  for (const r of records) {
    if (r.dryRun) out.dryRun++;
    const reached = new Set(r.history.map((h) => h.state));
    for (const s of ['sent', 'failed', 'bounced', 'replied', 'acknowledged'] as const) if (reached.has(s)) out[s]++;
  }
  return out;
}
