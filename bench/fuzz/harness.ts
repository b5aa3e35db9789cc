/**
 * The fuzzing loop: round-robin time slices over the targets until the budget is spent,
 * counting inputs, exceptions (by message and first stack frame) and slow inputs (over
 * `slowMs`, confirmed by the wall and CPU time of a second run so a stall of the shared
 * machine is not blamed on the input), saving each defect's input, and measuring heap and ArrayBuffer growth after GC
 * between a warmed-up start and the end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadCorpus } from './corpus.js';
import { Rand } from './mutate.js';
import { createTargets, type Target } from './targets.js';

export interface FuzzOptions {
  budgetMs: number;
  seed?: number;
  /** Where crashing and slow inputs are saved (none when absent). */
  outDir?: string;
  /** ../shared/data, when present: its captures seed the corpus and its ET rules run in the pipeline. */
  sharedDir?: string;
  rules?: string[];
  /** Generated mixed traffic for the corpus (default 2 MB). */
  synthBytes?: number;
  /** Only these targets (default all). */
  targets?: string[];
  slowMs?: number;
  sliceMs?: number;
  /** Progress lines (every ~30 s). */
  log?: (line: string) => void;
}

export interface Defect { key: string; message: string; count: number; saved?: string }

export interface TargetReport {
  name: string;
  inputs: number;
  seconds: number;
  inputsPerSec: number;
  exceptions: Defect[];
  slow: { ms: number; rerunMs: number; rerunCpuMs: number; saved?: string }[];
  /** Over slowMs once but not on the second run (the machine, not the input). */
  slowUnconfirmed: number;
  maxMs: number;
}

export interface FuzzReport {
  seed: number;
  seconds: number;
  inputs: number;
  inputsPerSec: number;
  exceptions: number;
  slow: number;
  heapGrowthMb: number;
  arrayBufferGrowthMb: number;
  corpus: string[];
  targets: TargetReport[];
}

function gcFunction(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function memory(gc: () => void): Promise<{ heap: number; ab: number }> {
  await turnEventLoop();
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, ab: m.arrayBuffers };
}

