/** `minewatch report trends --from --to --by month|week`: trend statistics from the collector's store (campaigns/trends.ts). */
import type { Command } from 'commander';
import { UsageError } from '../util/errors.js';
import { checkOutputs, writeOutput } from './outputs.js';

export function register(program: Command): void {
  const report = program.command('report').description('reports from the collector\'s store');
  report.command('trends')
    .description('mining share of security events per period and its change, detections by country/detector/device type, darknet packets, sources and top ports')
    .requiredOption('--from <time>', 'first day (ISO 8601, e.g. 2026-07-01)')
    .requiredOption('--to <time>', 'end, exclusive (ISO 8601)')
    .option('--by <period>', 'month or week', 'month')
    .option('-f, --format <fmt>', 'md, json or html (self-contained, charts as inline SVG)', 'md')
    .option('-o, --output <file>', "file, or '-' for stdout", '-')
    .option('--asn-db <file>', 'AS range CSV "start,end,asn,org" for AS sizes (default: the bundled @ip-location-db/asn data)')
    .option('--db <url>', 'collector database: postgres://USER@HOST/DB or sqlite:PATH (default: $XDG_DATA_HOME/minewatch/minewatch.db)')
    .action(async (o: { from: string; to: string; by: string; format: string; output: string; db?: string; asnDb?: string }) => {
      const from = Date.parse(o.from);
      const to = Date.parse(o.to);
      if (!Number.isFinite(from)) throw new UsageError(`--from: "${o.from}" is not an ISO 8601 date`, 'usage.bad-value', { subject: '--from' });
      if (!Number.isFinite(to) || to <= from) throw new UsageError(`--to: "${o.to}" is not an ISO 8601 date after --from`, 'usage.bad-value', { subject: '--to' });
      if (o.by !== 'month' && o.by !== 'week') throw new UsageError(`--by must be month or week (got "${o.by}")`, 'usage.bad-value', { subject: '--by' });
      if (o.format !== 'md' && o.format !== 'json' && o.format !== 'html') throw new UsageError(`--format must be md, json or html (got "${o.format}")`, 'usage.bad-value', { subject: '--format' });
      checkOutputs([{ option: '--output', path: o.output }]);
      const { openStore, parseDatabaseUrl } = await import('../store/open.js');
      const { trendReport, trendMarkdown } = await import('../campaigns/trends.js');
      const store = await openStore(parseDatabaseUrl(o.db));
      try {
        const { asSizeLookup } = await import('../campaigns/as-size.js');
        const r = await trendReport(store, { from, to, by: o.by, asSize: asSizeLookup(o.asnDb) });
        if (o.format === 'html') {
          const { trendHtml } = await import('../campaigns/trends-html.js');
          writeOutput(o.output, trendHtml(r));
        } else writeOutput(o.output, o.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : trendMarkdown(r));
      } finally {
        await store.close();
      }
    });
}
