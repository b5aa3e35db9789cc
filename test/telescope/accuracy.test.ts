/**
 * Accuracy against exact references. A generated capture like the (b) at small scale —
 * sources with Zipf-distributed packet counts sweeping every TCP and UDP port over three
 * days — checked against exact counts made in the test from the generated packets: unique
 * sources (total, per day, per port) within three standard errors of their sketches, top
 * talkers and top ports equal to the exact top-k, and merge(state a, state b) equal to one run
 * over both files. On the shared darknet captures, top talkers and top ports equal tshark's.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSweepCapture } from '../helpers/darknet-sweep.js';
import { runTelescope } from '../../src/telescope/run.js';
import { buildReport, type TelescopeReport } from '../../src/telescope/report.js';
import { decodeStateFile, encodeStateFile, mergeStateFiles } from '../../src/telescope/state-file.js';
import { INTERVAL_P, SMALL_P } from '../../src/telescope/state.js';
import { sketchError } from '../../src/telescope/unique.js';
import { COARSE_P } from '../../src/telescope/port-sources.js';
import { formatIpv4 } from '../../src/util/ip.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

const DARKNET = '198.18.0.0/16';
const PACKETS = 400_000;
const SOURCES = 60_000;
const DAY_US = 86_400e6;
const T0_S = Date.UTC(2026, 0, 5) / 1000;

interface Exact {
  perSource: Map<number, number>;
  /** per source, packets in the first file (the first half of the packets) */
  perSourceA: Map<number, number>;
  perDay: Set<number>[];
  portPackets: Map<number, number>;
  portSources: Map<number, Set<number>>;
}

let dir = '';
let fileA = '';
let fileB = '';
const exact: Exact = { perSource: new Map(), perSourceA: new Map(), perDay: [new Set(), new Set(), new Set()], portPackets: new Map(), portSources: new Map() };

/** Writes the capture in two files (the first and second half of the packets) and records the exact counts. */
function generate(): void {
  let n = 0;
  writeSweepCapture([fileA, fileB], PACKETS, SOURCES, 3, (tUs, src, udp, dport) => {
    exact.perSource.set(src, (exact.perSource.get(src) ?? 0) + 1);
    if (n++ < PACKETS / 2) exact.perSourceA.set(src, (exact.perSourceA.get(src) ?? 0) + 1);
    exact.perDay[Math.floor((tUs - T0_S * 1e6) / DAY_US)].add(src);
    const key = (udp ? 65536 : 0) + dport;
    exact.portPackets.set(key, (exact.portPackets.get(key) ?? 0) + 1);
    let s = exact.portSources.get(key);
    if (s === undefined) exact.portSources.set(key, s = new Set());
    s.add(src);
  });
}

async function report(inputs: string[], workers = 1): Promise<{ report: TelescopeReport; run: Awaited<ReturnType<typeof runTelescope>> }> {
  const run = await runTelescope({ inputs, darknets: [DARKNET], workers, intervalS: 86_400, noGeo: true });
  return { report: buildReport(run.state), run };
}

const within = (est: number, truth: number, p: number, what: string): void => {
  const bound = 3 * sketchError(p);
  assert.ok(Math.abs(est - truth) <= bound * truth, `${what}: ${est} vs exact ${truth} (bound ${(bound * 100).toFixed(2)} %)`);
};

