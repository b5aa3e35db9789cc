/**
 * Auto-archive rules for known noise: GET/POST /api/v1/archive-rules, PATCH/DELETE
 * /api/v1/archive-rules/:id. Rules belong to an organisation: its users see and change only its
 * rules; a collector-wide user names the organisation (or a sensor of it) when creating one.
 */
import { z } from 'zod';
import {
  APPLY_LIMIT, applyArchiveRule, audit, createArchiveRule, deleteArchiveRule, findOrg, listArchiveRules, listOrgs, updateArchiveRule, type ArchiveRule,
} from '../../store/index.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type Principal, type ServerContext } from '../route.js';
import { Id, IntParam } from './common.js';

const Address = z.string().trim().min(1).max(49).describe('an address or CIDR (192.0.2.7, 198.51.100.0/24, 2001:db8::/32)');
const Comment = z.string().trim().max(500);

/** The conditions, as the inbox names its cause keys; at least one is required (checked by the store). */
const Conditions = {
  signature_id: IntParam.optional(), detector: z.string().trim().min(1).max(128).optional(), sensor_id: IntParam.optional(),
  src_ip: Address.optional().describe('the device: source address or CIDR'), dest_ip: Address.optional().describe('the peer: destination address or CIDR'),
  country: z.string().regex(/^[A-Za-z]{2}$/).optional(),
  severity_min: z.number().int().min(1).max(255).optional().describe('this severity or a larger number (less severe)'),
};

const RuleOut = z.object({
  id: z.number(), org_id: z.number(), org: z.string().nullable(),
  signature_id: z.number().nullable(), detector: z.string().nullable(), sensor_id: z.number().nullable(), src_ip: z.string().nullable(), dest_ip: z.string().nullable(),
  country: z.string().nullable(), severity_min: z.number().nullable(),
  comment: z.string().nullable(), enabled: z.boolean(), created_by: z.string(), created_ms: z.number(), hits: z.number(), last_hit_ms: z.number().nullable(),
});

/** The API's view of a rule: addresses under the inbox's names (src_ip, dest_ip), with the organisation's name. */
function ruleOut(r: ArchiveRule, orgs: Map<number, string>): z.infer<typeof RuleOut> {
  const { src_cidr, dest_cidr, ...rest } = r;
  return { ...rest, org: orgs.get(r.org_id) ?? null, src_ip: src_cidr, dest_ip: dest_cidr };
}

async function orgNames(ctx: ServerContext): Promise<Map<number, string>> {
  return new Map((await listOrgs(ctx.store)).map((o) => [o.id, o.name]));
}

function userOf(p: Principal): { name: string; orgId: number | null } {
  if (p.kind !== 'user') throw new HttpError(403, 'auth.users-only', 'not a user');
  return { name: p.user.name, orgId: p.user.orgId };
}

/**
 * The organisation a new rule belongs to: the user's own; for a collector-wide user the one named,
 * else the named sensor's. A rule names only a sensor of its own organisation (others' incidents it never archives).
 */
async function ruleOrg(ctx: ServerContext, user: { orgId: number | null }, org: string | undefined, sensorId: number | undefined): Promise<number> {
  const sensor = sensorId === undefined ? undefined : await ctx.store.db.selectFrom('sensors').select('org_id').where('id', '=', sensorId).executeTakeFirst();
  if (sensorId !== undefined && !sensor) throw new HttpError(400, 'archive-rule.unknown-sensor', `no sensor ${sensorId}`);
  let id: number;
  if (user.orgId !== null) {
    const own = (await listOrgs(ctx.store)).find((o) => o.id === user.orgId);
    if (org !== undefined && org !== own?.name) throw new HttpError(403, 'auth.other-org', 'you make rules only for your own organisation');
    id = user.orgId;
  } else if (org !== undefined) id = (await findOrg(ctx.store, org)).id;
  else if (sensor) id = Number(sensor.org_id);
  else throw new HttpError(400, 'archive-rule.org-needed', 'name the organisation (org) or a sensor (sensor_id) the rule is for: you are not bound to one');
  if (sensor && Number(sensor.org_id) !== id) throw new HttpError(400, 'archive-rule.sensor-org', `sensor ${sensorId} is not one of the organisation's sensors: the rule would never match`);
  return id;
}

