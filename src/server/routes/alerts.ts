/**
 * GET /api/v1/alerts (events of one type, alerts by default), GET /api/v1/counts (roll-ups) and
 * GET /api/v1/overview (the overview's series by detector and the mining share, from roll-ups).
 */
import { z } from 'zod';
import { counts, listEvents, overview } from '../../store/index.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Cursor, IntParam, Limit, Time } from './common.js';

const Filters = {
  from: Time.optional(), to: Time.optional(),
  sensor_id: IntParam.optional(), signature_id: IntParam.optional(), severity: z.coerce.number().int().min(0).max(4).optional(),
  country: z.string().regex(/^[A-Z]{2}$/).optional(), asn: IntParam.optional(),
  event_type: z.string().regex(/^[a-z0-9_-]{1,32}$/).optional(),
  detector: z.string().max(64).optional(),
};

/** Buckets one overview answers at most (a year of days, or 60 days of hours). */
export const MAX_OVERVIEW_BUCKETS = 1500;

export default function alertRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/alerts', tag: 'read', access: 'viewer',
      summary: 'Alerts (or other events with event_type) newest first, filtered, cursor-paged; total from the roll-ups when the filter allows',
      query: z.strictObject({
        ...Filters,
        src_ip: z.string().max(45).optional(), dest_ip: z.string().max(45).optional(),
        limit: Limit, cursor: Cursor,
      }),
      response: z.object({ items: z.array(z.object({ id: z.number(), ts: z.number(), sensor_id: z.number(), country: z.string().nullable(), asn: z.number().nullable(), event: z.unknown() })), next_cursor: z.string().nullable(), total: z.number().nullable() }),
      handler: async ({ query, principal }) => listEvents(ctx.store, viewerOf(principal), query),
    }),
    route({
      method: 'GET', url: '/api/v1/counts', tag: 'read', access: 'viewer',
      summary: 'Event counts from the hourly or daily roll-ups, grouped by time, type, signature, severity, country, AS, sensor or detector',
      query: z.strictObject({
        ...Filters,
        granularity: z.enum(['hour', 'day']).optional(),
        group_by: z.enum(['none', 'time', 'event_type', 'signature_id', 'severity', 'country', 'asn', 'sensor_id', 'detector']).optional(),
        limit: z.coerce.number().int().min(1).max(10_000).optional(),
      }),
      response: z.object({ rows: z.array(z.object({ key: z.union([z.string(), z.number(), z.null()]), count: z.number() })) }),
      handler: async ({ query, principal }) => ({ rows: await counts(ctx.store, viewerOf(principal), query) }),
    }),
    route({
      method: 'GET', url: '/api/v1/overview', tag: 'read', access: 'viewer',
      summary: 'Alerts and incidents opened per hour or day per detector, and the share of events raised by mining detectors (from the roll-ups)',
      query: z.strictObject({ from: Time, to: Time, granularity: z.enum(['hour', 'day']) }),
      response: z.object({
        granularity: z.enum(['hour', 'day']), step: z.number(),
        detectors: z.array(z.object({
          detector: z.string().describe("'' for events without a detector"), mining: z.boolean(), alerts: z.number(), incidents: z.number(),
          points: z.array(z.tuple([z.number(), z.number(), z.number()])).describe('[bucket start ms, alerts, incidents opened], empty buckets left out'),
        })),
        events: z.number(), alerts: z.number(), mining_events: z.number(), mining_share: z.number().nullable(), mining_detectors: z.array(z.string()),
      }),
      handler: async ({ query, principal }) => {
        if (query.to <= query.from) throw new HttpError(400, 'query.range', '"to" must be after "from"');
        const step = query.granularity === 'day' ? 86_400_000 : 3_600_000;
        if ((query.to - query.from) / step > MAX_OVERVIEW_BUCKETS) {
          throw new HttpError(400, 'query.range', `at most ${MAX_OVERVIEW_BUCKETS} buckets: use granularity=day or a shorter range`);
        }
        return overview(ctx.store, viewerOf(principal), query);
      },
    }),
  ];
}
