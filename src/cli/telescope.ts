/**
 * `minewatch telescope <capture|dir...> --darknet CIDR[,CIDR…]` (or `--interface IF`) and
 * `minewatch telescope merge a.state b.state`: darknet aggregation. Thin: parses options,
 * calls the telescope library, writes the outputs.
 */
import { Option, type Command } from 'commander';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TelescopeReport } from '../telescope/report.js';
import type { TelescopeOptions } from '../telescope/run.js';
import type { TelescopeState } from '../telescope/state.js';
import { readFileSync } from 'node:fs';
import { fromFsError, UsageError } from '../util/errors.js';
import { parseConfigJson } from '../util/config.js';
import { parseIntOption, parseInterval, parseSize, parseWorkers } from './options.js';
import { checkOutputs, stdoutClaimed, writeOutput, type OutputTarget } from './outputs.js';
import { withSendOptions } from './send-options.js';

/** --max-memory's default (the telescope's own constant is not imported here: the library loads lazily). */
const DEFAULT_MAX_MEMORY = 512 * 1024 * 1024;

// The telescope library (and the report, HTML, CSV and geo code under it) is loaded only when
// a telescope command runs: every other command, --help and --version start without it.

export { parseInterval };

interface TelescopeOutputs { json?: string; html?: string; csv?: string; eve?: string; state?: string }

