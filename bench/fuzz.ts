/**
 * `npm run fuzz -- --budget 10m`: mutation fuzzing of every capture reader, the decoder,
 * every protocol parser, every stream consumer and the whole pipeline, seeded from the shared
 * captures and generated traffic (bench/fuzz/). Prints inputs/s, exceptions, slow inputs
 * (> 100 ms) and heap/ArrayBuffer growth after GC; saves each defect's input to --out and the
 * report to --out/report.json. Exit code 1 when it found a defect.
 *
 *   npm run fuzz -- --budget 30m --seed 7 --out fuzz-out
 *   npm run fuzz -- --budget 60s --targets parsers,stream-consumers
 */
import { writeFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFuzzReport, runFuzz } from './fuzz/harness.js';
import { readArgs } from './lib/args.js';

function duration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`--budget: expected a duration like 90s, 10m or 1h, got ${s}`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

const { value: opt, flag } = readArgs();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = resolve(process.env.MINEWATCH_SHARED_DATA ?? join(root, '..', 'shared', 'data'));
const haveShared = !flag('--no-shared') && existsSync(join(shared, 'SOURCES.md'));
const rules = haveShared ? [join(shared, 'lists', 'et-open-coinmining-rules-all-categories.rules'), join(shared, 'lists', 'et-open-emerging-coinminer.rules')].filter(existsSync) : [];
const outDir = resolve(opt('--out') ?? 'fuzz-out');

const report = await runFuzz({
  budgetMs: duration(opt('--budget') ?? '60s'),
  seed: Number(opt('--seed') ?? Date.now() % 1_000_000),
  outDir,
  sharedDir: haveShared ? shared : undefined,
  rules,
  synthBytes: Number(opt('--synth-bytes') ?? 2_000_000),
  targets: opt('--targets')?.split(','),
  log: (l) => process.stderr.write(`${l}\n`),
});
writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
process.stdout.write(`${formatFuzzReport(report)}\nreport: ${join(outDir, 'report.json')}\n`);
if (report.exceptions > 0 || report.slow > 0) process.exitCode = 1;
