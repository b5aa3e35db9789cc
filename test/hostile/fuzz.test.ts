/**
 * The fuzzing harness (bench/fuzz/, `npm run fuzz`) for a short fixed budget: every target
 * runs, none throws, no input takes over 100 ms (confirmed by a second run), and heap and
 * ArrayBuffer memory after GC grow by less than 50 MB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFuzzReport, runFuzz } from '../../bench/fuzz/harness.js';
import { HAVE_SHARED_DATA, SHARED_DATA, needSharedData } from '../helpers/shared-data.js';

test('fuzz harness, 20 s over every target: no exception, no slow input, bounded memory', { skip: needSharedData() }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'mw-fuzz-'));
  try {
    const rules = [join(SHARED_DATA, 'lists', 'et-open-coinmining-rules-all-categories.rules')].filter(existsSync);
    const report = await runFuzz({ budgetMs: 20_000, seed: 16, outDir: out, sharedDir: HAVE_SHARED_DATA ? SHARED_DATA : undefined, rules, synthBytes: 1_000_000 });
    console.log(formatFuzzReport(report).split('\n').map((l) => `# ${l}`).join('\n'));
    assert.deepEqual(report.targets.map((t) => t.name), ['capture-readers', 'decoder', 'parsers', 'stream-consumers', 'pipeline']);
    for (const t of report.targets) assert.ok(t.inputs > 20, `${t.name} ran only ${t.inputs} inputs`);
    assert.equal(report.exceptions, 0, formatFuzzReport(report));
    assert.equal(report.slow, 0, formatFuzzReport(report));
    assert.ok(report.heapGrowthMb < 50 && report.arrayBufferGrowthMb < 50, formatFuzzReport(report));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
