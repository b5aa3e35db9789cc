/**
 * The telescope's shared presentation (report and dashboard): the defects a first look at
 * the report found stay fixed — real time axis with gaps, named series, legends below the
 * plot, spoofed bursts out of the family pie, no -1 port, "new" surges, bounded victims
 * table with a count of the rest, empty tables that say why, a glossary for every class and tag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from '../../src/synth/index.js';
import { runTelescope } from '../../src/telescope/run.js';
import { buildReport } from '../../src/telescope/report.js';
import { telescopeSummaryEvent } from '../../src/telescope/summary-event.js';
import {
  familySlices, intervalPoints, mergeTelescopeData, portLabel, surgeRatioLabel, TELESCOPE_GLOSSARY, telescopeCharts, telescopeData, telescopeTables, TOP_VICTIM_ROWS,
  type TelescopeData,
} from '../../src/telescope/present.js';
import { SOURCE_CLASSES } from '../../src/telescope/state.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const H = 3600;
const iv = (hour: number, packets: number): TelescopeData['intervals'][number] => ({
  start: '', start_us: hour * H * 1e6, packets, bytes: 0, sources: packets, networks_24: 1, destinations: 1, sources_filtered: 0, protocols: {},
});

test('interval points: a real time axis, gaps drawn as zero at both ends, not as neighbours', () => {
  const pts = intervalPoints([iv(0, 5), iv(1, 6), iv(2000, 7), iv(2002, 8)], H, (i) => i.packets);
  assert.deepEqual(pts, [
    [0, 5], [H * 1000, 6], [2 * H * 1000, 0], [1999 * H * 1000, 0], [2000 * H * 1000, 7], [2001 * H * 1000, 0], [2002 * H * 1000, 8],
  ]);
  // no gap: one point per interval
  assert.equal(intervalPoints([iv(3, 1), iv(4, 1), iv(5, 1)], H, (i) => i.packets).length, 3);
});

test('labels: no -1 port (a dash), surges from a zero baseline are "new"', () => {
  assert.equal(portLabel(-1), '—');
  assert.equal(portLabel(6379), '6379');
  assert.equal(surgeRatioLabel(0, 412), 'new (no baseline)');
  assert.equal(surgeRatioLabel(10, 4.5), '4.5×');
});

test('scanner families: spoofed-burst sources are left out of "unknown" and counted apart', () => {
  const r = familySlices({ scanner_families: { mirai: 3, zmap: 0, masscan: 1, nmap: 0, unknown: 1000 }, tags: { 'spoofed-burst': 990 } });
  assert.equal(r.burstsExcluded, 990);
  assert.deepEqual(r.slices, [{ name: 'mirai', value: 3 }, { name: 'masscan', value: 1 }, { name: 'unknown (no known fingerprint)', value: 10 }]);
  assert.deepEqual(familySlices({ scanner_families: { mirai: 0, zmap: 0, masscan: 0, nmap: 0, unknown: 5 }, tags: { 'spoofed-burst': 5 } }).slices, []);
});

test('charts and tables from a generated darknet: time axes, named series, legends below, bounded victims, empty tables say why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-present-'));
  try {
    const pcap = join(dir, 'd.pcap');
    await generate('darknet', { seed: 7, packets: 20_000, darknet: '198.18.0.0/16', hours: 6 }, pcap);
    const { state } = await runTelescope({ inputs: [pcap], darknets: ['198.18.0.0/16'], workers: 1 });
    const report = buildReport(state);
    const d = telescopeData(report);
    assert.equal(d.victims_total, state.victims.length);
    assert.ok(!('state' in d), 'the presentation data carries no mergeable state');
    const charts = telescopeCharts(d);
    assert.deepEqual(charts.map((c) => c.id), ['packets', 'hosts', 'ports', 'countries', 'families', 'victims']);
    for (const c of charts) {
      const o = c.option as { legend?: { top?: unknown; bottom?: unknown }; series: { name?: string; data: unknown[] }[]; xAxis?: { type: string } };
      for (const s of o.series) assert.ok(s.name && s.name.length > 0, `${c.id}: every series is named`);
      if (o.legend) assert.ok(o.legend.top === undefined && o.legend.bottom !== undefined, `${c.id}: legend below the plot, not over the title`);
      if (c.id === 'packets' || c.id === 'hosts') assert.equal(o.xAxis?.type, 'time');
      assert.doesNotThrow(() => JSON.stringify(c.option));
    }
    const countries = charts[3].option as { series: { name: string }[]; legend?: unknown };
    assert.equal(countries.series.length, 2);
    assert.ok(countries.legend, 'two series, so a legend names them');
    const packets = (charts[0].option as { series: { data: [number, number][] }[] }).series[0].data;
    assert.equal(packets.filter((p) => p[1] > 0).reduce((a, p) => a + p[1], 0), report.totals.packets);
    const tables = new Map(telescopeTables(d).map((t) => [t.id, t]));
    const alerts = tables.get('alerts')!;
    assert.equal(alerts.rows.length, 0);
    assert.match(alerts.empty!, /--watch/);
    const talkers = tables.get('talkers')!;
    assert.ok(talkers.rows.every((r) => r[7] !== -1 && r[7] !== '-1'));
    const victims = tables.get('victims')!;
    assert.ok(victims.rows.length <= TOP_VICTIM_ROWS);
    // a victims list longer than the table: the note says how many are not shown
    const many: TelescopeData = { ...d, victims: Array.from({ length: 100 }, (_, i) => ({ ip: `203.0.113.${i}`, packets: 1, first: 0, last: 0, port: 80, kinds: ['synack'], max_ppm: 1, attack: false })), victims_total: 10_000, victims_single_packet: 9_990 };
    const v2 = telescopeTables(many).find((t) => t.id === 'victims')!;
    assert.equal(v2.rows.length, TOP_VICTIM_ROWS);
    assert.match(v2.note!, /Top 50 of 10,000 victims by packets; 9,950 more not shown \(9,990 of all victims sent a single packet\)/);
    // every class and every tag the run produced is explained in the glossary
    const terms = TELESCOPE_GLOSSARY.map((e) => e.term).join(' | ');
    for (const c of SOURCE_CLASSES) assert.ok(TELESCOPE_GLOSSARY.some((e) => e.group === 'class' && e.term === c), `class ${c} explained`);
    for (const tag of Object.keys(report.tags)) {
      const stem = tag.startsWith('backscatter-') ? 'backscatter-syn-ack' : tag;
      assert.ok(terms.includes(stem.split('-').slice(0, 2).join('-')), `tag ${tag} explained`);
    }
    for (const f of Object.keys(report.hygiene)) assert.ok(TELESCOPE_GLOSSARY.some((e) => e.group === 'filter' && e.term === f), `filter ${f} explained`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('several runs merge: packets and intervals add exactly, unique sources are summed and flagged, lists stay bounded; the run event carries the view', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-present-merge-'));
  try {
    const runs = [];
    for (const seed of [1, 2]) {
      const pcap = join(dir, `d${seed}.pcap`);
      await generate('darknet', { seed, packets: 8_000, darknet: '198.18.0.0/16', hours: 3, startMs: Date.UTC(2026, 0, 1) + (seed - 1) * 2 * 3600_000 }, pcap);
      runs.push(buildReport((await runTelescope({ inputs: [pcap], darknets: ['198.18.0.0/16'], workers: 1 })).state));
    }
    const [a, b] = runs.map(telescopeData);
    const m = mergeTelescopeData([a, b]);
    assert.equal(m.sources_summed, true);
    assert.equal(m.totals.packets, a.totals.packets + b.totals.packets);
    assert.equal(m.totals.sources, a.totals.sources + b.totals.sources);
    assert.equal(m.intervals.reduce((x, i) => x + i.packets, 0), m.totals.packets);
    // the runs overlap by one hour: that interval's packets are the sum of both
    const starts = new Set([...a.intervals, ...b.intervals].map((i) => i.start_us));
    assert.equal(m.intervals.length, starts.size);
    assert.ok(m.intervals.length < a.intervals.length + b.intervals.length, 'an overlapping interval is merged, not repeated');
    const port = m.ports[0];
    const want = [a, b].reduce((x, d) => x + (d.ports.find((p) => p.port === port.port && p.proto === port.proto)?.packets ?? 0), 0);
    assert.equal(port.packets, want);
    assert.ok(m.top_talkers.length <= 100 && m.victims.length <= 100 && m.alerts.length <= 200);
    assert.equal(m.victims_total, (a.victims_total ?? 0) + (b.victims_total ?? 0));
    assert.equal(mergeTelescopeData([a]).sources_summed, false);
    // one event per run: its span and totals, the view, an id from the content (a resend is a duplicate)
    const ev = telescopeSummaryEvent(runs[0], 'tel-1')!;
    const t = ev.telescope as { start: number; end: number; packets: number; unique_sources: number; view: TelescopeData };
    assert.equal(t.packets, runs[0].totals.packets);
    assert.equal(t.unique_sources, runs[0].totals.sources);
    assert.equal(t.start, Date.parse(runs[0].start!));
    assert.ok(t.end > t.start);
    assert.deepEqual(t.view.totals, runs[0].totals);
    assert.equal((ev.minewatch as { event_id: string }).event_id, (telescopeSummaryEvent(runs[0])!.minewatch as { event_id: string }).event_id);
    assert.notEqual((ev.minewatch as { event_id: string }).event_id, (telescopeSummaryEvent(runs[1])!.minewatch as { event_id: string }).event_id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
