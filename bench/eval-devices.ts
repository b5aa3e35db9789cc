/**
 * Device classification accuracy: the inventory over the shared captures (labels in
 * bench/data/device-labels.json, with the reasoning) and over generated homes (src/synth/home.ts,
 * truth from the generator, phones rotating MACs). Prints accuracy and MAC-rotation splits.
 *
 *   npm run eval:devices            (after npm run build)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/pipeline/analyze.js';
import { generateHome } from '../src/synth/home.js';
import type { Device } from '../src/devices/index.js';

interface Label { mac: string; type: string; accept?: string[]; reason: string }
interface LabelFile { captures: { file: string; devices: Label[] }[] }

export interface EvalResult { labelled: number; right: number; splits: number; misses: string[] }

const here = dirname(fileURLToPath(import.meta.url));

function labelsPath(): string {
  for (let d = here, i = 0; i < 4; i++, d = dirname(d)) {
    const p = join(d, 'bench', 'data', 'device-labels.json');
    if (existsSync(p)) return p;
  }
  throw new Error('bench/data/device-labels.json not found');
}

async function inventoryOf(file: string, workers = 1): Promise<Device[]> {
  const r = await analyze({ inputs: [file], workers, progress: false, keepAlerts: 0 });
  return r.devices ?? [];
}

/** The shared captures against their labels (null when the shared data is not there). */
export async function evalShared(dataDir: string): Promise<EvalResult | null> {
  const labels = JSON.parse(readFileSync(labelsPath(), 'utf8')) as LabelFile;
  if (!existsSync(join(dataDir, labels.captures[0].file))) return null;
  const out: EvalResult = { labelled: 0, right: 0, splits: 0, misses: [] };
  for (const c of labels.captures) {
    const devices = await inventoryOf(join(dataDir, c.file));
    for (const l of c.devices) {
      out.labelled++;
      const d = devices.find((x) => x.macs.includes(l.mac));
      const ok = d !== undefined && (d.type === l.type || (l.accept ?? []).includes(d.type));
      if (ok) out.right++;
      else out.misses.push(`${c.file} ${l.mac}: labelled ${l.type}, got ${d ? `${d.type} (${d.score}, guess ${d.guess})` : 'no device'}`);
    }
  }
  return out;
}

/** Generated homes (seeds), each with phones rotating their MACs. */
export async function evalGenerated(seeds: readonly number[], workers = 1): Promise<EvalResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-home-'));
  const out: EvalResult = { labelled: 0, right: 0, splits: 0, misses: [] };
  try {
    for (const seed of seeds) {
      const file = join(dir, `home-${seed}.pcap`);
      const { truth } = await generateHome({ seed, rotations: 2 }, file);
      const devices = await inventoryOf(file, workers);
      const all = [{ type: 'router', macs: [truth.router], hostname: 'router' }, ...truth.devices];
      for (const t of all) {
        out.labelled++;
        const ids = new Set(t.macs.map((m) => devices.find((d) => d.macs.includes(m))?.id ?? `missing:${m}`));
        if (ids.size > 1) {
          out.splits++;
          out.misses.push(`seed ${seed} ${t.hostname}: split into ${ids.size} devices`);
          continue;
        }
        const d = devices.find((x) => x.macs.includes(t.macs[0]));
        if (d && d.type === t.type) out.right++;
        else out.misses.push(`seed ${seed} ${t.hostname}: truth ${t.type}, got ${d ? `${d.type} (${d.score})` : 'no device'}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function report(name: string, r: EvalResult): void {
  const pct = r.labelled > 0 ? ((100 * r.right) / r.labelled).toFixed(1) : 'n/a';
  console.log(`${name}: ${r.right}/${r.labelled} right (${pct} %), ${r.splits} split by MAC rotation`);
  for (const m of r.misses) console.log(`  miss: ${m}`);
}

async function main(): Promise<void> {
  const dataDir = process.env.MINEWATCH_SHARED_DATA ?? join(here, '..', '..', '..', 'shared', 'data');
  const shared = await evalShared(existsSync(dataDir) ? dataDir : '/work/shared/data');
  if (shared) report('shared captures', shared);
  else console.log('shared captures: ../shared/data not found, skipped');
  report('generated homes (5 seeds)', await evalGenerated([1, 2, 3, 4, 5]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
