/**
 * Telling the owner: one message per incident (the first alert of a device and cause), a
 * digest of the repeats every `digestMs`, a minimum severity, and quiet hours during which
 * messages wait (and are sent when the quiet hours end). Channels: the log, a webhook (JSON
 * POST signed with HMAC-SHA256 over the body in `X-Minewatch-Signature: sha256=HEX`, retried
 * with exponential backoff on network errors, 429 and 5xx) and e-mail (SMTP through nodemailer,
 * retried the same way).
 *
 * An incident is what the store folds alerts into: (signature id, source address). Incidents
 * already in the store when the sensor starts were announced before (`known`), so a restart
 * does not announce them again.
 */
import { createHmac } from 'node:crypto';
import type { EventSink } from './eve-writer.js';
import { remediationFor, type Remediation } from './remediation.js';

export interface WebhookChannel {
  url: string;
  /** Shared secret for the HMAC-SHA256 signature header. */
  secret?: string;
}

export interface EmailChannel {
  /** smtp://user:pass@host:port or smtps://… */
  smtp: string;
  from: string;
  to: string[];
  /** Do not try STARTTLS (a local relay without TLS). */
  ignoreTls?: boolean;
}

export interface NotifyOptions {
  /** Alerts at or above this severity (EVE: 1 = high … 3 = low; default 2). */
  minSeverity?: number;
  /** "22:00-07:00" in local time: messages wait until the end. */
  quietHours?: string;
  /** Digest of repeated alerts of known incidents (default 1 h; 0 = never). */
  digestMs?: number;
  log?: boolean | ((line: string) => void);
  webhook?: WebhookChannel;
  email?: EmailChannel;
  /** Delivery attempts per message and channel (default 5) and the first backoff (default 1 s, doubling, at most 60 s). */
  attempts?: number;
  backoffMs?: number;
  /** Incident keys ("sid|src_ip") announced before this start. */
  known?: Iterable<string>;
  sensor?: string;
  /** Clock (tests). */
  now?: () => Date;
  /** How often quiet hours and digests are checked (default 15 s). */
  tickMs?: number;
  /** Where delivery failures are reported (default stderr). */
  onError?: (line: string) => void;
}

export interface IncidentMessage {
  type: 'incident';
  sensor: string | null;
  incident: { key: string; signature_id: number; signature: string; severity: number; src_ip: string; dest_ip: string | null; first_seen: string; device: unknown };
  remediation: Remediation;
  alert: Record<string, unknown>;
}

export interface DigestMessage {
  type: 'digest';
  sensor: string | null;
  since: string;
  incidents: Array<{ key: string; signature: string; src_ip: string; new_alerts: number }>;
}

export type NotifyMessage = IncidentMessage | DigestMessage;

export interface NotifyStats {
  incidents: number;
  repeats: number;
  belowSeverity: number;
  held: number;
  sent: Record<string, number>;
  failed: Record<string, number>;
  retries: number;
  dropped: number;
}

const MAX_KNOWN = 100_000;
const MAX_QUEUE = 1000;

/** "22:00-07:00" → minutes of the day [start, end); throws on a bad spec. */
export function parseQuietHours(spec: string): { start: number; end: number } {
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(spec.trim());
  const v = m ? [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] : [];
  if (!m || v[0] > 23 || v[2] > 23 || v[1] > 59 || v[3] > 59) throw new Error(`quiet hours must look like 22:00-07:00 (got "${spec}")`);
  return { start: v[0] * 60 + v[1], end: v[2] * 60 + v[3] };
}

export function inQuietHours(q: { start: number; end: number }, d: Date): boolean {
  const t = d.getHours() * 60 + d.getMinutes();
  return q.start <= q.end ? t >= q.start && t < q.end : t >= q.start || t < q.end;
}

