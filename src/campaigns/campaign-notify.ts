/**
 * `campaign notify` from the store: the campaign's notified group (the control group is held
 * back) as host records → packages per CERT or AS abuse contact → one e-mail per recipient →
 * sent through SMTP (or, by default, written as .eml files: a dry run) and recorded in the
 * store's notification log (`notifications`), whose states make the delivery funnel the
 * campaign report shows. The first real send that succeeds sets the campaign's notification
 * time when none was set (`markNotified`).
 */
import type { Store } from '../store/open.js';
import { ScopeIndex } from '../store/scope.js';
import { campaignHosts, campaignHostScopes, getCampaign, markNotified, type Viewer } from './campaign-store.js';
import { Contacts, type ContactsFile, type RouteBy } from './contacts.js';
import { composeMessage } from './email.js';
import { buildPackage, type PackageFormat } from './formats/index.js';
import { identityKey, sortHosts } from './grouping.js';
import { StoreNotificationLog } from './notification-log.js';
import { sendNotifications, type NotifyResult, type SmtpOptions } from './notify.js';
import { buildPackages, latestSeen, writePackageFiles } from './package.js';
import { hostRecord } from './report-text.js';
import type { InfectedHost, PackageFile, Recipient, Reporter } from './types.js';
import { parseInboundWebhook } from './webhook.js';

export interface CampaignNotifyOptions {
  contacts: ContactsFile;
  by: RouteBy;
  formats: readonly PackageFormat[];
  /** Default true. */
  dryRun?: boolean;
  /** Dry run: where the .eml files go; also where the package files are written when given. */
  outDir?: string;
  smtp?: SmtpOptions;
  templatesDir?: string;
  now?: () => Date;
}

export interface CampaignNotifyResult {
  campaign: string;
  hosts: number;
  heldBack: number;
  results: NotifyResult[];
  unrouted: { reason: string; key: string; hosts: number }[];
  /** Set when this run set the campaign's notification time. */
  notifiedAt?: string;
  packageFiles: number;
}

/** The log of a campaign's messages (campaign ids resolved by name). */
export async function campaignLog(store: Store, campaignId: number): Promise<StoreNotificationLog> {
  const c = await getCampaign(store, campaignId);
  return new StoreNotificationLog(store, new Map([[c.name, c.id]]), c.orgId);
}

export async function notifyCampaign(store: Store, id: number, opts: CampaignNotifyOptions): Promise<CampaignNotifyResult> {
  const c = await getCampaign(store, id);
  const rows = await campaignHosts(store, c.id);
  const hostScope = await campaignHostScopes(store, c.id);
  const hosts: InfectedHost[] = [];
  // per host identity, the scopes of its rows (a package merges rows of one identity)
  const scopesOf = new Map<string, string[]>();
  let heldBack = 0;
  for (const h of rows) {
    if (h.group === 'control') {
      heldBack++;
      continue;
    }
    const rec = hostRecord(h, c.definition.identity);
    if (!rec) continue;
    hosts.push(rec);
    const k = identityKey(rec);
    const scope = hostScope.get(h.key);
    if (scope !== undefined) scopesOf.set(k, [...(scopesOf.get(k) ?? []), scope]);
  }
  const now = opts.now ?? (() => new Date());
  const built = buildPackages(hosts, new Contacts(opts.contacts), { campaign: c.name, by: opts.by, formats: opts.formats });
  let packageFiles = 0;
  if (opts.outDir) for (const { files } of built.packages) packageFiles += writePackageFiles(opts.outDir, files).length;
  const messages = built.packages.map(({ pkg, files }) => composeMessage(pkg, files, built.context, opts.templatesDir));
  const log = await campaignLog(store, c.id);
  const results = await sendNotifications(messages, { dryRun: opts.dryRun ?? true, outDir: opts.outDir, smtp: opts.smtp, log, now });
  // a message is about its package's hosts: an organisation sees its funnel when it may see one of them (as in constituencyPackage)
  for (const [i, m] of messages.entries()) {
    await log.setScope(m.id, ScopeIndex.union(built.packages[i].pkg.hosts.flatMap((h) => scopesOf.get(identityKey(h)) ?? [])));
  }
  let notifiedAt: string | undefined;
  if (!c.definition.notifiedAt && results.some((r) => r.status === 'sent')) {
    const at = now();
    await markNotified(store, c.id, at.getTime());
    notifiedAt = at.toISOString();
  }
  return {
    campaign: c.name, hosts: hosts.length, heldBack, results, packageFiles, ...(notifiedAt ? { notifiedAt } : {}),
    unrouted: built.grouping.unrouted.map((u) => ({ reason: u.reason, key: u.key, hosts: u.hosts })),
  };
}

/**
 * One package of a campaign's notified hosts in the viewer's constituency (the control group
 * is held back, as in `notifyCampaign`), addressed to `recipient` and rendered in one format:
 * the dashboard's download. Same hosts → byte-identical file (generated at the latest lastSeen).
 */
export async function constituencyPackage(store: Store, id: number, v: Viewer, format: PackageFormat, recipient: Recipient, reporter: Reporter): Promise<{ file: PackageFile; hosts: number; heldBack: number }> {
  const c = await getCampaign(store, id, v);
  const hosts: InfectedHost[] = [];
  let heldBack = 0;
  for (const h of await campaignHosts(store, c.id, v)) {
    if (h.group === 'control') heldBack++;
    else {
      const rec = hostRecord(h, c.definition.identity);
      if (rec) hosts.push(rec);
    }
  }
  const sorted = sortHosts(hosts);
  const rules = new Set(sorted.map((h) => h.identity.rule));
  const pkg = { recipient, hostIdentityRule: rules.size > 1 ? 'mixed' as const : c.definition.identity, hosts: sorted };
  const ctx = { campaign: c.name, reporter, generatedAt: hosts.length > 0 ? latestSeen(hosts) : new Date(c.createdMs).toISOString(), feedName: `minewatch-${c.name}` };
  const [file] = buildPackage(pkg, ctx, [format]);
  return { file, hosts: hosts.length, heldBack };
}

/** Applies an inbound webhook payload (webhook.ts) to the campaign's messages; updates for other campaigns' messages are refused. */
export async function applyWebhook(store: Store, id: number, payload: unknown, now: () => Date = () => new Date()): Promise<{ applied: number; refused: number; ignored: string[] }> {
  const c = await getCampaign(store, id);
  const log = await campaignLog(store, c.id);
  const parsed = parseInboundWebhook(payload);
  let applied = 0;
  let refused = 0;
  for (const u of parsed.updates) {
    const r = await log.get(u.messageId);
    if (r && r.campaign === c.name && (await log.setState(u.messageId, u.state, u.at ?? now().toISOString(), u.note))) applied++;
    else refused++;
  }
  return { applied, refused, ignored: parsed.ignored };
}