function outputTargets(o: TelescopeOutputs): OutputTarget[] {
  return [
    { option: '--json', path: o.json },
    { option: '--state', path: o.state },
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

async function writeOutputs(report: TelescopeReport, o: TelescopeOutputs, state: TelescopeState, lineage?: string[]): Promise<void> {
  if (o.state) {
    // first: the report names the state it was written with
    const { encodeStateFile } = await import('../telescope/state-file.js');
    const { bytes, header } = encodeStateFile(state, lineage);
    writeOutput(o.state, bytes);
    report.state_id = header.id;
    if (lineage !== undefined) report.lineage = header.lineage;
  }
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

/** The live telescope: one statistics file and one state file per closed interval, and/or telescope events to the collector. */
async function runLive(o: Record<string, unknown>, darknets: string[], intervalS: number): Promise<void> {
  const { runLiveTelescope, writeIntervalFiles, intervalEvent } = await import('../telescope/live.js');
  const dir = o.outDir as string | undefined;
  if (dir !== undefined) prepareDir(dir);
  const { openSender, sendEvents, finishSending } = await import('../transport/send.js');
  const sender = openSender(o, 'telescope');
  const sensor = o.sensor as string | undefined;
  const say = (line: string): void => { if (!o.quiet) process.stderr.write(`minewatch telescope: ${line}\n`); };
  const r = await runLiveTelescope({
    interface: String(o.interface), filter: o.filter as string | undefined, darknets, intervalS, geoipDb: o.geoipDb as string | undefined,
    asnDb: o.asnDb as string | undefined, noGeo: o.geo === false, watchFile: o.watch as string | undefined, internal: o.internal === true,
    maxSources: o.maxSources as number | undefined, sensor,
  }, {
    onStarted: (source) => say(`started on ${source.name}, ${intervalS} s intervals${dir ? `, writing ${dir}` : ''}`),
    onInterval: (iv) => {
      const files = dir !== undefined ? writeIntervalFiles(dir, iv) : null;
      sendEvents(sender, [intervalEvent(iv, sensor), ...iv.report.alerts]);
      say(`interval ${iv.report.start}: ${iv.report.totals.packets} packets, ${iv.report.totals.sources} sources, ${iv.report.alerts.length} alerts${files ? ` → ${files.stats}` : ''}`);
    },
  });
  say(`stopped: ${r.frames} frames, ${r.intervals} intervals written${r.skipped > 0 ? `, ${r.skipped} with no darknet packet skipped` : ''}`);
  await finishSending(sender, o);
}

function prepareDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--out-dir: ${dir} exists and is not a directory`, 'usage.bad-output', { subject: '--out-dir' });
    return;
  }
  if (!existsSync(dirname(resolve(dir)))) throw new UsageError(`--out-dir: the parent of ${dir} does not exist`, 'usage.bad-output', { subject: '--out-dir' });
  mkdirSync(dir);
}

export function register(program: Command): void {
  const cmd = withSendOptions(program.command('telescope'))
    .description('darknet (network telescope) analysis: packets and hosts over time, ports, countries, AS, scanner families, backscatter, spoofing; owner and internal-darknet alerts')
    .argument('[captures...]', 'capture files or directories')
    .option('--darknet <cidrs>', 'darknet address ranges, comma-separated (packets to other destinations are ignored and counted)')
    .option('--interval <duration>', 'aggregation interval (1h, 30m, 300s, 1d)', '1h')
    .option('-i, --interface <name>', 'capture live from a network interface until interrupted')
    .option('-f, --filter <bpf>', 'BPF filter for live capture')
    .option('--out-dir <dir>', "live: write each closed interval into DIR as it closes: <start>.json (statistics) and <start>.state (compact binary mergeable state for 'telescope merge'); created if missing")
    .option('--json <file>', "write the JSON output to FILE, or '-' for stdout")
    .option('--state <file>', "write the mergeable state (compact binary, for telescope merge and the collector) to FILE, or '-' for stdout")
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
    .option('--max-memory <size>', 'bound on the peak resident memory (e.g. 512MB, 2GB; default 512MB). Node, its worker threads and the fixed tables cannot shed memory (memory_fixed_mb in --json); the rest degrades in steps (coarse per-port counters, then a frozen source table: later new sources are counted in the sketches only; reported) to keep the aggregation under the bound less 96 MiB + 5 % kept for the end of the run (merge, report, outputs)', (v: string) => parseSize(v, '--max-memory'), DEFAULT_MAX_MEMORY)
    .option('--sensor <name>', 'sensor name recorded in alerts (and in the store with --db)')
    .option('--db <url>', 'also store the alerts and per-interval statistics (packets, unique sources, ports, countries, sketch) in the collector store (sqlite:PATH or postgres://…), for report trends')
    .option('--no-progress', 'never draw a progress bar')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (captures: string[], o: Record<string, unknown>) => {
      if (!o.darknet) throw new UsageError('--darknet CIDR[,CIDR…] is required (the unused address space this sensor watches)', 'usage.missing-option', { subject: '--darknet' });
      if (!o.interface && captures.length === 0) throw new UsageError('give at least one capture file or directory, or --interface IF (see minewatch telescope --help)', 'usage.no-input');
      if (o.interface && captures.length > 0) throw new UsageError('give capture files or --interface, not both', 'usage.conflict');
      const outs: TelescopeOutputs = {
        json: o.json as string | undefined, html: htmlPath(o), csv: o.csv as string | undefined, eve: o.eve as string | undefined, state: o.state as string | undefined,
      };
      if (o.outDir !== undefined && !o.interface) throw new UsageError('--out-dir goes with --interface (per-interval files of a live telescope); for capture files use --json', 'usage.conflict', { subject: '--out-dir' });
      if (o.interface && (outs.json || outs.html || outs.csv || outs.eve)) {
        throw new UsageError('with --interface, give --out-dir DIR (one statistics and one state file per interval) or --send URL; --json, --html, --csv and --eve are for capture files (merge the interval states with: minewatch telescope merge DIR/*.state --html FILE)', 'usage.conflict', { subject: '--interface' });
      }
      if (o.interface && o.outDir === undefined && !o.send) throw new UsageError('--interface needs --out-dir DIR or --send URL: where each closed interval goes', 'usage.missing-option', { subject: '--out-dir' });
      checkOutputs(outputTargets(outs));
      const darknets = String(o.darknet).split(',').map((s) => s.trim()).filter((s) => s !== '');
      const intervalS = parseInterval(String(o.interval));
      if (o.interface) {
        await runLive(o, darknets, intervalS);
        return;
      }
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
        maxSources: o.maxSources as number | undefined, maxMemoryBytes: o.maxMemory as number, sensor: o.sensor as string | undefined,
        progress: o.progress !== false && !o.quiet && process.stderr.isTTY === true,
      };
      const { openSender, sendEvents, finishSending } = await import('../transport/send.js');
      const sender = openSender(o, 'telescope');
      // the store is opened (and migrated) before the run, so a bad --db fails at once
      const { StoreSink } = await import('../pipeline/sensor-store.js');
      const sink = o.db !== undefined ? await StoreSink.open({ db: o.db as string, sensor: o.sensor as string | undefined, types: new Set(['alert', 'telescope']) }) : null;
      const run = await runTelescope(opts);
      const { buildReport } = await import('../telescope/report.js');
      const report = buildReport(run.state);
      await writeOutputs(report, outs, run.state);
      // alerts, one `telescope` event per interval (kind 'interval': read by report trends) and one
      // run summary (kind 'run': what the dashboard's Telescope view draws), both kept in the store's
      // telescope_intervals
      const { intervalEvents } = await import('../telescope/interval-events.js');
      const intervals = sender || sink ? intervalEvents(run.state, (o.sensor as string | undefined) ?? '') : [];
      const { telescopeSummaryEvent } = await import('../telescope/summary-event.js');
      const summary = sender || sink ? telescopeSummaryEvent(report, opts.sensor) : null;
      sendEvents(sender, [...(summary ? [summary] : []), ...report.alerts, ...intervals]);
      await finishSending(sender, o);
      if (sink) {
        for (const e of [...(summary ? [summary] : []), ...report.alerts, ...intervals]) sink.write(e);
        await sink.finish();
        if (!o.quiet) process.stderr.write(`minewatch: stored ${sink.stats.stored} events (${intervals.length} intervals) in ${o.db as string} (${sink.stats.duplicates} already there)\n`);
      }
      if (!o.quiet && !stdoutClaimed(outputTargets(outs))) {
        const { formatTelescopeSummary } = await import('../telescope/summary-text.js');
        process.stdout.write(formatTelescopeSummary(report, run));
      }
    });

  cmd
    .command('merge')
    .description('merge the --state files (or older --json outputs) of several runs or sensors into one: the totals of one run over all inputs; a run merged twice, different intervals or overlapping darknets are refused')
    .argument('<files...>', 'telescope state files (--state), or JSON outputs of older versions (with an embedded "state")')
    .option('--json <file>', "merged JSON output (default '-' = stdout)")
    .addOption(new Option('-o, --output <file>').hideHelp())
    .option('--state <file>', 'also write the merged state (its lineage lists every run it holds)')
    .option('--html <file>', 'also write the HTML report')
    .addOption(new Option('--report <file>').hideHelp())
    .option('--csv <dir>', 'also write the CSV tables')
    .option('--eve <file>', 'also write the alert events')
    .action(async (files: string[], o: Record<string, unknown>) => {
      if (o.json !== undefined && o.output !== undefined) throw new UsageError('give --json once (-o/--output is its old name)', 'usage.conflict', { subject: '--json' });
      const outs: TelescopeOutputs = {
        json: (o.json ?? o.output ?? '-') as string, html: htmlPath(o), csv: o.csv as string | undefined, eve: o.eve as string | undefined,
        // `telescope` has a --state of its own: commander hands `merge … --state F` to it
        state: (o.state ?? cmd.opts().state) as string | undefined,
      };
      // the merged JSON goes to stdout unless another output claims it
      if (o.json === undefined && o.output === undefined && stdoutClaimed(outputTargets({ ...outs, json: undefined }))) outs.json = undefined;
      checkOutputs(outputTargets(outs));
      const { decodeStateFile, isStateFile, mergeStateFiles } = await import('../telescope/state-file.js');
      const { buildReport, legacyState } = await import('../telescope/report.js');
      const inputs = files.map((f) => {
        let bytes: Buffer;
        try {
          bytes = readFileSync(f);
        } catch (err) {
          throw fromFsError(err);
        }
        if (isStateFile(bytes)) return { name: f, ...decodeStateFile(bytes, f) };
        // an older --json output: its embedded state has no id, so it cannot be checked for double merging
        const state: TelescopeState = legacyState(parseConfigJson(bytes.toString('utf8'), f), f);
        return { name: f, state, header: { id: '', lineage: [], darknets: state.darknets, interval_us: state.intervalUs, first_us: null, last_us: null, packets: state.packets, body_bytes: 0, counters: 0 } };
      });
      const { state, lineage } = mergeStateFiles(inputs);
      const report = buildReport(state);
      report.lineage = lineage;
      // only older JSON inputs (no ids): the merged state is a run of its own
      await writeOutputs(report, outs, state, lineage.length > 0 ? lineage : undefined);
    });
}
