/** The short text summary `minewatch telescope` prints. */
import type { TelescopeReport } from './report.js';

export function formatTelescopeSummary(r: TelescopeReport, run?: { elapsedS: number; cpuS: number; peakRssMb: number; workers: number }): string {
  const t = r.totals;
  const err = r.unique_error.sources > 0 ? ` (sketch, ±${(r.unique_error.sources * 100).toFixed(1)} %)` : '';
  const lines = [
    `darknet ${r.darknets.join(', ')}: ${t.packets} packets, ${t.bytes} bytes, ${r.intervals.length} interval(s) of ${r.interval_s} s`,
    `  sources ${t.sources}${err}, after spoofing/noise filters ${t.sources_filtered}, /24s ${t.networks_24}, darknet addresses hit ${t.destinations}`,
    `  ignored ${r.ignored_packets} (${Object.entries(r.ignored).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
    `  classes: scanner ${r.classes.scanner}, backscatter ${r.classes.backscatter}, other ${r.classes.other}`,
    `  scanner families: ${Object.entries(r.scanner_families).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  top ports: ${r.ports.slice(0, 8).map((p) => `${p.port}/${p.proto} ${p.packets}`).join(', ')}`,
    `  top talkers: ${r.top_talkers.slice(0, 5).map((x) => `${x.ip} ${x.packets}${(x.packets_error ?? 0) > 0 ? ` (−${x.packets_error ?? 0})` : ''}`).join(', ')}`
      + (r.top_talkers_error > 0 ? ` (heavy hitters: counts high by at most the figure in brackets; any source above ${r.heavy_hitters.talkers.error_bound} packets is listed)` : ''),
    `  top countries: ${r.countries.slice(0, 8).map((c) => `${c.country} ${c.packets}`).join(', ')}`,
  ];
  if (r.surges.length > 0) lines.push(`  surges: ${r.surges.slice(0, 5).map((s) => `${s.kind} ${s.key} ×${s.ratio} at ${s.interval}`).join('; ')}`);
  if (r.bursts.length > 0) lines.push(`  spoofed bursts: ${r.bursts.slice(0, 3).map((b) => `${b.sources} sources "${b.fingerprint}"`).join('; ')}`);
  if (r.dos_attacks > 0) lines.push(`  inferred DoS attacks (backscatter): ${r.dos_attacks}`);
  if (r.alerts.length > 0) lines.push(`  alerts: ${r.alerts.length}`);
  if (r.memory_limited > 0 || r.spilled_packets > 0) {
    lines.push(`  source table ${r.memory_limited > 0 ? 'reached the memory bound (--max-memory)' : 'full (--max-sources)'}: ${r.spilled_packets} packets of later new sources counted in the sketches only, not classified`);
  }
  const mal = Object.values(r.malformed).reduce((a, b) => a + b, 0);
  if (mal > 0) lines.push(`  malformed: ${Object.entries(r.malformed).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (run) lines.push(`  ${run.elapsedS.toFixed(2)} s wall, ${run.cpuS.toFixed(2)} s CPU, ${run.workers} worker(s), peak RSS ${run.peakRssMb} MB`);
  return lines.join('\n') + '\n';
}
