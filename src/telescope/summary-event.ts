/**
 * One `telescope` EVE event per run: what the collector stores in telescope_intervals and the
 * dashboard's Telescope view draws — the run's span and totals, and its presentation data
 * (present.ts: intervals, ports, countries, classes, families, victims, surges, alerts; no
 * mergeable state, bounded lists). The event id derives from the content, so resending the
 * same run is a duplicate, not a second run.
 */
import { createHash } from 'node:crypto';
import { eveTimestamp } from '../events/eve-format.js';
import { telescopeData } from './present.js';
import type { TelescopeReport } from './report.js';

export function telescopeSummaryEvent(report: TelescopeReport, sensor?: string): Record<string, unknown> | null {
  if (report.start === null || report.end === null) return null;
  const view = telescopeData(report);
  const startMs = Date.parse(report.start);
  const endMs = Date.parse(report.end) + 1;
  const id = createHash('sha256').update(JSON.stringify([report.darknets, report.start, report.end, report.totals])).digest('hex').slice(0, 32);
  return {
    timestamp: eveTimestamp(endMs * 1000),
    event_type: 'telescope',
    telescope: {
      kind: 'run',
      start: startMs, end: endMs, packets: report.totals.packets, unique_sources: report.totals.sources,
      sources_filtered: report.totals.sources_filtered, darknets: report.darknets, view,
    },
    minewatch: { event_id: `telescope-${id}`, ...(sensor ? { sensor } : {}) },
  };
}
