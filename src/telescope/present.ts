/**
 * The telescope's presentation: chart options (plain echarts option JSON, no functions) and
 * table models built from a report. The self-contained HTML report (html.ts) and the
 * dashboard's Telescope view (src/web/views/telescope.ts) both draw from here, so a fix to
 * a chart or a table lands in both. Browser-safe: type imports only.
 *
 * What this fixes against a first look at the old report: intervals drawn on a real time
 * axis (gaps drawn as zero, not as neighbours); legends below the plot, never over a title;
 * every series named; spoofed-burst sources out of the scanner-family pie (they are one
 * packet each from forged addresses, not scanners); no `-1` as a port; a surge from a zero
 * baseline says "new" instead of a ratio equal to its packet count; the victims table keeps
 * the top rows and says how many more there are; an empty table says why; and a glossary
 * of classes, tags, families and filters.
 */
import type { TelescopeReport } from './report.js';

/** What the presentation needs of a report (the dashboard's route sends this, without the mergeable state). */
export type TelescopeData = Pick<TelescopeReport,
  'darknets' | 'interval_s' | 'start' | 'end' | 'totals' | 'unique_error' | 'ignored_packets' | 'hygiene' | 'intervals' | 'ports' |
  'countries' | 'asns' | 'classes' | 'class_packets' | 'scanner_families' | 'tags' | 'top_talkers' | 'victims' | 'dos_attacks' |
  'bursts' | 'trends' | 'surges' | 'alerts' | 'attribution'> & {
  /** all victims the run kept (the report's list is the top 100); defaults to victims.length */
  victims_total?: number;
  victims_single_packet?: number;
};

export type Cell = string | number;
export interface ChartSpec { id: string; title: string; option: Record<string, unknown> }
export interface TableSpec {
  id: string;
  title: string;
  header: string[];
  rows: Cell[][];
  /** shown under the table: "n more …", what the rows mean */
  note?: string;
  /** shown instead of the table when it has no rows: why */
  empty?: string;
}

export const TOP_VICTIM_ROWS = 50;
export const TOP_TALKER_ROWS = 50;
const BURST_TAG = 'spoofed-burst';

/** Reduces a full report to what the presentation draws (drops the mergeable state, counts all victims). */
export function telescopeData(r: TelescopeReport): TelescopeData {
  return {
    darknets: r.darknets, interval_s: r.interval_s, start: r.start, end: r.end, totals: r.totals, unique_error: r.unique_error,
    ignored_packets: r.ignored_packets, hygiene: r.hygiene, intervals: r.intervals, ports: r.ports.slice(0, 50), countries: r.countries,
    asns: r.asns.slice(0, 50), classes: r.classes, class_packets: r.class_packets, scanner_families: r.scanner_families, tags: r.tags,
    top_talkers: r.top_talkers, victims: r.victims, dos_attacks: r.dos_attacks, bursts: r.bursts, trends: r.trends, surges: r.surges,
    alerts: r.alerts.slice(0, 200), attribution: r.attribution,
    victims_total: r.victims_total, victims_single_packet: r.victims_single_packet,
  };
}

const fmt = (n: number): string => n.toLocaleString('en');

/** Packets of a heavy-hitter row: the count, or the range it is known to lie in when the count is an upper bound (error > 0). */
export const packetsCell = (packets: number, error: number | undefined): Cell => (error !== undefined && error > 0 ? `${fmt(packets - error)}–${fmt(packets)}` : packets);

/** A port, or "—" where there is none (the aggregator's -1: the source sent no TCP/UDP probes, e.g. only replies or ICMP). */
export const portLabel = (port: number): string => (port >= 0 ? String(port) : '—');

/** A surge's ratio as shown: "new" when nothing was seen before (the ratio would only repeat the packet count). */
export const surgeRatioLabel = (baseline: number, ratio: number): string => (baseline <= 0 ? 'new (no baseline)' : `${ratio}×`);

