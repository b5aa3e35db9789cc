/**
 * The analysis summary: what `minewatch analyze --json` writes and what the terminal
 * summary prints. Worker summaries merge by addition, so N workers report like one.
 */
import { Inventory, type InventoryState } from '../devices/index.js';

/** What the rule files gave: per file, loaded and skipped counts, skips grouped by keyword. */
export interface RulesLoadSummary {
  files: { file: string; loaded: number; skipped: number; disabled: number; skipped_by_keyword: Record<string, number> }[];
  loaded: number;
  skipped: number;
}

export interface AnalysisSummary {
  inputs: string[];
  packets: number;
  bytes: number;
  /** Flows created (both directions of a connection are one flow). */
  flows: number;
  flows_by_end: Record<string, number>;
  link_types: Record<string, number>;
  /** Everything that could not be parsed or was dropped, by "<stage>.<reason>". */
  malformed: Record<string, number>;
  events: Record<string, number>;
  alerts: Record<string, number>;
  alerts_suppressed: Record<string, number>;
  stream: Record<string, number>;
  protocols: Record<string, number>;
  warnings: string[];
  /** With --rules: what each rule file gave (loaded, skipped by keyword). */
  rules?: RulesLoadSummary;
  /** The device inventory's state (merged across workers; analyze turns it into its device list). */
  devices?: InventoryState;
  workers: number;
  elapsed_s: number;
  packets_per_s: number;
  mb_per_s: number;
  peak_rss_mb: number;
}

export function emptySummary(inputs: string[] = []): AnalysisSummary {
  return {
    inputs, packets: 0, bytes: 0, flows: 0, flows_by_end: {}, link_types: {}, malformed: {}, events: {},
    alerts: {}, alerts_suppressed: {}, stream: {}, protocols: {}, warnings: [], workers: 1, elapsed_s: 0,
    packets_per_s: 0, mb_per_s: 0, peak_rss_mb: 0,
  };
}

function addInto(target: Record<string, number>, src: Record<string, number>): void {
  for (const [k, v] of Object.entries(src)) target[k] = (target[k] ?? 0) + v;
}

/** Adds the countable parts of `b` into `a` (inputs, warnings and timing are the caller's). */
export function mergeSummary(a: AnalysisSummary, b: AnalysisSummary): AnalysisSummary {
  a.packets += b.packets;
  a.bytes += b.bytes;
  a.flows += b.flows;
  addInto(a.flows_by_end, b.flows_by_end);
  addInto(a.link_types, b.link_types);
  addInto(a.malformed, b.malformed);
  addInto(a.events, b.events);
  addInto(a.alerts, b.alerts);
  addInto(a.alerts_suppressed, b.alerts_suppressed);
  addInto(a.stream, b.stream);
  addInto(a.protocols, b.protocols);
  for (const w of b.warnings) if (!a.warnings.includes(w)) a.warnings.push(w);
  if (b.devices) {
    const inv = new Inventory();
    if (a.devices) inv.importState(a.devices);
    inv.importState(b.devices);
    a.devices = inv.exportState();
  }
  return a;
}

/** Sorted-key copy so JSON output is stable. */
export function sortedCounts(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k];
  return out;
}
