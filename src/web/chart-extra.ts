/**
 * The chart kinds only the Telescope, Scans and Campaigns views draw (bars, pies, the world
 * map), in a chunk of their own so the overview and the inbox do not load them. Charts drawn
 * here are disposed with the rest (chart-live.ts).
 */
import * as echarts from 'echarts/core';
import { BarChart, MapChart, PieChart } from 'echarts/charts';
import { VisualMapComponent } from 'echarts/components';
import { live, whenSized } from './chart-live.js';
import { h } from './dom.js';
import { effectiveTheme, zone } from './prefs.js';

echarts.use([BarChart, PieChart, MapChart, VisualMapComponent]);

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
  whenSized(box, () => {
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