/** Sources per scanner family, spoofed bursts left out (they are counted as scanners of unknown family by the classifier). */
export function familySlices(d: Pick<TelescopeData, 'scanner_families' | 'tags'>): { slices: { name: string; value: number }[]; burstsExcluded: number } {
  const burstsExcluded = d.tags[BURST_TAG] ?? 0;
  const slices = Object.entries(d.scanner_families).map(([name, value]) => (name === 'unknown'
    ? { name: 'unknown (no known fingerprint)', value: Math.max(0, value - burstsExcluded) }
    : { name, value })).filter((s) => s.value > 0);
  return { slices, burstsExcluded };
}

/**
 * Points for a real time axis: [ms, value]; where intervals are missing (nothing arrived) a zero
 * is drawn just after the last and just before the next, so empty hours show as empty and four
 * points months apart are not drawn as neighbours. At most two extra points per gap.
 */
export function intervalPoints(intervals: TelescopeData['intervals'], intervalS: number, pick: (i: TelescopeData['intervals'][number]) => number): [number, number][] {
  const step = intervalS * 1000;
  const out: [number, number][] = [];
  let prev: number | null = null;
  for (const i of intervals) {
    const t = Math.round(i.start_us / 1000);
    if (prev !== null && t - prev > step) {
      out.push([prev + step, 0]);
      if (t - prev > 2 * step) out.push([t - step, 0]);
    }
    out.push([t, pick(i)]);
    prev = t;
  }
  return out;
}

const TITLE = { left: 8, top: 6, textStyle: { fontSize: 13 } };
/** Legend under the plot: never over the title, scrolls when it is long. */
const LEGEND = { type: 'scroll', bottom: 4, left: 'center' };
/** A time axis spanning the data, one interval of margin either side (a lone interval sits in the middle). */
function timeAxis(d: TelescopeData): Record<string, unknown> {
  const step = d.interval_s * 1000;
  const iv = d.intervals;
  const range = iv.length > 0 ? { min: Math.round(iv[0].start_us / 1000) - step, max: Math.round(iv[iv.length - 1].start_us / 1000) + step } : {};
  return { type: 'time', minInterval: step, ...range, axisLabel: { hideOverlap: true } };
}

/** A title whose subtext says why the chart is empty. */
const titled = (text: string, empty: boolean, why: string): Record<string, unknown> => ({ ...TITLE, text, ...(empty ? { subtext: why } : {}) });

function base(title: string, legend: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    animation: false, aria: { enabled: true }, useUTC: true, title: { ...TITLE, text: title },
    tooltip: { trigger: 'axis' }, grid: { left: 64, right: 56, top: 44, bottom: legend ? 64 : 40, containLabel: false },
    ...(legend ? { legend: LEGEND } : {}), ...extra,
  };
}

export interface ChartOptions {
  /** the filtered view: hosts after the spoofing/noise filters only */
  filtered?: boolean;
}

