/**
 * `minewatch lists …`: update configured list sources, export blocklists, show what loads.
 * Thin: parse arguments, call src/rules/lists and src/rules/export, print.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InputError, UsageError } from '../util/errors.js';
import type { ListsConfig } from '../rules/lists/config.js';
import type { ListIntel } from '../rules/lists/intel.js';
import { defaultCacheDir, formatUpdateReport, updateLists, type ListSourceConfig } from '../rules/lists/update.js';
import { EXPORT_FORMATS, buildBlocklist, isExportFormat, readSeenHostsFile, renderBlocklist } from '../rules/export/index.js';
import { parseIntOption } from './options.js';
import { checkOutputs, writeOutput } from './outputs.js';

// The config schema (zod) and the default lists load only when a lists command runs: every
// other command, --help and --version start without them.
async function loadConfig(opts: { listsConfig?: string; config?: string }): Promise<ListsConfig> {
  if (opts.listsConfig !== undefined && opts.config !== undefined) throw new UsageError('give --lists-config once (-c/--config is another name for it)', 'usage.conflict', { subject: '--lists-config' });
  const path = opts.listsConfig ?? opts.config;
  if (!path) return {};
  const { readListsConfig } = await import('../rules/lists/config.js');
  return readListsConfig(path, '--lists-config');
}

function checkInputFiles(option: string, files: readonly string[]): void {
  for (const f of files) if (!existsSync(f)) throw new InputError('input.not-found', `${option} ${f}: no such file`, { subject: f });
}

/** --lists-config is the name every command uses; -c/--config stays as a hidden alias here. */
function configOptions(cmd: Command, description: string): Command {
  return cmd
    .option('--lists-config <file>', description)
    .addOption(new Option('-c, --config <file>').hideHelp());
}

async function loadConfiguredIntel(cfg: ListsConfig, opts: { cacheDir?: string; default: boolean; lists?: string[] }): Promise<ListIntel> {
  const { intelConfigFrom, loadIntel } = await import('../rules/lists/default.js');
  return loadIntel(intelConfigFrom(cfg, { cacheDir: opts.cacheDir, includeDefault: opts.default ? undefined : false, extraLists: opts.lists }));
}

interface ConfigOpts { listsConfig?: string; config?: string }
interface UpdateOpts extends ConfigOpts { cacheDir?: string; force?: boolean; timeout: number; quiet?: boolean }
interface ExportOpts extends ConfigOpts { format: string; lists?: string[]; default: boolean; seen?: string; output?: string; cacheDir?: string }
interface ShowOpts extends ConfigOpts { lists?: string[]; default: boolean; cacheDir?: string }

export function register(program: Command): void {
  const lists = program.command('lists').description('mining-pool and miner-script lists: update sources, export blocklists, show what loads');

  configOptions(lists.command('update')
    .description('fetch configured list sources into the cache (ETag/If-Modified-Since, integrity checks, atomic replace)'), 'lists config file (JSON with "sources")')
    .option('--cache-dir <dir>', `cache directory (default ${defaultCacheDir()})`)
    .option('--force', 'accept a list that shrank by more than 50 % and ignore cache validators')
    .option('--timeout <ms>', 'per-source timeout in milliseconds', parseIntOption('--timeout', 1, 3_600_000), 30000)
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (opts: UpdateOpts) => {
      const cfg = await loadConfig(opts);
      const sources = (cfg.sources ?? []) as ListSourceConfig[];
      if (sources.length === 0) throw new UsageError('no list sources configured: give --lists-config FILE with a "sources" array (see src/rules/README.md)', 'usage.no-sources');
      const results = await updateLists(sources, { cacheDir: opts.cacheDir ?? cfg.cacheDir ?? defaultCacheDir(), force: !!opts.force, timeoutMs: opts.timeout });
      if (!opts.quiet) process.stdout.write(`${formatUpdateReport(results)}\n`);
      if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
    });

  configOptions(lists.command('export')
    .description(`write a blocklist from the loaded lists plus hosts minewatch saw mining (${EXPORT_FORMATS.join('|')})`)
    .requiredOption('-f, --format <format>', EXPORT_FORMATS.join('|')), 'lists config file (JSON)')
    .option('--lists <files...>', 'extra list files (format detected from content)')
    .option('--no-default', 'leave out the default lists shipped with minewatch')
    .option('--seen <file>', 'EVE JSON lines: add pool names/addresses from mining alerts')
    .option('--cache-dir <dir>', 'cache directory of `lists update`')
    .option('-o, --output <file>', "output file, or '-' for stdout (the default); written atomically")
    .action(async (opts: ExportOpts) => {
      if (!isExportFormat(opts.format)) throw new UsageError(`unknown --format ${opts.format}: use one of ${EXPORT_FORMATS.join(', ')}`, 'usage.bad-value', { subject: '--format' });
      checkInputFiles('--lists', opts.lists ?? []);
      checkInputFiles('--seen', opts.seen ? [opts.seen] : []);
      checkOutputs([{ option: '--output', path: opts.output }]);
      const intel = await loadConfiguredIntel(await loadConfig(opts), opts);
      const seen = opts.seen ? await readSeenHostsFile(opts.seen) : undefined;
      const list = buildBlocklist(intel, seen);
      writeOutput(opts.output ?? '-', renderBlocklist(opts.format, list));
      if (opts.output && opts.output !== '-') {
        process.stderr.write(`${opts.format}: ${list.domains.length} names, ${list.ips.length} addresses (${list.seenDomains} names, ${list.seenIps} addresses from --seen) → ${opts.output}\n`);
      }
    });

  configOptions(lists.command('show')
    .description('load the configured lists and report entries and skipped lines per list'), 'lists config file (JSON)')
    .option('--lists <files...>', 'extra list files')
    .option('--no-default', 'leave out the default lists')
    .option('--cache-dir <dir>', 'cache directory of `lists update`')
    .action(async (opts: ShowOpts) => {
      checkInputFiles('--lists', opts.lists ?? []);
      const intel = await loadConfiguredIntel(await loadConfig(opts), opts);
      for (const r of intel.reports) {
        const skipped = Object.entries(r.skipped).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
        process.stdout.write(`${r.name} [${r.format}, ${r.kind}, ${r.role}]: ${r.entries} entries (${r.domains} names, ${r.ips} addresses, ${r.urlPatterns} URL patterns, ${r.allowEntries} allow) from ${r.lines} lines; skipped: ${skipped}\n`);
      }
      process.stdout.write(`total: ${intel.domainCount} names, ${intel.ipCount} addresses, ${intel.urlPatternCount} URL patterns\n`);
    });
}
