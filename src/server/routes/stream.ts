/**
 * GET /api/v1/stream: server-sent events for the dashboard — `incident` when an incident the
 * caller may see is created (live.ts), `ping` every few seconds. Authenticated like every read
 * route (the session cookie), per organisation. The stream ends after `timeout_s` (default 10
 * minutes); EventSource reconnects by itself.
 */
import { z } from 'zod';
import { viewerOf } from '../auth.js';
import { route, type ServerContext } from '../route.js';

export default function streamRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/stream', tag: 'read', access: 'viewer',
      summary: 'Server-sent events: "incident" for each new incident visible to the caller, "ping" every few seconds; ends after timeout_s',
      query: z.strictObject({ timeout_s: z.coerce.number().int().min(1).max(3600).optional() }),
      handler: async ({ query, principal, req, reply }) => {
        const orgId = viewerOf(principal).orgId;
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
        let open = true;
        let leave: (() => void) | null = null;
        const end = (): void => {
          if (!open) return;
          open = false;
          clearTimeout(timer);
          leave?.();
          res.end();
        };
        const send = (event: string, data: unknown): void => {
          if (open) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        const timer = setTimeout(end, (query.timeout_s ?? 600) * 1000);
        req.raw.on('close', end);
        res.write('retry: 3000\n\n');
        leave = await ctx.live.subscribe({ orgId, send, end });
        if (!open) leave();
        send('hello', { org: orgId });
      },
    }),
  ];
}