/** The six telescope charts. */
export function telescopeCharts(d: TelescopeData, o: ChartOptions = {}): ChartSpec[] {
  const iv = d.intervals;
  const ports = d.ports.filter((p) => p.port >= 0).slice(0, 20);
  const countries = d.countries.slice(0, 20);
  const victims = d.victims.slice(0, 15);
  const fam = familySlices(d);
  const hostSeries = o.filtered
    ? [{ type: 'line', name: 'sources after spoofing/noise filters', showSymbol: iv.length < 60, data: intervalPoints(iv, d.interval_s, (i) => i.sources_filtered) }]
    : [
      { type: 'line', name: 'all sources', showSymbol: iv.length < 60, data: intervalPoints(iv, d.interval_s, (i) => i.sources) },
      { type: 'line', name: 'after spoofing/noise filters', showSymbol: iv.length < 60, data: intervalPoints(iv, d.interval_s, (i) => i.sources_filtered) },
      { type: 'line', name: 'source /24 networks', showSymbol: iv.length < 60, data: intervalPoints(iv, d.interval_s, (i) => i.networks_24) },
    ];
  return [
    { id: 'packets', title: 'Packets per interval', option: base('Packets per interval', false, {
      xAxis: timeAxis(d), yAxis: { type: 'value', name: 'packets' },
      series: [{ type: 'line', name: 'packets', showSymbol: iv.length < 60, areaStyle: {}, data: intervalPoints(iv, d.interval_s, (i) => i.packets) }],
    }) },
    { id: 'hosts', title: 'Unique hosts per interval', option: base('Unique hosts per interval', true, {
      xAxis: timeAxis(d), yAxis: { type: 'value', name: 'sources' }, series: hostSeries,
    }) },
    { id: 'ports', title: 'Top destination ports', option: base('Top destination ports', false, {
      title: titled('Top destination ports', ports.length === 0, 'No TCP/UDP packets to the darknet.'),
      xAxis: { type: 'category', data: ports.map((p) => `${p.port}/${p.proto}`), axisLabel: { rotate: 45 } }, yAxis: { type: 'value', name: 'packets' },
      series: [{ type: 'bar', name: 'packets', data: ports.map((p) => p.packets) }],
    }) },
    { id: 'countries', title: 'Top source countries', option: base('Top source countries', true, {
      title: titled('Top source countries', countries.length === 0, 'No sources with a known country.'),
      xAxis: { type: 'category', data: countries.map((c) => c.country), axisLabel: { rotate: 45 } },
      yAxis: [{ type: 'value', name: 'packets' }, { type: 'value', name: 'sources', splitLine: { show: false } }],
      series: [
        { type: 'bar', name: 'packets (left axis)', data: countries.map((c) => c.packets) },
        { type: 'bar', name: 'unique sources (right axis)', yAxisIndex: 1, data: countries.map((c) => c.sources) },
      ],
    }) },
    { id: 'families', title: 'Scanner families', option: base('Scanner families (sources)', true, {
      title: {
        ...TITLE, text: 'Scanner families (sources)',
        subtext: fam.burstsExcluded > 0 ? `${fmt(fam.burstsExcluded)} spoofed-burst sources left out (forged, not scanners)` : '',
        ...(fam.slices.length === 0 ? { subtext: `No scanner sources${fam.burstsExcluded > 0 ? ` (${fmt(fam.burstsExcluded)} spoofed-burst sources left out)` : ''}` } : {}),
      },
      tooltip: { trigger: 'item' },
      series: [{ type: 'pie', name: 'sources', radius: '55%', center: ['50%', '55%'], data: fam.slices }],
    }) },
    { id: 'victims', title: 'Backscatter victims', option: base('Backscatter victims (top 15 by packets)', false, {
      title: titled('Backscatter victims (top 15 by packets)', victims.length === 0, 'No backscatter: no replies reached the darknet.'),
      xAxis: { type: 'category', data: victims.map((v) => `${v.ip}:${v.port}`), axisLabel: { rotate: 45, fontSize: 9 } }, yAxis: { type: 'value', name: 'packets' },
      grid: { left: 64, right: 24, top: 44, bottom: 96 },
      series: [{ type: 'bar', name: 'packets', data: victims.map((v) => v.packets) }],
    }) },
  ];
}

const iso = (us: number): string => new Date(us / 1000).toISOString().replace('.000Z', 'Z');

