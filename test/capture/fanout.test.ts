import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { BatchArrays, type FrameBatch } from '../../src/capture/source.js';
import { BatchFanout, ROUTE_ALL, feedFanout } from '../../src/capture/fanout.js';
import { openCapture } from '../../src/capture/open.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Each worker reports, for every frame it receives, a digest line: batch number, frame
 * index, route, timestamp, lengths, link type, interface and the frame's bytes in hex.
 * The worker runs the module under test from the same place as this test (dist/ or src/).
 */
const fanoutUrl = new URL(import.meta.url.endsWith('.ts') ? '../../src/capture/fanout.ts' : '../../src/capture/fanout.js', import.meta.url).href;
const workerSource = `
const { workerData, parentPort } = await import('node:worker_threads');
${import.meta.url.endsWith('.ts') ? "(await import('tsx/esm/api')).register();" : ''}
const { BatchReceiver } = await import(${JSON.stringify(fanoutUrl)});
const r = new BatchReceiver(workerData.port);
const lines = [];
let n = 0;
for (let b = r.next(); b !== null; b = r.next(), n++) {
  if (workerData.slowMs) { const until = Date.now() + workerData.slowMs; while (Date.now() < until); }
  for (let i = 0; i < b.count; i++) {
    const bytes = Buffer.from(b.buf.subarray(b.offsets[i], b.offsets[i] + b.capLens[i])).toString('hex');
    lines.push([n, i, b.routes[i], b.tsUs[i], b.capLens[i], b.wireLens[i], b.linkTypes[i], b.ifIndexes[i], b.sourceIndex, bytes].join(' '));
  }
}
r.close();
parentPort.postMessage(lines);
`;

/** Batches of frames with varied sizes; frame j's first byte chooses its route. */
function makeBatches(batches: number, perBatch: number, bigEvery: number): FrameBatch[] {
  const out: FrameBatch[] = [];
  let j = 0;
  for (let b = 0; b < batches; b++) {
    const a = new BatchArrays(perBatch);
    const sizes = Array.from({ length: perBatch }, (_, i) => ((b * perBatch + i) % bigEvery === 0 ? 70_000 : 20 + ((b * 31 + i * 7) % 100)));
    // Leading garbage: frames do not start at offset 0 of the reader's chunk.
    const buf = new Uint8Array(13 + sizes.reduce((s, x) => s + x, 0));
    let o = 13;
    for (let i = 0; i < perBatch; i++, j++) {
      a.offsets[i] = o;
      a.capLens[i] = sizes[i];
      a.wireLens[i] = sizes[i] + 4;
      a.tsUs[i] = 1.7e15 + j * 1000.5;
      a.linkTypes[i] = j % 3 === 0 ? 113 : 1;
      a.ifIndexes[i] = j % 5;
      for (let k = 0; k < sizes[i]; k++) buf[o + k] = (j * 13 + k * 7) & 0xff;
      o += sizes[i];
    }
    out.push(a.batch(buf, perBatch, b % 2));
  }
  return out;
}

function expectedLines(batches: FrameBatch[], route: (buf: Uint8Array, o: number, c: number, l: number, n: number) => number, n: number): string[] {
  const lines: string[] = [];
  batches.forEach((b, bn) => {
    for (let i = 0; i < b.count; i++) {
      const bytes = Buffer.from(b.buf.subarray(b.offsets[i], b.offsets[i] + b.capLens[i])).toString('hex');
      lines.push([bn, i, route(b.buf, b.offsets[i], b.capLens[i], b.linkTypes[i], n), b.tsUs[i], b.capLens[i], b.wireLens[i], b.linkTypes[i], b.ifIndexes[i], b.sourceIndex, bytes].join(' '));
    }
  });
  return lines;
}

async function runFanout(batches: FrameBatch[], workers: number, slots: number, slowMs: number[] = []): Promise<string[][]> {
  const route = (buf: Uint8Array, o: number, _c: number, linkType: number, n: number) => (linkType === 113 ? ROUTE_ALL : buf[o] % n);
  const fanout = new BatchFanout({ workers, route, slots });
  const results = Array.from({ length: workers }, (_, w) => new Promise<string[]>((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { port: fanout.port(w), slowMs: slowMs[w] ?? 0 }, transferList: [fanout.port(w)] });
    worker.once('message', resolve);
    worker.once('error', reject);
  }));
  async function* source() {
    for (const b of batches) yield b;
  }
  const [, ...lines] = await Promise.all([feedFanout(source(), fanout), ...results]);
  fanout.close();
  assert.equal(fanout.frames, batches.reduce((s, b) => s + b.count, 0));
  return lines;
}

test('fan-out: every worker receives every frame intact, with its route, in order', async () => {
  const batches = makeBatches(12, 50, 97);
  const lines = await runFanout(batches, 3, 2);
  const route = (buf: Uint8Array, o: number, _c: number, linkType: number, n: number) => (linkType === 113 ? ROUTE_ALL : buf[o] % n);
  const expected = expectedLines(batches, route, 3);
  for (const got of lines) assert.deepEqual(got, expected);
  // the routes name each worker and ROUTE_ALL at least once
  const routes = new Set(expected.map((l) => Number(l.split(' ')[2])));
  for (const r of [0, 1, 2, ROUTE_ALL]) assert.ok(routes.has(r), `route ${r} exercised`);
});

