/** Loading rule files for the pipeline: parse, merge, report what loaded and what was skipped. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseRules, type Rule, type RuleSkip } from './parser.js';
import { RuleVariables, type RuleVariableConfig } from './variables.js';

export interface RuleLoadReport {
  files: { file: string; loaded: number; skipped: number; disabled: number; skippedByKeyword: Record<string, number> }[];
  rules: Rule[];
  skipped: (RuleSkip & { file: string })[];
}

/** Load rule files in order; a sid seen in an earlier file wins (later duplicates are reported). */
export function loadRuleFiles(paths: readonly string[], vars: RuleVariableConfig = {}): RuleLoadReport {
  const variables = new RuleVariables(vars);
  const report: RuleLoadReport = { files: [], rules: [], skipped: [] };
  const seen = new Set<string>();
  for (const path of paths) {
    const r = parseRules(readFileSync(path, 'utf8'), variables);
    const file = basename(path);
    let dup = 0;
    for (const rule of r.rules) {
      const key = `${rule.gid}:${rule.sid}`;
      if (seen.has(key)) {
        dup++;
        report.skipped.push({ sid: rule.sid, keyword: 'sid', reason: `duplicate sid ${rule.sid} (already loaded from an earlier file)`, line: rule.line, file });
        continue;
      }
      seen.add(key);
      report.rules.push(rule);
    }
    for (const s of r.skipped) report.skipped.push({ ...s, file });
    const byKeyword = { ...r.skippedByKeyword };
    if (dup > 0) byKeyword.sid = (byKeyword.sid ?? 0) + dup;
    report.files.push({ file, loaded: r.rules.length - dup, skipped: r.skipped.length + dup, disabled: r.disabled, skippedByKeyword: byKeyword });
  }
  return report;
}

/** Human-readable summary: one line per file, then every skipped rule with its keyword and reason. */
export function formatRuleLoadReport(r: RuleLoadReport): string {
  const lines = r.files.map((f) => {
    const kw = Object.entries(f.skippedByKeyword).map(([k, v]) => `${k} ${v}`).join(', ');
    return `${f.file}: ${f.loaded} rules loaded, ${f.skipped} skipped${kw ? ` (${kw})` : ''}, ${f.disabled} commented out`;
  });
  for (const s of r.skipped) lines.push(`  skipped ${s.file}:${s.line}${s.sid ? ` sid ${s.sid}` : ''}: ${s.keyword}: ${s.reason}`);
  return lines.join('\n');
}
