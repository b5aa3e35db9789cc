/**
 * One e-mail per recipient package: text from the recipient's language template (with the
 * mitigation guidance), the package files attached, a deterministic message id (UUIDv5 of
 * campaign, recipient and the attachments' content) so a re-run does not look like a new
 * notice and replies/bounces can be matched back.
 */
import { createHash } from 'node:crypto';
import { uuidv5 } from './ids.js';
import { isoSeconds } from './formats/common.js';
import { loadTemplate, render } from './templates.js';
import type { InfectedHost, PackageContext, PackageFile, RecipientPackage } from './types.js';

export interface OutgoingMessage {
  /** Stable id; the Message-ID header is `<id@reporter-domain>`. */
  id: string;
  messageIdHeader: string;
  campaign: string;
  recipientId: string;
  /** Sender address and display name (nodemailer encodes a non-ASCII or punctuated name). */
  from: string;
  fromName: string;
  to: string;
  subject: string;
  text: string;
  language: string;
  attachments: { filename: string; content: string; contentType: string }[];
}

const LISTED = 20;

function identityText(rule: RecipientPackage['hostIdentityRule'], ja: boolean): string {
  if (ja) {
    return rule === 'ip-day' ? '公開 IP アドレスと UTC の日付ごとに 1 ホスト（アドレスが毎日変わる回線では同じ機器が複数回数えられます）'
      : rule === 'device-id' ? 'センサーが報告する機器 ID ごとに 1 ホスト（NAT の内側の 1 台のルーターは 1 件）'
        : '公開 IP アドレス／日、または機器 ID（両方の数え方が混在しています）';
  }
  return rule === 'ip-day' ? 'one host per public IP address per UTC day (a device whose address changes daily is counted once per address and day)'
    : rule === 'device-id' ? 'one host per device id reported by a sensor (one router behind NAT counts once, whatever its addresses)'
      : 'public IP address per day, or device id where a sensor reports one (both rules occur in this list)';
}

function hostLine(h: InfectedHost): string {
  const id = h.identity.rule === 'device-id' ? ` device ${h.identity.deviceId}` : '';
  const dev = [h.device?.vendor, h.device?.type].filter(Boolean).join(' ');
  return `- ${h.ip}${h.port ? `:${h.port}` : ''}${id}  ${isoSeconds(h.firstSeen)} .. ${isoSeconds(h.lastSeen)}  ${h.malware}${dev ? ` (${dev})` : ''}${h.asn !== undefined ? `  AS${h.asn}` : ''}`;
}

/** Attachment names are flat: "cert-JP.misp/manifest.json" → "cert-JP.misp-manifest.json". */
export function attachmentName(path: string): string {
  return path.replace(/\//g, '-');
}

export function composeMessage(pkg: RecipientPackage, files: readonly PackageFile[], ctx: PackageContext, templatesDir?: string): OutgoingMessage {
  const tpl = loadTemplate(pkg.recipient.language, templatesDir);
  const ja = tpl.language === 'ja';
  const hosts = pkg.hosts;
  const from = hosts.reduce((m, h) => Math.min(m, Date.parse(h.firstSeen)), Infinity);
  const to = hosts.reduce((m, h) => Math.max(m, Date.parse(h.lastSeen)), 0);
  const contentHash = createHash('sha256');
  for (const f of files) contentHash.update(f.path).update('\0').update(f.content).update('\0');
  const id = uuidv5(`message|${ctx.campaign}|${pkg.recipient.id}|${contentHash.digest('hex')}`);
  const r = pkg.recipient;
  const values: Record<string, string> = {
    recipient_name: r.name,
    campaign: ctx.campaign,
    host_count: String(hosts.length),
    listed_count: String(Math.min(LISTED, hosts.length)),
    scope: r.kind === 'cert' ? `in ${r.country ?? 'your country'}` : `in AS${r.asn}`,
    scope_ja: r.kind === 'cert' ? `${r.country ?? '貴国'} 国内` : `AS${r.asn}`,
    period_from: hosts.length ? isoSeconds(new Date(from).toISOString()) : '-',
    period_to: hosts.length ? isoSeconds(new Date(to).toISOString()) : '-',
    identity_rule: identityText(pkg.hostIdentityRule, ja),
    host_lines: hosts.slice(0, LISTED).map(hostLine).join('\n'),
    attachments: files.map((f) => `- ${attachmentName(f.path)}`).join('\n'),
    reporter_org: ctx.reporter.org,
    reporter_email: ctx.reporter.email,
    message_ref: id,
  };
  return {
    id,
    messageIdHeader: `<${id}@${ctx.reporter.domain}>`,
    campaign: ctx.campaign,
    recipientId: r.id,
    from: ctx.reporter.email,
    fromName: ctx.reporter.org,
    to: r.email,
    subject: render(tpl.subject, values),
    text: render(tpl.body, values),
    language: tpl.language,
    attachments: files.map((f) => ({ filename: attachmentName(f.path), content: f.content, contentType: f.contentType })),
  };
}
