/**
 * Scans: the hosts the exposure scanner found, their services, and the findings with the fix
 * for each (plain-language remediation from the check), most severe first. Aggregated by the
 * server per host (GET /api/v1/scans/summary).
 */
import { api, query } from '../api.js';
import { h, table } from '../dom.js';
import { timeEl } from '../prefs.js';

interface Port { port: number | null; proto: string | null; service: string | null; product: string | null; version: string | null }
interface Finding { finding: string; port: number | null; severity: string | null; title: string | null; remediation: string | null; service: string | null; ts: number }
interface Host { target_ip: string; name: string | null; last_ms: number; ports: Port[]; findings: Finding[] }

const RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const RANGES: Record<string, { label: string; ms: number }> = {
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000 },
  '365d': { label: 'Last year', ms: 365 * 86_400_000 },
};

export async function scansView(params: URLSearchParams, go: (hash: string) => void): Promise<HTMLElement> {
  const rangeKey = params.get('range') && RANGES[params.get('range')!] ? params.get('range')! : '30d';
  const to = Date.now();
  const s = await api<{ hosts: Host[]; partial: boolean }>('GET', `/api/v1/scans/summary${query({ from: to - RANGES[rangeKey].ms, to })}`);
  const select = h('select', { id: 'range', onchange: (e: Event) => go(`#/scans?range=${(e.target as HTMLSelectElement).value}`) },
    Object.entries(RANGES).map(([k, r]) => h('option', { value: k, selected: k === rangeKey }, r.label)));
  const bar = h('div', { class: 'toolbar' }, h('h1', {}, 'Scans'), h('label', { for: 'range' }, 'Range '), select);
  if (s.hosts.length === 0) {
    return h('div', { class: 'view' }, bar, h('p', { class: 'empty' }, 'No scan results in this range. Scan your network with: minewatch scan 192.168.1.0/24 --send URL --token-file FILE'));
  }
  const findings = s.hosts.flatMap((host) => host.findings.map((f) => ({ host, f })))
    .sort((a, b) => (RANK[a.f.severity ?? 'info'] ?? 5) - (RANK[b.f.severity ?? 'info'] ?? 5) || b.f.ts - a.f.ts);
  const services = s.hosts.flatMap((host) => host.ports.map((p) => ({ host, p })));
  const stat = (label: string, v: number): HTMLElement => h('div', { class: 'stat card' }, h('span', { class: 'stat-value' }, v.toLocaleString('en-US')), h('span', { class: 'stat-label' }, label));
  return h('div', { class: 'view' }, bar,
    s.partial ? h('p', { class: 'note' }, 'Partial: the range holds more scan rows than one answer reads; the newest are shown. Choose a shorter range.') : null,
    h('section', { class: 'stats', 'aria-label': 'Totals' },
      stat('Hosts', s.hosts.length), stat('Open services', services.length), stat('Findings', findings.length),
      stat('Critical or high', findings.filter((x) => x.f.severity === 'critical' || x.f.severity === 'high').length)),
    h('section', { class: 'card' }, h('h2', {}, 'Findings and how to fix them'),
      findings.length === 0 ? h('p', { class: 'empty' }, 'No findings: nothing exposed that a check knows to be risky.')
        : h('ol', { class: 'findings' }, findings.map(({ host, f }) => h('li', { class: `finding sev-${f.severity ?? 'info'}` },
          h('h3', {}, h('span', { class: `badge severity-${f.severity ?? 'info'}` }, f.severity ?? 'info'), ' ', f.title ?? f.finding),
          h('p', {}, `${host.name ? `${host.name} ` : ''}${host.target_ip}${f.port !== null ? ` port ${f.port}` : ''}${f.service ? ` (${f.service})` : ''} · seen `, timeEl(f.ts)),
          f.remediation ? h('p', { class: 'fix' }, h('strong', {}, 'Fix: '), f.remediation) : null)))),
    h('section', { class: 'card' }, h('h2', {}, 'Hosts and services'),
      table('Scanned hosts and their open services', ['Host', 'Name', 'Last scanned', 'Services', 'Findings'], s.hosts, (host) => [
        host.target_ip, host.name ?? '—', timeEl(host.last_ms),
        host.ports.map((p) => `${p.port}/${p.proto ?? 'tcp'} ${p.service ?? ''}${p.product ? ` (${[p.product, p.version].filter(Boolean).join(' ')})` : ''}`).join(', ') || '—',
        host.findings.length])));
}
