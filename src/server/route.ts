/**
 * How a route is declared: method, path, who may call it, and zod schemas for its query,
 * path parameters, body and answer. The same declaration registers the fastify route
 * (authentication before the body is read, then zod validation) and produces its OpenAPI
 * operation (openapi.ts), so the document cannot drift from what is enforced.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Role, SensorPrincipal, Store, User } from '../store/index.js';
import type { IngestSink } from '../transport/ingest.js';
import type { ServerMetrics } from './metrics.js';
import type { RateLimiter } from './limits.js';
import type { LiveHub } from './live.js';

/**
 * public: anyone; sensor: a sensor token; user: any signed-in user (even one who must still
 * change the password); a role: users with at least that role (viewer < analyst < admin).
 */
export type Access = 'public' | 'sensor' | 'user' | Role;

/** Who is calling (auth.ts resolves it). */
export type Principal =
  | { kind: 'anonymous' }
  | ({ kind: 'sensor' } & SensorPrincipal)
  | { kind: 'user'; user: User; csrf: string; cookie: string };

export interface Parsed<Q, P, B> {
  query: Q;
  params: P;
  body: B;
  principal: Principal;
  req: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteDef<Q = unknown, P = unknown, B = unknown> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** fastify syntax: /api/v1/incidents/:id */
  url: string;
  summary: string;
  tag: string;
  access: Access;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  body?: z.ZodType<B>;
  /** The 2xx answer (documentation). */
  response?: z.ZodType;
  /** Content types besides application/json the body may have (documentation). */
  bodyTypes?: string[];
  bodyLimit?: number;
  /** false: the handler validates the body itself (ingest: per-event reasons). */
  validateBody?: boolean;
  /** Runs after authentication, before the body is read; may replace the raw body stream (ingest: admission, gzip decoding). */
  preParsing?: (req: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) => Promise<NodeJS.ReadableStream>;
  /** Extra answers worth documenting: status → description. */
  errors?: Record<number, string>;
  handler(r: Parsed<Q, P, B>): Promise<unknown>;
}

/** What route modules get from the server. */
export interface ServerContext {
  store: Store;
  sink: IngestSink;
  metrics: ServerMetrics;
  limits: { login: RateLimiter; ingest: RateLimiter };
  tls: boolean;
  /** Organisations or sensors changed: writers reload their scope tables. */
  scopesChanged(): void;
  config: ServerLimits;
  /** The OpenAPI document (set once every route is declared). */
  document: unknown;
  /** Live updates (server-sent events) for the dashboard. */
  live: LiveHub;
}

export interface ServerLimits {
  /** Largest request body, bytes (after gzip decoding for ingest). */
  bodyLimit: number;
  /** Largest ingest body, bytes after decoding. */
  ingestBodyLimit: number;
  /** Most events in one ingest request. */
  maxBatchEvents: number;
  /** Ingest requests being read or written at once before 429 (bounds memory: at most this many bodies). */
  maxInFlight: number;
  /** Ingest requests per sensor per minute before 429. */
  ingestPerMinute: number;
  /** Login attempts per client address per minute before 429. */
  loginPerMinute: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  bodyLimit: 64 * 1024,
  ingestBodyLimit: 8 * 1024 * 1024,
  maxBatchEvents: 5000,
  maxInFlight: 32,
  ingestPerMinute: 6000,
  loginPerMinute: 10,
};

/** Helper keeping the generic types of one route together. */
export function route<Q = undefined, P = undefined, B = undefined>(def: RouteDef<Q, P, B>): RouteDef<Q, P, B> {
  return def;
}

/** An HTTP error with a stable code (answered as {error, code, message}). */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}
