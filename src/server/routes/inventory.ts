/** GET /api/v1/devices, /api/v1/sensors (with health), /api/v1/telescope, /api/v1/scans, /api/v1/scans/summary. */
import { z } from 'zod';
import { listDevices, listScanResults, listSensors, scanSummary, telescopeStats } from '../../store/index.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Cursor, IntParam, Limit, Time } from './common.js';

export default function inventoryRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/devices', tag: 'read', access: 'viewer', summary: 'Devices seen in events, most recently seen first',
      query: z.strictObject({ sensor_id: IntParam.optional(), limit: Limit, cursor: Cursor }),
      handler: async ({ query, principal }) => listDevices(ctx.store, viewerOf(principal), query),
    }),
    route({
      method: 'GET', url: '/api/v1/sensors', tag: 'read', access: 'viewer', summary: 'Sensors with their health (ok: sent within 5 minutes, stale: within a day, silent, never)',
      handler: async ({ principal }) => ({ items: await listSensors(ctx.store, viewerOf(principal)) }),
    }),
    route({
      method: 'GET', url: '/api/v1/telescope', tag: 'read', access: 'viewer',
      summary: 'Telescope interval statistics over a time range (sketches as base64, to be merged by the reader)',
      query: z.strictObject({ from: Time, to: Time, sensor_id: IntParam.optional(), limit: z.coerce.number().int().min(1).max(10_000).optional() }),
      handler: async ({ query, principal }) => {
        if (query.to <= query.from) throw new HttpError(400, 'query.range', '"to" must be after "from"');
        return telescopeStats(ctx.store, viewerOf(principal), query);
      },
    }),
    route({
      method: 'GET', url: '/api/v1/scans', tag: 'read', access: 'viewer', summary: 'Scan findings, newest first',
      query: z.strictObject({ from: Time.optional(), to: Time.optional(), limit: Limit, cursor: Cursor }),
      handler: async ({ query, principal }) => listScanResults(ctx.store, viewerOf(principal), query),
    }),
    route({
      method: 'GET', url: '/api/v1/scans/summary', tag: 'read', access: 'viewer',
      summary: 'Scanned hosts over a range: each host\'s services (latest scan) and findings with their fixes; partial when more than 20,000 rows fall in the range',
      query: z.strictObject({ from: Time, to: Time }),
      handler: async ({ query, principal }) => {
        if (query.to <= query.from) throw new HttpError(400, 'query.range', '"to" must be after "from"');
        return scanSummary(ctx.store, viewerOf(principal), { ...query, limit: 20_000 });
      },
    }),
  ];
}