/** The report's tables, in reading order. */
export function telescopeTables(d: TelescopeData, o: ChartOptions = {}): TableSpec[] {
  const victimsTotal = d.victims_total ?? d.victims.length;
  const shownVictims = d.victims.slice(0, TOP_VICTIM_ROWS);
  const single = d.victims_single_packet;
  const moreVictims = victimsTotal - shownVictims.length;
  // with the filters on, the talkers that fail them (spoofed bursts, erratic sources) are left out
  const talkers = d.top_talkers.filter((r) => !o.filtered || (!r.spoofed && !r.tag.startsWith('erratic'))).slice(0, TOP_TALKER_ROWS);
  return [
    { id: 'surges', title: 'Surges', header: ['kind', 'key', 'interval', 'packets', 'baseline (median before)', 'ratio'],
      rows: d.surges.slice(0, 30).map((s) => [s.kind, s.key, s.interval, s.packets, s.baseline, surgeRatioLabel(s.baseline, s.ratio)]),
      note: d.surges.length > 30 ? `${fmt(d.surges.length - 30)} more surges not shown (in --json).` : undefined,
      empty: 'No surges: no port or country rose to 4× its recent median (and at least 50 packets) in any interval.' },
    { id: 'talkers', title: 'Top talkers', header: ['source', 'tag', 'class', 'family', 'country', 'AS', 'packets', 'top port', 'first', 'last'],
      rows: talkers.map((r) => {
        const tracked = r.tracked !== false;
        return [r.ip, r.tag, r.class, r.family ?? '', r.country, r.asn || '', packetsCell(r.packets, r.packets_error), portLabel(r.top_port), tracked ? iso(r.first) : '', tracked ? iso(r.last) : ''];
      }),
      note: `${d.top_talkers.length > talkers.length ? `Top ${talkers.length} of ${fmt(d.top_talkers.length)} listed sources by packets${o.filtered ? ' (spoofed and erratic sources left out)' : ''}. ` : ''}`
        + (talkers.some((r) => r.top_port < 0) ? 'Top port "—": the source sent no TCP/UDP probes (only replies or ICMP). ' : '')
        + (talkers.some((r) => (r.packets_error ?? 0) > 0) ? 'Packets as a range: a heavy-hitter estimate (sources past the memory bound\'s table, or merged runs); the true count lies in it. ' : '')
        + (talkers.some((r) => r.tracked === false) ? 'Tag "untracked": a source past the memory bound\'s table, counted but not classified.' : ''),
      empty: 'No sources.' },
    { id: 'classes', title: 'Classes', header: ['class', 'sources', 'packets'],
      rows: Object.entries(d.classes).map(([k, v]) => [k, v, d.class_packets[k as keyof typeof d.class_packets]]) },
    { id: 'tags', title: 'Tags', header: ['tag', 'sources'], rows: Object.entries(d.tags), empty: 'No tagged sources.' },
    { id: 'victims', title: 'Backscatter victims (likely DoS targets)', header: ['victim', 'attacked port', 'packets', 'peak/min', 'attack (corsaro thresholds)', 'kinds'],
      rows: shownVictims.map((v) => [v.ip, portLabel(v.port), packetsCell(v.packets, v.error), v.max_ppm, v.attack ? 'yes' : 'no', v.kinds.join(' ')]),
      note: (moreVictims > 0
        ? `Top ${shownVictims.length} of ${fmt(victimsTotal)} victims by packets; ${fmt(moreVictims)} more not shown${single !== undefined ? ` (${fmt(single)} of all victims sent a single packet)` : ''}. All rows: --json or --csv. `
        : '') + (shownVictims.some((v) => (v.error ?? 0) > 0) ? 'Packets as a range: the victim table is bounded (Space-Saving); the true count lies in it.' : '') || undefined,
      empty: 'No backscatter victims: no replies (SYN-ACK, RST, ICMP errors, DNS answers) reached the darknet.' },
    { id: 'bursts', title: 'Spoofed bursts', header: ['fingerprint', 'sources', 'start', 'end'],
      rows: d.bursts.slice(0, 30).map((b) => [b.fingerprint, b.sources, iso(b.start), iso(b.end)]),
      note: d.bursts.length > 30 ? `${fmt(d.bursts.length - 30)} more bursts not shown.` : undefined,
      empty: 'No spoofed bursts: no group of one-packet sources with an identical header fingerprint.' },
    { id: 'hygiene', title: 'Spoofing and noise filters (packets)', header: ['filter', 'packets'], rows: Object.entries(d.hygiene),
      empty: 'No packet failed a spoofing/noise filter.' },
    { id: 'trends', title: 'Top ports: last interval vs previous', header: ['port', 'previous', 'current', 'change'],
      rows: d.trends.ports.slice(0, 30).map((r) => [r.key, r.previous, r.current, r.change === null ? 'new' : `${Math.round(r.change * 100)} %`]),
      empty: 'No port probes.' },
    { id: 'asns', title: 'Autonomous systems', header: ['AS', 'organisation', 'packets', 'sources'],
      rows: d.asns.slice(0, 30).map((a) => [a.asn, a.org, a.packets, a.sources]), empty: 'No AS data (no AS table loaded, or only private sources).' },
    { id: 'alerts', title: 'Alerts', header: ['time', 'detector', 'source', 'signature'],
      rows: d.alerts.slice(0, 200).map((a) => [a.timestamp, a.minewatch?.detector ?? '', a.src_ip ?? '', a.alert.signature]),
      note: d.alerts.length > 200 ? `${fmt(d.alerts.length - 200)} more alerts not shown.` : undefined,
      empty: 'No alerts. The telescope alerts only when a source belongs to a watched organisation (--watch FILE) or, with --internal, '
        + 'when an internal host touches unused internal address space or ARP-sweeps it; nothing of that kind was seen (or neither was configured).' },
  ];
}

