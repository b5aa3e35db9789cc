/** `minewatch server`: the collector (ingest, read API, accounts). Logic in src/server/start.ts. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('server')
    .description('run the collector: sensors POST events to /api/v1/ingest, dashboards read /api/v1/… (docs/collector.md)')
    .option('--db <url>', 'postgres://USER@HOST/DB or sqlite:PATH (default: $XDG_DATA_HOME/minewatch/minewatch.db)')
    .option('--listen <host:port>', 'address to serve on', '127.0.0.1:8080')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); session cookies become Secure')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
    .option('--geoip-db <file>', 'MaxMind-format country database (default: the bundled iptoasn country data)')
    .option('--asn-db <file>', 'AS range CSV "start,end,asn,org" (default: the bundled @ip-location-db/asn data)')
    .option('--no-geo', 'do not look up country and AS of event addresses')
    .option('--retention-days <n>', 'keep raw events this many days (roll-ups are kept longer)', '14')
    .option('--retention-bytes <n>', 'also delete the oldest raw events while they take more than this many bytes (0: no limit)', '0')
    .option('--max-inflight <n>', 'ingest requests read or written at once before 429', '32')
    .option('--ingest-rate <n>', 'ingest requests per sensor per minute before 429', '6000')
    .option('--log', 'log requests (JSON lines on stdout; secrets redacted)')
    .option('--nats <urls>', 'scale out over NATS JetStream (nats://host:4222,…; docs/scale.md)')
    .option('--role <role>', 'with --nats: ingest (HTTP, publish to JetStream), writer (drain the stream into --db) or all', 'all')
    .option('--nats-replicas <n>', 'with --nats: copies of the ingest stream in the NATS cluster (3 in production)', '1')
    .action(async (o: { nats?: string; role: string; natsReplicas: string; db?: string; listen: string; tlsCert?: string; tlsKey?: string; geoipDb?: string; asnDb?: string; geo: boolean; retentionDays: string; retentionBytes: string; maxInflight: string; ingestRate: string; log?: boolean }) => {
      const { startServer } = await import('../server/start.js');
      const { UsageError } = await import('../util/errors.js');
      const days = Number(o.retentionDays);
      const bytes = Number(o.retentionBytes);
      if (!(days > 0) || !(bytes >= 0)) throw new UsageError('--retention-days must be > 0 and --retention-bytes >= 0', 'usage.retention', { subject: '--retention-days' });
      const maxInFlight = Number(o.maxInflight);
      const ingestPerMinute = Number(o.ingestRate);
      if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || !Number.isInteger(ingestPerMinute) || ingestPerMinute < 1) {
        throw new UsageError('--max-inflight and --ingest-rate must be whole numbers of at least 1', 'usage.limits', { subject: '--max-inflight' });
      }
      const startOpts = {
        db: o.db, listen: o.listen, tlsCert: o.tlsCert, tlsKey: o.tlsKey, geoipDb: o.geoipDb, asnDb: o.asnDb, noGeo: !o.geo,
        retention: { eventsMaxAgeDays: days, eventsMaxBytes: bytes }, limits: { maxInFlight, ingestPerMinute }, logger: o.log ? { level: 'info' as const } : false as const,
      };
      if (!o.nats && (o.role !== 'all' || o.natsReplicas !== '1')) throw new UsageError('--role and --nats-replicas go with --nats', 'usage.nats-missing', { subject: '--role' });
      const { startScaleOut } = await import('../server/scale.js');
      const scaled = o.nats ? await startScaleOut(startOpts, { nats: o.nats, role: o.role as 'all', replicas: Number(o.natsReplicas) }) : null;
      const s = scaled ? scaled.server : await startServer(startOpts);
      if (s) process.stderr.write(`minewatch: collector listening on ${s.url} (database: ${s.store.dialect} ${s.store.dialect === 'sqlite' ? s.store.location.target : ''}${o.nats ? `; ${o.role === 'all' ? 'ingest and writer' : 'ingest'} over NATS ${o.nats}` : ''})\n`);
      else process.stderr.write(`minewatch: JetStream writer draining NATS ${o.nats} into the database\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.stderr.write('minewatch: stopping the collector\n');
      await (scaled ?? s)!.close();
    });
}
