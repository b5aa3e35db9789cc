/**
 * The hostile-input suite's tools: build a capture from frames, run `analyze` on it in a
 * child process (so time and peak memory are the input's own), and compare against a
 * baseline measured in the same test — ordinary traffic of the same size, or the same
 * capture without detection — so every bound holds on a slower or busier machine too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { FrameBuilder, Path, TcpSession, type FrameSink } from '../../src/synth/packet-builder.js';
import { generate } from '../../src/synth/index.js';
import type { AnalyzerConfig } from '../../src/pipeline/analyzers.js';
import type { AnalysisSummary } from '../../src/pipeline/summary.js';

const RUNNER = join(dirname(fileURLToPath(import.meta.url)), 'run-analyze.js');

/** Peak memory bound of every hostile run (the 512 MB). */
export const MAX_RSS_MB = 512;

export function tempDir(prefix = 'mw-hostile-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a pcap whose frames `build` emits; returns its size in bytes. */
export function writeCapture(path: string, build: (sink: FrameSink, fb: FrameBuilder) => void): number {
  const w = new PcapWriter(path);
  build({ emit: (t, f) => w.write(t, f) }, new FrameBuilder());
  w.close();
  return statSync(path).size;
}

/** Ordinary traffic (the synthetic mixed home network) of about `bytes`. */
export async function ordinaryCapture(path: string, bytes: number, seed = 7): Promise<number> {
  await generate('mixed', { seed, sizeBytes: bytes }, path);
  return statSync(path).size;
}

export interface Run {
  ms: number;
  /** CPU time of the process during the run (all its threads). */
  cpuMs: number;
  rssMb: number;
  summary: AnalysisSummary;
  signatures: string[];
  bytes: number;
}

export function runAnalyze(input: string, config: Partial<AnalyzerConfig> = {}, timeoutMs = 300_000): Run {
  const r = spawnSync(process.execPath, [RUNNER, JSON.stringify({ input, config })], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`analyze of ${input} failed (status ${r.status}, signal ${r.signal}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<Run, 'bytes'>;
  return { ...out, bytes: statSync(input).size };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export interface Comparison {
  hostile: Run;
  base: Run;
  /** Median over rounds of (hostile CPU time per byte) / (baseline CPU time per byte). */
  ratio: number;
}

/**
 * Runs the hostile capture and the baseline in interleaved rounds and returns the median
 * per-byte time ratio (with the last run of each). Small inputs are dominated by fixed costs
 * the same in both, so keep captures at a few MB at least.
 */
export function compare(hostile: { input: string; config?: Partial<AnalyzerConfig> }, base: { input: string; config?: Partial<AnalyzerConfig> }, rounds = 3): Comparison {
  const ratios: number[] = [];
  let h!: Run;
  let b!: Run;
  for (let i = 0; i < rounds; i++) {
    b = runAnalyze(base.input, base.config);
    h = runAnalyze(hostile.input, hostile.config);
    // CPU time: on a shared machine (load average 15-20 on 2 cores while this was written)
    // wall time is mostly other processes'; both runs are single-threaded analyses.
    ratios.push((h.cpuMs / h.bytes) / (b.cpuMs / b.bytes));
  }
  return { hostile: h, base: b, ratio: median(ratios) };
}

/** The bound: within `factor`× the baseline's per-byte time and under 512 MB. */
export function assertBounded(c: Comparison, what: string, factor = 3): void {
  const msg = `${what}: ${c.hostile.cpuMs.toFixed(0)} ms CPU (${c.hostile.ms.toFixed(0)} wall) for ${(c.hostile.bytes / 1e6).toFixed(2)} MB vs baseline ${c.base.cpuMs.toFixed(0)} ms CPU (${c.base.ms.toFixed(0)} wall) for ${(c.base.bytes / 1e6).toFixed(2)} MB: per-byte ratio ${c.ratio.toFixed(2)}, peak RSS ${c.hostile.rssMb.toFixed(0)} MB`;
  console.log(`# ${msg}`);
  assert.ok(c.ratio <= factor, msg);
  assert.ok(c.hostile.rssMb < MAX_RSS_MB, msg);
}

export const ip4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);

/** A TCP conversation client→server on `port`; `script` sends through the session. */
export function tcpConversation(sink: FrameSink, fb: FrameBuilder, client: number, server: number, cport: number, port: number, t: number,
  script: (s: TcpSession, t: number) => number, mss = 1460): number {
  const c2s = new Path(MAC_A, MAC_B, client, server);
  const s = new TcpSession(sink, fb, [c2s, c2s.reverse(64)], [cport, port], [1000, 5000], { mss }, { mss });
  t = s.handshake(t, 200);
  t = script(s, t + 100);
  return s.close(0, t + 100, 200);
}

export { Path, TcpSession, FrameBuilder, type FrameSink };
export const MACS = { A: MAC_A, B: MAC_B };
