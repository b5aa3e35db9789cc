/** GET /api/v1/incidents, PATCH /api/v1/incidents/:id (acknowledge, archive, reopen). */
import { z } from 'zod';
import { audit, listIncidents, setIncidentStatus } from '../../store/index.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Cursor, Id, IntParam, Limit, Time } from './common.js';

const Status = z.enum(['open', 'acknowledged', 'archived']);

export default function incidentRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/incidents', tag: 'read', access: 'viewer',
      summary: 'Incidents (alerts grouped by sensor, signature and source), most recent first; filtered by status, sensor, time of the last alert, detector, severity (this or more severe)',
      query: z.strictObject({
        status: Status.optional(), sensor_id: IntParam.optional(), from: Time.optional(), to: Time.optional(),
        detector: z.string().min(1).max(128).optional(), severity: z.coerce.number().int().min(1).max(255).optional(), limit: Limit, cursor: Cursor,
      }),
      handler: async ({ query, principal }) => listIncidents(ctx.store, viewerOf(principal), query),
    }),
    route({
      method: 'PATCH', url: '/api/v1/incidents/:id', tag: 'triage', access: 'analyst',
      summary: 'Set an incident\'s status', params: Id, body: z.strictObject({ status: Status }),
      errors: { 404: 'no such incident in your scope' },
      handler: async ({ params, body, principal, req }) => {
        if (!(await setIncidentStatus(ctx.store, viewerOf(principal), params.id, body.status))) throw new HttpError(404, 'incident.unknown', `no incident ${params.id}`);
        await audit(ctx.store, principal.kind === 'user' ? `user:${principal.user.name}` : 'unknown', 'incident.status', String(params.id), { status: body.status }, req.ip);
        return { id: params.id, status: body.status };
      },
    }),
  ];
}
