/** GET /api/v1/incidents/:id/alerts: the evidence drill-down of an incident (its alerts, each alert's evidence) and its remediation advice. */
import { z } from 'zod';
import { alertsOfCause, getIncidentCause } from '../../store/index.js';
import { remediationFor } from '../../pipeline/remediation.js';
import { viewerOf } from '../auth.js';
import { evidencePage } from '../evidence.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Id } from './common.js';
import { EvidencePaging } from './device.js';

export default function evidenceRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/incidents/:id/alerts', tag: 'read', access: 'viewer', params: Id,
      summary: 'An incident\'s alerts with each alert\'s evidence (flow, times, bytes, what matched, payload excerpt), newest first, and the advice for its kind; partial when the time budget ended the page early',
      query: z.strictObject(EvidencePaging),
      errors: { 404: 'no such incident in your scope' },
      handler: async ({ params, query, principal }) => {
        const v = viewerOf(principal);
        const incident = await getIncidentCause(ctx.store, v, params.id);
        if (!incident) throw new HttpError(404, 'incident.unknown', `no incident ${params.id}`);
        const page = await alertsOfCause(ctx.store, v, { sensor_id: incident.sensor_id, signature_ids: [incident.signature_id], src_ip: incident.src_ip, from: incident.first_ms, to: incident.last_ms + 1 },
          { limit: query.limit, cursor: query.cursor, budgetMs: query.budget_ms });
        return { incident, remediation: remediationFor(incident.signature_id, incident.signature, incident.detector), ...evidencePage(page) };
      },
    }),
  ];
}