export interface GlossaryEntry { term: string; group: 'class' | 'tag' | 'family' | 'filter' | 'count'; meaning: string }

/** Every class, tag, family and filter the telescope reports, explained. */
export const TELESCOPE_GLOSSARY: readonly GlossaryEntry[] = [
  { group: 'class', term: 'scanner', meaning: 'Sends probes (TCP SYN, UDP requests, ICMP echo requests) to darknet addresses: looking for services to attack.' },
  { group: 'class', term: 'backscatter', meaning: 'Sends replies (SYN-ACK, RST, ICMP errors, DNS answers) nobody asked for: a victim of a DoS attack answering forged source addresses that fall in the darknet.' },
  { group: 'class', term: 'other', meaning: 'Neither: misconfigured hosts and erratic or malformed traffic.' },
  { group: 'family', term: 'mirai / zmap / masscan / nmap', meaning: 'The scanning tool, from header fingerprints that combine two or more fields (e.g. Mirai: sequence number = destination address) matched by most of a source\'s SYNs.' },
  { group: 'family', term: 'unknown', meaning: 'A scanner whose probes match no known fingerprint. Spoofed-burst sources are left out of the family chart.' },
  { group: 'tag', term: 'spoofed-burst', meaning: 'One of many one-packet sources with an identical header in a short time: a flood from forged addresses. Counted as sources, removed from the filtered host count.' },
  { group: 'tag', term: 'mirai-like, masscan, zmap, nmap-syn', meaning: 'A scanner of that family.' },
  { group: 'tag', term: 'scan-tcp, scan-udp, scan-icmp, scan-redis', meaning: 'A scanner of unknown family by what it mostly probes (scan-redis: TCP 6379, miners\' favourite way in).' },
  { group: 'tag', term: 'backscatter-syn-ack, -rst, -dns, -echo-reply, -icmp-error', meaning: 'Backscatter by its most frequent reply kind.' },
  { group: 'tag', term: 'erratic', meaning: 'Most packets fail a hard noise filter (see filters).' },
  { group: 'tag', term: 'erratic-ttl', meaning: 'Most probes arrive with TTL ≥ 200 and match no scanner fingerprint: likely forged.' },
  { group: 'tag', term: 'misconfiguration', meaning: 'Neither probes nor replies dominate: stray traffic from a misconfigured host.' },
  { group: 'filter', term: 'ttl-200-or-more', meaning: 'A probe with TTL ≥ 200 (replies and masscan/ZMap probes exempt).' },
  { group: 'filter', term: 'src-network-or-broadcast', meaning: 'Source address ends in .0 or .255.' },
  { group: 'filter', term: 'src-equals-dst', meaning: 'Source address equals destination (LAND).' },
  { group: 'filter', term: 'port-zero', meaning: 'TCP or UDP port 0.' },
  { group: 'filter', term: 'fragment', meaning: 'An IP fragment (no ports to classify).' },
  { group: 'filter', term: 'impossible-tcp-flags', meaning: 'TCP flag combinations no stack sends (SYN+FIN, none at all, …).' },
  { group: 'filter', term: 'bogon-source', meaning: 'Source in private, reserved or unallocated space: cannot have come over the Internet.' },
  { group: 'count', term: 'sources after filters', meaning: 'Sources with at least one packet passing every filter, minus spoofed-burst sources: the count to trust during a flood.' },
  { group: 'count', term: 'surge', meaning: 'An interval where a port or country has ≥ 4× the median of the previous six intervals (and ≥ 50 packets); "new" when nothing came before.' },
  { group: 'count', term: 'victim attack', meaning: 'Backscatter from one victim that meets the corsaro thresholds (enough packets, sources and duration) for an inferred DoS attack.' },
];

