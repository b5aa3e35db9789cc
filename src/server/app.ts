/**
 * The collector's HTTP server (fastify 5): security headers, cookies, body limits, one
 * plugin file per resource under routes/, errors answered as {error, code, message} with the
 * status from the error model, secrets redacted from logs. `buildServer` takes an open store
 * and any IngestSink (the direct write-through by default; the transport layer plugs in
 * JetStream), so tests and `minewatch server` build the same thing.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import { z } from 'zod';
import { MinewatchError } from '../util/errors.js';
import { eventWriter, type Enricher, type Store } from '../store/index.js';
import { directSink, type IngestSink } from '../transport/ingest.js';
import { authorise, resolvePrincipal, type Principal } from './auth.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { RateLimiter } from './limits.js';
import { DEFAULT_LIMITS, HttpError, type RouteDef, type ServerContext, type ServerLimits } from './route.js';
import { openApiDocument } from './openapi.js';
import { ROUTE_MODULES } from './routes/index.js';
import { INGEST_URL, keepReceivedJson, parseNdjson } from './routes/ingest.js';
import { findWebRoot, registerWeb } from './web.js';
import { LiveHub } from './live.js';

export interface ServerOptions {
  store: Store;
  /** Where ingested batches go (default: straight into the store). */
  sink?: IngestSink;
  enrich?: Enricher;
  /** Served over TLS (session cookies get Secure). */
  tls?: boolean;
  https?: { cert: Buffer; key: Buffer };
  limits?: Partial<ServerLimits>;
  /** fastify logger options; false for none (tests). Authorization and cookies are always redacted. */
  logger?: FastifyServerOptions['logger'];
  metrics?: ServerMetrics;
  /** The dashboard's build to serve at `/` (default: dist/web when built; false: none). */
  webRoot?: string | false;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

export const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'];

function statusOf(err: MinewatchError): number {
  switch (err.kind) {
    case 'input': case 'usage': case 'config': return 400;
    case 'unavailable': return 503;
    default: return 500;
  }
}

