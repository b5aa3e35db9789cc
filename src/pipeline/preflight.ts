/**
 * Checks an analyzer configuration in the main thread before any capture is opened: unknown
 * component ids, home networks that are not CIDRs, config files that are missing, not JSON or
 * fail their schema, list and rule files that cannot be read. Each failure is a typed error
 * naming the option and the file. Rule files are loaded once here so the run can report what
 * loaded and what was skipped (and warn about a file that yields no rule).
 */
import { existsSync } from 'node:fs';
import { ConfigError, InputError, UsageError, fromFsError } from '../util/errors.js';
import { cidrProblem } from '../util/ip.js';
import { unknownComponentIds, type AnalyzerConfig } from './analyzers.js';
import type { RulesLoadSummary } from './summary.js';

export type { RulesLoadSummary };

export interface AnalyzerPreflight {
  rules?: RulesLoadSummary;
  warnings: string[];
}

export async function preflightAnalyzers(config: AnalyzerConfig): Promise<AnalyzerPreflight> {
  const out: AnalyzerPreflight = { warnings: [] };
  const unknown = unknownComponentIds(config);
  if (unknown) throw new UsageError(unknown, 'usage.unknown-component');
  for (const net of config.homeNets ?? []) {
    const problem = cidrProblem(net.trim());
    if (problem) throw new UsageError(`--home-net: "${net}" ${problem} (e.g. 192.168.1.0/24, fd00::/8)`, 'usage.bad-cidr', { subject: '--home-net' });
  }
  if (!config.detect) return out;
  if (config.deviceRules && config.deviceRules.length > 0) {
    const { loadDeviceRules } = await import('../devices/index.js');
    loadDeviceRules(config.deviceRules);
  }
  if (config.suppress) {
    const { readSuppressionConfig } = await import('../detect/suppress-config.js');
    readSuppressionConfig(config.suppress, '--suppress');
  }
  if (config.listsConfig) {
    const { readListsConfig } = await import('../rules/lists/config.js');
    const cfg = readListsConfig(config.listsConfig, '--lists-config');
    for (const l of cfg.lists ?? []) {
      if (!existsSync(l.path)) throw new ConfigError('config.invalid', `--lists-config ${config.listsConfig}: list file ${l.path} not found`, { subject: config.listsConfig });
    }
  }
  for (const f of config.lists ?? []) {
    if (!existsSync(f)) throw new InputError('input.not-found', `--lists ${f}: no such file`, { subject: f });
  }
  if (config.rules && config.rules.length > 0) {
    const { loadRuleFiles } = await import('../rules/load.js');
    let report;
    try {
      report = loadRuleFiles(config.rules);
    } catch (err) {
      throw fromFsError(err, '--rules');
    }
    out.rules = {
      files: report.files.map((f) => ({ file: f.file, loaded: f.loaded, skipped: f.skipped, disabled: f.disabled, skipped_by_keyword: f.skippedByKeyword })),
      loaded: report.rules.length,
      skipped: report.skipped.length,
    };
    for (const f of report.files) {
      if (f.loaded === 0) out.warnings.push(`rules file ${f.file} yields no rule (${f.skipped} skipped, ${f.disabled} commented out)`);
    }
  }
  return out;
}

/** One line per rule file: "emerging-coinminer.rules: 38 rules loaded, 2 skipped (pcre 2), 0 commented out" (+ a warning when it yields no rule). */
export function formatRulesLoad(r: RulesLoadSummary): string[] {
  return r.files.map((f) => {
    const kw = Object.entries(f.skipped_by_keyword).map(([k, v]) => `${k} ${v}`).join(', ');
    const none = f.loaded === 0 ? ' — warning: this file yields no rule' : '';
    return `${f.file}: ${f.loaded} rules loaded, ${f.skipped} skipped${kw ? ` (${kw})` : ''}, ${f.disabled} commented out${none}`;
  });
}
