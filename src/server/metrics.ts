/**
 * Prometheus metrics (prom-client), one registry per server instance: ingest events by
 * result, batch latency, batches in flight, database errors, plus the process defaults.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServerMetrics {
  registry: Registry;
  events: Counter<'result'>;
  batches: Counter<'status'>;
  batchSeconds: Histogram;
  inFlight: Gauge;
  dbErrors: Counter;
}

export function createMetrics(defaults = true): ServerMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'minewatch_' });
  return {
    registry,
    events: new Counter({ name: 'minewatch_ingest_events_total', help: 'Ingested events by result (accepted, duplicate, rejected); rate() gives events/s', labelNames: ['result'], registers: [registry] }),
    batches: new Counter({ name: 'minewatch_ingest_batches_total', help: 'Ingest requests by HTTP status', labelNames: ['status'], registers: [registry] }),
    batchSeconds: new Histogram({
      name: 'minewatch_ingest_batch_seconds', help: 'Time from an ingest request to its durable commit (or queue ack)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    }),
    inFlight: new Gauge({ name: 'minewatch_ingest_queue_depth', help: 'Ingest batches accepted for writing and not yet committed', registers: [registry] }),
    dbErrors: new Counter({ name: 'minewatch_db_errors_total', help: 'Database errors while writing or reading', registers: [registry] }),
  };
}
