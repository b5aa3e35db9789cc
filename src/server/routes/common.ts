/** Query pieces shared by the read routes. */
import { z } from 'zod';

const TIME = /^(\d{1,16}|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?)$/;

/** Milliseconds since the epoch, or an ISO 8601 date/time. */
export const Time = z.string().max(40).regex(TIME, 'milliseconds since 1970 or an ISO 8601 time')
  .transform((s, ctx) => {
    const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(t)) {
      ctx.addIssue({ code: 'custom', message: 'not a time' });
      return z.NEVER;
    }
    return t;
  })
  .describe('milliseconds since 1970, or ISO 8601');

export const Limit = z.coerce.number().int().min(1).max(1000).optional().describe('items per page (default 100)');
export const Cursor = z.string().max(100).optional().describe('next_cursor of the previous page');
export const IntParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const Id = z.strictObject({ id: IntParam });

export const PageOf = (item: z.ZodType) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });
