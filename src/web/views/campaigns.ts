/**
 * Campaigns: a notification campaign's infected hosts by country (map and table), infected
 * hosts per day (the remediation curve), Kaplan–Meier "still infected" after notification
 * for the notified hosts and the control group, clean-up shares and the control effect —
 * all computed by the server over the caller's constituency (GET /api/v1/campaigns/{id}/report) —
 * the delivery funnel of the notification messages, and the notification package of the
 * caller's constituency to download in each format (GET /api/v1/campaigns/{id}/package).
 */
import { api, ApiError, query } from '../api.js';
import { timeChart, type Series } from '../chart.js';
import { specChart, worldMapChart } from '../chart-extra.js';
import { h, table } from '../dom.js';

interface CampaignItem { id: number; name: string; status: string; created_ms: number }
interface KmPoint { time: number; atRisk: number; events: number; censored: number; survival: number }
interface Group { hosts: number; remediated: number; reinfected: number; shareCleaned: Record<string, number>; kmCleaned: Record<string, number>; medianDays: number | null; curve: KmPoint[] }
interface Report {
  campaign: string; identity: string; notifiedAt: string; firstDay: string; lastDay: string; baseline: number; final: number; reduction: number | null;
  daily: Array<{ day: number; hosts: number }>; dailyByCountry: Record<string, Array<{ day: number; hosts: number }>>;
  all: Group; treatment: Group; control: Group | null;
  controlEffect: { difference: number; newcombe: [number, number]; horizonDays: number; treated: number; controls: number } | null;
  notifications: Record<'messages' | 'dryRun' | (typeof FUNNEL)[number][0], number>;
}

/** Funnel stages in order (the report's `notifications` keys) with their labels. */
const FUNNEL = [['queued', 'Queued'], ['sent', 'Sent'], ['delivered', 'Delivered'], ['bounced', 'Bounced'], ['failed', 'Failed'], ['replied', 'Replied'], ['acknowledged', 'Acknowledged']] as const;
const PACKAGES = [['intelmq', 'IntelMQ (JSON lines)'], ['csv', 'Shadowserver-style CSV'], ['xarf', 'XARF (JSON lines)'], ['iodef', 'IODEF (XML)'], ['stix', 'STIX 2.1 (JSON)']] as const;

/** The delivery funnel as horizontal bars, first stage on top. */
function funnelOption(f: Report['notifications']): Record<string, unknown> {
  return {
    animation: false, aria: { enabled: true }, tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 110, right: 32, top: 16, bottom: 32 },
    xAxis: { type: 'value', name: 'messages', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: FUNNEL.map(([, label]) => label) },
    series: [{ type: 'bar', name: 'messages', label: { show: true, position: 'right' }, data: FUNNEL.map(([k]) => f[k]) }],
  };
}

