/**
 * The OpenAPI 3.1 document, generated from the route declarations: the zod schemas that
 * validate each request become its parameters and request body (z.toJSONSchema), and the
 * route's access level becomes its security requirement and `x-minewatch-access`.
 */
import { z } from 'zod';
import type { RouteDef } from './route.js';

type Json = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): Json {
  const j = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete j.$schema;
  return j;
}

function parameters(s: z.ZodType | undefined, where: 'query' | 'path'): Json[] {
  if (!s) return [];
  const j = schemaOf(s, 'input');
  const props = (j.properties ?? {}) as Record<string, Json>;
  const required = new Set((j.required ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => ({
    name, in: where, required: where === 'path' || required.has(name), schema,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
  }));
}

const SECURITY: Record<string, Json[]> = {
  public: [],
  sensor: [{ sensorToken: [] }],
  user: [{ session: [] }],
  viewer: [{ session: [] }],
  analyst: [{ session: [] }],
  admin: [{ session: [] }],
};

export function openApiDocument(routes: readonly RouteDef[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const responses: Json = {
      '200': {
        description: 'success',
        ...(r.response ? { content: { 'application/json': { schema: schemaOf(r.response, 'output') } } } : {}),
      },
    };
    if (r.access !== 'public') {
      responses['401'] = { description: 'not signed in / no valid token' };
      responses['403'] = { description: 'signed in, but not allowed (role, token kind, CSRF)' };
    }
    if (r.query || r.params || r.body) responses['400'] = { description: 'the request does not match the API' };
    for (const [code, text] of Object.entries(r.errors ?? {})) responses[code] = { description: text };
    const op: Json = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').split(/[/.-]/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('')}`,
      summary: r.summary,
      tags: [r.tag],
      security: SECURITY[r.access],
      'x-minewatch-access': r.access,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses,
    };
    if (r.body) {
      const content: Json = { 'application/json': { schema: schemaOf(r.body, 'input') } };
      for (const t of r.bodyTypes ?? []) content[t] = { schema: { type: 'string' } };
      op.requestBody = { required: true, content };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'minewatch collector API', version: '1', description: 'Ingest from sensors, read API for dashboards and reports, identity and access. See docs/collector.md.' },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        sensorToken: { type: 'http', scheme: 'bearer', description: 'a sensor token from `minewatch admin token create` (ingest only)' },
        session: { type: 'apiKey', in: 'cookie', name: 'mw_session', description: 'from POST /api/v1/auth/login; writes also need the X-CSRF-Token header' },
      },
    },
  };
}
