/**
 * `npm run bench`: whole-process throughput of every hot path on deterministic generated
 * captures (and the shared ones), next to the reference tools in the same invocation so
 * ratios are meaningful on a noisy machine. Prints a markdown table (median of N runs) and
 * writes .bench/results.json.
 *
 *   npm run bench                      # all cases, 3 runs each
 *   npm run bench -- --runs 5 --only spine,telescope
 *   npm run bench -- --quick           # smaller inputs (for a smoke run)
 *   npm run bench -- --only cost --runs 7   # what each parser and detector costs (opt-in group)
 *   npm run bench -- --with-tshark     # also tshark -z endpoints (minutes, ~13 GB RAM)
 *   npm run bench -- --ndpi-small      # also ndpiReader on the 10 M one-packet flows (tens of GB RAM)
 *   npm run bench -- --only collector  # the collector under load (opt-in: bench/collector.ts)
 *   npm run bench -- --only telescope-scale [--scale-cases a,b,c]  # the telescope on 10 M / 50 M-packet darknets (opt-in: bench/telescope-scale.ts)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { generate } from '../src/synth/index.js';
import { extraCases, type BenchCase } from './cases.js';
import { warmPageCache } from './lib/page-cache.js';
import { seedCampaignStore } from './lib/campaign-seed.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

type Case = BenchCase;

interface Result {
  group: string;
  name: string;
  runs: number;
  wall_s: number;
  /** fastest and slowest run: on a VM whose speed drifts, the spread says how far to trust the median */
  wall_min_s: number;
  wall_max_s: number;
  packets_per_s: number;
  mb_per_s: number;
  peak_rss_mb: number;
  /** wall_s divided by the ref case's (BenchCase.ref), when it ran */
  vs_ref?: number;
  /** CPU seconds (user + system, all threads; median): on a loaded machine the steadier figure */
  cpu_s: number;
  /** cpu_s divided by the ref case's */
  cpu_vs_ref?: number;
  note?: string;
}

const { list: args, value, flag } = readArgs();
const RUNS = Number(value('--runs', '3'));
const QUICK = flag('--quick');
const ONLY = value('--only', '').split(',').filter(Boolean);
/** ndpiReader needs minutes and gigabytes on 10 M one-packet flows: one capped run is enough for the ratio. */
const NDPI_SMALL_CAP_S = Number(value('--ndpi-cap', '200'));
const ROOT = resolve(import.meta.dirname, '..', '..');
const BENCH_DIR = join(ROOT, '.bench');
// the bundled command, what `minewatch` runs (package.json "bin")
const CLI = join(ROOT, 'dist', 'bundle', 'main.js');
const NDPI_MIXED = 'ndpiReader -i FILE -q, mixed (reference)';

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