/** The signature header value for a body. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function formatMessage(m: NotifyMessage): { subject: string; text: string } {
  if (m.type === 'digest') {
    const lines = m.incidents.map((i) => `- ${i.signature} (device ${i.src_ip}): ${i.new_alerts} more alert${i.new_alerts === 1 ? '' : 's'}`);
    return { subject: `minewatch${m.sensor ? ` ${m.sensor}` : ''}: ${m.incidents.length} incident${m.incidents.length === 1 ? '' : 's'} still active`, text: `Since ${m.since}:\n${lines.join('\n')}\n` };
  }
  const i = m.incident;
  return {
    subject: `minewatch${m.sensor ? ` ${m.sensor}` : ''}: ${i.signature} (device ${i.src_ip})`,
    text: `${i.signature}\nDevice ${i.src_ip}${i.dest_ip ? ` talking to ${i.dest_ip}` : ''}, first seen ${i.first_seen}, severity ${i.severity}.\n\n` +
      `Cause: ${m.remediation.cause}. What to do:\n${m.remediation.steps.map((s) => `- ${s}`).join('\n')}\n`,
  };
}

interface Channel {
  name: string;
  send(m: NotifyMessage): Promise<void>;
}

class PermanentError extends Error {}

export class Notifier implements EventSink {
  readonly stats: NotifyStats = { incidents: 0, repeats: 0, belowSeverity: 0, held: 0, sent: {}, failed: {}, retries: 0, dropped: 0 };
  private readonly known = new Set<string>();
  private readonly repeats = new Map<string, { signature: string; src_ip: string; n: number }>();
  private readonly held: NotifyMessage[] = [];
  private readonly channels: Channel[] = [];
  private readonly quiet: { start: number; end: number } | null;
  private readonly now: () => Date;
  private lastDigest: Date;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: NotifyOptions) {
    this.now = opts.now ?? (() => new Date());
    this.lastDigest = this.now();
    this.quiet = opts.quietHours ? parseQuietHours(opts.quietHours) : null;
    for (const k of opts.known ?? []) this.known.add(k);
    if (opts.log) {
      const out = typeof opts.log === 'function' ? opts.log : (line: string) => process.stdout.write(`${line}\n`);
      this.channels.push({ name: 'log', send: async (m) => { const f = formatMessage(m); out(`minewatch notify: ${f.subject}`); } });
    }
    if (opts.webhook) this.channels.push(webhookChannel(opts.webhook));
    if (opts.email) this.channels.push(emailChannel(opts.email));
    this.timer = setInterval(() => this.tick(), opts.tickMs ?? 15_000);
    this.timer.unref();
  }

  write(event: object): void {
    const e = event as Record<string, unknown>;
    if (e.event_type !== 'alert' || this.stopped) return;
    const alert = (e.alert ?? {}) as Record<string, unknown>;
    const sid = Number(alert.signature_id);
    const src = typeof e.src_ip === 'string' ? e.src_ip : null;
    if (!Number.isInteger(sid) || src === null) return;
    const severity = Number(alert.severity ?? 3);
    if (severity > (this.opts.minSeverity ?? 2)) {
      this.stats.belowSeverity++;
      return;
    }
    const key = `${sid}|${src}`;
    const signature = String(alert.signature ?? '');
    if (this.known.has(key)) {
      this.stats.repeats++;
      const r = this.repeats.get(key);
      if (r) r.n++;
      else if (this.repeats.size < MAX_KNOWN) this.repeats.set(key, { signature, src_ip: src, n: 1 });
      return;
    }
    if (this.known.size >= MAX_KNOWN) this.known.clear();
    this.known.add(key);
    this.stats.incidents++;
    const mw = (e.minewatch ?? {}) as Record<string, unknown>;
    this.enqueue({
      type: 'incident', sensor: this.opts.sensor ?? null,
      incident: { key, signature_id: sid, signature, severity, src_ip: src, dest_ip: typeof e.dest_ip === 'string' ? e.dest_ip : null, first_seen: String(e.timestamp), device: mw.device ?? null },
      remediation: remediationFor(sid, signature, typeof mw.detector === 'string' ? mw.detector : null),
      alert: e,
    });
  }

  private enqueue(m: NotifyMessage): void {
    if (this.quiet && inQuietHours(this.quiet, this.now())) {
      if (this.held.length >= MAX_QUEUE) { this.held.shift(); this.stats.dropped++; }
      this.held.push(m);
      this.stats.held++;
      return;
    }
    if (this.queued >= MAX_QUEUE) { this.stats.dropped++; return; }
    this.queued++;
    this.queue = this.queue.then(() => this.deliver(m)).finally(() => { this.queued--; });
  }

  /** Releases held messages after quiet hours and sends a digest when one is due. */
  tick(): void {
    const now = this.now();
    if (this.quiet && inQuietHours(this.quiet, now)) return;
    for (const m of this.held.splice(0)) this.enqueue(m);
    const every = this.opts.digestMs ?? 3_600_000;
    if (every > 0 && now.getTime() - this.lastDigest.getTime() >= every) {
      if (this.repeats.size > 0) {
        const incidents = [...this.repeats.entries()].map(([key, r]) => ({ key, signature: r.signature, src_ip: r.src_ip, new_alerts: r.n }));
        this.repeats.clear();
        this.enqueue({ type: 'digest', sensor: this.opts.sensor ?? null, since: this.lastDigest.toISOString(), incidents });
      }
      this.lastDigest = now;
    }
  }

  private async deliver(m: NotifyMessage): Promise<void> {
    await Promise.all(this.channels.map(async (c) => {
      const attempts = Math.max(1, this.opts.attempts ?? 5);
      let wait = this.opts.backoffMs ?? 1000;
      for (let i = 1; ; i++) {
        try {
          await c.send(m);
          this.stats.sent[c.name] = (this.stats.sent[c.name] ?? 0) + 1;
          return;
        } catch (err) {
          if (i >= attempts || err instanceof PermanentError || this.stopped) {
            this.stats.failed[c.name] = (this.stats.failed[c.name] ?? 0) + 1;
            (this.opts.onError ?? ((l: string) => process.stderr.write(`${l}\n`)))(`minewatch notify: ${c.name} failed after ${i} attempt${i === 1 ? '' : 's'}: ${(err as Error).message}`);
            return;
          }
          this.stats.retries++;
          await new Promise((r) => setTimeout(r, wait));
          wait = Math.min(wait * 2, 60_000);
        }
      }
    }));
  }

  /** Waits (bounded) for the messages in flight. */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    let done = false;
    const t = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([this.queue.then(() => { done = true; }), t]);
    return done;
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Stops: no new messages; waits for those in flight. */
  async stop(timeoutMs?: number): Promise<void> {
    this.close();
    await this.drain(timeoutMs);
    this.stopped = true;
  }
}

function webhookChannel(w: WebhookChannel): Channel {
  return {
    name: 'webhook',
    async send(m) {
      const body = JSON.stringify(m);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'minewatch-sensor' };
      if (w.secret) headers['x-minewatch-signature'] = signBody(w.secret, body);
      const res = await fetch(w.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
      const msg = `HTTP ${res.status} from ${new URL(w.url).host}`;
      if (res.status === 429 || res.status >= 500) throw new Error(msg);
      throw new PermanentError(msg);
    },
  };
}

function emailChannel(e: EmailChannel): Channel {
  let transport: Promise<{ sendMail(o: Record<string, unknown>): Promise<unknown> }> | null = null;
  return {
    name: 'email',
    async send(m) {
      transport ??= import('nodemailer').then((nm) => {
        const u = new URL(e.smtp);
        const secure = u.protocol === 'smtps:';
        return nm.default.createTransport({
          host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : secure ? 465 : 587, secure,
          ignoreTLS: e.ignoreTls === true,
          ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
        }) as unknown as { sendMail(o: Record<string, unknown>): Promise<unknown> };
      });
      const f = formatMessage(m);
      await (await transport).sendMail({ from: e.from, to: e.to.join(', '), subject: f.subject, text: f.text });
    },
  };
}
