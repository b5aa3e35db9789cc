/**
 * The records the notification side of a campaign works on: an infected host (one per host
 * identity, see `HostIdentity`), a recipient (a national CERT, or an AS's abuse address), and a
 * package = one recipient with the hosts it is responsible for. The store (src/store/) will keep
 * these; until then they come from JSON-lines files (`minewatch campaign package --hosts`).
 *
 * zod schemas give the types and validate input; every time is ISO 8601 UTC.
 */
import { z } from 'zod';

/**
 * How hosts are counted. `ip-day`: one host per public address per UTC day (the default: an
 * address reassigned daily counts again, a NAT'ed household counts once); `device-id`: one host
 * per device id a sensor reports (one router behind NAT, however often its address changes).
 * Every package states which rule its hosts were counted by.
 */
export const HostIdentityRule = z.enum(['ip-day', 'device-id']);
export type HostIdentityRule = z.infer<typeof HostIdentityRule>;

const isoTime = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), 'an ISO 8601 date-time with a time zone, e.g. 2019-06-01T12:00:00Z');
const ipText = z.string().refine((s) => isIpAddress(s), 'an IPv4 or IPv6 address');

export const HostIdentity = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('ip-day'), ip: ipText, day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a UTC day YYYY-MM-DD') }).strict(),
  z.object({ rule: z.literal('device-id'), deviceId: z.string().min(1).max(200) }).strict(),
]);
export type HostIdentity = z.infer<typeof HostIdentity>;

/** What was seen that makes the host count as infected (all optional, all lists). */
export const HostEvidence = z.object({
  /** Mining-pool host names the host talked to (pool DNS/TLS SNI/HTTP Host). */
  poolNames: z.array(z.string().min(1).max(253)).default([]),
  /** Pool addresses as "ip:port" or "[v6]:port" or a bare address. */
  poolAddresses: z.array(z.string().min(1).max(60)).default([]),
  /** Wallet / login strings from Stratum logins. */
  wallets: z.array(z.string().min(1).max(200)).default([]),
  /** URLs of browser-miner scripts injected into pages served through the host. */
  scriptUrls: z.array(z.string().min(1).max(2000)).default([]),
  /** Short free text (e.g. the alert signature text or a scanner finding). */
  notes: z.array(z.string().max(500)).default([]),
}).strict();
export type HostEvidence = z.infer<typeof HostEvidence>;

/**
 * Delivery funnel of a notification (Li et al., Stock et al.): queued → sent → delivered |
 * bounced | replied → acknowledged; `pending` is a dry run's message (written, never sent),
 * `failed` an SMTP refusal or error.
 */
export const NotificationState = z.enum(['pending', 'queued', 'sent', 'delivered', 'bounced', 'replied', 'acknowledged', 'failed']);
export type NotificationState = z.infer<typeof NotificationState>;

export const InfectedHost = z.object({
  identity: HostIdentity,
  /** The public address the host was seen with (the last one, for a device id). */
  ip: ipText,
  /** Source port when one is known (CGNAT needs it to tell subscribers apart). */
  port: z.number().int().min(1).max(65535).optional(),
  asn: z.number().int().min(0).max(4294967295).optional(),
  asName: z.string().max(200).optional(),
  /** ISO 3166-1 alpha-2, upper case. */
  country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter country code (ISO 3166-1, upper case)').optional(),
  firstSeen: isoTime,
  lastSeen: isoTime,
  /** minewatch detector id (`stratum`, `browser-miner`, `vulnerable-firmware` …) or the external feed's name. */
  detector: z.string().min(1).max(100),
  signatureId: z.number().int().optional(),
  signature: z.string().max(300).optional(),
  /** Malware / miner family, lower case as IntelMQ wants it (`coinhive`, `xmrig`). */
  malware: z.string().min(1).max(100),
  evidence: HostEvidence.default({ poolNames: [], poolAddresses: [], wallets: [], scriptUrls: [], notes: [] }),
  device: z.object({ type: z.string().max(50).optional(), vendor: z.string().max(100).optional(), model: z.string().max(100).optional() }).strict().optional(),
  notification: z.object({ state: NotificationState, messageId: z.string().optional(), at: isoTime.optional() }).strict().optional(),
}).strict().refine((h) => Date.parse(h.firstSeen) <= Date.parse(h.lastSeen), { message: 'firstSeen is after lastSeen', path: ['lastSeen'] });
export type InfectedHost = z.infer<typeof InfectedHost>;
export type InfectedHostInput = z.input<typeof InfectedHost>;

/** Who a package goes to. */
export interface Recipient {
  /** Stable id: `cert:JP`, `as:64500`. */
  id: string;
  kind: 'cert' | 'as-abuse';
  name: string;
  email: string;
  /** BCP 47 primary language (`en`, `ja`); templates fall back to English. */
  language: string;
  country?: string;
  asn?: number;
  /** The recipient organisation's domain (XARF wants one; taken from the e-mail when not given). */
  domain?: string;
}

/** Who sends the packages (the XARF reporter/sender, the IODEF contact, the STIX identity). */
export interface Reporter {
  org: string;
  email: string;
  domain: string;
}

/** One recipient and the hosts it is responsible for. */
export interface RecipientPackage {
  recipient: Recipient;
  hostIdentityRule: HostIdentityRule | 'mixed';
  /** Sorted deterministically (time, address, identity). */
  hosts: InfectedHost[];
}

/** Everything a format needs besides the package: kept explicit so output is byte-identical for the same input. */
export interface PackageContext {
  campaign: string;
  reporter: Reporter;
  /** The generation time written into packages (default: the latest lastSeen of the input). */
  generatedAt: string;
  /** IntelMQ `feed.name` and the Shadowserver-style report name. */
  feedName: string;
}

/** A file of a package: relative path (may contain one directory level, e.g. MISP) and its bytes. */
export interface PackageFile {
  path: string;
  content: string;
  /** MIME type for e-mail attachments. */
  contentType: string;
}

function isIpAddress(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s)) return true;
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function ipVersion(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}
