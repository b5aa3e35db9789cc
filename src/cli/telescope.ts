/**
 * `minewatch telescope <capture|dir...> --darknet CIDR[,CIDR…]` (or `--interface IF`) and
 * `minewatch telescope merge a.json b.json`: darknet aggregation. Thin: parses options,
 * calls the telescope library, writes the outputs.
 */
import { Option, type Command } from 'commander';
import type { TelescopeReport } from '../telescope/report.js';
import type { TelescopeOptions } from '../telescope/run.js';
import type { TelescopeState } from '../telescope/state.js';
import { UsageError } from '../util/errors.js';
import { parseConfigJson, readConfigText } from '../util/config.js';
import { parseIntOption, parseInterval, parseWorkers } from './options.js';
import { checkOutputs, stdoutClaimed, writeOutput, type OutputTarget } from './outputs.js';
import { withSendOptions } from './send-options.js';

// The telescope library (and the report, HTML, CSV and geo code under it) is loaded only when
// a telescope command runs: every other command, --help and --version start without it.

export { parseInterval };

interface TelescopeOutputs { json?: string; html?: string; csv?: string; eve?: string }

function outputTargets(o: TelescopeOutputs): OutputTarget[] {
  return [
    { option: '--json', path: o.json },
    { option: '--html', path: o.html },
    { option: '--csv', path: o.csv, dir: true },
    { option: '--eve', path: o.eve },
  ];
}

/** --html is the name; --report (the old one) stays as a hidden alias. */
function htmlPath(o: Record<string, unknown>): string | undefined {
  if (o.html !== undefined && o.report !== undefined) throw new UsageError('give --html once (--report is its old name)', 'usage.conflict', { subject: '--html' });
  return (o.html ?? o.report) as string | undefined;
}