function sumRows<T extends { packets: number; sources: number }>(rows: T[], key: (r: T) => string, limit: number): T[] {
  const by = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const a = by.get(k);
    if (a) by.set(k, { ...a, packets: a.packets + r.packets, sources: a.sources + r.sources });
    else by.set(k, { ...r });
  }
  return [...by.values()].sort((a, b) => b.packets - a.packets).slice(0, limit);
}

function sumRecords<T extends Record<string, number>>(list: T[]): T {
  const out: Record<string, number> = {};
  for (const r of list) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out as T;
}

/**
 * Several runs' presentation data as one (the dashboard over a time range holding more than
 * one stored run): packets add exactly; unique-source counts are added, so across runs they
 * are an upper bound (a source seen by two runs counts twice) — `sources_summed` says so.
 * Lists stay bounded (the same caps as one report).
 */
export function mergeTelescopeData(list: TelescopeData[]): TelescopeData & { sources_summed: boolean } {
  if (list.length === 1) return { ...list[0], sources_summed: false };
  const first = list[0];
  const byStart = new Map<number, TelescopeData['intervals'][number]>();
  for (const i of list.flatMap((d) => d.intervals)) {
    const a = byStart.get(i.start_us);
    byStart.set(i.start_us, a ? {
      ...a, packets: a.packets + i.packets, bytes: a.bytes + i.bytes, sources: a.sources + i.sources, networks_24: a.networks_24 + i.networks_24,
      destinations: a.destinations + i.destinations, sources_filtered: a.sources_filtered + i.sources_filtered, protocols: sumRecords([a.protocols, i.protocols]),
    } : { ...i });
  }
  const starts = list.map((d) => d.start).filter((s): s is string => s !== null).sort();
  const ends = list.map((d) => d.end).filter((s): s is string => s !== null).sort();
  const latest = [...list].sort((a, b) => ((a.end ?? '') < (b.end ?? '') ? -1 : 1))[list.length - 1];
  return {
    darknets: [...new Set(list.flatMap((d) => d.darknets))],
    interval_s: Math.min(...list.map((d) => d.interval_s)),
    start: starts[0] ?? null,
    end: ends[ends.length - 1] ?? null,
    totals: sumRecords(list.map((d) => d.totals)),
    unique_error: { ...first.unique_error, sources: Math.max(...list.map((d) => d.unique_error.sources)) },
    ignored_packets: list.reduce((a, d) => a + d.ignored_packets, 0),
    hygiene: sumRecords(list.map((d) => d.hygiene)),
    intervals: [...byStart.values()].sort((a, b) => a.start_us - b.start_us),
    ports: sumRows(list.flatMap((d) => d.ports), (p) => `${p.proto}/${p.port}`, 50),
    countries: sumRows(list.flatMap((d) => d.countries), (c) => c.country, 300),
    asns: sumRows(list.flatMap((d) => d.asns), (a) => String(a.asn), 50),
    classes: sumRecords(list.map((d) => d.classes)),
    class_packets: sumRecords(list.map((d) => d.class_packets)),
    scanner_families: sumRecords(list.map((d) => d.scanner_families)),
    tags: sumRecords(list.map((d) => d.tags)),
    top_talkers: list.flatMap((d) => d.top_talkers).sort((a, b) => b.packets - a.packets).slice(0, 100),
    victims: list.flatMap((d) => d.victims).sort((a, b) => b.packets - a.packets).slice(0, 100),
    victims_total: list.reduce((a, d) => a + (d.victims_total ?? d.victims.length), 0),
    victims_single_packet: list.every((d) => d.victims_single_packet !== undefined) ? list.reduce((a, d) => a + d.victims_single_packet!, 0) : undefined,
    dos_attacks: list.reduce((a, d) => a + d.dos_attacks, 0),
    bursts: list.flatMap((d) => d.bursts).sort((a, b) => b.sources - a.sources).slice(0, 100),
    trends: latest.trends,
    surges: list.flatMap((d) => d.surges).sort((a, b) => (b.packets - b.baseline) - (a.packets - a.baseline)).slice(0, 100),
    alerts: list.flatMap((d) => d.alerts).sort((a, b) => (a.timestamp < b.timestamp ? 1 : -1)).slice(0, 200),
    attribution: first.attribution,
    sources_summed: true,
  };
}
