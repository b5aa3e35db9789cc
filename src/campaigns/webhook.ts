/**
 * Inbound webhook payloads → funnel updates. Accepts, without throwing on anything:
 * - minewatch's own form: `{"message_id": "<id>", "event": "delivered"|"bounced"|"replied"|"acknowledged", "time"?: ISO, "note"?: text}` (or an array of them);
 * - SendGrid event webhooks (arrays with `event: "delivered"|"bounce"|"dropped"`, `smtp-id`);
 * - Mailgun event webhooks (`event-data.event: "delivered"`, or `"failed"` with severity permanent; message headers message-id);
 * - inbound-parse replies carrying `In-Reply-To` / `References` (a reply to our Message-ID → replied;
 *   a reply whose subject or first line holds "[ACK]" or "ACK" as a word → acknowledged).
 * The message id is what composeMessage made (the Message-ID's local part).
 */
export interface FunnelUpdate {
  messageId: string;
  state: 'delivered' | 'bounced' | 'replied' | 'acknowledged';
  at?: string;
  note?: string;
}

export interface WebhookResult {
  updates: FunnelUpdate[];
  ignored: string[];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function idFrom(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  return UUID.exec(v)?.[0].toLowerCase();
}

function timeFrom(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1e11) return new Date(v * 1000).toISOString();
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(Date.parse(v)).toISOString();
  return undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function header(o: Record<string, unknown>, name: string): unknown {
  for (const [k, v] of Object.entries(o)) if (k.toLowerCase() === name) return v;
  const h = obj(o.headers);
  if (h) for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === name) return v;
  if (typeof o.headers === 'string') {
    const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(o.headers);
    if (m) return m[1];
  }
  return undefined;
}

function one(item: unknown, out: WebhookResult, index: number): void {
  const o = obj(item);
  if (!o) {
    out.ignored.push(`#${index}: not an object`);
    return;
  }
  // minewatch form
  if (typeof o.event === 'string' && ['delivered', 'bounced', 'replied', 'acknowledged'].includes(o.event) && idFrom(o.message_id)) {
    out.updates.push({ messageId: idFrom(o.message_id)!, state: o.event as FunnelUpdate['state'], at: timeFrom(o.time), note: typeof o.note === 'string' ? o.note.slice(0, 500) : undefined });
    return;
  }
  // SendGrid
  if (o.event === 'delivered' && idFrom(o['smtp-id'])) {
    out.updates.push({ messageId: idFrom(o['smtp-id'])!, state: 'delivered', at: timeFrom(o.timestamp), note: typeof o.response === 'string' ? o.response.slice(0, 500) : undefined });
    return;
  }
  if (typeof o.event === 'string' && (o.event === 'bounce' || o.event === 'dropped') && idFrom(o['smtp-id'])) {
    out.updates.push({ messageId: idFrom(o['smtp-id'])!, state: 'bounced', at: timeFrom(o.timestamp), note: typeof o.reason === 'string' ? o.reason.slice(0, 500) : o.event });
    return;
  }
  // Mailgun
  const ed = obj(o['event-data']);
  if (ed) {
    const msg = obj(ed.message);
    const id = idFrom(msg ? header(msg, 'message-id') : undefined);
    if (ed.event === 'delivered' && id) {
      out.updates.push({ messageId: id, state: 'delivered', at: timeFrom(ed.timestamp) });
      return;
    }
    if (ed.event === 'failed' && ed.severity === 'permanent' && id) {
      out.updates.push({ messageId: id, state: 'bounced', at: timeFrom(ed.timestamp), note: typeof ed.reason === 'string' ? ed.reason : 'permanent failure' });
      return;
    }
    out.ignored.push(`#${index}: mailgun event ${String(ed.event)} not a delivery or permanent failure of one of our messages`);
    return;
  }
  // inbound reply
  const inReplyTo = idFrom(header(o, 'in-reply-to')) ?? idFrom(header(o, 'references'));
  if (inReplyTo) {
    const subject = String(header(o, 'subject') ?? '');
    const text = String(o.text ?? o['body-plain'] ?? o['stripped-text'] ?? '');
    const firstLine = text.split('\n').find((l) => l.trim() !== '') ?? '';
    const ack = /(^|[\s[(])ACK([\s\])]|$)/.test(subject) || /(^|[\s[(])ACK([\s\])]|$)/.test(firstLine);
    out.updates.push({ messageId: inReplyTo, state: ack ? 'acknowledged' : 'replied', at: timeFrom(header(o, 'date')), note: subject.slice(0, 200) || undefined });
    return;
  }
  out.ignored.push(`#${index}: no message id and no known event`);
}

export function parseInboundWebhook(payload: unknown): WebhookResult {
  const out: WebhookResult = { updates: [], ignored: [] };
  let body = payload;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      body = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    } catch {
      out.ignored.push('body is not JSON');
      return out;
    }
  }
  const items = Array.isArray(body) ? body.slice(0, 10000) : [body];
  items.forEach((x, i) => one(x, out, i));
  return out;
}
