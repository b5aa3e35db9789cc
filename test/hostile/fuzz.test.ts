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

test('fuzz decoder target: a fragment that completes a datagram is checked on the reassembly buffer (regression: the 30 min run flagged it)', async () => {
  const { decoderTarget } = await import('../../bench/fuzz/targets.js');
  const { finishChecksum, sum16, writeIp4Header } = await import('../../src/synth/packet-builder.js');
  const fragment = (offset8: number, more: boolean, payload: number): Uint8Array => {
    const f = new Uint8Array(14 + 20 + payload);
    f[12] = 0x08;
    writeIp4Header(f, 14, 0xc6336401, 0x0a000009, 17, 20 + payload, 0x1234, 64, false, 0);
    f[20] = (more ? 0x20 : 0) | (offset8 >> 8);
    f[21] = offset8 & 0xff;
    f[24] = 0;
    f[25] = 0;
    const c = finishChecksum(sum16(f, 14, 34));
    f[24] = c >> 8;
    f[25] = c & 0xff;
    return f;
  };
  const target = decoderTarget({ files: [], frameRuns: [[{ linkType: 1, tsUs: 1, bytes: fragment(0, true, 64) }]], streams: [], sources: [] });
  // The first fragment waits; the second completes the datagram, and the view moves to the
  // reassembly buffer: the invariants must hold there (they threw before).
  await target.run({ linkType: 1, tsUs: 1.7e15, bytes: fragment(0, true, 64) }, undefined as never);
  await target.run({ linkType: 1, tsUs: 1.7e15 + 10, bytes: fragment(8, false, 40) }, undefined as never);
});