test('fan-out: a slow worker holds the reader back without losing or reordering batches', async () => {
  // 2 slots, 30 batches: the reader must wait for slot releases many times; slots grow
  // when a batch with a 70 kB frame arrives (buffers re-sent to the workers).
  const batches = makeBatches(30, 20, 45);
  const lines = await runFanout(batches, 2, 2, [0, 5]);
  const route = (buf: Uint8Array, o: number, _c: number, linkType: number, n: number) => (linkType === 113 ? ROUTE_ALL : buf[o] % n);
  const expected = expectedLines(batches, route, 2);
  assert.deepEqual(lines[0], expected);
  assert.deepEqual(lines[1], expected);
});

test('fan-out: closing while the reader waits for a slot rejects the send', async () => {
  const fanout = new BatchFanout({ workers: 1, route: () => 0, slots: 2 });
  const [b] = makeBatches(1, 5, 1000);
  await fanout.send(b);
  await fanout.send(b);
  // no worker releases anything: the third send waits until close()
  const third = fanout.send(b);
  setTimeout(() => fanout.close(), 20);
  await assert.rejects(third, /closed/);
});

test('fan-out: worker counts outside 1..254 are refused', () => {
  assert.throws(() => new BatchFanout({ workers: 0, route: () => 0 }), RangeError);
  assert.throws(() => new BatchFanout({ workers: 255, route: () => 0 }), RangeError);
});

test('fan-out: a reader that is worker 0 gets each batch with its routes; threads get partitions 1..', async () => {
  const batches = makeBatches(10, 40, 53);
  const route = (buf: Uint8Array, o: number, _c: number, linkType: number, n: number) => (linkType === 113 ? ROUTE_ALL : buf[o] % n);
  const fanout = new BatchFanout({ workers: 3, route, slots: 2, readerIsWorker0: true });
  assert.throws(() => fanout.port(0), RangeError);
  const threads = [1, 2].map((w) => new Promise<string[]>((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { port: fanout.port(w), slowMs: w === 2 ? 3 : 0 }, transferList: [fanout.port(w)] });
    worker.once('message', resolve);
    worker.once('error', reject);
  }));
  const inline: string[] = [];
  let n = 0;
  async function* source() {
    for (const b of batches) yield b;
  }
  await Promise.all([feedFanout(source(), fanout, (b, routes) => {
    for (let i = 0; i < b.count; i++) {
      const bytes = Buffer.from(b.buf.subarray(b.offsets[i], b.offsets[i] + b.capLens[i])).toString('hex');
      inline.push([n, i, routes[i], b.tsUs[i], b.capLens[i], b.wireLens[i], b.linkTypes[i], b.ifIndexes[i], b.sourceIndex, bytes].join(' '));
    }
    n++;
  }), ...threads]);
  fanout.close();
  const expected = expectedLines(batches, route, 3);
  assert.deepEqual(inline, expected);
  for (const got of await Promise.all(threads)) assert.deepEqual(got, expected);
});

test('fan-out from a plain capture file: slots are filled by re-reading the file, frames intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-fanout-'));
  try {
    const path = join(dir, 'f.pcap');
    const w = new PcapWriter(path);
    for (let j = 0; j < 5000; j++) {
      const f = new Uint8Array(14 + (j * 37) % 1400);
      for (let k = 0; k < f.length; k++) f[k] = (j * 29 + k * 3) & 0xff;
      w.write(1.7e15 + j * 10, f);
    }
    w.close();
    // small chunks: many refills, records cut at chunk ends carried over
    const source = await openCapture([path], { chunkBytes: 1 << 16 });
    const route = (buf: Uint8Array, o: number, _c: number, _l: number, n: number) => buf[o] % n;
    const fanout = new BatchFanout({ workers: 2, route, slots: 3, readerIsWorker0: true });
    const thread = new Promise<string[]>((resolve, reject) => {
      const worker = new Worker(workerSource, { eval: true, workerData: { port: fanout.port(1), slowMs: 1 }, transferList: [fanout.port(1)] });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const expected: string[] = [];
    let n = 0;
    let reread = 0;
    await Promise.all([feedFanout(source.batches(), fanout, (b, routes) => {
      if (b.reread) reread++;
      for (let i = 0; i < b.count; i++) {
        const bytes = Buffer.from(b.buf.subarray(b.offsets[i], b.offsets[i] + b.capLens[i])).toString('hex');
        expected.push([n, i, routes[i], b.tsUs[i], b.capLens[i], b.wireLens[i], b.linkTypes[i], b.ifIndexes[i], b.sourceIndex, bytes].join(' '));
      }
      n++;
    }), thread]);
    fanout.close();
    await source.close();
    assert.ok(reread > 1, 'plain file batches offer reread');
    assert.equal(expected.length, 5000);
    assert.deepEqual(await thread, expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('partitionOf: reader keeps a smaller share, every partition gets traffic, one partition owns all', async () => {
  const { partitionOf, READER_SHARE } = await import('../../src/capture/fanout.js');
  for (let h = 0; h < 1000; h++) assert.equal(partitionOf((h * 2654435761) >>> 0, 1), 0);
  for (const n of [2, 3, 8, 254]) {
    const counts = new Array<number>(n).fill(0);
    for (let b = 0; b < 256; b++) counts[partitionOf((b << 24) >>> 0, n)]++;
    assert.equal(counts.reduce((a, c) => a + c, 0), 256);
    for (const c of counts) assert.ok(c > 0, `n=${n}: every partition owns buckets`);
    assert.ok(Math.abs(counts[0] - (256 / n) * READER_SHARE) <= 1, `n=${n}: reader share`);
  }
});
