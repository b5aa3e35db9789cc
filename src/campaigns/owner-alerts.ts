/**
 * Owner alerts from the telescope (DAEDALUS-style): the telescope's `darknet-source` alerts
 * (a watched organisation's address seen as a darknet source, telescope/alerts.ts) become one
 * e-mail per organisation per reporting window (`digestMs`, by the source's first sighting),
 * addressed to every contact the contacts file lists for that organisation (`owners`), in the
 * first contact's language (templates `owner/<lang>.txt`, English and Japanese shipped), with
 * the window's alert events attached. The messages go through the campaign notification
 * machinery (notify.ts `sendNotifications`: dry run by default, SMTP, the notification log and
 * its funnel); ids are deterministic, so a re-run sends nothing twice. Input is hostile EVE:
 * anything that is not a well-formed darknet-source alert is counted, never thrown.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Contacts } from './contacts.js';
import type { OutgoingMessage } from './email.js';
import { uuidv5 } from './ids.js';
import { loadTemplate, render, templatesDir } from './templates.js';

/** The campaign name owner-alert messages are recorded under in the notification log. */
export const OWNER_ALERTS = 'owner-alerts';
const LISTED = 50;

interface SourceAlert {
  organisation: string;
  ranges: string[];
  ip: string;
  first: number;
  last: number;
  packets: number;
  ports: number[];
  family: string | null;
  line: string;
}

export interface OwnerAlertResult {
  messages: OutgoingMessage[];
  /** Organisations with alerts but no contact. */
  unrouted: { organisation: string; alerts: number }[];
  /** Input lines skipped, by reason. */
  skipped: Record<string, number>;
}

function parseAlert(v: unknown): SourceAlert | string {
  if (!v || typeof v !== 'object') return 'not-an-object';
  const e = v as Record<string, unknown>;
  if (e.event_type !== 'alert') return 'not-an-alert';
  const mw = e.minewatch as Record<string, unknown> | undefined;
  if (!mw || mw.detector !== 'darknet-source') return 'not-darknet-source';
  const ev = mw.evidence as Record<string, unknown> | undefined;
  if (!ev || typeof ev.organisation !== 'string' || ev.organisation === '') return 'no-organisation';
  if (typeof e.src_ip !== 'string' || e.src_ip.length > 45) return 'no-source';
  const first = Date.parse(String(ev.first_seen ?? e.timestamp));
  const last = Date.parse(String(ev.last_seen ?? ev.first_seen ?? e.timestamp));
  if (!Number.isFinite(first)) return 'bad-time';
  const ports = Array.isArray(ev.ports) ? ev.ports.filter((p): p is number => Number.isInteger(p)).slice(0, 64) : [];
  return {
    organisation: ev.organisation.slice(0, 200), ranges: Array.isArray(ev.ranges) ? ev.ranges.filter((r): r is string => typeof r === 'string').slice(0, 50) : [],
    ip: e.src_ip, first, last: Number.isFinite(last) ? Math.max(last, first) : first, packets: Number.isFinite(Number(ev.packets)) ? Number(ev.packets) : 0,
    ports, family: typeof ev.likely_family === 'string' ? ev.likely_family : null, line: JSON.stringify(e),
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Owner-alert messages from EVE events (objects, or JSON text lines). */
export function ownerAlertMessages(events: Iterable<unknown>, contacts: Contacts, opts: { digestMs: number; templates?: string }): OwnerAlertResult {
  const skipped: Record<string, number> = {};
  const windows = new Map<string, { organisation: string; start: number; alerts: SourceAlert[] }>();
  for (const raw of events) {
    let v = raw;
    if (typeof raw === 'string') {
      if (raw.trim() === '') continue;
      try {
        v = JSON.parse(raw);
      } catch {
        skipped['not-json'] = (skipped['not-json'] ?? 0) + 1;
        continue;
      }
    }
    const a = parseAlert(v);
    if (typeof a === 'string') {
      skipped[a] = (skipped[a] ?? 0) + 1;
      continue;
    }
    const start = Math.floor(a.first / opts.digestMs) * opts.digestMs;
    const key = `${a.organisation}\0${start}`;
    let w = windows.get(key);
    if (!w) windows.set(key, (w = { organisation: a.organisation, start, alerts: [] }));
    w.alerts.push(a);
  }
  const messages: OutgoingMessage[] = [];
  const unrouted = new Map<string, number>();
  const sorted = [...windows.values()].sort((x, y) => x.start - y.start || (x.organisation < y.organisation ? -1 : 1));
  for (const w of sorted) {
    const to = contacts.ownersOf(w.organisation);
    if (to.length === 0) {
      unrouted.set(w.organisation, (unrouted.get(w.organisation) ?? 0) + w.alerts.length);
      continue;
    }
    w.alerts.sort((x, y) => x.first - y.first || (x.ip < y.ip ? -1 : 1));
    const body = w.alerts.map((a) => a.line).join('\n') + '\n';
    const id = uuidv5(`owner-alert|${w.organisation}|${w.start}|${opts.digestMs}|${createHash('sha256').update(body).digest('hex')}`);
    const tpl = loadTemplate(to[0].language, join(opts.templates ?? templatesDir(), 'owner'));
    const ranges = [...new Set(w.alerts.flatMap((a) => a.ranges))];
    const sources = [...new Set(w.alerts.map((a) => a.ip))];
    const values: Record<string, string> = {
      recipient_name: to[0].name ?? w.organisation,
      organisation: w.organisation,
      ranges: ranges.join(', ') || '-',
      source_count: String(sources.length),
      listed_count: String(Math.min(LISTED, w.alerts.length)),
      period_from: iso(w.start),
      period_to: iso(w.start + opts.digestMs),
      source_lines: w.alerts.slice(0, LISTED).map((a) => `- ${a.ip}  ${iso(a.first)} .. ${iso(a.last)}  ${a.packets} packets${a.ports.length ? `, ports ${a.ports.slice(0, 8).join(' ')}` : ''}${a.family ? `, likely ${a.family}` : ''}`).join('\n'),
      reporter_org: contacts.reporter.org,
      reporter_email: contacts.reporter.email,
      message_ref: id,
    };
    const safe = w.organisation.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
    messages.push({
      id, messageIdHeader: `<${id}@${contacts.reporter.domain}>`, campaign: OWNER_ALERTS, recipientId: `owner:${w.organisation}`,
      from: contacts.reporter.email, fromName: contacts.reporter.org, to: to.map((c) => c.email).join(', '),
      subject: render(tpl.subject, values), text: render(tpl.body, values), language: tpl.language,
      attachments: [{ filename: `${safe}.${iso(w.start).replace(/[:]/g, '')}.alerts.jsonl`, content: body, contentType: 'application/x-ndjson' }],
    });
  }
  return { messages, unrouted: [...unrouted].map(([organisation, alerts]) => ({ organisation, alerts })), skipped };
}
