/**
 * `minewatch lists …`: update configured list sources, export blocklists, show what loads.
 * Thin: parse arguments, call src/rules/lists and src/rules/export, print.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import type { ListsConfig } from '../rules/lists/config.js';
import type { ListIntel } from '../rules/lists/intel.js';
import { defaultCacheDir, formatUpdateReport, updateLists, type ListSourceConfig } from '../rules/lists/update.js';
import { EXPORT_FORMATS, buildBlocklist, isExportFormat, readSeenHostsFile, renderBlocklist } from '../rules/export/index.js';

// The config schema (zod) and the default lists load only when a lists command runs: every
// other command, --help and --version start without them.
async function loadConfig(path: string | undefined): Promise<ListsConfig> {
  if (!path) return {};
  if (!existsSync(path)) throw new UsageError(`config file not found: ${path}`);
  const { ListsConfigError, readListsConfig } = await import('../rules/lists/config.js');
  try {
    return readListsConfig(path);
  } catch (e) {
    if (e instanceof ListsConfigError) throw new UsageError(e.message);
    throw e;
  }
}

async function loadConfiguredIntel(cfg: ListsConfig, opts: { cacheDir?: string; default: boolean; lists?: string[] }): Promise<ListIntel> {
  const { intelConfigFrom, loadIntel } = await import('../rules/lists/default.js');
  return loadIntel(intelConfigFrom(cfg, { cacheDir: opts.cacheDir, includeDefault: opts.default ? undefined : false, extraLists: opts.lists }));
}

function writeOutput(path: string | undefined, text: string): void {
  if (!path || path === '-') { process.stdout.write(text); return; }
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

interface UpdateOpts { config?: string; cacheDir?: string; force?: boolean; timeout: string }
interface ExportOpts { format: string; config?: string; lists?: string[]; default: boolean; seen?: string; output?: string; cacheDir?: string }
interface ShowOpts { config?: string; lists?: string[]; default: boolean; cacheDir?: string }

export function register(program: Command): void {
  const lists = program.command('lists').description('mining-pool and miner-script lists: update sources, export blocklists, show what loads');

  lists.command('update')
    .description('fetch configured list sources into the cache (ETag/If-Modified-Since, integrity checks, atomic replace)')
    .option('-c, --config <file>', 'lists config file (JSON with "sources")')
    .option('--cache-dir <dir>', `cache directory (default ${defaultCacheDir()})`)
    .option('--force', 'accept a list that shrank by more than 50 % and ignore cache validators')
    .option('--timeout <ms>', 'per-source timeout in milliseconds', '30000')
    .action(async (opts: UpdateOpts) => {
      const cfg = await loadConfig(opts.config);
      const sources = (cfg.sources ?? []) as ListSourceConfig[];
      if (sources.length === 0) throw new UsageError('no list sources configured: give --config FILE with a "sources" array (see src/rules/README.md)');
      const timeoutMs = Number(opts.timeout);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, got ${opts.timeout}`);
      const results = await updateLists(sources, { cacheDir: opts.cacheDir ?? cfg.cacheDir ?? defaultCacheDir(), force: !!opts.force, timeoutMs });
      process.stdout.write(`${formatUpdateReport(results)}\n`);
      if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
    });

  lists.command('export')
    .description(`write a blocklist from the loaded lists plus hosts minewatch saw mining (${EXPORT_FORMATS.join('|')})`)
    .requiredOption('-f, --format <format>', EXPORT_FORMATS.join('|'))
    .option('-c, --config <file>', 'lists config file (JSON)')
    .option('--lists <files...>', 'extra list files (format detected from content)')
    .option('--no-default', 'leave out the default lists shipped with minewatch')
    .option('--seen <file>', 'EVE JSON lines: add pool names/addresses from mining alerts')
    .option('--cache-dir <dir>', 'cache directory of `lists update`')
    .option('-o, --output <file>', 'output file (default stdout; written atomically)')
    .action(async (opts: ExportOpts) => {
      if (!isExportFormat(opts.format)) throw new UsageError(`unknown --format ${opts.format}: use one of ${EXPORT_FORMATS.join(', ')}`);
      for (const f of [...(opts.lists ?? []), ...(opts.seen ? [opts.seen] : [])]) if (!existsSync(f)) throw new UsageError(`file not found: ${f}`);
      const intel = await loadConfiguredIntel(await loadConfig(opts.config), opts);
      const seen = opts.seen ? await readSeenHostsFile(opts.seen) : undefined;
      const list = buildBlocklist(intel, seen);
      writeOutput(opts.output, renderBlocklist(opts.format, list));
      if (opts.output && opts.output !== '-') {
        process.stderr.write(`${opts.format}: ${list.domains.length} names, ${list.ips.length} addresses (${list.seenDomains} names, ${list.seenIps} addresses from --seen) → ${opts.output}\n`);
      }
    });

  lists.command('show')
    .description('load the configured lists and report entries and skipped lines per list')
    .option('-c, --config <file>', 'lists config file (JSON)')
    .option('--lists <files...>', 'extra list files')
    .option('--no-default', 'leave out the default lists')
    .option('--cache-dir <dir>', 'cache directory of `lists update`')
    .action(async (opts: ShowOpts) => {
      for (const f of opts.lists ?? []) if (!existsSync(f)) throw new UsageError(`file not found: ${f}`);
      const intel = await loadConfiguredIntel(await loadConfig(opts.config), opts);
      for (const r of intel.reports) {
        const skipped = Object.entries(r.skipped).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
        process.stdout.write(`${r.name} [${r.format}, ${r.kind}, ${r.role}]: ${r.entries} entries (${r.domains} names, ${r.ips} addresses, ${r.urlPatterns} URL patterns, ${r.allowEntries} allow) from ${r.lines} lines; skipped: ${skipped}\n`);
      }
      process.stdout.write(`total: ${intel.domainCount} names, ${intel.ipCount} addresses, ${intel.urlPatternCount} URL patterns\n`);
    });
}
