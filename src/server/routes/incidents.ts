/** GET /api/v1/incidents, PATCH /api/v1/incidents/:id (acknowledge, escalate, archive, reopen), an incident's comments. */
import { z } from 'zod';
import { addIncidentComment, audit, INCIDENT_STATUSES, incidentGroups, listIncidentComments, listIncidents, setIncidentStatus } from '../../store/index.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type Principal, type ServerContext } from '../route.js';
import { Cursor, Id, IntParam, Limit, Time } from './common.js';

const Status = z.enum(INCIDENT_STATUSES);
/** The inbox's incident filter (the list and its groups). */
const Filter = {
  status: Status.optional(), sensor_id: IntParam.optional(), from: Time.optional(), to: Time.optional(),
  detector: z.string().min(1).max(128).optional(), severity: z.coerce.number().int().min(1).max(255).optional(),
  signature_id: IntParam.optional(), src_ip: z.string().min(1).max(45).optional(), dest_ip: z.string().min(1).max(45).optional(),
  country: z.string().regex(/^[A-Z]{2}$/).optional(),
};
/** The user's name (analyst routes are for users only); 'unknown' otherwise. */
const nameOf = (p: Principal) => (p.kind === 'user' ? p.user.name : 'unknown');

export default function incidentRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/incidents', tag: 'read', access: 'viewer',
      summary: 'Incidents (alerts grouped by sensor, signature and source), most recent first; filtered by status, sensor, time of the last alert, detector, severity (this or more severe), signature, source (device), destination (peer), country of the public address',
      query: z.strictObject({ ...Filter, limit: Limit, cursor: Cursor }),
      handler: async ({ query, principal }) => listIncidents(ctx.store, viewerOf(principal), query),
    }),
    route({
      method: 'GET', url: '/api/v1/incidents/groups', tag: 'read', access: 'viewer',
      summary: 'The filtered incidents grouped by cause: signature, device (source on its sensor) or peer (destination); most recent group first, each with the filter that lists its incidents',
      query: z.strictObject({ ...Filter, by: z.enum(['signature', 'device', 'peer']), limit: z.coerce.number().int().min(1).max(500).optional() }),
      handler: async ({ query, principal }) => incidentGroups(ctx.store, viewerOf(principal), query),
    }),
    route({
      method: 'PATCH', url: '/api/v1/incidents/:id', tag: 'triage', access: 'analyst',
      summary: 'Set an incident\'s status', params: Id, body: z.strictObject({ status: Status }),
      errors: { 404: 'no such incident in your scope' },
      handler: async ({ params, body, principal, req }) => {
        if (!(await setIncidentStatus(ctx.store, viewerOf(principal), params.id, body.status))) throw new HttpError(404, 'incident.unknown', `no incident ${params.id}`);
        await audit(ctx.store, `user:${nameOf(principal)}`, 'incident.status', String(params.id), { status: body.status }, req.ip);
        return { id: params.id, status: body.status };
      },
    }),
    route({
      method: 'GET', url: '/api/v1/incidents/:id/comments', tag: 'read', access: 'viewer',
      summary: 'An incident\'s comments (who and when), oldest first', params: Id,
      errors: { 404: 'no such incident in your scope' },
      handler: async ({ params, principal }) => {
        const items = await listIncidentComments(ctx.store, viewerOf(principal), params.id);
        if (!items) throw new HttpError(404, 'incident.unknown', `no incident ${params.id}`);
        return { items };
      },
    }),
    route({
      method: 'POST', url: '/api/v1/incidents/:id/comments', tag: 'triage', access: 'analyst',
      summary: 'Comment on an incident (plain text; the author and time are recorded)', params: Id,
      body: z.strictObject({ body: z.string().trim().min(1).max(4000) }),
      errors: { 404: 'no such incident in your scope' },
      handler: async ({ params, body, principal, req }) => {
        const c = await addIncidentComment(ctx.store, viewerOf(principal), params.id, nameOf(principal), body.body);
        if (!c) throw new HttpError(404, 'incident.unknown', `no incident ${params.id}`);
        await audit(ctx.store, `user:${nameOf(principal)}`, 'incident.comment', String(params.id), { comment_id: c.id }, req.ip);
        return c;
      },
    }),
  ];
}
