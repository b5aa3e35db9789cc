/**
 * The live telescope's interval path (telescope/live.ts) over capture files: each closed
 * interval's statistics equal that interval's row of `minewatch telescope FILE`, and merging
 * every interval's state gives the file run's totals; idle close, late frames, the interval
 * files (read back by `telescope merge`) and the collector event. The live capture itself is
 * tested in live-netns.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { generate } from '../../src/synth/index.js';
import { openCapture } from '../../src/capture/open.js';
import { runTelescope, buildAggregator } from '../../src/telescope/run.js';
import { buildReport, type TelescopeReport } from '../../src/telescope/report.js';
import { decodeStateFile, encodeStateFile, mergeStateFiles } from '../../src/telescope/state-file.js';
import { decodeSketch } from '../../src/telescope/interval-events.js';
import { IntervalRoller, intervalEvent, intervalStamp, runIntervals, writeIntervalFiles, type ClosedInterval } from '../../src/telescope/live.js';
import { register } from '../../src/cli/telescope.js';
import { UsageError } from '../../src/util/errors.js';
import type { CaptureSource, FrameBatch } from '../../src/capture/source.js';
import { BatchArrays } from '../../src/capture/source.js';
import { ReasonCounter } from '../../src/events/counters.js';
import { Sender } from '../../src/transport/sender.js';
import { sendEvents } from '../../src/transport/send.js';
import { telescopeStats } from '../../src/store/queries.js';
import { serverFixture } from '../helpers/collector-server.js';
import { DIALECTS } from '../helpers/collector.js';

let dir = '';
const DARKNETS = ['198.18.0.0/16'];

before(() => { dir = mkdtempSync(join(tmpdir(), 'mw-tel-live-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

async function intervalsOf(file: string, intervalS: number): Promise<ClosedInterval[]> {
  const out: ClosedInterval[] = [];
  const r = await runIntervals({ darknets: DARKNETS, intervalS }, await openCapture([file]), false, { onInterval: (iv) => { out.push(iv); } });
  assert.equal(r.intervals, out.length);
  return out;
}

const same = (live: TelescopeReport, ref: TelescopeReport, keys: (keyof TelescopeReport)[]): void => {
  for (const k of keys) assert.deepEqual(live[k], ref[k], `${String(k)} equal`);
};

for (const c of [
  { name: 'scale darknet (3 days, 1 h intervals)', kind: { packets: 150_000, sources: 8000, sweeps: 2, hours: 72 }, intervalS: 3600 },
  { name: 'darknet (6 h, 30 min intervals)', kind: { packets: 40_000, hours: 6 }, intervalS: 1800 },
]) {
  test(`interval path = file run per interval, and merged = whole run: ${c.name}`, async () => {
    const file = join(dir, `${c.intervalS}.pcap`);
    await generate('darknet', { seed: 11, darknet: DARKNETS[0], ...c.kind }, file);
    const ivs = await intervalsOf(file, c.intervalS);
    const ref = buildReport((await runTelescope({ inputs: [file], darknets: DARKNETS, intervalS: c.intervalS, workers: 1 })).state);
    assert.equal(ivs.length, ref.intervals.length);
    assert.ok(ivs.length >= 12, `${ivs.length} intervals`);
    for (let k = 0; k < ivs.length; k++) {
      assert.equal(ivs[k].report.intervals.length, 1, 'one interval per closed state');
      assert.deepEqual(ivs[k].report.intervals[0], ref.intervals[k], `interval ${k}`);
      assert.equal(ivs[k].start, ref.intervals[k].start_us);
      assert.equal(ivs[k].end - ivs[k].start, c.intervalS * 1e6);
    }
    const merged = buildReport(mergeStateFiles(ivs.map((iv, k) => ({ name: `interval ${k}`, ...decodeStateFile(encodeStateFile(iv.state).bytes, `interval ${k}`) }))).state);
    same(merged, ref, ['totals', 'protocols', 'hygiene', 'classes', 'class_packets', 'scanner_families', 'family_packets', 'intervals']);
    assert.deepEqual(merged.ports.slice(0, 50), ref.ports.slice(0, 50));
    // top talkers: heavy-hitter summaries merged over the intervals, so each count is an upper
    // bound within its stated error of the whole run's exact count, and the classes agree
    const listed = new Map(merged.top_talkers.map((t) => [t.ip, t]));
    for (const r of ref.top_talkers.slice(0, 20)) {
      const t = listed.get(r.ip);
      assert.ok(t !== undefined, `${r.ip} listed`);
      assert.ok(t.packets - (t.packets_error ?? 0) <= r.packets && r.packets <= t.packets, `${r.ip}: ${r.packets} within [${t.packets - (t.packets_error ?? 0)}, ${t.packets}]`);
      assert.equal(t.class, r.class, r.ip);
    }
    assert.ok(merged.top_talkers_error <= merged.heavy_hitters.talkers.error_bound);
  });
}

/** A source that yields the given batches (for the roller tests). */
function fakeSource(): CaptureSource {
  return { name: 'fake', totalBytes: null, bytesConsumed: () => 0, linkTypeCounts: new Map(), malformed: new ReasonCounter(), warnings: [], batches: async function* () { /* none */ }, close: async () => {} };
}

