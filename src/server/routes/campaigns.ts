/**
 * GET /api/v1/campaigns, /api/v1/campaigns/:id/hosts, /api/v1/campaigns/:id/report: campaigns
 * read through the caller's scope — an organisation's user (a CERT) sees its own and the
 * collector-wide campaigns, and only the hosts in its constituency (and a report computed
 * over those hosts alone, with the delivery funnel of its notification messages).
 * GET /api/v1/campaigns/:id/package: the notified hosts of the caller's constituency as one
 * notification package file (IntelMQ, Shadowserver-style CSV, XARF, IODEF or STIX), sent as
 * an attachment; the control group is held back. POST /api/v1/campaigns/:id/notification-events: the inbound
 * webhook of the delivery funnel (campaigns/webhook.ts payloads), for analysts of the
 * campaign's own organisation (or collector-wide ones).
 */
import { z } from 'zod';
import { campaignHosts, campaignReport, getCampaign, listCampaigns } from '../../campaigns/campaign-store.js';
import { applyWebhook, constituencyPackage } from '../../campaigns/campaign-notify.js';
import { fileStem } from '../../campaigns/formats/common.js';
import type { PackageFormat } from '../../campaigns/formats/index.js';
import { orgById } from '../../store/identity.js';
import { MinewatchError } from '../../util/errors.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Id, IntParam } from './common.js';

/** Download formats (query value → package format); MISP is a directory of files, so not offered here. */
const DOWNLOAD: Record<string, PackageFormat> = { intelmq: 'intelmq', csv: 'shadowserver', xarf: 'xarf', iodef: 'iodef', stix: 'stix' };

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MinewatchError && err.code === 'campaign.not-found') throw new HttpError(404, 'campaign.unknown', err.message);
    if (err instanceof MinewatchError && err.code === 'usage.not-notified') throw new HttpError(409, 'campaign.not-notified', err.message);
    throw err;
  }
}

export default function campaignRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/campaigns', tag: 'campaigns', access: 'viewer',
      summary: 'Campaigns visible to the caller (its organisation\'s and the collector-wide ones)',
      handler: async ({ principal }) => ({ items: (await listCampaigns(ctx.store, viewerOf(principal))).map((c) => ({ id: c.id, name: c.name, status: c.status, created_ms: c.createdMs, definition: c.definition })) }),
    }),
    route({
      method: 'GET', url: '/api/v1/campaigns/:id/hosts', tag: 'campaigns', access: 'viewer',
      summary: 'A campaign\'s infected hosts in the caller\'s constituency (identity rule, AS, country, first/last seen, evidence, notification state)',
      params: Id, query: z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).optional(), offset: IntParam.optional() }),
      errors: { 404: 'no such campaign visible to you' },
      handler: async ({ params, query, principal }) => mapped(async () => {
        const v = viewerOf(principal);
        const c = await getCampaign(ctx.store, params.id, v);
        return { campaign: c.name, identity: c.definition.identity, items: await campaignHosts(ctx.store, c.id, v, { limit: query.limit ?? 1000, offset: query.offset ?? 0 }) };
      }),
    }),
    route({
      method: 'GET', url: '/api/v1/campaigns/:id/report', tag: 'campaigns', access: 'viewer',
      summary: 'Remediation report over the caller\'s constituency: baseline, daily counts per country and AS, change, clean-up shares, Kaplan–Meier median, reinfections, control effect',
      params: Id,
      errors: { 404: 'no such campaign visible to you', 409: 'the campaign has no notification time yet' },
      handler: async ({ params, principal }) => mapped(async () => {
        const v = viewerOf(principal);
        const c = await getCampaign(ctx.store, params.id, v);
        return campaignReport(ctx.store, c.id, v);
      }),
    }),
    route({
      method: 'GET', url: '/api/v1/campaigns/:id/package', tag: 'campaigns', access: 'viewer',
      summary: 'The campaign\'s notified hosts in the caller\'s constituency (control group held back) as one notification package file, as an attachment: intelmq (JSON lines), csv (Shadowserver-style), xarf (JSON lines), iodef (XML) or stix (2.1 bundle)',
      params: Id, query: z.strictObject({ format: z.enum(['intelmq', 'csv', 'xarf', 'iodef', 'stix']) }),
      errors: { 404: 'no such campaign visible to you' },
      handler: async ({ params, query, principal, reply }) => mapped(async () => {
        const v = viewerOf(principal);
        const org = v.orgId !== null && v.orgId >= 0 ? await orgById(ctx.store, v.orgId) : null;
        const name = org?.name ?? 'collector';
        const recipient = { id: `org:${name}`, kind: 'cert' as const, name, email: `abuse@${fileStem(name).toLowerCase()}.invalid`, language: 'en' };
        const reporter = { org: 'minewatch collector', email: 'minewatch@minewatch.invalid', domain: 'minewatch.invalid' };
        const { file, hosts, heldBack } = await constituencyPackage(ctx.store, params.id, v, DOWNLOAD[query.format], recipient, reporter);
        void reply.header('content-type', file.contentType.startsWith('text/') ? `${file.contentType}; charset=utf-8` : file.contentType)
          .header('content-disposition', `attachment; filename="${file.path}"`)
          .header('x-minewatch-hosts', String(hosts)).header('x-minewatch-held-back', String(heldBack));
        return file.content;
      }),
    }),
    route({
      method: 'POST', url: '/api/v1/campaigns/:id/notification-events', tag: 'campaigns', access: 'analyst',
      summary: 'Inbound webhook of the delivery funnel: delivered, bounced, replied, acknowledged (minewatch form, SendGrid and Mailgun events, inbound-parse replies); updates for messages of other campaigns are refused',
      params: Id, body: z.unknown(), bodyLimit: 5 * 1024 * 1024,
      errors: { 403: 'the campaign belongs to another organisation', 404: 'no such campaign visible to you' },
      handler: async ({ params, body, principal }) => mapped(async () => {
        const v = viewerOf(principal);
        const c = await getCampaign(ctx.store, params.id, v);
        if (v.orgId !== null && c.orgId !== v.orgId) throw new HttpError(403, 'campaign.not-owner', `campaign "${c.name}" belongs to ${c.orgId === null ? 'the whole collector' : 'another organisation'}: only its own analysts record its delivery funnel`);
        const r = await applyWebhook(ctx.store, c.id, body);
        return { applied: r.applied, refused: r.refused, ignored: r.ignored.slice(0, 100) };
      }),
    }),
  ];
}
