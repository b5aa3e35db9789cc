/**
 * GET /api/v1/telescope/summary: the Telescope view's data over a time range, aggregated on
 * the server from the stored runs (one `telescope` event per run, see
 * telescope/summary-event.ts), in the caller's scope: the same presentation data the HTML
 * report draws (telescope/present.ts), never raw packets or events.
 */
import { z } from 'zod';
import { mergeTelescopeData, type TelescopeData } from '../../telescope/present.js';
import { telescopeRuns } from '../../store/index.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { IntParam, Time } from './common.js';

/** Runs merged per request at most: a longer range answers with the newest and says it is partial. */
export const MAX_TELESCOPE_RUNS = 200;

export default function telescopeRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/telescope/summary', tag: 'read', access: 'viewer',
      summary: 'Telescope view over a range: packets and hosts per interval, ports, countries, classes, families, victims, surges, alerts (merged from the stored runs)',
      query: z.strictObject({ from: Time, to: Time, sensor_id: IntParam.optional() }),
      handler: async ({ query, principal }) => {
        if (query.to <= query.from) throw new HttpError(400, 'query.range', '"to" must be after "from"');
        const rows = await telescopeRuns(ctx.store, viewerOf(principal), { ...query, limit: MAX_TELESCOPE_RUNS + 1 });
        const partial = rows.length > MAX_TELESCOPE_RUNS;
        const runs = rows.slice(0, MAX_TELESCOPE_RUNS);
        const views = runs.map((r) => r.summary.view).filter((v): v is TelescopeData => typeof v === 'object' && v !== null && Array.isArray((v as TelescopeData).intervals));
        return {
          runs: runs.length,
          runs_without_view: runs.length - views.length,
          partial,
          covered_from: runs.length > 0 ? Math.min(...runs.map((r) => r.start_ms)) : null,
          covered_to: runs.length > 0 ? Math.max(...runs.map((r) => r.end_ms)) : null,
          data: views.length > 0 ? mergeTelescopeData(views) : null,
        };
      },
    }),
  ];
}