export async function buildServer(opts: ServerOptions): Promise<{ app: FastifyInstance; routes: RouteDef[]; context: ServerContext }> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const logger = opts.logger === undefined || opts.logger === false ? false
    : {
      ...(typeof opts.logger === 'object' ? opts.logger : {}),
      // headers are logged (they help with sensor problems), secrets in them never
      serializers: { req: (r: FastifyRequest) => ({ method: r.method, url: r.url, remoteAddress: r.ip, headers: r.headers }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    };
  const app = Fastify({
    logger,
    bodyLimit: limits.bodyLimit,
    // deep or huge JSON: the parser's own limits answer 400/413
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
    requestTimeout: 60_000,
    connectionTimeout: 60_000,
    ...(opts.https ? { https: opts.https } : {}),
  } as FastifyServerOptions) as unknown as FastifyInstance;

  const writer = opts.sink ? null : eventWriter(opts.store, { enrich: opts.enrich });
  const sink = opts.sink ?? directSink(writer!);
  const context: ServerContext = {
    store: opts.store,
    sink,
    metrics: opts.metrics ?? createMetrics(),
    limits: { login: new RateLimiter(limits.loginPerMinute), ingest: new RateLimiter(limits.ingestPerMinute) },
    tls: opts.tls ?? !!opts.https,
    scopesChanged: () => writer?.invalidate(),
    config: limits,
    document: null,
    live: new LiveHub(opts.store),
  };
  // open event streams would keep the server from closing
  app.addHook('preClose', async () => context.live.close());

  await app.register(helmet, {
    // upgrade-insecure-requests only over TLS: on plain HTTP (a LAN address) it would send the dashboard's own scripts to https
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"], objectSrc: ["'none'"], upgradeInsecureRequests: context.tls ? [] : null } },
    hsts: context.tls,
  });
  await app.register(cookie);
  app.decorateRequest('principal', null as never);

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) {
      void reply.code(err.status).headers(err.headers).send({ error: err.status < 500 ? 'request refused' : 'server error', code: err.code, message: err.message, ...err.extra });
      return;
    }
    if (err instanceof z.ZodError) {
      void reply.code(400).send({ error: 'request refused', code: 'request.invalid', message: 'the request does not match the API', issues: err.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })) });
      return;
    }
    if (err instanceof MinewatchError) {
      const status = statusOf(err);
      if (status >= 500) context.metrics.dbErrors.inc();
      void reply.code(status).headers(status === 503 ? { 'retry-after': '5' } : {}).send({ error: status < 500 ? 'request refused' : 'server error', code: err.code, message: err.message });
      return;
    }
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      void reply.code(e.statusCode).send({ error: 'request refused', code: `http.${(e.code ?? 'bad-request').toLowerCase()}`, message: e.message ?? 'bad request' });
      return;
    }
    if (typeof e.code === 'string' && (/^Z_/.test(e.code) || e.code === 'ERR_STREAM_PREMATURE_CLOSE')) {
      void reply.code(400).send({ error: 'request refused', code: 'request.bad-encoding', message: 'the request body could not be decoded (broken gzip or connection)' });
      return;
    }
    if (e instanceof RangeError || e instanceof SyntaxError) {
      void reply.code(400).send({ error: 'request refused', code: 'request.malformed', message: 'the request body could not be read' });
      return;
    }
    context.metrics.dbErrors.inc();
    req.log.error({ err }, 'request failed');
    // the database is away or busy: the client should come back, not give up
    if (typeof e.code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|57P0[1-3]|08\d\d\d|53300|SQLITE_BUSY|SQLITE_LOCKED)$/.test(e.code)) {
      void reply.code(503).headers({ 'retry-after': '5' }).send({ error: 'server error', code: 'db.unavailable', message: 'the database is unavailable: retry later' });
      return;
    }
    void reply.code(500).send({ error: 'server error', code: 'internal', message: 'internal error (see the server log)' });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'request refused', code: 'http.not-found', message: `no route ${req.method} ${req.url.split('?')[0].slice(0, 200)}` });
  });

  app.addContentTypeParser(['application/x-ndjson', 'application/jsonl'], { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseNdjson(body as string));
  });
  // JSON as fastify parses it (the same poisoning checks), keeping the received text for the
  // ingest route: a JetStream ingest node publishes those bytes instead of serialising again
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    void json(req, body as string, (err: Error | null, value?: unknown) => {
      if (!err && req.routeOptions.url === INGEST_URL) keepReceivedJson(req, body as string);
      done(err, value);
    });
  });

  const routes: RouteDef[] = ROUTE_MODULES.flatMap((m) => m(context) as RouteDef[]);
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      bodyLimit: r.bodyLimit ?? limits.bodyLimit,
      onRequest: async (req) => {
        req.principal = r.access === 'public' ? { kind: 'anonymous' } : await resolvePrincipal(opts.store, req);
        authorise(r.access, req.principal, req, r.url.startsWith('/api/v1/auth/'));
      },
      ...(r.preParsing ? { preParsing: async (req: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) => r.preParsing!(req, reply, payload) } : {}),
      handler: async (req, reply) => {
        const query = r.query ? r.query.parse(req.query ?? {}) : undefined;
        const params = r.params ? r.params.parse(req.params ?? {}) : undefined;
        const body = r.body && r.validateBody !== false ? r.body.parse(req.body) : req.body;
        const out = await r.handler({ query, params, body, principal: req.principal, req, reply });
        if (reply.sent) return reply;
        return out;
      },
    });
  }
  context.document = openApiDocument(routes);
  const webRoot = opts.webRoot === false ? null : opts.webRoot ?? findWebRoot();
  if (webRoot) await registerWeb(app, webRoot);
  return { app, routes, context };
}