async function ensureInput(name: string, make: (path: string) => Promise<unknown>): Promise<string> {
  const path = join(BENCH_DIR, name);
  if (!existsSync(path)) {
    process.stderr.write(`bench: generating ${name} …\n`);
    const t = Date.now();
    await make(path);
    process.stderr.write(`bench: ${name} ready in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
  return path;
}

/** Runs a command under /usr/bin/time; returns wall seconds (measured here), CPU seconds (user + system) and peak RSS. */
function runOnce(cmd: string[], timeoutS: number): { wall: number; cpu: number; rssMb: number; stdout: string; ok: boolean } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'MWTIME %e %M %U %S', ...cmd], { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /MWTIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { wall, cpu: m ? Number(m[3]) + Number(m[4]) : NaN, rssMb: m ? Number(m[2]) / 1024 : NaN, stdout: r.stdout ?? '', ok: r.status === 0 };
}

function packetCountOf(path: string): number {
  // our own summary is the packet count (checked against capinfos in the capture tests)
  const r = spawnSync(process.execPath, [CLI, 'analyze', path, '--no-detect', '-w', '1', '--json', '-', '-q'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return (JSON.parse(r.stdout) as { packets: number }).packets;
}

async function main(): Promise<void> {
  mkdirSync(BENCH_DIR, { recursive: true });
  if (ONLY.includes('collector')) {
    // not a capture case: sensors posting to `minewatch server` (events/s, ack latency, bytes per event)
    const { runCollectorBench } = await import('./collector.js');
    process.stdout.write(await runCollectorBench(args, CLI));
    if (ONLY.length === 1) return;
  }
  if (ONLY.includes('telescope-scale')) {
    // its own table: CPU seconds, state size and unique-count accuracy beside packets/s and RSS
    const { runTelescopeScaleBench } = await import('./telescope-scale.js');
    process.stdout.write(await runTelescopeScaleBench(args, CLI, BENCH_DIR));
    if (ONLY.length === 1) return;
  }
  const mixed = await ensureInput(QUICK ? 'mixed-100m.pcap' : 'mixed-1g.pcap', (p) => generate('mixed', { seed: 1, sizeBytes: QUICK ? 100e6 : 1e9 }, p));
  const small = await ensureInput(QUICK ? 'small-1m.pcap' : 'small-10m.pcap', (p) => generate('small', { seed: 1, packets: QUICK ? 1e6 : 10e6 }, p));
  const darknet = await ensureInput(QUICK ? 'darknet-1m.pcap' : 'darknet-10m.pcap', (p) => generate('darknet', { seed: 1, packets: QUICK ? 1e6 : 10e6 }, p));
  const campaignHosts = QUICK ? 100_000 : 1_000_000;
  const campaignDb = await ensureInput(QUICK ? 'campaign-100k.db' : 'campaign-1m.db', (p) => seedCampaignStore(p, campaignHosts));

  const counts = new Map<string, number>();
  const packets = (p: string) => () => {
    if (!counts.has(p)) counts.set(p, packetCountOf(p));
    return counts.get(p)!;
  };
  const mw = (...a: string[]) => [process.execPath, CLI, ...a];
  const cases: Case[] = [
    { group: 'spine', name: 'minewatch analyze --no-detect, mixed, 1 thread', input: mixed, cmd: mw('analyze', mixed, '--no-detect', '-w', '1', '-q'), packets: packets(mixed) },
    { group: 'spine', name: 'minewatch analyze --no-detect, mixed, 2 workers', input: mixed, cmd: mw('analyze', mixed, '--no-detect', '-w', '2', '-q'), packets: packets(mixed) },
    { group: 'spine', name: 'minewatch analyze --no-detect, small, 1 thread', input: small, cmd: mw('analyze', small, '--no-detect', '-w', '1', '-q'), packets: packets(small) },
    { group: 'spine', name: 'minewatch analyze --no-detect, small, 2 workers', input: small, cmd: mw('analyze', small, '--no-detect', '-w', '2', '-q'), packets: packets(small) },
    // the default path (every detector) next to ndpiReader on the same file (issue 15: at most 0.85× its wall time)
    { group: 'detect', name: 'minewatch analyze (all detectors), mixed, 1 thread', input: mixed, cmd: mw('analyze', mixed, '-w', '1', '-q'), packets: packets(mixed), ref: have('ndpiReader') ? NDPI_MIXED : 'minewatch analyze --no-detect, mixed, 1 thread' },
    { group: 'detect', name: 'minewatch analyze (all detectors), mixed, 2 workers', input: mixed, cmd: mw('analyze', mixed, '-w', '2', '-q'), packets: packets(mixed), ref: have('ndpiReader') ? NDPI_MIXED : 'minewatch analyze --no-detect, mixed, 2 workers' },
    // the default path on a flood of one-packet flows (issue 15: ≥ 2.5 M packets/s with 2 workers)
    { group: 'detect', name: 'minewatch analyze (all detectors), small, 1 thread', input: small, cmd: mw('analyze', small, '-w', '1', '-q'), packets: packets(small), ref: 'minewatch analyze --no-detect, small, 1 thread' },
    { group: 'detect', name: 'minewatch analyze (all detectors), small, 2 workers', input: small, cmd: mw('analyze', small, '-w', '2', '-q'), packets: packets(small), ref: 'minewatch analyze --no-detect, small, 2 workers' },
  ];
  if (have('ndpiReader')) {
    cases.push({ group: 'spine', name: 'ndpiReader -i FILE -q, mixed (reference)', input: mixed, cmd: ['ndpiReader', '-i', mixed, '-q'], packets: packets(mixed) });
    cases.push({ group: 'detect', name: NDPI_MIXED, input: mixed, cmd: ['ndpiReader', '-i', mixed, '-q'], packets: packets(mixed) });
    // Opt-in: on 10 M one-packet flows ndpiReader grew to 23.8 GB and was OOM-killed after 168 s here.
    if (flag('--ndpi-small')) cases.push({ group: 'spine', name: `ndpiReader -i FILE -q, small (reference, 1 run, ${NDPI_SMALL_CAP_S} s cap)`, input: small, cmd: ['ndpiReader', '-i', small, '-q'], packets: packets(small), timeoutS: NDPI_SMALL_CAP_S });
  }
  const extra = extraCases({ mixed, small, darknet, mw, packets, have, quick: QUICK, withTshark: flag('--with-tshark'), benchDir: BENCH_DIR, campaignDb, campaignHosts });
  cases.push(...extra);

  // Runs go round-robin across the cases (one run of each, then the next round): this VM's
  // speed drifts by up to 1.5x over minutes, and interleaving spreads the drift over every
  // case instead of favouring whichever ran in a fast minute. Capped cases run once.
  const selected = cases.filter((c) => (ONLY.length === 0 ? !c.optIn : ONLY.includes(c.group)));
  const walls = selected.map(() => [] as number[]);
  const rss = selected.map(() => [] as number[]);
  const cpu = selected.map(() => [] as number[]);
  const notes: (string | undefined)[] = selected.map(() => undefined);
  for (let pass = 0; pass < RUNS; pass++) {
    selected.forEach((c, k) => {
      if (notes[k] !== undefined || (c.timeoutS && pass > 0)) return;
      warmPageCache(c.input);
      const r = runOnce(c.cmd, c.timeoutS ?? 900);
      walls[k].push(r.wall);
      if (!r.ok) notes[k] = c.timeoutS && r.wall >= c.timeoutS ? `did not finish in ${c.timeoutS} s` : 'failed';
      else {
        rss[k].push(r.rssMb);
        cpu[k].push(r.cpu);
      }
    });
    process.stderr.write(`bench: round ${pass + 1} of ${RUNS} done\n`);
  }
  const results: Result[] = selected.map((c, k) => {
    const wall = median(walls[k]);
    const size = statSync(c.input).size;
    const note = notes[k];
    const res: Result = {
      group: c.group, name: c.name, runs: walls[k].length, wall_s: round(wall, 2),
      wall_min_s: round(Math.min(...walls[k]), 2), wall_max_s: round(Math.max(...walls[k]), 2),
      packets_per_s: Math.round(c.packets() / wall), mb_per_s: round(size / 1e6 / wall, 1),
      peak_rss_mb: round(rss[k].length ? median(rss[k]) : NaN, 0), cpu_s: round(cpu[k].length ? median(cpu[k]) : NaN, 2), ...(note ? { note } : {}),
    };
    process.stderr.write(`bench: ${c.name}: ${res.wall_s} s, ${res.packets_per_s.toLocaleString('en-US')} pkts/s, ${res.mb_per_s} MB/s, ${res.peak_rss_mb} MB${note ? ` (${note})` : ''}\n`);
    return res;
  });
  // Ratios from the medians of the same interleaved rounds (unrounded).
  selected.forEach((c, k) => {
    const r = selected.findIndex((x) => x.name === c.ref);
    if (r >= 0 && walls[k].length > 0 && walls[r].length > 0) results[k].vs_ref = round(median(walls[k]) / median(walls[r]), 2);
    if (r >= 0 && cpu[k].length > 0 && cpu[r].length > 0) results[k].cpu_vs_ref = round(median(cpu[k]) / median(cpu[r]), 2);
  });

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const inputs = [mixed, small, darknet].map((p) => `${p.split('/').pop()} (${(statSync(p).size / 1e6).toFixed(0)} MB, ${counts.get(p)?.toLocaleString('en-US') ?? '?'} packets)`);
  let md = `Machine: ${machine}. Date: ${new Date().toISOString().slice(0, 10)}. Median of ${RUNS} runs (interleaved round-robin across cases), whole process start to exit.\nInputs: ${inputs.join('; ')}\n\n`;
  md += '| group | case | runs | wall s | min–max s | × ref (wall) | CPU s | × ref (CPU) | packets/s | MB/s | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|\n';
  for (const r of results) {
    const ref = selected.find((c) => c.name === r.name)?.ref;
    const vs = r.vs_ref !== undefined ? `${r.vs_ref.toFixed(2)} (${ref})` : '';
    const cpuVs = r.cpu_vs_ref !== undefined ? r.cpu_vs_ref.toFixed(2) : '';
    md += `| ${r.group} | ${r.name}${r.note ? ` (${r.note})` : ''} | ${r.runs} | ${r.wall_s} | ${r.wall_min_s}–${r.wall_max_s} | ${vs} | ${r.cpu_s} | ${cpuVs} | ${r.packets_per_s.toLocaleString('en-US')} | ${r.mb_per_s} | ${r.peak_rss_mb} |\n`;
  }
  process.stdout.write(md);
  const prev = existsSync(join(BENCH_DIR, 'results.json')) ? (JSON.parse(readFileSync(join(BENCH_DIR, 'results.json'), 'utf8')) as object) : {};
  writeFileSync(join(BENCH_DIR, 'results.json'), JSON.stringify({ ...prev, [new Date().toISOString()]: { machine, results } }, null, 2));
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

await main();