function batchAt(file: FrameBatch, tsUs: number[]): FrameBatch {
  const a = new BatchArrays(tsUs.length);
  for (let i = 0; i < tsUs.length; i++) {
    a.offsets[i] = file.offsets[i]; a.capLens[i] = file.capLens[i]; a.wireLens[i] = file.wireLens[i]; a.linkTypes[i] = file.linkTypes[i]; a.tsUs[i] = tsUs[i];
  }
  return a.batch(file.buf, tsUs.length);
}

test('roller: idle close after the grace period, late frames counted in the open interval, capture losses per interval', async () => {
  const file = join(dir, 'roll.pcap');
  await generate('darknet', { seed: 2, packets: 200, hours: 1, darknet: DARKNETS[0] }, file);
  const src = await openCapture([file]);
  let first: FrameBatch | null = null;
  for await (const b of src.batches()) { first = b; break; }
  assert.ok(first && first.count >= 10);
  const closed: ClosedInterval[] = [];
  const live = fakeSource();
  const roller = new IntervalRoller(() => buildAggregator({ inputs: [], darknets: DARKNETS, noGeo: true }, 0, 1), 10e6, live, (iv) => { closed.push(iv); });
  const T = 1_767_636_000e6;
  roller.processBatch(batchAt(first, [T + 1e6, T + 2e6, T + 3e6]));
  roller.closeIfIdle(T + 11e6, 2e6);
  assert.equal(closed.length, 0, 'within the grace period the interval stays open');
  live.malformed.add('live.dropped-consumer-slow', 4);
  roller.closeIfIdle(T + 12e6, 2e6);
  await roller.settled();
  assert.equal(closed.length, 1);
  assert.equal(closed[0].start, T);
  assert.equal(closed[0].frames, 3);
  assert.equal(closed[0].report.malformed['capture.live.dropped-consumer-slow'], 4);
  // a new interval, then a frame stamped in the closed one: counted late, kept in the open interval
  roller.processBatch(batchAt(first, [T + 25e6, T + 9e6, T + 26e6]));
  live.malformed.add('live.dropped-consumer-slow', 1);
  roller.close();
  await roller.settled();
  assert.equal(closed.length, 2);
  assert.equal(closed[1].start, T + 20e6);
  assert.equal(closed[1].frames, 3);
  assert.equal(closed[1].report.malformed['live.late-frame'], 1);
  assert.equal(closed[1].report.malformed['capture.live.dropped-consumer-slow'], 1, 'only the losses since the last close');
  roller.close();
  await roller.settled();
  assert.equal(closed.length, 2, 'closing with nothing open writes nothing');
});

test('a failure to hand an interval on stops the run with that error (the source is closed)', async () => {
  const file = join(dir, 'fail.pcap');
  await generate('darknet', { seed: 5, packets: 5000, hours: 4, darknet: DARKNETS[0] }, file);
  const source = await openCapture([file]);
  let calls = 0;
  let closed = false;
  const close = source.close.bind(source);
  source.close = async () => { closed = true; await close(); };
  await assert.rejects(runIntervals({ darknets: DARKNETS, intervalS: 3600 }, source, false, {
    onInterval: () => { calls++; throw new Error('disk full'); },
  }), /disk full/);
  assert.equal(calls, 1, 'no interval is handed on after the first failure');
  assert.equal(closed, true);
});

