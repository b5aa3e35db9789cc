/**
 * `minewatch server` as a library: open (and migrate) the store, create the first admin on
 * an empty database, build the app, listen, run retention every minute, close cleanly.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ConfigError, UnavailableError } from '../util/errors.js';
import { applyRetention, ensureFirstAdmin, openStore, parseDatabaseUrl, type Enricher, type RetentionPolicy, type Store } from '../store/index.js';
import type { IngestSink } from '../transport/ingest.js';
import { buildServer, type ServerOptions } from './app.js';
import { geoEnricher } from './enrich.js';

export interface StartOptions {
  /** postgres://… or sqlite:PATH (default: the SQLite file under $XDG_DATA_HOME/minewatch/). */
  db?: string;
  /** HOST:PORT (default 127.0.0.1:8080; [::1]:PORT for IPv6). */
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  geoipDb?: string;
  asnDb?: string;
  /** Skip country/AS enrichment. */
  noGeo?: boolean;
  retention?: RetentionPolicy;
  sink?: IngestSink;
  limits?: ServerOptions['limits'];
  logger?: ServerOptions['logger'];
  /** Where the first-start message (the one-time admin password) goes. */
  notice?: (text: string) => void;
}

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  url: string;
  close(): Promise<void>;
}

export function parseListen(s: string | undefined): { host: string; port: number } {
  if (!s) return { host: '127.0.0.1', port: 8080 };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError('listen.bad', `--listen ${s}: expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080`, { subject: '--listen' });
  return { host: m[1] ?? m[2], port };
}

export async function startServer(o: StartOptions = {}): Promise<RunningServer> {
  const { host, port } = parseListen(o.listen);
  let https: { cert: Buffer; key: Buffer } | undefined;
  if (o.tlsCert || o.tlsKey) {
    if (!o.tlsCert || !o.tlsKey) throw new ConfigError('tls.pair', '--tls-cert and --tls-key go together', { subject: o.tlsCert ? '--tls-key' : '--tls-cert' });
    try {
      https = { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) };
    } catch (err) {
      throw new ConfigError('tls.read', `cannot read the TLS certificate or key: ${(err as Error).message}`, { subject: '--tls-cert' });
    }
  }
  let enrich: Enricher | undefined;
  if (!o.noGeo) {
    try {
      enrich = geoEnricher({ geoipDb: o.geoipDb, asnDb: o.asnDb });
    } catch (err) {
      throw new ConfigError('geo.open', (err as Error).message, { subject: o.geoipDb ? '--geoip-db' : '--asn-db' });
    }
  }
  const store = await openStore(parseDatabaseUrl(o.db));
  try {
    const password = await ensureFirstAdmin(store);
    if (password) {
      (o.notice ?? ((t) => process.stderr.write(t)))(
        `minewatch: first start: created the user "admin" with the one-time password\n\n    ${password}\n\n` +
        'It is shown only now. Sign in and change it (POST /api/v1/auth/password), or from the shell:\n' +
        `    minewatch admin${o.db ? ` --db ${o.db}` : ''} user passwd admin --password-stdin\n`,
      );
    }
    const { app, context } = await buildServer({ store, sink: o.sink, enrich, https, tls: !!https, limits: o.limits, logger: o.logger ?? false });
    try {
      await app.listen({ host, port });
    } catch (err) {
      await app.close();
      throw new UnavailableError('listen.failed', `cannot listen on ${host}:${port}: ${(err as Error).message}`, { subject: '--listen', cause: err });
    }
    // retention every minute, in bounded chunks (again at once while it is behind)
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    const tick = async () => {
      if (stopped) return;
      let again = false;
      try {
        again = !(await applyRetention(store, o.retention)).done;
      } catch (err) {
        context.metrics.dbErrors.inc();
        app.log.error({ err }, 'retention failed');
      }
      if (!stopped) timer = setTimeout(() => void tick(), again ? 1_000 : 60_000).unref();
    };
    timer = setTimeout(() => void tick(), 5_000).unref();
    const addr = app.server.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    const url = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    return {
      app, store, url,
      async close() {
        stopped = true;
        if (timer) clearTimeout(timer);
        await app.close();
        await context.sink.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}
