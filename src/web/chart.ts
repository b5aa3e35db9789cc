/**
 * Charts through echarts' modular core (only the line chart and the components used, so
 * the bundle stays small), on a real time axis: empty hours stay empty instead of drawing
 * distant points as neighbours. Colours follow the theme.
 */
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { effectiveTheme, formatTime, zone } from './prefs.js';
import { h } from './dom.js';
import { live, whenSized } from './chart-live.js';

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, TitleComponent, AriaComponent, SVGRenderer]);

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

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
  // the chart is drawn once the figure is in the document with a size
  whenSized(box, () => {
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