/** Rank by rank, the packets equal the exact k largest, and each listed key has its exact count (ties may order differently). */
function assertTopK<K>(listed: { key: K; packets: number }[], exactCounts: Map<K, number>, k: number, what: string): void {
  const want = [...exactCounts.values()].sort((a, b) => b - a).slice(0, k);
  assert.deepEqual(listed.slice(0, k).map((r) => r.packets), want, `${what}: packets by rank`);
  for (const r of listed.slice(0, k)) assert.equal(exactCounts.get(r.key), r.packets, `${what}: ${String(r.key)}`);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-tel-accuracy-'));
  fileA = join(dir, 'a.pcap');
  fileB = join(dir, 'b.pcap');
  generate();
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

test('all-ports sweep over 3 days: unique counts within the sketch error, top-k exact, 2 workers = 1', async () => {
  const { report: r } = await report([fileA, fileB], 2);
  assert.equal(r.totals.packets, PACKETS);
  assert.equal(r.totals.sources, exact.perSource.size, 'below the exact limit the total is exact');
  assert.equal(r.intervals.length, 3);
  r.intervals.forEach((iv, d) => {
    assert.ok(exact.perDay[d].size > 4096, 'per-day counts are sketches here');
    within(iv.sources, exact.perDay[d].size, INTERVAL_P, `day ${d} sources`);
  });
  // per-port unique sources: the busiest ports hold thousands of sources (sketches), the sweep's ports a few
  const portRows = r.ports.map((p) => ({ key: (p.proto === 'udp' ? 65536 : 0) + p.port, packets: p.packets, sources: p.sources }));
  assertTopK(portRows, exact.portPackets, 20, 'top ports');
  assert.ok(exact.portSources.get(23)!.size > 2048, 'the fixed ports are sketched');
  for (const p of portRows.slice(0, 200)) within(p.sources, exact.portSources.get(p.key)!.size, SMALL_P, `port ${p.key} sources`);
  const talkers = r.top_talkers.map((t) => ({ key: t.ip, packets: t.packets }));
  const byText = new Map([...exact.perSource].map(([ip, n]) => [formatIpv4(ip), n]));
  assertTopK(talkers, byText, 50, 'top talkers');
  assert.equal(r.interval_port_error > 0, true, 'every port is swept: per-day port lists are trimmed and say by how much');
});

test('merge(state a, state b) equals one run over both files, and the state file is small', async () => {
  const a = await report([fileA]);
  const b = await report([fileB]);
  const one = await report([fileA, fileB]);
  const files = [a, b].map((x, i) => {
    const { bytes } = encodeStateFile(x.run.state);
    assert.ok(bytes.length < 4e6, `state ${i}: ${bytes.length} bytes`);
    return { name: `s${i}`, ...decodeStateFile(bytes, `s${i}`) };
  });
  const merged = buildReport(mergeStateFiles(files).state);
  assert.deepEqual(merged.totals, one.report.totals);
  assert.deepEqual(merged.intervals, one.report.intervals);
  // per-port packets are exact; a state file keeps the unique-source sketches of its 8192 busiest
  // ports only (PORT_SKETCHES), so past those a merged port's sources are a lower bound
  const key = (p: { proto: string; port: number }): string => `${p.proto}/${p.port}`;
  const oneSources = new Map(one.report.ports.map((p) => [key(p), p.sources]));
  assert.deepEqual(merged.ports.map((p) => [key(p), p.packets]), one.report.ports.map((p) => [key(p), p.packets]));
  assert.deepEqual(merged.ports.slice(0, 8), one.report.ports.slice(0, 8), "the 8 busy ports: sources equal too");
  for (const p of merged.ports) assert.ok(p.sources <= oneSources.get(key(p))!, key(p));
  assert.ok(merged.port_sketches_dropped > 0);
  // per source: packets, bytes and time range add up exactly (its port-change count and majority port are per-file estimates)
  const row = (t: TelescopeReport['top_talkers'][number]) => [t.ip, t.packets, t.bytes, t.first, t.last];
  assert.deepEqual(merged.top_talkers.map(row), one.report.top_talkers.map(row));
  // the heavy-hitter summaries merged: each listed talker within its stated error of the exact count over both files
  assertWithinStatedError(merged, new Map([...exact.perSource].map(([ip, c]) => [formatIpv4(ip), c])), 'merged talkers');
});

/**
 * Top talkers as heavy hitters: each listed count c with error e has c − e ≤ exact ≤ c, e is
 * within the summary's bound, and every source above that bound that ranks in the list's range is listed.
 */
function assertWithinStatedError(r: TelescopeReport, exactByIp: Map<string, number>, what: string): void {
  const bound = r.heavy_hitters.talkers.error_bound;
  for (const t of r.top_talkers) {
    const truth = exactByIp.get(t.ip) ?? 0;
    const e = t.packets_error ?? 0;
    assert.ok(t.packets - e <= truth && truth <= t.packets, `${what}: ${t.ip} exact ${truth} outside [${t.packets - e}, ${t.packets}]`);
    assert.ok(e <= bound, `${what}: ${t.ip} error ${e} > bound ${bound}`);
  }
  const listed = new Set(r.top_talkers.map((t) => t.ip));
  const last = r.top_talkers[r.top_talkers.length - 1].packets;
  for (const [ip, c] of exactByIp) if (c > bound && c > last) assert.ok(listed.has(ip), `${what}: ${ip} (${c} packets) missing`);
}

// tshark's exact per-source and per-port packet counts of the darknet packets
function tsharkCounts(file: string, darknet: string): { sources: Map<string, number>; ports: Map<number, number> } | null {
  let out: string;
  try {
    out = execFileSync('tshark', ['-r', file, '-Y', `ip.dst==${darknet}`, '-T', 'fields', '-E', 'occurrence=f', '-e', 'ip.src', '-e', 'tcp.dstport', '-e', 'udp.dstport', '-e', 'icmp.type', '-e', 'ip.frag_offset', '-e', 'ip.flags.mf'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  } catch {
    if (process.env.CI === 'true') throw new Error('tshark is required under CI');
    return null;
  }
  const sources = new Map<string, number>();
  const ports = new Map<number, number>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [src, tp, up, icmp, frag, mf] = line.split('\t');
    sources.set(src, (sources.get(src) ?? 0) + 1);
    // ports of TCP and UDP packets (not of the packet an ICMP error quotes, not of fragments)
    const plain = icmp === '' && (frag === '' || frag === '0') && mf !== '1' && mf !== 'True';
    const key = !plain ? -1 : tp !== '' ? Number(tp) : up !== '' ? 65536 + Number(up) : -1;
    if (key >= 0) ports.set(key, (ports.get(key) ?? 0) + 1);
  }
  return { sources, ports };
}

const SHARED = [
  { file: 'darknet/spoofed-synflood-37k-sources.pcap', darknet: '10.10.10.10/32' },
  { file: 'darknet/synack-reflection-backscatter-7k-sources.pcap', darknet: '10.10.10.10/32' },
  { file: 'darknet/syn-ecn-cwr-flood-random-sources.pcap', darknet: '10.10.10.10/32' },
  { file: 'darknet/syn-synack-flood-60-sources.pcap', darknet: '10.10.10.10/32' },
];

for (const c of SHARED) {
  test(`${c.file}: top talkers and top ports equal tshark's exact top-k`, { skip: needSharedData() }, async (t) => {
    const exactCounts = tsharkCounts(sharedFile(c.file), c.darknet);
    if (exactCounts === null) {
      console.error('!!! tshark not installed: skipping the exact top-k comparison');
      t.skip('tshark missing');
      return;
    }
    const run = await runTelescope({ inputs: [sharedFile(c.file)], darknets: [c.darknet], workers: 1, noGeo: true });
    const r = buildReport(run.state);
    assertTopK(r.top_talkers.map((x) => ({ key: x.ip, packets: x.packets })), exactCounts.sources, Math.min(20, exactCounts.sources.size), 'top talkers');
    assertTopK(r.ports.map((p) => ({ key: (p.proto === 'udp' ? 65536 : 0) + p.port, packets: p.packets })), exactCounts.ports, Math.min(10, exactCounts.ports.size), 'top ports');
  });
}

test('--max-memory: past the bound the source table freezes, new sources go to the sketches, counted and reported', async () => {
  const free = await runTelescope({ inputs: [fileA], darknets: [DARKNET], workers: 1, intervalS: 86_400, noGeo: true });
  // a bound the process is always over: the table is capped at its share and frozen at the first check
  const run = await runTelescope({ inputs: [fileA], darknets: [DARKNET], workers: 1, intervalS: 86_400, noGeo: true, maxMemoryBytes: 4e6 });
  const r = buildReport(run.state);
  const f = buildReport(free.state);
  assert.equal(f.memory_limited, 0);
  assert.equal(f.spilled_packets, 0);
  assert.equal(r.memory_limited, 1);
  assert.ok(r.spilled_packets > 0.3 * r.totals.packets, `spilled ${r.spilled_packets}`);
  assert.ok(run.state.sourceRows.length <= 8400, `tracked ${run.state.sourceRows.length} (share of 4 MB: 40 % at 192 bytes a source)`);
  // the counts stay whole: every packet and every source is still counted
  // (the burst filter needs per-source records: spilled one-packet sources stay in sources_filtered)
  const whole = (x: TelescopeReport) => ({ ...x.totals, sources_filtered: 0, intervals: x.intervals.map((i) => ({ ...i, sources_filtered: 0 })) });
  assert.deepEqual(whole(r), whole(f));
  assert.ok(r.totals.sources_filtered >= f.totals.sources_filtered);
  // per-port counts: packets whole; sources from the counters coarsened at the bound (COARSE_P), within their error
  assert.deepEqual(r.ports.slice(0, 50).map((p) => [p.proto, p.port, p.packets]), f.ports.slice(0, 50).map((p) => [p.proto, p.port, p.packets]));
  // 50 estimates: each within 4 standard errors, their mean relative error within one
  const errs = r.ports.slice(0, 50).map((p, i) => Math.abs(p.sources - f.ports[i].sources) / f.ports[i].sources);
  const se = sketchError(COARSE_P);
  assert.ok(Math.max(...errs) <= 4 * se, `worst port sources error ${Math.max(...errs)}`);
  assert.ok(errs.reduce((a, b) => a + b, 0) / errs.length <= se, `mean port sources error ${errs.reduce((a, b) => a + b, 0) / errs.length}`);
  assert.ok((r.malformed['telescope.memory-coarsened-ports'] ?? 0) > 0, 'coarsened ports counted');
  // top talkers: sources past the frozen table are in the heavy-hitter summary, within its stated error
  const exactA = new Map([...exact.perSourceA].map(([ip, c]) => [formatIpv4(ip), c]));
  assertWithinStatedError(r, exactA, 'talkers past the bound');
  assert.equal(r.heavy_hitters.talkers.total, r.totals.packets, 'the summary counts the packets of tracked and spilled sources');
  assert.ok(r.top_talkers_error <= r.heavy_hitters.talkers.error_bound);
  assert.deepEqual(r.top_talkers.slice(0, 20).map((t) => t.ip), [...exactA].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20).map(([ip]) => ip), 'the 20 largest in order');
  assert.equal(r.unique_error.per_port_sources, Math.round(sketchError(COARSE_P) * 10000) / 10000);
  const { formatTelescopeSummary } = await import('../../src/telescope/summary-text.js');
  assert.match(formatTelescopeSummary(r), /memory bound \(--max-memory\)/);
});
