/**
 * Paired benchmark against another build of minewatch (e.g. the commit a change started
 * from, built in a separate directory): the analyze and telescope cases of `npm run bench`,
 * each run alternately with this build and the base build (order swapped every round), so
 * the drift of a shared machine falls on both alike. Prints medians, the median of the
 * per-round ratios and the spread.
 *
 *   npm run -s build && node dist/bench/paired.js --base /tmp/main-checkout [--runs 5] [--quick] [--only telescope]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { warmPageCache } from './lib/page-cache.js';
import { cpus, loadavg } from 'node:os';
import { generate } from '../src/synth/index.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const { value, flag } = readArgs();
const RUNS = Number(value('--runs', '5'));
const QUICK = flag('--quick');
const ONLY = value('--only', '').split(',').filter(Boolean);
const BASE = value('--base', '');
const ROOT = resolve(import.meta.dirname, '..', '..');
const BENCH_DIR = join(ROOT, '.bench');
const CLI = join(ROOT, 'dist', 'bundle', 'main.js');

async function input(name: string, make: (path: string) => Promise<unknown>): Promise<string> {
  const path = join(BENCH_DIR, name);
  if (!existsSync(path)) {
    process.stderr.write(`paired: generating ${name} …\n`);
    await make(path);
  }
  return path;
}

/** Wall seconds and CPU seconds (user + system, all threads: less sensitive than wall time to other processes on the machine). */
function timed(cli: string, a: string[]): { wall: number; cpu: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'MWCPU %U %S', process.execPath, cli, ...a], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 900_000 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cli} ${a.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  const m = /MWCPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

async function main(): Promise<void> {
  if (!BASE) throw new Error('--base DIR (a built checkout of the base commit) is required');
  const baseCli = join(resolve(BASE), 'dist', 'bundle', 'main.js');
  if (!existsSync(baseCli)) throw new Error(`${baseCli} not found: build the base checkout first`);
  mkdirSync(BENCH_DIR, { recursive: true });
  const mixed = await input(QUICK ? 'mixed-100m.pcap' : 'mixed-1g.pcap', (p) => generate('mixed', { seed: 1, sizeBytes: QUICK ? 100e6 : 1e9 }, p));
  const small = await input(QUICK ? 'small-1m.pcap' : 'small-10m.pcap', (p) => generate('small', { seed: 1, packets: QUICK ? 1e6 : 10e6 }, p));
  const darknet = await input(QUICK ? 'darknet-1m.pcap' : 'darknet-10m.pcap', (p) => generate('darknet', { seed: 1, packets: QUICK ? 1e6 : 10e6 }, p));
  const cases: { group: string; name: string; file: string; args: string[] }[] = [];
  for (const w of ['1', '2']) {
    const label = w === '1' ? '1 thread' : '2 workers';
    cases.push({ group: 'spine', name: `analyze --no-detect, mixed, ${label}`, file: mixed, args: ['analyze', mixed, '--no-detect', '-w', w, '-q'] });
    cases.push({ group: 'spine', name: `analyze --no-detect, small, ${label}`, file: small, args: ['analyze', small, '--no-detect', '-w', w, '-q'] });
    cases.push({ group: 'detect', name: `analyze (all detectors), mixed, ${label}`, file: mixed, args: ['analyze', mixed, '-w', w, '-q'] });
    cases.push({ group: 'telescope', name: `telescope, darknet, ${label}`, file: darknet,
      args: ['telescope', darknet, '--darknet', '198.18.0.0/16,2001:db8:ffff::/48', '--json', '/dev/null', '-q', '-w', w] });
  }
  const selected = cases.filter((c) => ONLY.length === 0 || ONLY.includes(c.group));
  const walls = selected.map(() => ({ head: [] as number[], base: [] as number[], headCpu: [] as number[], baseCpu: [] as number[] }));
  const loads: number[] = [];
  for (let round = 0; round < RUNS; round++) {
    selected.forEach((c, k) => {
      warmPageCache(c.file);
      loads.push(loadavg()[0]);
      // alternate which build goes first
      const w = walls[k];
      const head = () => { const t = timed(CLI, c.args); w.head.push(t.wall); w.headCpu.push(t.cpu); };
      const base = () => { const t = timed(baseCli, c.args); w.base.push(t.wall); w.baseCpu.push(t.cpu); };
      if (round % 2 === 0) { head(); base(); } else { base(); head(); }
    });
    process.stderr.write(`paired: round ${round + 1} of ${RUNS} done\n`);
  }
  const f = (x: number) => x.toFixed(2);
  let md = `Paired runs, ${RUNS} rounds, order alternating; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ` +
    `1-min load during the runs: median ${f(median(loads))} (min ${f(Math.min(...loads))}, max ${f(Math.max(...loads))}) — a shared machine.\n\n` +
    '| case | wall s base / this (medians) | wall ratio this/base: median (range) | CPU s base / this (medians) | CPU ratio this/base: median (range) |\n|---|---:|---:|---:|---:|\n';
  selected.forEach((c, k) => {
    const { head, base, headCpu, baseCpu } = walls[k];
    const ratios = head.map((h, i) => h / base[i]);
    const cpuRatios = headCpu.map((h, i) => h / baseCpu[i]);
    md += `| ${c.name} | ${f(median(base))} / ${f(median(head))} | ${f(median(ratios))} (${f(Math.min(...ratios))}–${f(Math.max(...ratios))}) | ` +
      `${f(median(baseCpu))} / ${f(median(headCpu))} | ${f(median(cpuRatios))} (${f(Math.min(...cpuRatios))}–${f(Math.max(...cpuRatios))}) |\n`;
  });
  process.stdout.write(md);
}

main().catch((err: unknown) => {
  process.stderr.write(`paired: ${(err as Error).message}\n`);
  process.exit(1);
});
