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
    .option('--log', 'log requests (JSON lines on stdout; secrets redacted)')
    .action(async (o: { db?: string; listen: string; tlsCert?: string; tlsKey?: string; geoipDb?: string; asnDb?: string; geo: boolean; retentionDays: string; retentionBytes: string; log?: boolean }) => {
      const { startServer } = await import('../server/start.js');
      const { UsageError } = await import('../util/errors.js');
      const days = Number(o.retentionDays);
      const bytes = Number(o.retentionBytes);
      if (!(days > 0) || !(bytes >= 0)) throw new UsageError('--retention-days must be > 0 and --retention-bytes >= 0', 'usage.retention', { subject: '--retention-days' });
      const s = await startServer({
        db: o.db, listen: o.listen, tlsCert: o.tlsCert, tlsKey: o.tlsKey, geoipDb: o.geoipDb, asnDb: o.asnDb, noGeo: !o.geo,
        retention: { eventsMaxAgeDays: days, eventsMaxBytes: bytes }, logger: o.log ? { level: 'info' } : false,
      });
      process.stderr.write(`minewatch: collector listening on ${s.url} (database: ${s.store.dialect} ${s.store.dialect === 'sqlite' ? s.store.location.target : ''})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.stderr.write('minewatch: stopping the collector\n');
      await s.close();
    });
}
