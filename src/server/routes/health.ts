/** GET /healthz (the database answers), GET /metrics (Prometheus), GET /openapi.json. */
import { sql } from 'kysely';
import { z } from 'zod';
import { HttpError, route, type ServerContext } from '../route.js';

export default function healthRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/healthz', tag: 'health', access: 'public', summary: 'Liveness and database reachability',
      response: z.object({ status: z.literal('ok'), database: z.enum(['sqlite', 'postgres']) }),
      errors: { 503: 'the database does not answer' },
      handler: async () => {
        try {
          await sql`SELECT 1`.execute(ctx.store.read);
        } catch {
          ctx.metrics.dbErrors.inc();
          throw new HttpError(503, 'health.database', 'the database does not answer', { 'retry-after': '5' });
        }
        return { status: 'ok' as const, database: ctx.store.dialect };
      },
    }),
    route({
      method: 'GET', url: '/metrics', tag: 'health', access: 'public', summary: 'Prometheus metrics: ingest events/s, batch latency, queue depth, database errors',
      handler: async ({ reply }) => {
        void reply.header('content-type', ctx.metrics.registry.contentType);
        return ctx.metrics.registry.metrics();
      },
    }),
    route({
      method: 'GET', url: '/openapi.json', tag: 'health', access: 'public', summary: 'This API as OpenAPI 3.1 (generated from the schemas that validate requests)',
      handler: async () => ctx.document,
    }),
  ];
}