export default function archiveRuleRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/archive-rules', tag: 'triage', access: 'viewer',
      summary: 'Auto-archive rules (of your organisation, or all for a collector-wide user), oldest first, with the incidents each archived and when it last did',
      response: z.object({ items: z.array(RuleOut) }),
      handler: async ({ principal }) => {
        const orgs = await orgNames(ctx);
        return { items: (await listArchiveRules(ctx.store, viewerOf(principal).orgId)).map((r) => ruleOut(r, orgs)) };
      },
    }),
    route({
      method: 'POST', url: '/api/v1/archive-rules', tag: 'triage', access: 'analyst',
      summary: `Create an auto-archive rule: new incidents of the organisation's sensors that meet every condition are stored archived by it. apply_to_existing also archives the open incidents it matches now (at most ${APPLY_LIMIT}, newest first; truncated says when more remained)`,
      body: z.strictObject({
        ...Conditions, org: z.string().min(1).max(64).optional().describe('the organisation (collector-wide users)'),
        comment: Comment.optional(), enabled: z.boolean().optional(), apply_to_existing: z.boolean().optional(),
      }),
      response: z.object({ rule: RuleOut, applied: z.object({ archived: z.number(), truncated: z.boolean() }).nullable() }),
      errors: { 400: 'no condition, a bad address or country, or no organisation named', 403: 'another organisation named' },
      handler: async ({ body, principal, req }) => {
        const user = userOf(principal);
        const orgId = await ruleOrg(ctx, user, body.org, body.sensor_id);
        const { src_ip, dest_ip, org: _org, apply_to_existing, ...rest } = body;
        const rule = await createArchiveRule(ctx.store, { ...rest, src_cidr: src_ip, dest_cidr: dest_ip, org_id: orgId, created_by: user.name });
        const actor = `user:${user.name}`;
        await audit(ctx.store, actor, 'archive-rule.create', String(rule.id), { org_id: orgId, ...body }, req.ip);
        let applied: { archived: number; truncated: boolean } | null = null;
        if (apply_to_existing && rule.enabled) {
          applied = await applyArchiveRule(ctx.store, rule);
          await audit(ctx.store, actor, 'archive-rule.apply', String(rule.id), applied, req.ip);
          rule.hits += applied.archived;
        }
        return { rule: ruleOut(rule, await orgNames(ctx)), applied };
      },
    }),
    route({
      method: 'PATCH', url: '/api/v1/archive-rules/:id', tag: 'triage', access: 'analyst',
      summary: 'Enable or disable an auto-archive rule, or change its comment', params: Id,
      body: z.strictObject({ enabled: z.boolean().optional(), comment: Comment.nullable().optional() }).refine((b) => b.enabled !== undefined || b.comment !== undefined, 'change enabled or comment'),
      response: RuleOut,
      errors: { 404: 'no such rule in your organisation' },
      handler: async ({ params, body, principal, req }) => {
        const rule = await updateArchiveRule(ctx.store, params.id, viewerOf(principal).orgId, body);
        if (!rule) throw new HttpError(404, 'archive-rule.unknown', `no auto-archive rule ${params.id}`);
        await audit(ctx.store, `user:${userOf(principal).name}`, 'archive-rule.update', String(params.id), body, req.ip);
        return ruleOut(rule, await orgNames(ctx));
      },
    }),
    route({
      method: 'DELETE', url: '/api/v1/archive-rules/:id', tag: 'triage', access: 'analyst',
      summary: 'Delete an auto-archive rule (the incidents it archived stay archived)', params: Id,
      errors: { 404: 'no such rule in your organisation' },
      handler: async ({ params, principal, req }) => {
        if (!(await deleteArchiveRule(ctx.store, params.id, viewerOf(principal).orgId))) throw new HttpError(404, 'archive-rule.unknown', `no auto-archive rule ${params.id}`);
        await audit(ctx.store, `user:${userOf(principal).name}`, 'archive-rule.delete', String(params.id), {}, req.ip);
        return { id: params.id, deleted: true };
      },
    }),
  ];
}