test('interval files: stats + state per interval; telescope merge of the states = the file run; collector event carries the state', async () => {
  const file = join(dir, 'files.pcap');
  await generate('darknet', { seed: 4, packets: 20_000, hours: 3, darknet: DARKNETS[0] }, file);
  const ivs = await intervalsOf(file, 3600);
  const out = join(dir, 'out');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(out);
  for (const iv of ivs) writeIntervalFiles(out, iv);
  const names = readdirSync(out).sort();
  assert.deepEqual(names, ivs.flatMap((iv) => [`${intervalStamp(iv.start)}.json`, `${intervalStamp(iv.start)}.state`]).sort());
  assert.equal(intervalStamp(Date.UTC(2026, 0, 5, 18) * 1000), '20260105T180000Z');
  const stats = JSON.parse(readFileSync(join(out, `${intervalStamp(ivs[1].start)}.json`), 'utf8')) as TelescopeReport;
  assert.equal('state' in stats, false, 'the statistics file has no state');
  assert.equal(stats.totals.packets, ivs[1].report.totals.packets);
  const program = new Command('minewatch');
  program.exitOverride();
  register(program);
  const merged = join(dir, 'merged.json');
  await program.parseAsync(['node', 'minewatch', 'telescope', 'merge', ...names.filter((n) => n.endsWith('.state')).map((n) => join(out, n)), '-o', merged]);
  const ref = buildReport((await runTelescope({ inputs: [file], darknets: DARKNETS, workers: 1 })).state);
  same(JSON.parse(readFileSync(merged, 'utf8')) as TelescopeReport, ref, ['totals', 'intervals', 'classes', 'scanner_families']);

  const ev = intervalEvent(ivs[0], 'tel-1') as { event_type: string; telescope: Record<string, unknown>; minewatch: { sensor: string } };
  assert.equal(ev.event_type, 'telescope');
  assert.equal(ev.minewatch.sensor, 'tel-1');
  assert.equal(ev.telescope.packets, ivs[0].report.totals.packets);
  assert.equal(ev.telescope.unique_sources, ivs[0].report.totals.sources);
  assert.equal(Date.parse(ev.telescope.end as string) - Date.parse(ev.telescope.start as string), 3600e3);
  assert.equal(ev.telescope.state_format, 'minewatch-telescope-state');
  const back = decodeStateFile(Buffer.from(ev.telescope.state as string, 'base64'), 'event').state;
  assert.deepEqual(buildReport(back).totals, ivs[0].report.totals);
  // the sketch is the interval's unique-source counter, as `telescope --db` stores it for trends
  assert.equal(decodeSketch(Buffer.from(ev.telescope.sketch as string, 'base64'))?.count(), ivs[0].report.totals.sources);
});

test('CLI: --interface needs --out-dir or --send; --out-dir needs --interface; file outputs refused live', async () => {
  const run = async (...args: string[]) => {
    const program = new Command('minewatch');
    program.exitOverride();
    register(program);
    await program.parseAsync(['node', 'minewatch', 'telescope', ...args]);
  };
  await assert.rejects(run('--interface', 'lo', '--darknet', '198.18.0.0/16'), (e: unknown) => e instanceof UsageError && /--out-dir DIR or --send/.test(e.message));
  await assert.rejects(run('x.pcap', '--darknet', '198.18.0.0/16', '--out-dir', dir), (e: unknown) => e instanceof UsageError && /goes with --interface/.test(e.message));
  await assert.rejects(run('--interface', 'lo', '--darknet', '198.18.0.0/16', '--json', 'x.json'), (e: unknown) => e instanceof UsageError && /telescope merge/.test(e.message));
  await assert.rejects(run('--interface', 'lo', '--darknet', '198.18.0.0/16', '--out-dir', join(dir, 'no', 'such')), (e: unknown) => e instanceof UsageError && /parent/.test(e.message));
});

test('closed intervals sent with --send land in the collector (real ingest and store, SQLite): one telescope_intervals row each, unique-source sketch each', async (t) => {
  const f = await serverFixture(DIALECTS[0]);
  if (typeof f === 'string') return t.skip(f);
  try {
    const file = join(dir, 'send.pcap');
    const startMs = Math.floor(Date.now() / 3600e3) * 3600e3 - 4 * 3600e3;
    await generate('darknet', { seed: 8, packets: 20_000, sources: 2000, hours: 3, darknet: DARKNETS[0], startMs }, file);
    const ivs = await intervalsOf(file, 3600);
    assert.equal(ivs.length, 3);
    const address = await f.app.listen({ host: '127.0.0.1', port: 0 });
    const sender = new Sender({ url: address, token: f.tokenA, outboxDir: join(dir, 'outbox'), fsync: false, log: () => {} });
    sendEvents(sender, ivs.flatMap((iv) => [intervalEvent(iv, 'tel-live'), ...iv.report.alerts]));
    assert.equal(await sender.drain(30_000), true, 'every batch acknowledged');
    await sender.stop();
    const ts = await telescopeStats(f.store, { orgId: f.orgA }, { from: startMs - 1, to: startMs + 5 * 3600e3 });
    assert.equal(ts.intervals.length, 3);
    assert.equal(ts.packets, ivs.reduce((s, iv) => s + iv.report.totals.packets, 0));
    assert.deepEqual(ts.intervals.map((r) => [r.start_ms, r.end_ms, r.sources]), ivs.map((iv) => [iv.start / 1000, iv.end / 1000, iv.report.totals.sources]));
    // the stored sketches are the intervals' source sets: merged, the three give the whole run's unique sources
    const union = decodeSketch(Buffer.from(ts.intervals[0].sketch as string, 'base64'))!;
    for (const r of ts.intervals.slice(1)) union.merge(decodeSketch(Buffer.from(r.sketch as string, 'base64'))!);
    const ref = buildReport((await runTelescope({ inputs: [file], darknets: DARKNETS, workers: 1 })).state);
    assert.equal(union.count(), ref.totals.sources);
  } finally {
    await f.cleanup();
  }
});
