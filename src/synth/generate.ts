/**
 * One entry point for every scenario: writes the capture, optionally the ground-truth JSON,
 * and reports what it wrote. Bench scripts, tests, the demo and the CLI all call this.
 */
import { writeOutputFile } from '../util/atomic-write.js';
import { generateMixed } from './mixed.js';
import { generateSmall } from './small.js';
import { generateDarknet } from './darknet.js';
import { generateDarknetScale } from './darknet-scale.js';
import { generateSample } from './sample.js';

export type SynthKind = 'mixed' | 'small' | 'darknet' | 'sample';
export const SYNTH_KINDS: readonly SynthKind[] = ['mixed', 'small', 'darknet', 'sample'];

export interface SynthOptions {
  /** PRNG seed (default 1): same seed and options ⇒ byte-identical output */
  seed?: number;
  /** mixed: stop at this file size in bytes (default 50 MB when neither size nor packets is given) */
  sizeBytes?: number;
  /** mixed: stop at this many packets; small/darknet: packet count (default 10 M) */
  packets?: number;
  /** capture start, ms since the epoch (default 2026-01-05T18:00:00Z; a fixed default keeps output deterministic) */
  startMs?: number;
  /** mixed/sample: capture time the budget is spread over, seconds (mixed default 600, sample 240) */
  durationSec?: number;
  /** mixed: number of home devices (default 20–50 from the seed) */
  devices?: number;
  /** darknet: IPv4 darknet CIDR (default 198.18.0.0/16) */
  darknet?: string;
  /** darknet: IPv6 darknet CIDR (default 2001:db8:ffff::/48) */
  darknet6?: string;
  /** darknet: hours of capture (default 6) */
  hours?: number;
  /** darknet: distinct sources; selects the streaming telescope-scale generator (darknet-scale.ts) */
  sources?: number;
  /** darknet with sources: full-port sweeps (default from the packet budget) */
  sweeps?: number;
  /** small: packets per second of capture time (default 500 000) */
  rate?: number;
  /** write the ground truth JSON here */
  truthFile?: string;
}

export interface SynthResult {
  packets: number;
  bytes: number;
  truthFile?: string;
}

export const DEFAULT_START_MS = Date.UTC(2026, 0, 5, 18, 0, 0);
export const DEFAULT_PACKETS = 10_000_000;

export async function generate(kind: SynthKind, opts: SynthOptions, outFile: string): Promise<SynthResult> {
  const seed = (opts.seed ?? 1) >>> 0;
  const startUs = (opts.startMs ?? DEFAULT_START_MS) * 1000;
  let r: { packets: number; bytes: number; truth: unknown };
  switch (kind) {
    case 'mixed':
      r = await generateMixed({
        seed, startUs, sizeBytes: opts.sizeBytes, packets: opts.packets, durationUs: (opts.durationSec ?? 600) * 1e6, devices: opts.devices,
      }, outFile);
      break;
    case 'small':
      r = await generateSmall({ seed, startUs, packets: opts.packets ?? DEFAULT_PACKETS, rate: opts.rate }, outFile);
      break;
    case 'darknet':
      if (opts.sources !== undefined) {
        r = await generateDarknetScale({
          seed, startUs, packets: opts.packets ?? DEFAULT_PACKETS, sources: opts.sources, darknet: opts.darknet ?? '198.18.0.0/16', hours: opts.hours ?? 72, sweeps: opts.sweeps,
        }, outFile);
        break;
      }
      r = await generateDarknet({
        seed, startUs, packets: opts.packets ?? DEFAULT_PACKETS, darknet: opts.darknet ?? '198.18.0.0/16', darknet6: opts.darknet6, hours: opts.hours ?? 6,
      }, outFile);
      break;
    case 'sample':
      r = await generateSample({ seed, startUs, durationUs: opts.durationSec !== undefined ? opts.durationSec * 1e6 : undefined }, outFile);
      break;
    default:
      throw new Error(`unknown synth kind: ${String(kind)}`);
  }
  if (opts.truthFile) {
    writeOutputFile(opts.truthFile, `${JSON.stringify(r.truth, null, 1)}\n`);
    return { packets: r.packets, bytes: r.bytes, truthFile: opts.truthFile };
  }
  return { packets: r.packets, bytes: r.bytes };
}
