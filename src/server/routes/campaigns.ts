/**
 * GET /api/v1/campaigns, /api/v1/campaigns/:id/hosts, /api/v1/campaigns/:id/report: campaigns
 * read through the caller's scope — an organisation's user (a CERT) sees its own and the
 * collector-wide campaigns, and only the hosts in its constituency (and a report computed
 * over those hosts alone). POST /api/v1/campaigns/:id/notification-events: the inbound
 * webhook of the delivery funnel (campaigns/webhook.ts payloads), for analysts of the
 * campaign's own organisation (or collector-wide ones).
 */
import { z } from 'zod';
import { campaignHosts, campaignReport, getCampaign, listCampaigns } from '../../campaigns/campaign-store.js';
import { applyWebhook } from '../../campaigns/campaign-notify.js';
import { MinewatchError } from '../../util/errors.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Id, IntParam } from './common.js';

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
