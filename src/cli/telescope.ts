/**
 * `minewatch telescope <capture|dir...> --darknet CIDR[,CIDR…]` (or `--interface IF`) and
 * `minewatch telescope merge a.json b.json`: darknet aggregation. Thin: parses options,
 * calls the telescope library, writes the outputs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { TelescopeReport } from '../telescope/report.js';
import type { TelescopeOptions } from '../telescope/run.js';
import type { TelescopeState } from '../telescope/state.js';
import { UsageError } from './errors.js';
import { withSendOptions } from './send-options.js';

// The telescope library (and the report, HTML, CSV and geo code under it) is loaded only when
// a telescope command runs: every other command, --help and --version start without it.

/** "1h", "30m", "90s", "1d" or plain seconds → seconds. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--interval must look like 1h, 30m, 300s or 1d (got "${text}")`);
  const mult = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const s = Number(m[1]) * mult;
  if (!Number.isInteger(s) || s < 1 || s > 366 * 86400) throw new UsageError(`--interval must be a whole number of seconds from 1 s to 366 d (got "${text}")`);
  return s;
}

async function writeOutputs(report: TelescopeReport, o: Record<string, unknown>, state: TelescopeState): Promise<void> {
  if (o.json) {
    const text = JSON.stringify(report) + '\n';
    if (o.json === '-') process.stdout.write(text); else writeFileSync(o.json as string, text);
  }
  if (o.report) {
    const { renderHtmlReport } = await import('../telescope/html.js');
    writeFileSync(o.report as string, renderHtmlReport(report));
  }
  if (o.csv) {
    const { writeCsvTables } = await import('../telescope/csv.js');
    writeCsvTables(report, state, o.csv as string);
  }
  if (o.eve) {
    const text = report.alerts.map((a) => JSON.stringify(a)).join('\n') + (report.alerts.length > 0 ? '\n' : '');
    if (o.eve === '-') process.stdout.write(text); else writeFileSync(o.eve as string, text);
  }
}

export function register(program: Command): void {
  const cmd = withSendOptions(program.command('telescope'))
    .description('darknet (network telescope) analysis: packets and hosts over time, ports, countries, AS, scanner families, backscatter, spoofing; owner and internal-darknet alerts')
    .argument('[captures...]', 'capture files or directories')
    .option('--darknet <cidrs>', 'darknet address ranges, comma-separated (packets to other destinations are ignored and counted)')
    .option('--interval <duration>', 'aggregation interval (1h, 30m, 300s, 1d)', '1h')
    .option('-i, --interface <name>', 'capture live from a network interface until interrupted')
    .option('-f, --filter <bpf>', 'BPF filter for live capture')
    .option('--json <file>', "write the JSON output (with mergeable sketches) to FILE, or '-' for stdout")
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--csv <dir>', 'write one CSV file per table into DIR')
    .option('--eve <file>', "write alert events (EVE JSON lines) to FILE, or '-'")
    .option('--watch <file>', 'organisations and their address ranges ("Name: CIDR, CIDR" per line): alert when they appear as darknet sources')
    .option('--internal', 'internal darknet: the ranges are unused space inside your network; alert on every host touching them')
    .option('--geoip-db <file>', 'MaxMind-format country database (overrides the bundled iptoasn country data)')
    .option('--asn-db <file>', 'AS range CSV "start,end,asn,org" (overrides the bundled @ip-location-db/asn data)')
    .option('--no-geo', 'skip country and AS attribution')
    .option('-w, --workers <n|auto>', 'worker threads (1 = single-threaded)', 'auto')
    .option('--max-sources <n>', 'sources tracked individually (beyond: sketches only)')
    .option('--sensor <name>', 'sensor name recorded in alerts')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (captures: string[], o: Record<string, unknown>) => {
      if (!o.darknet) throw new UsageError('--darknet CIDR[,CIDR…] is required (the unused address space this sensor watches)');
      if (!o.interface && captures.length === 0) throw new UsageError('give at least one capture file or directory, or --interface IF (see minewatch telescope --help)');
      if (o.interface && captures.length > 0) throw new UsageError('give capture files or --interface, not both');
      const darknets = String(o.darknet).split(',').map((s) => s.trim()).filter((s) => s !== '');
      const { runTelescope, parseDarknets } = await import('../telescope/run.js');
      try {
        parseDarknets(darknets);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (o.watch) {
        const { loadWatchList } = await import('../telescope/watch.js');
        try {
          loadWatchList(o.watch as string);
        } catch (err) {
          throw new UsageError(`--watch ${String(o.watch)}: ${(err as Error).message}`);
        }
      }
      let workers: number | 'auto' = 'auto';
      if (o.workers !== 'auto') {
        workers = Number(o.workers);
        if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers must be an integer from 1 to 64 or "auto" (got "${String(o.workers)}")`);
      }
      let maxSources: number | undefined;
      if (o.maxSources !== undefined) {
        maxSources = Number(o.maxSources);
        if (!Number.isInteger(maxSources) || maxSources < 1000 || maxSources > 100_000_000) throw new UsageError('--max-sources must be an integer from 1000 to 100000000');
      }
      const opts: TelescopeOptions = {
        inputs: captures, interface: o.interface as string | undefined, filter: o.filter as string | undefined, darknets,
        intervalS: parseInterval(String(o.interval)), workers, geoipDb: o.geoipDb as string | undefined, asnDb: o.asnDb as string | undefined,
        noGeo: o.geo === false, watchFile: o.watch as string | undefined, internal: o.internal === true, maxSources, sensor: o.sensor as string | undefined,
      };
      const { openSender, sendEvents, finishSending } = await import('../transport/send.js');
      const sender = openSender(o, 'telescope');
      let run;
      try {
        run = await runTelescope(opts);
      } catch (err) {
        const m = (err as Error).message;
        if (/^cannot read country database|^AS database|--darknet/.test(m)) throw new UsageError(m);
        throw err;
      }
      const { buildReport } = await import('../telescope/report.js');
      const report = buildReport(run.state);
      await writeOutputs(report, o, run.state);
      sendEvents(sender, report.alerts);
      await finishSending(sender, o);
      if (!o.quiet && o.json !== '-' && o.eve !== '-') {
        const { formatTelescopeSummary } = await import('../telescope/summary-text.js');
        process.stdout.write(formatTelescopeSummary(report, run));
      }
    });

  cmd
    .command('merge')
    .description('merge --json outputs of several runs or sensors into one (same totals as one run over all inputs)')
    .argument('<files...>', 'telescope JSON files')
    .option('-o, --output <file>', "merged JSON output (default '-' = stdout)", '-')
    .option('--report <file>', 'also write the HTML report')
    .option('--csv <dir>', 'also write the CSV tables')
    .action(async (files: string[], o: Record<string, unknown>) => {
      const docs = files.map((f) => {
        let text: string;
        try {
          text = readFileSync(f, 'utf8');
        } catch {
          throw new UsageError(`cannot read ${f}`);
        }
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new UsageError(`${f} is not JSON`);
        }
      });
      const { buildReport, mergeReports } = await import('../telescope/report.js');
      let state;
      try {
        state = mergeReports(docs);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const report = buildReport(state);
      await writeOutputs(report, { json: o.output, report: o.report, csv: o.csv }, state);
    });
}
