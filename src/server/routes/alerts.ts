/** GET /api/v1/alerts (events of one type, alerts by default) and GET /api/v1/counts (roll-ups). */
import { z } from 'zod';
import { counts, listEvents } from '../../store/index.js';
import { viewerOf } from '../auth.js';
import { route, type ServerContext } from '../route.js';
import { Cursor, IntParam, Limit, Time } from './common.js';

const Filters = {
  from: Time.optional(), to: Time.optional(),
  sensor_id: IntParam.optional(), signature_id: IntParam.optional(), severity: z.coerce.number().int().min(0).max(4).optional(),
  country: z.string().regex(/^[A-Z]{2}$/).optional(), asn: IntParam.optional(),
  event_type: z.string().regex(/^[a-z0-9_-]{1,32}$/).optional(),
};

export default function alertRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/alerts', tag: 'read', access: 'viewer',
      summary: 'Alerts (or other events with event_type) newest first, filtered, cursor-paged; total from the roll-ups when the filter allows',
      query: z.strictObject({
        ...Filters,
        src_ip: z.string().max(45).optional(), dest_ip: z.string().max(45).optional(), detector: z.string().max(64).optional(),
        limit: Limit, cursor: Cursor,
      }),
      response: z.object({ items: z.array(z.object({ id: z.number(), ts: z.number(), sensor_id: z.number(), country: z.string().nullable(), asn: z.number().nullable(), event: z.unknown() })), next_cursor: z.string().nullable(), total: z.number().nullable() }),
      handler: async ({ query, principal }) => listEvents(ctx.store, viewerOf(principal), query),
    }),
    route({
      method: 'GET', url: '/api/v1/counts', tag: 'read', access: 'viewer',
      summary: 'Event counts from the hourly or daily roll-ups, grouped by time, type, signature, severity, country, AS or sensor',
      query: z.strictObject({
        ...Filters,
        granularity: z.enum(['hour', 'day']).optional(),
        group_by: z.enum(['none', 'time', 'event_type', 'signature_id', 'severity', 'country', 'asn', 'sensor_id']).optional(),
        limit: z.coerce.number().int().min(1).max(10_000).optional(),
      }),
      response: z.object({ rows: z.array(z.object({ key: z.union([z.string(), z.number(), z.null()]), count: z.number() })) }),
      handler: async ({ query, principal }) => ({ rows: await counts(ctx.store, viewerOf(principal), query) }),
    }),
  ];
}
