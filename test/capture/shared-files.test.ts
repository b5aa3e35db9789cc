/**
 * Every capture in shared/data reads completely and matches Wireshark's view of it: packet
 * count (capinfos -c), first/last timestamp to the microsecond and captured bytes (tshark).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { needSharedData, sharedFile, SHARED_DATA } from '../helpers/shared-data.js';
import { openCapture } from '../../src/capture/open.js';
import { SHARED_CAPTURES } from './shared-expected.js';
import { tempDir } from './builders.js';

interface Summary {
  packets: number;
  firstUs: number;
  lastUs: number;
  capturedBytes: number;
  perSource: number[];
}

async function summarise(inputs: string[], chunkBytes?: number): Promise<Summary & { source: Awaited<ReturnType<typeof openCapture>> }> {
  const source = await openCapture(inputs, chunkBytes === undefined ? {} : { chunkBytes });
  const s: Summary = { packets: 0, firstUs: -1, lastUs: -1, capturedBytes: 0, perSource: [] };
  for await (const b of source.batches()) {
    for (let i = 0; i < b.count; i++) {
      if (s.firstUs < 0) s.firstUs = b.tsUs[i];
      s.lastUs = b.tsUs[i];
      s.capturedBytes += b.capLens[i];
      assert.ok(b.offsets[i] >= 0 && b.offsets[i] + b.capLens[i] <= b.buf.length);
    }
    s.packets += b.count;
    s.perSource[b.sourceIndex] = (s.perSource[b.sourceIndex] ?? 0) + b.count;
  }
  await source.close();
  return { ...s, source };
}

void test('every shared capture matches capinfos/tshark: count, first/last µs, bytes, link type', { skip: needSharedData() }, async () => {
  for (const [rel, packets, firstUs, lastUs, capturedBytes] of SHARED_CAPTURES) {
    const s = await summarise([sharedFile(rel)]);
    assert.deepEqual(
      { rel, packets: s.packets, firstUs: s.firstUs, lastUs: s.lastUs, capturedBytes: s.capturedBytes },
      { rel, packets, firstUs, lastUs, capturedBytes },
    );
    assert.deepEqual([...s.source.linkTypeCounts], [[1, packets]], rel);
    assert.equal(s.source.malformed.total(), 0, rel);
    assert.deepEqual(s.source.warnings, [], rel);
    assert.deepEqual(s.source.packetCounts, [packets], rel);
    assert.equal(s.source.bytesConsumed(), s.source.totalBytes, rel);
  }
});

void test('tiny chunks (records straddle every refill) give the same results', { skip: needSharedData() }, async () => {
  for (const rel of ['mining/mixed-zcash-monero-eth-stratum.pcapng', 'mining/zcash-stratum-ewbf-flypool-3333.pcap']) {
    const expected = SHARED_CAPTURES.find((e) => e[0] === rel)!;
    const s = await summarise([sharedFile(rel)], 100);
    assert.deepEqual([s.packets, s.firstUs, s.lastUs, s.capturedBytes], expected.slice(1), rel);
  }
});

void test('gzip of a shared capture (detected by magic, not name) gives the same counts', { skip: needSharedData() }, async () => {
  const tmp = tempDir();
  try {
    for (const rel of ['darknet/spoofed-synflood-37k-sources.pcap', 'mining/cgminer-getwork-gbt-stratum-probe.pcapng']) {
      const expected = SHARED_CAPTURES.find((e) => e[0] === rel)!;
      const compressed = gzipSync(readFileSync(sharedFile(rel)));
      const path = tmp.file(rel.replace(/\W/g, '_') + '.cap', compressed);
      const s = await summarise([path]);
      assert.deepEqual([s.packets, s.firstUs, s.lastUs, s.capturedBytes], expected.slice(1), rel);
      assert.equal(s.source.files[0].gzip, true);
      assert.equal(s.source.totalBytes, compressed.length);
      assert.equal(s.source.bytesConsumed(), compressed.length);
      assert.equal(s.source.malformed.total(), 0);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('a directory input reads every capture, sorted, and the sum matches; non-captures skipped with a warning', { skip: needSharedData() }, async () => {
  const s = await summarise([SHARED_DATA]);
  const sorted = [...SHARED_CAPTURES].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(s.source.files.map((f) => f.path), sorted.map((e) => join(SHARED_DATA, e[0])));
  assert.equal(s.packets, SHARED_CAPTURES.reduce((sum, e) => sum + e[1], 0));
  assert.deepEqual(s.perSource, sorted.map((e) => e[1]));
  assert.deepEqual(s.source.packetCounts, sorted.map((e) => e[1]));
  // lists/*.txt, *.csv, *.rules, SOURCES.md, SHA256SUMS are not captures
  assert.ok(s.source.warnings.some((w) => w.includes('SOURCES.md') && w.includes('skipped')));
  assert.ok(s.source.warnings.every((w) => w.includes('skipped')));
  assert.equal(s.source.linkTypeCounts.get(1), s.packets);
});
