/**
 * `--html FILE`: one self-contained file (echarts inlined, chart options embedded as JSON) with
 * packets and hosts over time (with and without the spoofing/noise filters), top ports, top
 * countries, scanner families, backscatter victims, the tables behind them and a glossary.
 * Charts and tables come from present.ts, which the dashboard's Telescope view shares.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TelescopeReport } from './report.js';
import { escapeHtml } from '../util/html.js';
import { TELESCOPE_GLOSSARY, telescopeCharts, telescopeData, telescopeTables, type Cell, type GlossaryEntry, type TableSpec } from './present.js';

const require = createRequire(import.meta.url);

/** JSON safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function htmlTable(header: string[], rows: Cell[][]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A table model as HTML: its rows, the note under it, or the reason it is empty. */
export function tableHtml(t: TableSpec): string {
  const head = `<h2 id="t-${escapeHtml(t.id)}">${escapeHtml(t.title)}</h2>`;
  if (t.rows.length === 0) return `${head}<p class="empty">${escapeHtml(t.empty ?? 'No rows.')}</p>`;
  return `${head}${htmlTable(t.header, t.rows)}${t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : ''}`;
}

function glossaryHtml(): string {
  const groups: [GlossaryEntry['group'], string][] = [['class', 'Classes'], ['family', 'Scanner families'], ['tag', 'Tags'], ['filter', 'Spoofing and noise filters'], ['count', 'Counts']];
  return `<h2 id="glossary">What the classes, tags and filters mean</h2><div class="glossary">${groups.map(([g, title]) => `<h3>${title}</h3><dl>${
    TELESCOPE_GLOSSARY.filter((e) => e.group === g).map((e) => `<dt>${escapeHtml(e.term)}</dt><dd>${escapeHtml(e.meaning)}</dd>`).join('')}</dl>`).join('')}</div>`;
}

export function renderHtmlReport(report: TelescopeReport): string {
  const echarts = readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
  const d = telescopeData(report);
  const charts = telescopeCharts(d);
  const t = report.totals;
  const tables = telescopeTables(d).map(tableHtml).join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>minewatch telescope report</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}h3{font-size:14px;margin:10px 0 4px}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0}.kpi{background:#fff;border:1px solid #ddd;border-radius:6px;padding:6px 12px}
.kpi b{display:block;font-size:18px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.chart{height:320px;background:#fff;border:1px solid #ddd;border-radius:6px}
table{border-collapse:collapse;background:#fff;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
.note,.empty{font-size:12px;color:#555;margin:4px 0}.empty{font-style:italic}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:12px;margin:0}dt{font-weight:600}dd{margin:0}
footer{margin-top:24px;font-size:11px;color:#666}
</style></head><body>
<h1>minewatch darknet telescope</h1>
<div>${escapeHtml(report.darknets.join(', '))} · ${escapeHtml(report.start ?? '')} – ${escapeHtml(report.end ?? '')} · interval ${report.interval_s} s · times in UTC · <a href="#glossary">what the terms mean</a></div>
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
${charts.map((c) => `<div id="c-${c.id}" class="chart" role="img" aria-label="${escapeHtml(c.title)}"></div>`).join('\n')}
</div>
${tables}
${glossaryHtml()}
<footer>${escapeHtml(report.attribution)}</footer>
<script>${echarts.replace(/<\/script/gi, '<\\/script')}</script>
<script>
const C = ${scriptJson(charts.map((c) => ({ id: c.id, option: c.option })))};
const charts = C.map((c) => { const e = echarts.init(document.getElementById('c-' + c.id), null, { renderer: 'canvas' }); e.setOption(c.option); return e; });
window.__chartsReady = charts.length;
</script>
</body></html>
`;
}
