/**
 * Telescope: the darknet at a glance over a range — packets and hosts per interval on a time
 * axis, top ports, countries on a world map and by count, scanner families, backscatter
 * victims, surges, watched-organisation alerts — with the spoofing/noise filters on or off,
 * and every class and tag explained. Charts and tables come from the same code as the HTML
 * report (telescope/present.ts); the numbers are aggregated by the server from stored runs.
 */
import {
  familySlices, TELESCOPE_GLOSSARY, telescopeCharts, telescopeTables, type TableSpec, type TelescopeData,
} from '../../telescope/present.js';
import { api, query } from '../api.js';
import { specChart, worldMapChart } from '../chart-extra.js';
import { h, table } from '../dom.js';
import { formatTime } from '../prefs.js';

interface Summary { runs: number; runs_without_view: number; partial: boolean; covered_from: number | null; covered_to: number | null; data: (TelescopeData & { sources_summed: boolean }) | null }

const RANGES: Record<string, { label: string; ms: number }> = {
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000 },
  '365d': { label: 'Last year', ms: 365 * 86_400_000 },
};

export function specTable(t: TableSpec): HTMLElement {
  return h('section', { class: 'card', id: `tel-${t.id}` }, h('h2', {}, t.title),
    t.rows.length === 0 ? h('p', { class: 'empty' }, t.empty ?? 'No rows.') : table(t.title, t.header, t.rows, (r) => r),
    t.rows.length > 0 && t.note ? h('p', { class: 'note' }, t.note) : null);
}

function glossary(): HTMLElement {
  const groups: Array<[string, string]> = [['class', 'Classes'], ['family', 'Scanner families'], ['tag', 'Tags'], ['filter', 'Spoofing and noise filters'], ['count', 'Counts']];
  return h('section', { class: 'card', id: 'glossary' }, h('h2', {}, 'What the classes, tags and filters mean'),
    groups.map(([g, title]) => [h('h3', {}, title), h('dl', { class: 'glossary' },
      TELESCOPE_GLOSSARY.filter((e) => e.group === g).map((e) => [h('dt', {}, e.term), h('dd', {}, e.meaning)]))]));
}

const total = (pts: TelescopeData['intervals'], k: 'packets' | 'sources' | 'sources_filtered'): number => pts.reduce((a, i) => a + i[k], 0);

export async function telescopeView(params: URLSearchParams, go: (hash: string) => void): Promise<HTMLElement> {
  const rangeKey = params.get('range') && RANGES[params.get('range')!] ? params.get('range')! : '30d';
  const filtered = params.get('filters') === 'on';
  const to = Date.now();
  const from = to - RANGES[rangeKey].ms;
  const s = await api<Summary>('GET', `/api/v1/telescope/summary${query({ from, to })}`);
  const nav = (r: string, f: boolean): string => `#/telescope?range=${r}&filters=${f ? 'on' : 'off'}`;
  const select = h('select', { id: 'range', onchange: (e: Event) => go(nav((e.target as HTMLSelectElement).value, filtered)) },
    Object.entries(RANGES).map(([k, r]) => h('option', { value: k, selected: k === rangeKey }, r.label)));
  const toggle = h('button', { type: 'button', id: 'filters', 'aria-pressed': filtered ? 'true' : 'false', onclick: () => go(nav(rangeKey, !filtered)) },
    filtered ? 'Spoofing/noise filters: on' : 'Spoofing/noise filters: off');
  const bar = h('div', { class: 'toolbar' }, h('h1', {}, 'Telescope'), h('label', { for: 'range' }, 'Range '), select, toggle);
  const d = s.data;
  if (!d) {
    return h('div', { class: 'view' }, bar, h('p', { class: 'empty' }, s.runs > 0
      ? `${s.runs} telescope runs in this range carry no summary (sent by an older minewatch).`
      : 'No telescope data in this range. Send a run with: minewatch telescope CAPTURE --darknet CIDR --send URL --token-file FILE'));
  }
  const charts = telescopeCharts(d, { filtered });
  const tables = telescopeTables(d, { filtered });
  const byId = new Map(charts.map((c) => [c.id, c]));
  const fam = familySlices(d);
  const summaryOf: Record<string, string> = {
    packets: `${total(d.intervals, 'packets')} packets in ${d.intervals.length} intervals`,
    hosts: `${d.totals.sources} sources, ${d.totals.sources_filtered} after filters`,
    ports: d.ports.slice(0, 5).map((p) => `${p.port}/${p.proto} ${p.packets}`).join(', '),
    countries: d.countries.slice(0, 5).map((c) => `${c.country} ${c.packets}`).join(', '),
    families: fam.slices.map((f) => `${f.name} ${f.value}`).join(', ') || 'none',
    victims: d.victims.slice(0, 5).map((v) => `${v.ip} ${v.packets}`).join(', ') || 'none',
  };
  const chart = (id: string): HTMLElement => specChart(byId.get(id)!.title, byId.get(id)!.option, summaryOf[id]);
  const stat = (label: string, v: number | string): HTMLElement =>
    h('div', { class: 'stat card' }, h('span', { class: 'stat-value' }, typeof v === 'number' ? v.toLocaleString('en-US') : v), h('span', { class: 'stat-label' }, label));
  const pick = (id: string): TableSpec => tables.find((t) => t.id === id)!;
  const countryMetric = filtered ? 'sources' : 'packets';
  return h('div', { class: 'view' }, bar,
    h('p', { class: 'note' }, `${s.runs} run${s.runs === 1 ? '' : 's'} of ${d.darknets.join(', ')} from ${formatTime(s.covered_from)} to ${formatTime(s.covered_to)}`,
      s.partial ? ' — partial: only the newest runs in this range are included.' : '',
      d.sources_summed ? ' — unique sources added across runs (an upper bound).' : '', ' ', h('a', { href: '#glossary' }, 'What the terms mean')),
    h('section', { class: 'stats', 'aria-label': 'Totals' },
      stat('Packets', d.totals.packets), stat('Unique sources', d.totals.sources), stat('Sources after filters', d.totals.sources_filtered),
      stat('Darknet addresses hit', d.totals.destinations), stat('Inferred DoS attacks', d.dos_attacks), stat('Alerts', d.alerts.length)),
    h('div', { class: 'grid2' }, chart('packets'), chart('hosts')),
    worldMapChart(`Source countries on a map (${countryMetric})`, countryMetric, d.countries.map((c) => ({ code: c.country, value: c[countryMetric] }))),
    h('div', { class: 'grid2' }, chart('ports'), chart('countries'), chart('families'), chart('victims')),
    specTable(pick('alerts')), specTable(pick('surges')), specTable(pick('victims')), specTable(pick('talkers')),
    h('div', { class: 'grid2' }, specTable(pick('classes')), specTable(pick('tags')), specTable(pick('hygiene')), specTable(pick('bursts'))),
    glossary());
}
