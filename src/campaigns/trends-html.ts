/**
 * `minewatch report trends --format html`: the trend report as one self-contained page — inline
 * CSS, charts as inline SVG rendered on the server by echarts' SSR renderer (no script runs in
 * the page, nothing is fetched), and the tables behind every chart with the same numbers as the
 * JSON output. Charts: alerts and mining-related alerts per period with the mining share,
 * darknet packets and unique sources per period, the top darknet ports per period (surges
 * marked in the table), detections by country over the whole range.
 */
import * as echarts from 'echarts';
import { escapeHtml } from '../util/html.js';
import type { TrendReport } from './trends.js';

const W = 640;
const H = 300;

/** One chart as an SVG string (echarts server-side rendering, no animation). */
function svgChart(title: string, option: Record<string, unknown>): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: W, height: H });
  try {
    chart.setOption({
      animation: false, title: { text: title, textStyle: { fontSize: 13 } }, legend: { top: 24 },
      grid: { left: 70, right: 60, top: 60, bottom: 40 }, textStyle: { fontFamily: 'sans-serif' }, ...option,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const pct = (x: number | null): string => (x === null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(1)} %`);

function table(head: string[], rows: Array<Array<string | number | null>>, numeric = true): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric && i > 0 ? ' class="n"' : ''}>${escapeHtml(c === null ? '–' : String(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

export function trendHtml(r: TrendReport): string {
  const labels = r.periods.map((p) => p.period);
  const charts: string[] = [];
  charts.push(svgChart('Security events and mining-related share', {
    xAxis: { type: 'category', data: labels },
    yAxis: [{ type: 'value', name: 'alerts' }, { type: 'value', name: 'mining %', max: 100, min: 0 }],
    series: [
      { type: 'bar', name: 'alerts', data: r.periods.map((p) => p.alerts) },
      { type: 'bar', name: 'mining-related', data: r.periods.map((p) => p.mining) },
      { type: 'line', name: 'mining share %', yAxisIndex: 1, data: r.periods.map((p) => (p.miningShare === null ? null : Math.round(p.miningShare * 1000) / 10)) },
    ],
  }));
  charts.push(svgChart('Darknet packets and unique sources', {
    xAxis: { type: 'category', data: labels },
    yAxis: [{ type: 'value', name: 'packets' }, { type: 'value', name: 'sources' }],
    series: [
      { type: 'bar', name: 'packets', data: r.periods.map((p) => p.darknetPackets) },
      { type: 'line', name: 'unique sources', yAxisIndex: 1, data: r.periods.map((p) => p.darknetUniqueSources) },
      { type: 'line', name: 'after spoofing filters (≤)', yAxisIndex: 1, data: r.periods.map((p) => p.darknetSourcesFiltered) },
    ],
  }));
  const portTotals = new Map<string, number>();
  for (const p of r.periods) for (const x of p.topPorts) portTotals.set(x.port, (portTotals.get(x.port) ?? 0) + x.packets);
  const ports = [...portTotals].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k]) => k);
  charts.push(svgChart('Top darknet ports per period (packets)', {
    xAxis: { type: 'category', data: labels }, yAxis: { type: 'value' },
    series: ports.map((port) => ({ type: 'bar', stack: 'ports', name: port, data: r.periods.map((p) => p.topPorts.find((x) => x.port === port)?.packets ?? 0) })),
  }));
  const countries = new Map<string, number>();
  for (const p of r.periods) for (const c of p.byCountry) countries.set(c.key, (countries.get(c.key) ?? 0) + c.count);
  const topCountries = [...countries].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 15);
  charts.push(svgChart('Detections by country (whole range)', {
    xAxis: { type: 'category', data: topCountries.map(([k]) => k) }, yAxis: { type: 'value' },
    series: [{ type: 'bar', name: 'alerts', data: topCountries.map(([, n]) => n) }],
  }));

  const periodsTable = table(
    ['period', 'alerts', 'mining-related', 'mining share', 'mining change', 'darknet packets', 'darknet unique sources', 'summed per interval (≤)', 'after spoofing filters (≤)'],
    r.periods.map((p) => [p.period, p.alerts, p.mining, p.miningShare === null ? null : `${(p.miningShare * 100).toFixed(1)} %`, pct(p.miningChange), p.darknetPackets, p.darknetUniqueSources, p.darknetSources, p.darknetSourcesFiltered]),
  );
  const detail = r.periods.filter((p) => p.alerts > 0 || p.darknetPackets > 0).map((p) => `<section><h3>${escapeHtml(p.period)}</h3>
<div class="cols">
<div><h4>Countries</h4>${table(['country', 'alerts'], p.byCountry.map((c) => [c.key, c.count]))}</div>
<div><h4>Detectors</h4>${table(['detector', 'alerts'], p.byDetector.map((c) => [c.key, c.count]))}</div>
<div><h4>Device types</h4>${table(['type', 'alerts'], p.byDeviceType.map((c) => [c.key, c.count]))}</div>
<div><h4>Source AS</h4>${table(['AS', 'alerts', 'announced IPv4', 'per 100k'], p.byAsn.map((a) => [`AS${a.asn}`, a.count, a.announced, a.per100k === null ? null : a.per100k.toFixed(2)]))}</div>
<div><h4>Darknet ports</h4>${table(['port', 'packets', 'change', 'surge'], p.topPorts.map((x) => [x.port, x.packets, pct(x.change), x.surge ? 'surge' : '']))}</div>
<div><h4>Darknet source countries</h4>${table(['country', 'packets'], p.darknetCountries.map((c) => [c.key, c.count]))}</div>
</div></section>`).join('\n');
  const surges = r.surges.length
    ? table(['period', 'port', 'previous period', 'packets', 'change'], r.surges.map((s) => [s.period, s.port, s.previous, s.packets, pct(s.change)]))
    : '<p>No port surges in this range.</p>';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>minewatch trends ${escapeHtml(r.from.slice(0, 10))} – ${escapeHtml(r.to.slice(0, 10))}</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px;color:#222;background:#fafafa;max-width:1340px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 6px}h3{font-size:14px;margin:16px 0 4px}h4{font-size:12px;margin:6px 0 2px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(${W}px,1fr));gap:12px}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:4px}
.cols{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
table{border-collapse:collapse;background:#fff;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.caveats{font-size:12px;color:#444}
</style></head><body>
<h1>minewatch trends</h1>
<p>${escapeHtml(r.from.slice(0, 10))} – ${escapeHtml(r.to.slice(0, 10))} (end exclusive), by ${escapeHtml(r.by)}; all counts from the collector's roll-ups and stored telescope intervals.</p>
<div class="charts">${charts.map((c) => `<figure>${c}</figure>`).join('\n')}</div>
<h2>Per period</h2>
${periodsTable}
<h2>Darknet port surges</h2>
${surges}
<h2>Breakdowns</h2>
${detail}
<h2>Caveats</h2>
<ul class="caveats">${r.caveats.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>
</body></html>
`;
}
