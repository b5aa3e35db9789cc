/**
 * A self-contained HTML report (no scripts, no external resources): a summary by severity,
 * then each host with its findings (what to do first) and its open ports. Every value from
 * the network is escaped: banners and page titles are attacker-controlled.
 */
import type { Finding, HostResult, ScanResult, Severity } from './types.js';
import { escapeHtml } from '../util/html.js';

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const COLORS: Record<Severity, string> = { critical: '#8b0000', high: '#c0392b', medium: '#d68910', low: '#2874a6', info: '#566573' };

function findingHtml(f: Finding): string {
  return `<div class="finding ${f.severity}">
<div class="fhead"><span class="sev" style="background:${COLORS[f.severity]}">${f.severity}</span> <strong>${escapeHtml(f.title)}</strong> <code>${escapeHtml(f.id)}</code></div>
<p><b>What we saw:</b> ${escapeHtml(f.evidence)}</p>
<p><b>How to fix it:</b> ${escapeHtml(f.remediation)}</p>
</div>`;
}

function hostHtml(h: HostResult): string {
  const name = h.hostname ? ` (${escapeHtml(h.hostname)})` : '';
  const mac = h.mac ? ` <span class="muted">MAC ${escapeHtml(h.mac)}</span>` : '';
  const rows = h.ports
    .map((p) => `<tr><td>${p.port}/${p.proto}</td><td>${escapeHtml(p.service)}</td><td>${escapeHtml([p.product, p.version].filter(Boolean).join(' '))}</td><td><code>${escapeHtml(p.banner)}</code></td></tr>`)
    .join('\n');
  return `<section class="host">
<h2>${escapeHtml(h.address)}${name} <span class="state ${h.state}">${h.state}</span>${mac}</h2>
${h.state === 'down' ? '<p class="muted">Nothing answered on the scanned ports or on the local link.</p>' : ''}
${h.findings.map(findingHtml).join('\n')}
${h.ports.length > 0 ? `<table><thead><tr><th>port</th><th>service</th><th>product</th><th>banner</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
</section>`;
}

export function renderHtmlReport(result: ScanResult, title = 'minewatch exposure scan'): string {
  const counts = new Map<Severity, number>();
  for (const h of result.hosts) for (const f of h.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const summary = SEVERITIES.filter((s) => counts.get(s)).map((s) => `<span class="sev" style="background:${COLORS[s]}">${counts.get(s)} ${s}</span>`).join(' ');
  // Hosts with the worst findings first; hosts that are down last.
  const rank = (h: HostResult): number => (h.state === 'down' ? 99 : Math.min(9, ...h.findings.map((f) => SEVERITIES.indexOf(f.severity))));
  const hosts = [...result.hosts].sort((a, b) => rank(a) - rank(b));
  const s = result.stats;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
.sev{color:#fff;border-radius:3px;padding:0 .4em;font-size:.85em;text-transform:uppercase}
.finding{border-left:4px solid #ccc;padding:.3rem .8rem;margin:.6rem 0;background:#fafafa}
.finding.critical{border-color:${COLORS.critical}}.finding.high{border-color:${COLORS.high}}.finding.medium{border-color:${COLORS.medium}}.finding.low{border-color:${COLORS.low}}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-bottom:1px solid #ddd;text-align:left;padding:.2rem .4rem;vertical-align:top}
code{word-break:break-all}.muted{color:#777;font-size:.9em}.state.up{color:#1e8449}.state.down{color:#777}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${s.hostsTargeted} hosts scanned, ${s.hostsUp} answered, ${s.openPorts} open ports, ${result.hosts.reduce((n, h) => n + h.findings.length, 0)} findings ${summary}</p>
<p class="muted">Started ${escapeHtml(s.startedAt)}, took ${(s.elapsedMs / 1000).toFixed(1)} s${s.interrupted ? ' — <b>interrupted</b>: results are partial' : ''}${s.credentialAttempts ? `, ${s.credentialAttempts} default-password attempts` : ''}.</p>
${hosts.map(hostHtml).join('\n')}
<p class="muted">General advice: change default passwords, keep firmware up to date, put IoT devices on their own network, and turn off services you do not use.</p>
</body></html>
`;
}