function defectKey(e: unknown): { key: string; message: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  const frame = (err.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
  const message = `${err.name}: ${err.message}`.slice(0, 300);
  return { key: `${message.replace(/\d+/g, 'N').slice(0, 120)} ${frame.trim()}`, message: `${message}\n${frame.trim()}` };
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const seed = opts.seed ?? 1;
  const slowMs = opts.slowMs ?? 100;
  const sliceMs = opts.sliceMs ?? 250;
  const log = opts.log ?? (() => {});
  const gc = gcFunction();
  if (opts.outDir) mkdirSync(opts.outDir, { recursive: true });
  const corpus = await loadCorpus({ sharedDir: opts.sharedDir, synthBytes: opts.synthBytes ?? 2_000_000, seed });
  const scratch = join(opts.outDir ?? (await import('node:os')).tmpdir(), `fuzz-scratch-${process.pid}.bin`);
  let targets = await createTargets(corpus, { rules: opts.rules, scratch });
  if (opts.targets) targets = targets.filter((t) => opts.targets!.includes(t.name));
  const r = new Rand(seed);
  const reports = new Map<string, TargetReport & { byKey: Map<string, Defect>; ns: number }>();
  for (const t of targets) reports.set(t.name, { name: t.name, inputs: 0, seconds: 0, inputsPerSec: 0, exceptions: [], slow: [], slowUnconfirmed: 0, maxMs: 0, byKey: new Map(), ns: 0 });

  const save = (t: Target, kind: string, input: unknown): string | undefined => {
    if (!opts.outDir) return undefined;
    const rep = reports.get(t.name)!;
    const file = join(opts.outDir, `${t.name}-${kind}-${rep.exceptions.length + rep.slow.length + 1}.${kind === 'slow' ? 'slow' : 'crash'}`);
    try {
      writeFileSync(file, t.save(input));
      return file;
    } catch {
      return undefined;
    }
  };

  const runOne = async (t: Target, input: unknown, rr: Rand): Promise<{ ms: number; error: unknown }> => {
    const t0 = performance.now();
    try {
      const p = t.run(input, rr);
      if (p) await p;
      return { ms: performance.now() - t0, error: null };
    } catch (e) {
      return { ms: performance.now() - t0, error: e ?? new Error('undefined thrown') };
    }
  };

  // Warm-up (JIT, lazily built state), then the memory baseline.
  for (const t of targets) for (let i = 0; i < 50; i++) await runOne(t, t.make(r), r);
  for (const t of targets) t.reset?.();
  const before = await memory(gc);

  const started = performance.now();
  const deadline = started + opts.budgetMs;
  let nextLog = started + 30_000;
  while (performance.now() < deadline) {
    for (const t of targets) {
      const rep = reports.get(t.name)!;
      const sliceEnd = Math.min(deadline, performance.now() + sliceMs);
      const s0 = process.hrtime.bigint();
      do {
        const input = t.make(r);
        const one = await runOne(t, input, r);
        const ms = one.ms;
        let error = one.error;
        rep.inputs++;
        if (error === null && t.between) {
          try {
            t.between();
          } catch (e) {
            error = e;
          }
        }
        if (ms > rep.maxMs) rep.maxMs = ms;
        if (error !== null) {
          const { key, message } = defectKey(error);
          let d = rep.byKey.get(key);
          if (!d) {
            d = { key, message, count: 0, saved: save(t, 'exception', input) };
            rep.byKey.set(key, d);
            rep.exceptions.push(d);
            log(`[${t.name}] exception: ${message.split('\n')[0]}${d.saved ? ` (saved ${d.saved})` : ''}`);
          }
          d.count++;
        } else if (ms > slowMs) {
          // Confirmed on the CPU time of a second run: on a shared machine the wall time of
          // one run may be another process's.
          const cpu0 = process.cpuUsage();
          const again = await runOne(t, input, r);
          const cpu = process.cpuUsage(cpu0);
          const cpuMs = (cpu.user + cpu.system) / 1000;
          if (again.ms > slowMs && cpuMs > slowMs) {
            const saved = rep.slow.length < 20 ? save(t, 'slow', input) : undefined;
            rep.slow.push({ ms, rerunMs: again.ms, rerunCpuMs: cpuMs, saved });
            log(`[${t.name}] slow input: ${ms.toFixed(0)} ms, again ${again.ms.toFixed(0)} ms (${cpuMs.toFixed(0)} ms CPU)${saved ? ` (saved ${saved})` : ''}`);
          } else rep.slowUnconfirmed++;
        }
      } while (performance.now() < sliceEnd);
      rep.ns += Number(process.hrtime.bigint() - s0);
      // Let the event loop turn between slices, as the pipeline does between reads: Node
      // releases the native memory of a failed synchronous zlib call only then, so a loop
      // that never yields measures that deferred release as growth.
      await turnEventLoop();
    }
    if (performance.now() >= nextLog) {
      nextLog += 30_000;
      const total = [...reports.values()].reduce((a, x) => a + x.inputs, 0);
      log(`${((performance.now() - started) / 1000).toFixed(0)} s: ${total.toLocaleString('en-US')} inputs (${[...reports.values()].map((x) => `${x.name} ${x.inputs}`).join(', ')})`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  for (const t of targets) t.reset?.();
  const after = await memory(gc);
  const out: TargetReport[] = [...reports.values()].map(({ byKey: _k, ns, ...rep }) => ({ ...rep, seconds: ns / 1e9, inputsPerSec: Math.round(rep.inputs / Math.max(1e-9, ns / 1e9)) }));
  const inputs = out.reduce((a, x) => a + x.inputs, 0);
  return {
    seed, seconds, inputs, inputsPerSec: Math.round(inputs / seconds),
    exceptions: out.reduce((a, x) => a + x.exceptions.length, 0),
    slow: out.reduce((a, x) => a + x.slow.length, 0),
    heapGrowthMb: (after.heap - before.heap) / 1e6,
    arrayBufferGrowthMb: (after.ab - before.ab) / 1e6,
    corpus: corpus.sources, targets: out,
  };
}

export function formatFuzzReport(rep: FuzzReport): string {
  const lines = [
    `fuzz: ${rep.inputs.toLocaleString('en-US')} inputs in ${rep.seconds.toFixed(0)} s (${rep.inputsPerSec.toLocaleString('en-US')}/s), seed ${rep.seed}; corpus: ${rep.corpus.join(', ')}`,
    '| target | inputs | inputs/s | exceptions | slow (>100 ms, confirmed) | unconfirmed | max ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rep.targets.map((t) => `| ${t.name} | ${t.inputs.toLocaleString('en-US')} | ${t.inputsPerSec.toLocaleString('en-US')} | ${t.exceptions.length} | ${t.slow.length} | ${t.slowUnconfirmed} | ${t.maxMs.toFixed(1)} |`),
    `heap growth after gc: ${rep.heapGrowthMb.toFixed(1)} MB; ArrayBuffer growth: ${rep.arrayBufferGrowthMb.toFixed(1)} MB`,
  ];
  for (const t of rep.targets) for (const e of t.exceptions) lines.push(`  [${t.name}] ${e.count}x ${e.message.replace(/\n/g, ' @ ')}${e.saved ? ` → ${e.saved}` : ''}`);
  for (const t of rep.targets) for (const s of t.slow) lines.push(`  [${t.name}] slow ${s.ms.toFixed(0)} ms (again ${s.rerunMs.toFixed(0)} ms, ${s.rerunCpuMs.toFixed(0)} ms CPU)${s.saved ? ` → ${s.saved}` : ''}`);
  return lines.join('\n');
}