const DAY = 86_400_000;
const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)} %`);

/** Kaplan–Meier step curve: share still infected by days since notification. */
function kmOption(groups: Array<[string, Group]>): Record<string, unknown> {
  return {
    animation: false, aria: { enabled: true }, tooltip: { trigger: 'axis' }, legend: { type: 'scroll', bottom: 4 },
    grid: { left: 56, right: 24, top: 24, bottom: 64 },
    xAxis: { type: 'value', name: 'days since notification', nameLocation: 'middle', nameGap: 28, min: 0 },
    yAxis: { type: 'value', name: 'still infected', min: 0, max: 1 },
    series: groups.map(([name, g]) => ({ type: 'line', name, step: 'end', showSymbol: false, data: [[0, 1], ...g.curve.map((p) => [p.time, Math.round(p.survival * 1000) / 1000])] })),
  };
}

export async function campaignsView(params: URLSearchParams, go: (hash: string) => void): Promise<HTMLElement> {
  const list = (await api<{ items: CampaignItem[] }>('GET', '/api/v1/campaigns')).items;
  const bar = (current: number | null): HTMLElement => h('div', { class: 'toolbar' }, h('h1', {}, 'Campaigns'),
    list.length > 0 ? [h('label', { for: 'campaign' }, 'Campaign '), h('select', { id: 'campaign', onchange: (e: Event) => go(`#/campaigns${query({ id: (e.target as HTMLSelectElement).value })}`) },
      list.map((c) => h('option', { value: String(c.id), selected: c.id === current }, c.name)))] : null);
  if (list.length === 0) return h('div', { class: 'view' }, bar(null), h('p', { class: 'empty' }, 'No campaigns visible to you. Create one with: minewatch campaign create NAME …'));
  const id = Number(params.get('id') ?? list[0].id);
  let r: Report;
  try {
    r = await api<Report>('GET', `/api/v1/campaigns/${id}/report`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) return h('div', { class: 'view' }, bar(id), h('p', { class: 'empty' }, 'This campaign has not been notified yet: the remediation report starts at the notification time.'));
    throw err;
  }
  const countries = Object.entries(r.dailyByCountry).map(([cc, s]) => ({ cc, first: s[0]?.hosts ?? 0, last: s[s.length - 1]?.hosts ?? 0, peak: Math.max(0, ...s.map((x) => x.hosts)) }))
    .sort((a, b) => b.peak - a.peak);
  const series: Series[] = [
    { name: 'all infected hosts', points: r.daily.map((d) => [d.day * DAY, d.hosts]) },
    ...countries.slice(0, 6).map((c) => ({ name: c.cc === '??' ? 'unknown country' : c.cc, points: r.dailyByCountry[c.cc].map((d) => [d.day * DAY, d.hosts] as [number, number]) })),
  ];
  const groups: Array<[string, Group]> = [['notified', r.treatment], ...(r.control ? [['control (not notified)', r.control] as [string, Group]] : [])];
  const stat = (label: string, v: string | number): HTMLElement =>
    h('div', { class: 'stat card' }, h('span', { class: 'stat-value' }, typeof v === 'number' ? v.toLocaleString('en-US') : v), h('span', { class: 'stat-label' }, label));
  const days = Object.keys(r.all.shareCleaned).sort((a, b) => Number(a) - Number(b));
  const e = r.controlEffect;
  return h('div', { class: 'view' }, bar(id),
    h('p', { class: 'note' }, `${r.campaign}: ${r.firstDay} to ${r.lastDay}, notified ${r.notifiedAt.slice(0, 10)}; a host is identified by ${r.identity}.`),
    h('section', { class: 'stats', 'aria-label': 'Totals' },
      stat('Infected at baseline', r.baseline), stat('Infected at the end', r.final), stat('Change', r.reduction === null ? '—' : pct(r.reduction)),
      stat('Hosts', r.all.hosts), stat('Cleaned up', r.all.remediated), stat('Reinfected', r.all.reinfected),
      stat('Median days to clean-up (notified)', r.treatment.medianDays ?? '—')),
    timeChart('Infected hosts per day (remediation curve)', series, DAY, 'hosts'),
    h('div', { class: 'grid2' },
      worldMapChart('Infected hosts by country (peak per day)', 'hosts', countries.map((c) => ({ code: c.cc, value: c.peak }))),
      specChart('Kaplan–Meier: share still infected after notification', kmOption(groups),
        groups.map(([n, g]) => `${n}: median ${g.medianDays ?? 'not reached'} days`).join('; '))),
    h('div', { class: 'grid2' },
      h('section', { class: 'card' }, h('h2', {}, 'By country'),
        table('Infected hosts by country', ['Country', 'First day', 'Last day', 'Peak'], countries, (c) => [c.cc === '??' ? 'unknown' : c.cc, c.first, c.last, c.peak])),
      h('section', { class: 'card' }, h('h2', {}, 'Clean-up'),
        table('Share cleaned up within k days of notification', ['Within', 'All (crude)', 'Notified (K–M)', 'Control (K–M)'], days, (k) => [
          `${k} days`, pct(r.all.shareCleaned[k]), pct(r.treatment.kmCleaned[k]), r.control ? pct(r.control.kmCleaned[k]) : '—']),
        e ? h('p', { class: 'note' }, `Notification effect at ${e.horizonDays} days: ${pct(e.difference)} more of the ${e.treated} notified hosts cleaned up than of the ${e.controls} controls (95 % Newcombe interval ${pct(e.newcombe[0])} to ${pct(e.newcombe[1])}).`)
          : h('p', { class: 'note' }, 'No control group (or not enough follow-up) to measure the notification\'s effect.'))),
    h('div', { class: 'grid2' },
      h('section', { class: 'card' }, h('h2', {}, 'Delivery funnel'),
        r.notifications.messages > 0
          ? [specChart('Delivery funnel of the notification messages', funnelOption(r.notifications), FUNNEL.map(([k, label]) => `${label} ${r.notifications[k]}`).join(', ')),
            table('Delivery funnel of the notification messages', ['Stage', 'Messages', 'Of those sent'], [...FUNNEL], ([k, label]) => [label, r.notifications[k], k === 'queued' || k === 'sent' || k === 'failed' ? '—' : pct(r.notifications.sent > 0 ? r.notifications[k] / r.notifications.sent : null)])]
          : h('p', { class: 'empty' }, 'No notification messages recorded for this campaign yet (minewatch campaign notify).')),
      h('section', { class: 'card', 'aria-label': 'Packages to download' }, h('h2', {}, 'Packages to download'),
        h('p', { class: 'note' }, `The notified hosts in your constituency (the control group is held back), one file per format.${r.notifications.dryRun > 0 ? ` ${r.notifications.dryRun} of ${r.notifications.messages} messages were dry runs (written, not sent).` : ''}`),
        h('ul', { class: 'downloads' }, PACKAGES.map(([fmt, label]) => h('li', {}, h('a', { href: `/api/v1/campaigns/${id}/package${query({ format: fmt })}`, download: true, 'data-format': fmt }, label)))))));
}
