/** Plain-text summary for the terminal: findings first (worst first), then open ports. */
import type { ScanResult } from './types.js';

export function renderTextReport(result: ScanResult): string {
  const lines: string[] = [];
  const s = result.stats;
  for (const h of result.hosts) {
    if (h.state === 'down') continue;
    lines.push(`${h.address}${h.hostname ? ` (${h.hostname})` : ''}${h.mac ? ` [${h.mac}]` : ''} — up (${h.discoveredBy.join(', ')})`);
    for (const p of h.ports) {
      const what = [p.product, p.version].filter(Boolean).join(' ');
      lines.push(`  ${`${p.port}/${p.proto}`.padEnd(10)} ${p.service.padEnd(16)} ${what}`);
    }
    for (const f of h.findings) {
      lines.push(`  [${f.severity.toUpperCase()}] ${f.id}: ${f.title}`);
      lines.push(`      seen: ${f.evidence}`);
      lines.push(`      fix:  ${f.remediation}`);
    }
  }
  const down = result.hosts.filter((h) => h.state === 'down').length;
  const findings = result.hosts.reduce((n, h) => n + h.findings.length, 0);
  if (down > 0) lines.push(`${down} host${down === 1 ? '' : 's'} answered nothing (down, or every scanned port filtered)`);
  lines.push(
    `${s.hostsTargeted} hosts, ${s.hostsUp} up, ${s.openPorts} open ports, ${findings} findings in ${(s.elapsedMs / 1000).toFixed(1)} s` +
      (s.credentialAttempts ? `, ${s.credentialAttempts} credential attempts` : '') +
      (s.interrupted ? ' — INTERRUPTED, partial results' : ''),
  );
  return `${lines.join('\n')}\n`;
}
