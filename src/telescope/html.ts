/**
 * `--report FILE.html`: one self-contained file (echarts inlined, data embedded as JSON) with
 * packets and hosts over time (with and without the spoofing/noise filters), top ports, top
 * countries, scanner families, backscatter victims, and the tables behind them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TelescopeReport } from './report.js';
import { escapeHtml } from '../util/html.js';

const require = createRequire(import.meta.url);

/** JSON safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function htmlTable(header: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c === null || c === undefined ? '' : String(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

export function renderHtmlReport(report: TelescopeReport): string {
  const echarts = readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
  const data = {
    intervals: report.intervals.map((i) => ({ start: i.start.slice(0, 16).replace('T', ' '), packets: i.packets, sources: i.sources, filtered: i.sources_filtered, nets: i.networks_24 })),
    ports: report.ports.slice(0, 20).map((p) => ({ name: `${p.port}/${p.proto}`, packets: p.packets, sources: p.sources })),
    countries: report.countries.slice(0, 20).map((c) => ({ name: c.country, packets: c.packets, sources: c.sources })),
    families: Object.entries(report.scanner_families).filter(([, v]) => v > 0).map(([name, value]) => ({ name, value })),
    victims: report.victims.slice(0, 15).map((v) => ({ name: `${v.ip}:${v.port}`, packets: v.packets })),
  };
  const t = report.totals;
  const ts = (us: number): string => new Date(us / 1000).toISOString().replace('.000Z', 'Z');
  const tables = [
    ['Surges', htmlTable(['kind', 'key', 'interval', 'packets', 'baseline', 'ratio'], report.surges.slice(0, 30).map((s) => [s.kind, s.key, s.interval, s.packets, s.baseline, s.ratio]))],
    ['Top talkers', htmlTable(['source', 'tag', 'class', 'family', 'country', 'AS', 'packets', 'top port', 'first', 'last'],
      report.top_talkers.slice(0, 50).map((r) => [r.ip, r.tag, r.class, r.family ?? '', r.country, r.asn || '', r.packets, r.top_port, ts(r.first), ts(r.last)]))],
    ['Classes', htmlTable(['class', 'sources', 'packets'], Object.entries(report.classes).map(([k, v]) => [k, v, report.class_packets[k as keyof typeof report.class_packets]]))],
    ['Tags', htmlTable(['tag', 'sources'], Object.entries(report.tags))],
    ['Backscatter victims (likely DoS targets)', htmlTable(['victim', 'attacked port', 'packets', 'peak/min', 'attack (corsaro thresholds)', 'kinds'],
      report.victims.slice(0, 50).map((v) => [v.ip, v.port, v.packets, v.max_ppm, v.attack ? 'yes' : 'no', v.kinds.join(' ')]))],
    ['Spoofed bursts', htmlTable(['fingerprint', 'sources', 'start', 'end'], report.bursts.map((b) => [b.fingerprint, b.sources, ts(b.start), ts(b.end)]))],
    ['Spoofing and noise filters (packets)', htmlTable(['filter', 'packets'], Object.entries(report.hygiene))],
    ['Top ports: last interval vs previous', htmlTable(['port', 'previous', 'current', 'change'], report.trends.ports.slice(0, 30).map((r) => [r.key, r.previous, r.current, r.change === null ? 'new' : `${Math.round(r.change * 100)} %`]))],
    ['Autonomous systems', htmlTable(['AS', 'organisation', 'packets', 'sources'], report.asns.slice(0, 30).map((a) => [a.asn, a.org, a.packets, a.sources]))],
    ['Alerts', htmlTable(['time', 'detector', 'source', 'signature'], report.alerts.slice(0, 200).map((a) => [a.timestamp, a.minewatch.detector, a.src_ip, a.alert.signature]))],
  ].map(([title, html]) => `<h2>${escapeHtml(title)}</h2>${html}`).join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>minewatch telescope report</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0}.kpi{background:#fff;border:1px solid #ddd;border-radius:6px;padding:6px 12px}
.kpi b{display:block;font-size:18px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.chart{height:300px;background:#fff;border:1px solid #ddd;border-radius:6px}
table{border-collapse:collapse;background:#fff;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
footer{margin-top:24px;font-size:11px;color:#666}
</style></head><body>
<h1>minewatch darknet telescope</h1>
<div>${escapeHtml(report.darknets.join(', '))} · ${escapeHtml(report.start ?? '')} – ${escapeHtml(report.end ?? '')} · interval ${report.interval_s} s</div>
<div class="kpis">
<div class="kpi"><b>${t.packets.toLocaleString('en')}</b>packets</div>
<div class="kpi"><b>${t.sources.toLocaleString('en')}</b>unique sources${report.unique_error.sources > 0 ? ` (±${(report.unique_error.sources * 100).toFixed(1)} %)` : ''}</div>
<div class="kpi"><b>${t.sources_filtered.toLocaleString('en')}</b>sources after spoofing/noise filters</div>
<div class="kpi"><b>${t.networks_24.toLocaleString('en')}</b>source /24s</div>
<div class="kpi"><b>${t.destinations.toLocaleString('en')}</b>darknet addresses hit</div>
<div class="kpi"><b>${report.ignored_packets.toLocaleString('en')}</b>packets ignored (not to the darknet)</div>
<div class="kpi"><b>${report.dos_attacks}</b>inferred DoS attacks</div>
</div>
<div class="grid">
<div id="c-packets" class="chart"></div><div id="c-hosts" class="chart"></div>
<div id="c-ports" class="chart"></div><div id="c-countries" class="chart"></div>
<div id="c-families" class="chart"></div><div id="c-victims" class="chart"></div>
</div>
${tables}
<footer>${escapeHtml(report.attribution)}</footer>
<script>${echarts.replace(/<\/script/gi, '<\\/script')}</script>
<script>
const D = ${scriptJson(data)};
const opt = { animation: false, tooltip: { trigger: 'axis' }, grid: { left: 60, right: 20, top: 40, bottom: 50 } };
function chart(id, o) { const c = echarts.init(document.getElementById(id), null, { renderer: 'canvas' }); c.setOption(Object.assign({}, opt, o)); return c; }
const x = D.intervals.map((i) => i.start);
const charts = [
  chart('c-packets', { title: { text: 'Packets per interval', textStyle: { fontSize: 13 } }, xAxis: { type: 'category', data: x }, yAxis: { type: 'value' },
    series: [{ type: 'line', name: 'packets', data: D.intervals.map((i) => i.packets), areaStyle: {} }] }),
  chart('c-hosts', { title: { text: 'Unique hosts per interval', textStyle: { fontSize: 13 } }, legend: { top: 24 }, grid: { left: 60, right: 20, top: 64, bottom: 50 }, xAxis: { type: 'category', data: x }, yAxis: { type: 'value' },
    series: [{ type: 'line', name: 'all sources', data: D.intervals.map((i) => i.sources) },
             { type: 'line', name: 'after spoofing/noise filters', data: D.intervals.map((i) => i.filtered) },
             { type: 'line', name: 'source /24s', data: D.intervals.map((i) => i.nets) }] }),
  chart('c-ports', { title: { text: 'Top destination ports', textStyle: { fontSize: 13 } }, xAxis: { type: 'category', data: D.ports.map((p) => p.name), axisLabel: { rotate: 45 } }, yAxis: { type: 'value' },
    series: [{ type: 'bar', name: 'packets', data: D.ports.map((p) => p.packets) }] }),
  chart('c-countries', { title: { text: 'Top source countries', textStyle: { fontSize: 13 } }, xAxis: { type: 'category', data: D.countries.map((c) => c.name) }, yAxis: { type: 'value' },
    series: [{ type: 'bar', name: 'packets', data: D.countries.map((c) => c.packets) }, { type: 'bar', name: 'sources', data: D.countries.map((c) => c.sources) }] }),
  chart('c-families', { title: { text: 'Scanner families (sources)', textStyle: { fontSize: 13 } }, tooltip: { trigger: 'item' },
    series: [{ type: 'pie', radius: '60%', data: D.families }] }),
  chart('c-victims', { title: { text: 'Backscatter victims', textStyle: { fontSize: 13 } }, xAxis: { type: 'category', data: D.victims.map((v) => v.name), axisLabel: { rotate: 45, fontSize: 9 } }, yAxis: { type: 'value' },
    series: [{ type: 'bar', name: 'packets', data: D.victims.map((v) => v.packets) }] }),
];
window.__chartsReady = charts.length;
</script>
</body></html>
`;
}
