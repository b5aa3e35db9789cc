/**
 * `minewatch server --nats nats://… [--role ingest|writer|all]`: the scale-out roles.
 * - ingest: the HTTP collector with a JetStreamSink: a sensor's batch is acknowledged once
 *   JetStream stored it (on every replica of the stream).
 * - writer: no HTTP; one of any number of writer instances draining the stream's durable
 *   consumer into the database (ack after commit).
 * - all: both in one process (a single machine with NATS beside it).
 * Logic is in transport/jetstream.ts; this file only wires it to the store and the server.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { UsageError } from '../util/errors.js';
import { eventWriter, openStore, parseDatabaseUrl, type Enricher, type Store } from '../store/index.js';
import { connectNats, ensureIngestStream, JetStreamSink, JetStreamWriter, type IngestStreamOptions } from '../transport/jetstream.js';
import { geoEnricher } from './enrich.js';
import { startServer, type RunningServer, type StartOptions } from './start.js';

export type ScaleRole = 'ingest' | 'writer' | 'all';
export const SCALE_ROLES: readonly ScaleRole[] = ['ingest', 'writer', 'all'];

export interface ScaleOptions extends IngestStreamOptions {
  /** NATS server URLs, comma-separated (any nodes of the cluster). */
  nats: string;
  role: ScaleRole;
  /** Durable consumer the writers share. */
  durable?: string;
  /** Writes in flight per writer instance (default 1 on SQLite, 4 on PostgreSQL). */
  writerInFlight?: number;
  log?: (line: string) => void;
}

export interface RunningScaleOut {
  /** The HTTP server (ingest and all roles). */
  server?: RunningServer;
  /** The ingest nodes' sink (its stats count publish retries through leader elections). */
  sink?: JetStreamSink;
  writer?: JetStreamWriter;
  nc: NatsConnection;
  close(): Promise<void>;
}

export async function startScaleOut(start: StartOptions, o: ScaleOptions): Promise<RunningScaleOut> {
  if (!SCALE_ROLES.includes(o.role)) throw new UsageError(`--role must be one of ${SCALE_ROLES.join(', ')} (got "${o.role}")`, 'usage.bad-role', { subject: '--role' });
  const nc = await connectNats(o.nats, `minewatch-${o.role}`);
  let server: RunningServer | undefined;
  let store: Store | undefined;
  let writer: JetStreamWriter | undefined;
  const sink = o.role !== 'writer' ? new JetStreamSink(nc, { subjectPrefix: o.subjectPrefix }) : undefined;
  try {
    await ensureIngestStream(nc, o);
    if (sink) server = await startServer({ ...start, sink });
    if (o.role !== 'ingest') {
      const own = !server;
      store = server?.store ?? await openStore(parseDatabaseUrl(start.db));
      let enrich: Enricher | undefined;
      if (!start.noGeo) enrich = geoEnricher({ geoipDb: start.geoipDb, asnDb: start.asnDb });
      writer = new JetStreamWriter(nc, eventWriter(store, { enrich }), {
        stream: o.stream, durable: o.durable, maxInFlight: o.writerInFlight ?? (store.dialect === 'sqlite' ? 1 : 4), ...(o.log ? { log: o.log } : {}),
      });
      await writer.start();
      if (!own) store = undefined; // the server closes its own store
    }
  } catch (err) {
    await writer?.stop().catch(() => {});
    await server?.close().catch(() => {});
    await store?.close().catch(() => {});
    await nc.close().catch(() => {});
    throw err;
  }
  return {
    server, sink, writer, nc,
    async close() {
      await writer?.stop(); // finish and ack the writes in flight
      await server?.close();
      await store?.close();
      await nc.drain().catch(() => {});
    },
  };
}
