/**
 * `npm run bench -- --only telescope-scale`: the telescope at telescope scale (issue 21), in
 * one invocation:
 *   (a) today's generated darknet capture (10 M packets, ~32,000 sources, 6 h);
 *   (b) 10 M packets over 3 days from 100,000 sources, with full-port TCP/UDP sweeps;
 *   (c) 50 M packets over a day from 1,000,000 sources.
 * `--scale-cases a,b` (or `--no-scale-c`) runs a subset.
 * Per case: packets/s with 2 workers (median wall of --runs), CPU seconds (user + system,
 * all threads), peak RSS, the size of the mergeable state (the `state` of --json, or the
 * --state file when the telescope has that option) and the unique-source estimate against
 * the generator's exact count. Inputs are generated once into the bench cache (.bench/, not
 * committed), with their generation time; the -vN- in their names changes with the generator.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../src/synth/index.js';
import { warmPageCache } from './lib/page-cache.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

interface ScaleCase {
  id: string;
  label: string;
  file: string;
  truth: string | null;
  make: (file: string, truth: string) => Promise<unknown>;
}

interface Run { wall: number; cpu: number; rssMb: number; ok: boolean; stderr: string }

function timed(cmd: string[], timeoutS: number): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'MWTIME %U %S %M', ...cmd], { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /MWTIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, rssMb: m ? Number(m[3]) / 1024 : NaN, ok: r.status === 0, stderr: (r.stderr ?? '').slice(-2000) };
}

const r1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');

export async function runTelescopeScaleBench(args: readonly string[], cli: string, benchDir: string): Promise<string> {
  const { value, flag } = readArgs(args);
  const runs = Math.max(1, Number(value('--runs', '3')));
  const workers = value('--workers', '2');
  const cases: ScaleCase[] = [
    // the same file run.ts caches as darknet-10m.pcap (same generator, seed and size)
    { id: 'a', label: "(a) today's darknet: 10 M packets, 6 h", file: join(benchDir, 'darknet-10m.pcap'), truth: null, make: (f) => generate('darknet', { seed: 1, packets: 10e6 }, f) },
    {
      id: 'b', label: '(b) 10 M packets, 3 days, 100,000 sources, full-port sweeps', file: join(benchDir, 'darknet-scale-v2-10m-3d-100k.pcap'), truth: join(benchDir, 'darknet-scale-v2-10m-3d-100k.truth.json'),
      make: (f, t) => generate('darknet', { seed: 1, packets: 10e6, sources: 100_000, hours: 72, truthFile: t }, f),
    },
    {
      id: 'c', label: '(c) 50 M packets, 1 day, 1,000,000 sources', file: join(benchDir, 'darknet-scale-v2-50m-1d-1m.pcap'), truth: join(benchDir, 'darknet-scale-v2-50m-1d-1m.truth.json'),
      make: (f, t) => generate('darknet', { seed: 1, packets: 50e6, sources: 1_000_000, hours: 24, truthFile: t }, f),
    },
  ];
  const pick = value('--scale-cases', flag('--no-scale-c') ? 'a,b' : 'a,b,c').split(',');
  const chosen = cases.filter((c) => pick.includes(c.id));
  // tel-scale's compact binary state, when the telescope has it; else the `state` inside --json
  const help = spawnSync(process.execPath, [cli, 'telescope', '--help'], { encoding: 'utf8' }).stdout ?? '';
  const hasStateFile = /--state <file>/.test(help);
  const gen: string[] = [];
  for (const c of chosen) {
    if (existsSync(c.file) && (c.truth === null || existsSync(c.truth))) continue;
    process.stderr.write(`bench: generating ${c.file} …\n`);
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const rss0 = process.memoryUsage().rss;
    await c.make(c.file, c.truth ?? '');
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    gen.push(`${c.id}: ${(statSync(c.file).size / 1e9).toFixed(2)} GB in ${s.toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU (RSS ${(rss0 / 2 ** 20).toFixed(0)} → ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB)`);
  }
  const rows: string[] = [];
  for (const c of chosen) {
    const out = join(benchDir, `telescope-scale-${c.id}.json`);
    const stateFile = join(benchDir, `telescope-scale-${c.id}.state`);
    const cmd = [process.execPath, cli, 'telescope', c.file, '--darknet', '198.18.0.0/16,2001:db8:ffff::/48', '-w', workers, '--json', out, '-q', ...(hasStateFile ? ['--state', stateFile] : [])];
    const done: Run[] = [];
    let note = '';
    for (let k = 0; k < runs; k++) {
      warmPageCache(c.file);
      const r = timed(cmd, 3600);
      if (!r.ok) { note = `failed: ${r.stderr.split('\n').filter(Boolean).pop() ?? ''}`; break; }
      done.push(r);
    }
    let packets = NaN; let sources = NaN; let stateMb = NaN; let jsonMb = NaN; let exact = NaN;
    let topk = '–';
    if (done.length > 0) {
      jsonMb = statSync(out).size / 1e6;
      const rep = JSON.parse(readFileSync(out, 'utf8')) as {
        totals: { packets: number; sources: number }; state?: unknown; top_talkers?: { ip: string; packets: number; packets_error?: number }[];
      };
      packets = rep.totals.packets;
      sources = rep.totals.sources;
      stateMb = hasStateFile ? statSync(stateFile).size / 1e6 : Buffer.byteLength(JSON.stringify(rep.state ?? null)) / 1e6;
      if (c.truth) {
        const truth = JSON.parse(readFileSync(c.truth, 'utf8')) as { totals: { uniqueSources: number }; topSources?: { ip: string; packets: number }[] };
        exact = truth.totals.uniqueSources;
        // the generator's largest sources: listed, each exact count within [packets − packets_error, packets]
        const listed = new Map((rep.top_talkers ?? []).map((t) => [t.ip, t]));
        const want = truth.topSources ?? [];
        const ok = want.filter((w) => { const t = listed.get(w.ip); return t !== undefined && t.packets - (t.packets_error ?? 0) <= w.packets && w.packets <= t.packets; }).length;
        if (want.length > 0) topk = `${ok} of ${want.length}`;
      }
    }
    rmSync(out, { force: true });
    rmSync(stateFile, { force: true });
    const wall = median(done.map((r) => r.wall));
    const err = Number.isFinite(exact) ? `${sources.toLocaleString('en-US')} vs ${exact.toLocaleString('en-US')} (${(((sources - exact) / exact) * 100).toFixed(2)} %)` : Number.isFinite(sources) ? sources.toLocaleString('en-US') : '–';
    const cpu = median(done.map((r) => r.cpu));
    const rate = (s: number): string => (Number.isFinite(packets) && s > 0 ? Math.round(packets / s).toLocaleString('en-US') : '–');
    rows.push(`| ${c.label}${note ? ` (${note})` : ''} | ${done.length} | ${r1(wall)} | ${r1(cpu)} | ${rate(wall)} | ${rate(cpu)} | ${r1(median(done.map((r) => r.rssMb)))} | ${r1(stateMb)}${hasStateFile ? '' : ' (JSON)'} | ${r1(jsonMb)} | ${err} | ${topk} |`);
    process.stderr.write(`bench: telescope-scale ${c.id}: ${rows[rows.length - 1]}\n`);
  }
  let md = `Telescope at scale: ${workers} workers, median of ${runs} runs (wall), CPU = user + system seconds of the whole process.\n`;
  if (gen.length > 0) md += `Generated inputs: ${gen.join('; ')}.\n`;
  md += '\n| case | runs | wall s | CPU s | packets/s | packets per CPU s | peak RSS MB | state MB | --json MB | unique sources (estimate vs exact) | top sources of the truth listed within the stated error |\n|---|---|---|---|---|---|---|---|---|---|---|\n';
  return md + rows.join('\n') + '\n';
}
