/**
 * Every notification message is recorded (id, recipient, time, status) with its history, and
 * moves through the delivery funnel: queued → sent → delivered | bounced | replied →
 * acknowledged (the last ones set by hand, `minewatch campaign mark`, or from an inbound
 * webhook, see webhook.ts). Implementations: in memory, a JSON file (`campaign package
 * --emails`), and the collector's store (`notifications` table, `campaign notify`).
 */
import { readFileSync } from 'node:fs';
import type { Store } from '../store/open.js';
import { scopePattern } from '../store/scope.js';
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
  get(messageId: string): Promise<NotificationRecord | undefined>;
}

/** Allowed moves; anything else is refused (e.g. acknowledged → bounced). */
const NEXT: Record<NotificationState, readonly NotificationState[]> = {
  pending: ['queued', 'sent', 'failed'],
  queued: ['sent', 'failed'],
  failed: ['queued', 'sent', 'failed'],
  sent: ['delivered', 'bounced', 'replied', 'acknowledged'],
  delivered: ['bounced', 'replied', 'acknowledged'],
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

  async get(messageId: string): Promise<NotificationRecord | undefined> {
    const r = this.records.get(messageId);
    return r && structuredClone(r);
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

/**
 * The log in the collector's store: one `notifications` row per message (channel `email`),
 * keyed by `message_id`, the whole record as JSON in `payload`, its current state in `status`.
 */
export class StoreNotificationLog implements NotificationLog {
  constructor(private readonly store: Store, private readonly campaignIds: ReadonlyMap<string, number> = new Map(), private readonly orgId: number | null = null) {}

  async record(r: NotificationRecord): Promise<void> {
    const row = {
      campaign_id: this.campaignIds.get(r.campaign) ?? null, org_id: this.orgId, recipient: r.recipientEmail, channel: 'email', status: r.status,
      created_ms: Date.parse(r.at), sent_ms: r.status === 'sent' ? Date.parse(r.at) : null, payload: JSON.stringify(r), message_id: r.messageId,
    };
    await this.store.db.transaction().execute(async (tx) => {
      // a message recorded again (queued, then sent) keeps the scope its hosts gave it
      const kept = await tx.selectFrom('notifications').select('scope').where('message_id', '=', r.messageId).executeTakeFirst();
      await tx.deleteFrom('notifications').where('message_id', '=', r.messageId).execute();
      await tx.insertInto('notifications').values({ ...row, scope: kept?.scope ?? null }).execute();
    });
  }

  /** Sets a recorded message's scope (the union of its hosts' scopes, ScopeIndex.union); no change for an unknown message. */
  async setScope(messageId: string, scope: string | null): Promise<void> {
    await this.store.db.updateTable('notifications').set({ scope }).where('message_id', '=', messageId).execute();
  }

  async get(messageId: string): Promise<NotificationRecord | undefined> {
    const row = await this.store.db.selectFrom('notifications').select('payload').where('message_id', '=', messageId).executeTakeFirst();
    return row ? (JSON.parse(row.payload) as NotificationRecord) : undefined;
  }

  async setState(messageId: string, state: NotificationState, at: string, note?: string): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('notifications').select('payload').where('message_id', '=', messageId).executeTakeFirst();
      if (!row) return false;
      const r = JSON.parse(row.payload) as NotificationRecord;
      if (!canMove(r.status, state)) return false;
      r.status = state;
      r.history.push(note === undefined ? { state, at } : { state, at, note });
      await tx.updateTable('notifications').set({ status: state, payload: JSON.stringify(r), ...(state === 'sent' ? { sent_ms: Date.parse(at) } : {}) }).where('message_id', '=', messageId).execute();
      return true;
    });
  }

  /** The messages (of one campaign), oldest first; with `scopeOrg`, only those about that organisation's constituency, as its package is scoped. */
  async list(campaign?: string, scopeOrg: number | null = null): Promise<NotificationRecord[]> {
    let q = this.store.read.selectFrom('notifications').select('payload').where('channel', '=', 'email').where('message_id', 'is not', null);
    if (scopeOrg !== null) q = q.where('scope', 'like', scopePattern(scopeOrg));
    const id = campaign === undefined ? undefined : this.campaignIds.get(campaign);
    if (id !== undefined) q = q.where('campaign_id', '=', id);
    const all = (await q.execute()).map((r) => JSON.parse(r.payload) as NotificationRecord).filter((r) => campaign === undefined || r.campaign === campaign);
    return all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.messageId < b.messageId ? -1 : 1));
  }
}

export const FUNNEL_STATES = ['queued', 'sent', 'delivered', 'failed', 'bounced', 'replied', 'acknowledged'] as const;
export type Funnel = Record<'messages' | 'dryRun' | (typeof FUNNEL_STATES)[number], number>;

/** The delivery funnel: how many messages ever reached each state (a replied message also counts as sent). */
export function funnel(records: readonly NotificationRecord[]): Funnel {
  const out: Funnel = { messages: records.length, queued: 0, sent: 0, delivered: 0, failed: 0, bounced: 0, replied: 0, acknowledged: 0, dryRun: 0 };
  for (const r of records) {
    if (r.dryRun) out.dryRun++;
    const reached = new Set(r.history.map((h) => h.state));
    for (const s of FUNNEL_STATES) if (reached.has(s)) out[s]++;
  }
  return out;
}