async function writeOutputs(report: TelescopeReport, o: TelescopeOutputs, state: TelescopeState): Promise<void> {
  if (o.json) writeOutput(o.json, JSON.stringify(report) + '\n');
  if (o.html) {
    const { renderHtmlReport } = await import('../telescope/html.js');
    writeOutput(o.html, renderHtmlReport(report));
  }
  if (o.csv) {
    const { writeCsvTables } = await import('../telescope/csv.js');
    writeCsvTables(report, state, o.csv);
  }
  if (o.eve) writeOutput(o.eve, report.alerts.map((a) => JSON.stringify(a)).join('\n') + (report.alerts.length > 0 ? '\n' : ''));
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
    .option('--html <file>', "write a self-contained HTML report to FILE, or '-' for stdout")
    .addOption(new Option('--report <file>').hideHelp())
    .option('--csv <dir>', 'write one CSV file per table into DIR (created if missing; its parent must exist)')
    .option('--eve <file>', "write alert events (EVE JSON lines) to FILE, or '-' for stdout")
    .option('--watch <file>', 'organisations and their address ranges ("Name: CIDR, CIDR" per line): alert when they appear as darknet sources')
    .option('--internal', 'internal darknet: the ranges are unused space inside your network; alert on every host touching them')
    .option('--geoip-db <file>', 'MaxMind-format country database (overrides the bundled iptoasn country data)')
    .option('--asn-db <file>', 'AS range CSV "start,end,asn,org" (overrides the bundled @ip-location-db/asn data)')
    .option('--no-geo', 'skip country and AS attribution')
    .option('-w, --workers <n|auto>', 'worker threads (1 = single-threaded)', parseWorkers(), 'auto')
    .option('--max-sources <n>', 'sources tracked individually (beyond: sketches only)', parseIntOption('--max-sources', 1000, 100_000_000))
    .option('--sensor <name>', 'sensor name recorded in alerts')
    .option('--no-progress', 'never draw a progress bar')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (captures: string[], o: Record<string, unknown>) => {
      if (!o.darknet) throw new UsageError('--darknet CIDR[,CIDR…] is required (the unused address space this sensor watches)', 'usage.missing-option', { subject: '--darknet' });
      if (!o.interface && captures.length === 0) throw new UsageError('give at least one capture file or directory, or --interface IF (see minewatch telescope --help)', 'usage.no-input');
      if (o.interface && captures.length > 0) throw new UsageError('give capture files or --interface, not both', 'usage.conflict');
      const outs: TelescopeOutputs = { json: o.json as string | undefined, html: htmlPath(o), csv: o.csv as string | undefined, eve: o.eve as string | undefined };
      checkOutputs(outputTargets(outs));
      const darknets = String(o.darknet).split(',').map((s) => s.trim()).filter((s) => s !== '');
      const intervalS = parseInterval(String(o.interval));
      const { runTelescope, parseDarknets } = await import('../telescope/run.js');
      parseDarknets(darknets);
      if (o.watch) {
        const { loadWatchList } = await import('../telescope/watch.js');
        loadWatchList(o.watch as string, '--watch');
      }
      const opts: TelescopeOptions = {
        inputs: captures, interface: o.interface as string | undefined, filter: o.filter as string | undefined, darknets,
        intervalS, workers: o.workers as number | 'auto', geoipDb: o.geoipDb as string | undefined, asnDb: o.asnDb as string | undefined,
        noGeo: o.geo === false, watchFile: o.watch as string | undefined, internal: o.internal === true,
        maxSources: o.maxSources as number | undefined, sensor: o.sensor as string | undefined,
        progress: o.progress !== false && !o.quiet && process.stderr.isTTY === true,
      };
      const { openSender, sendEvents, finishSending } = await import('../transport/send.js');
      const sender = openSender(o, 'telescope');
      const run = await runTelescope(opts);
      const { buildReport } = await import('../telescope/report.js');
      const report = buildReport(run.state);
      await writeOutputs(report, outs, run.state);
      if (sender) {
        // the run's summary (what the dashboard's Telescope view draws), then its alerts
        const { telescopeSummaryEvent } = await import('../telescope/summary-event.js');
        const summary = telescopeSummaryEvent(report, opts.sensor);
        sendEvents(sender, summary ? [summary, ...report.alerts] : report.alerts);
      }
      await finishSending(sender, o);
      if (!o.quiet && !stdoutClaimed(outputTargets(outs))) {
        const { formatTelescopeSummary } = await import('../telescope/summary-text.js');
        process.stdout.write(formatTelescopeSummary(report, run));
      }
    });

  cmd
    .command('merge')
    .description('merge --json outputs of several runs or sensors into one (same totals as one run over all inputs)')
    .argument('<files...>', 'telescope JSON files')
    .option('--json <file>', "merged JSON output (default '-' = stdout)")
    .addOption(new Option('-o, --output <file>').hideHelp())
    .option('--html <file>', 'also write the HTML report')
    .addOption(new Option('--report <file>').hideHelp())
    .option('--csv <dir>', 'also write the CSV tables')
    .option('--eve <file>', 'also write the alert events')
    .action(async (files: string[], o: Record<string, unknown>) => {
      if (o.json !== undefined && o.output !== undefined) throw new UsageError('give --json once (-o/--output is its old name)', 'usage.conflict', { subject: '--json' });
      const outs: TelescopeOutputs = { json: (o.json ?? o.output ?? '-') as string, html: htmlPath(o), csv: o.csv as string | undefined, eve: o.eve as string | undefined };
      // the merged JSON goes to stdout unless another output claims it
      if (o.json === undefined && o.output === undefined && stdoutClaimed(outputTargets({ ...outs, json: undefined }))) outs.json = undefined;
      checkOutputs(outputTargets(outs));
      const docs = files.map((f) => parseConfigJson(readConfigText(f), f));
      const { buildReport, mergeReports } = await import('../telescope/report.js');
      const state = mergeReports(docs);
      const report = buildReport(state);
      await writeOutputs(report, outs, state);
    });
}
