/** `--csv DIR`: one CSV file per report table (RFC 4180 quoting). */
import { existsSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { join } from 'node:path';
import { eveTimestamp } from '../events/eve-format.js';
import type { TelescopeReport } from './report.js';
import type { TelescopeState } from './state.js';

type Cell = string | number | boolean | null | undefined;

export function csvLine(cells: Cell[]): string {
  return cells.map((c) => {
    if (c === null || c === undefined) return '';
    const s = String(c);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }).join(',');
}

function table(header: string[], rows: Cell[][]): string {
  return [csvLine(header), ...rows.map(csvLine)].join('\n') + '\n';
}

/** Writes every table; returns the file names written. */
export function writeCsvTables(report: TelescopeReport, state: TelescopeState, dir: string): string[] {
  // only the last level is created: a mistyped parent is an error, not a new tree
  if (!existsSync(dir)) mkdirSync(dir);
  const ts = (us: number): string => eveTimestamp(us);
  const files: Record<string, string> = {
    'totals.csv': table(['packets', 'bytes', 'sources', 'networks_24', 'destinations', 'sources_filtered', 'ignored_packets'],
      [[report.totals.packets, report.totals.bytes, report.totals.sources, report.totals.networks_24, report.totals.destinations, report.totals.sources_filtered, report.ignored_packets]]),
    'intervals.csv': table(['start', 'packets', 'bytes', 'sources', 'networks_24', 'destinations', 'sources_filtered'],
      report.intervals.map((i) => [i.start, i.packets, i.bytes, i.sources, i.networks_24, i.destinations, i.sources_filtered])),
    'protocols.csv': table(['protocol', 'packets'], Object.entries(report.protocols)),
    'hygiene.csv': table(['filter', 'packets'], Object.entries(report.hygiene)),
    'ports.csv': table(['proto', 'port', 'packets', 'sources'], report.ports.map((p) => [p.proto, p.port, p.packets, p.sources])),
    'countries.csv': table(['country', 'packets', 'sources'], report.countries.map((c) => [c.country, c.packets, c.sources])),
    'asns.csv': table(['asn', 'org', 'packets', 'sources'], report.asns.map((a) => [a.asn, a.org, a.packets, a.sources])),
    'classes.csv': table(['class', 'sources', 'packets'], Object.entries(report.classes).map(([k, v]) => [k, v, report.class_packets[k as keyof typeof report.class_packets]])),
    'scanner_families.csv': table(['family', 'sources', 'packets'], Object.entries(report.scanner_families).map(([k, v]) => [k, v, report.family_packets[k as keyof typeof report.family_packets]])),
    'tags.csv': table(['tag', 'sources'], Object.entries(report.tags)),
    'sources.csv': table(['ip', 'tag', 'class', 'family', 'spoofed', 'country', 'asn', 'packets', 'bytes', 'first_seen', 'last_seen', 'top_port', 'port_changes'],
      state.sourceRows.map((r) => [r.ip, r.tag, r.class, r.family ?? '', r.spoofed, r.country, r.asn, r.packets, r.bytes, ts(r.first), ts(r.last), r.top_port, r.ports])),
    'victims.csv': table(['ip', 'port', 'packets', 'first_seen', 'last_seen', 'max_ppm', 'dos_attack', 'kinds'],
      state.victims.map((v) => [v.ip, v.port, v.packets, ts(v.first), ts(v.last), v.max_ppm, v.attack, v.kinds.join(' ')])),
    'bursts.csv': table(['fingerprint', 'sources', 'start', 'end'], report.bursts.map((b) => [b.fingerprint, b.sources, ts(b.start), ts(b.end)])),
    'surges.csv': table(['kind', 'key', 'interval', 'packets', 'baseline', 'ratio'], report.surges.map((s) => [s.kind, s.key, s.interval, s.packets, s.baseline, s.ratio])),
    'trends_ports.csv': table(['port', 'previous', 'current', 'change'], report.trends.ports.map((t) => [t.key, t.previous, t.current, t.change])),
    'trends_countries.csv': table(['country', 'previous', 'current', 'change'], report.trends.countries.map((t) => [t.key, t.previous, t.current, t.change])),
    'alerts.csv': table(['timestamp', 'detector', 'src_ip', 'signature', 'packets', 'ports'], report.alerts.map((a) => {
      const ev = (a.minewatch.evidence ?? {}) as { packets?: number; ports?: number[] };
      return [a.timestamp, a.minewatch.detector, a.src_ip, a.alert.signature, ev.packets, (ev.ports ?? []).join(' ')];
    })),
  };
  for (const [name, text] of Object.entries(files)) writeFileAtomic(join(dir, name), text);
  return Object.keys(files);
}
