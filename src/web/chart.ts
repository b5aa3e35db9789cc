/**
 * Charts through echarts' modular core (only the line chart and the components used, so
 * the bundle stays small), on a real time axis: empty hours stay empty instead of drawing
 * distant points as neighbours. Colours follow the theme.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, MapChart, PieChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { effectiveTheme, formatTime, zone } from './prefs.js';
import { h } from './dom.js';

echarts.use([LineChart, BarChart, PieChart, MapChart, VisualMapComponent, GridComponent, LegendComponent, TooltipComponent, TitleComponent, AriaComponent, SVGRenderer]);

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

const live = new Set<echarts.ECharts>();

/** Disposes the charts of the previous view. */
export function disposeCharts(): void {
  for (const c of live) c.dispose();
  live.clear();
}

addEventListener('resize', () => {
  for (const c of live) c.resize();
});

/** A time-series line chart in a figure with a visible caption (the chart's accessible name). */
export function timeChart(caption: string, series: Series[], stepMs: number, yName = 'events'): HTMLElement {
  const box = h('div', { class: 'chart', role: 'img', 'aria-label': `${caption}: ${series.map((s) => `${s.name} ${s.points.reduce((a, p) => a + p[1], 0)}`).join(', ')}` });
  const fig = h('figure', { class: 'card' }, h('figcaption', {}, caption), box);
  if (series.length === 0) {
    box.replaceWith(h('p', { class: 'empty' }, 'No events in this range.'));
    return fig;
  }
  const dark = effectiveTheme() === 'dark';
  const fg = dark ? '#e6e6e6' : '#1d1d1f';
  // the chart is drawn after the figure is in the document (it needs a size)
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    const chart = echarts.init(box, undefined, { renderer: 'svg' });
    live.add(chart);
    chart.setOption({
      aria: { enabled: true },
      textStyle: { color: fg },
      legend: { type: 'scroll', bottom: 0, textStyle: { color: fg } },
      grid: { left: 48, right: 16, top: 16, bottom: 56 },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => String(v) },
      xAxis: {
        type: 'time', useUTC: zone() === 'utc', minInterval: stepMs,
        axisLabel: { color: fg, hideOverlap: true }, axisLine: { lineStyle: { color: fg } },
        axisPointer: { label: { formatter: (p: { value: unknown }) => formatTime(Number(p.value)) } },
      },
      yAxis: { type: 'value', minInterval: 1, name: yName, nameTextStyle: { color: fg }, axisLabel: { color: fg }, splitLine: { lineStyle: { color: dark ? '#333' : '#ddd' } } },
      series: series.map((s) => ({ name: s.name, type: 'line', showSymbol: s.points.length < 50, connectNulls: false, data: s.points })),
    });
  });
  return fig;
}

/** Hourly or daily buckets with zeros filled in between first and last, so gaps show as zero. */
export function fillBuckets(points: Array<[number, number]>, from: number, to: number, stepMs: number): Array<[number, number]> {
  const have = new Map(points);
  const out: Array<[number, number]> = [];
  const start = from - (from % stepMs);
  if ((to - start) / stepMs > 2000) return points;
  for (let t = start; t < to; t += stepMs) out.push([t, have.get(t) ?? 0]);
  return out;
}

/** Theme colours merged into a shared chart option (telescope/present.ts builds theme-neutral options). */
function themed(option: Record<string, unknown>): Record<string, unknown> {
  const dark = effectiveTheme() === 'dark';
  const fg = dark ? '#e6e6e6' : '#1d1d1f';
  const axis = (a: unknown): unknown => (Array.isArray(a) ? a.map(axis) : a && typeof a === 'object'
    ? { ...a, axisLabel: { ...((a as { axisLabel?: object }).axisLabel ?? {}), color: fg }, nameTextStyle: { color: fg }, axisLine: { lineStyle: { color: fg } } } : a);
  const title = option.title as Record<string, unknown> | undefined;
  return {
    ...option, textStyle: { color: fg }, useUTC: zone() === 'utc',
    ...(title ? { title: { ...title, textStyle: { ...((title.textStyle as object) ?? {}), color: fg }, subtextStyle: { color: dark ? '#bbb' : '#555' } } } : {}),
    ...(option.legend ? { legend: { ...(option.legend as object), textStyle: { color: fg } } } : {}),
    ...(option.xAxis ? { xAxis: axis(option.xAxis) } : {}),
    ...(option.yAxis ? { yAxis: axis(option.yAxis) } : {}),
  };
}

function draw(box: HTMLElement, option: Record<string, unknown>): void {
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    const chart = echarts.init(box, undefined, { renderer: 'svg' });
    live.add(chart);
    chart.setOption(option);
  });
}

/** A chart from a shared option (the telescope's report and view draw the same charts), in a figure with a caption. */
export function specChart(caption: string, option: Record<string, unknown>, summary: string): HTMLElement {
  const box = h('div', { class: 'chart', role: 'img', 'aria-label': `${caption}: ${summary}` });
  const fig = h('figure', { class: 'card' }, h('figcaption', { class: 'visually-hidden' }, caption), box);
  draw(box, themed(option));
  return fig;
}

let worldLoaded: Promise<void> | null = null;

/** Registers the world map once (world-atlas geometry, bundled; loaded only when a map is drawn). */
async function loadWorld(): Promise<void> {
  worldLoaded ??= (async () => {
    const [{ feature }, topo, { ISO_NUMERIC_TO_ALPHA2 }] = await Promise.all([
      import('topojson-client'), import('world-atlas/countries-110m.json'), import('./world-codes.js'),
    ]);
    const t = (topo as { default?: unknown }).default ?? topo;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const geo = feature(t as any, (t as any).objects.countries) as unknown as { features: Array<{ id?: string; properties: { name?: string } }> };
    for (const f of geo.features) f.properties = { name: ISO_NUMERIC_TO_ALPHA2[String(f.id ?? '')] ?? f.properties.name ?? '' };
    echarts.registerMap('world', geo as never);
  })();
  return worldLoaded;
}

/** Countries (ISO 3166 alpha-2) on a world map, shaded by value. */
export function worldMapChart(caption: string, seriesName: string, rows: Array<{ code: string; value: number }>): HTMLElement {
  const box = h('div', { class: 'chart map', role: 'img', 'aria-label': `${caption}: ${rows.slice(0, 10).map((r) => `${r.code} ${r.value}`).join(', ')}` });
  const fig = h('figure', { class: 'card' }, h('figcaption', {}, caption), box);
  const max = rows.reduce((a, r) => Math.max(a, r.value), 0);
  const dark = effectiveTheme() === 'dark';
  void loadWorld().then(() => draw(box, {
    aria: { enabled: true }, animation: false, tooltip: { trigger: 'item' },
    visualMap: { min: 0, max: Math.max(1, max), left: 8, bottom: 8, calculable: false, text: ['more', 'fewer'], textStyle: { color: dark ? '#e6e6e6' : '#1d1d1f' }, inRange: { color: dark ? ['#23324a', '#7fb0ff'] : ['#dbe8ff', '#1f4fbf'] } },
    series: [{ type: 'map', map: 'world', name: seriesName, roam: false, emphasis: { label: { show: false } }, itemStyle: { areaColor: dark ? '#2a2a2a' : '#eee', borderColor: dark ? '#555' : '#aaa' },
      data: rows.map((r) => ({ name: r.code, value: r.value })) }],
  }));
  return fig;
}
