/** Plain-text rendering of the analysis summary and alerts for the terminal. */
import type { AnalysisSummary } from './summary.js';

const fmt = (n: number) => n.toLocaleString('en-US');

function table(title: string, counts: Record<string, number>, limit = 20): string {
  const entries = Object.entries(counts).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return '';
  const shown = entries.slice(0, limit);
  const width = Math.max(...shown.map(([k]) => k.length));
  let out = `${title}\n`;
  for (const [k, v] of shown) out += `  ${k.padEnd(width)}  ${fmt(v)}\n`;
  if (entries.length > limit) out += `  … and ${entries.length - limit} more\n`;
  return out;
}

export function formatSummary(s: AnalysisSummary): string {
  let out = '';
  out += `minewatch analyze: ${s.inputs.join(', ')}\n`;
  out += `  packets   ${fmt(s.packets)}\n`;
  out += `  bytes     ${fmt(s.bytes)}\n`;
  out += `  flows     ${fmt(s.flows)}\n`;
  out += `  elapsed   ${s.elapsed_s.toFixed(2)} s  (${fmt(s.packets_per_s)} packets/s, ${s.mb_per_s} MB/s, ${s.workers} worker${s.workers === 1 ? '' : 's'}, peak RSS ${s.peak_rss_mb} MB)\n`;
  out += table('link types', s.link_types);
  out += table('flows ended by', s.flows_by_end);
  out += table('application messages', s.protocols);
  const malformedTotal = Object.values(s.malformed).reduce((a, b) => a + b, 0);
  out += malformedTotal > 0 ? table(`malformed / dropped (${fmt(malformedTotal)})`, s.malformed) : 'malformed / dropped: none\n';
  const alertTotal = Object.values(s.alerts).reduce((a, b) => a + b, 0);
  out += alertTotal > 0 ? table(`alerts (${fmt(alertTotal)}) by detector`, s.alerts) : 'alerts: none\n';
  const suppressed = Object.values(s.alerts_suppressed).reduce((a, b) => a + b, 0);
  if (suppressed > 0) out += table(`alerts suppressed (${fmt(suppressed)})`, s.alerts_suppressed);
  for (const w of s.warnings.slice(0, 10)) out += `warning: ${w}\n`;
  return out;
}

export function formatAlerts(alerts: Record<string, unknown>[], limit = 50): string {
  let out = '\nalerts\n';
  for (const a of alerts.slice(0, limit)) {
    const alert = a.alert as { signature: string; severity: number };
    const mw = a.minewatch as { detector: string; evidence?: Record<string, unknown> };
    const tuple = `${a.src_ip ?? '?'}${a.src_port !== undefined ? `:${a.src_port}` : ''} -> ${a.dest_ip ?? '?'}${a.dest_port !== undefined ? `:${a.dest_port}` : ''}`;
    out += `  [${mw.detector}] sev ${alert.severity}  ${alert.signature}\n      ${String(a.timestamp)}  ${tuple}\n`;
    const ev = mw.evidence ? JSON.stringify(mw.evidence) : '';
    if (ev) out += `      evidence: ${ev.length > 300 ? `${ev.slice(0, 300)}…` : ev}\n`;
  }
  if (alerts.length > limit) out += `  … ${alerts.length - limit} more (use --eve to get all)\n`;
  return out;
}
