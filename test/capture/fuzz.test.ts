/**
 * Property tests: random and mutated bytes never make a reader throw (only open may, and
 * only CaptureError), every frame points inside its chunk, and memory stays bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { openCapture } from '../../src/capture/open.js';
import { CaptureError } from '../../src/capture/source.js';
import { PcapngBuilder, frameBytes, pcapHeader, tempDir } from './builders.js';

const MEMORY_BOUND = 16 << 20;

/** Opens and drains a file; returns frames read or null when open refused it. */
async function drain(path: string, chunkBytes: number): Promise<number | null> {
  let source;
  try {
    source = await openCapture([path], { chunkBytes });
  } catch (err) {
    if (err instanceof CaptureError) return null;
    throw err;
  }
  let frames = 0;
  for await (const b of source.batches()) {
    for (let i = 0; i < b.count; i++) {
      const o = b.offsets[i];
      const len = b.capLens[i];
      if (o < 0 || len < 0 || o + len > b.buf.length || !Number.isFinite(b.tsUs[i])) {
        throw new Error(`frame ${i} out of bounds: offset ${o} len ${len} buf ${b.buf.length}`);
      }
    }
    frames += b.count;
  }
  await source.close();
  assert.equal(source.packetCounts.reduce((a, c) => a + c, 0), frames);
  return frames;
}

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(original: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(original);
  for (const m of mutations) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
    else b = b.subarray(0, at);
  }
  return b;
}

/** External memory allocated by one run (garbage from earlier runs may be collected meanwhile). */
function checkMemory(before: number): void {
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < MEMORY_BOUND, `arrayBuffers grew by ${grown} bytes`);
}

const chunkArb = fc.constantFrom(64, 200, 4096, 1 << 20);

void test('random bytes, alone or behind a valid pcap/pcapng header, never throw past open', async () => {
  const tmp = tempDir();
  const path = tmp.file('random.bin');
  const pcapngHead = new PcapngBuilder().shb().idb(1, 0).idb(101, 0, { tsresol: 9 }).build();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('none', 'pcap-le', 'pcap-be-ns', 'pcapng', 'gzip-pcap'),
        fc.uint8Array({ maxLength: 3000 }),
        chunkArb,
        async (prefix, body, chunkBytes) => {
          let bytes: Buffer;
          if (prefix === 'none') bytes = Buffer.from(body);
          else if (prefix === 'pcap-le') bytes = Buffer.concat([pcapHeader(true, false), body]);
          else if (prefix === 'pcap-be-ns') bytes = Buffer.concat([pcapHeader(false, true), body]);
          else if (prefix === 'pcapng') bytes = Buffer.concat([pcapngHead, body]);
          else bytes = gzipSync(Buffer.concat([pcapHeader(true, false), body]));
          writeFileSync(path, bytes);
          const baseline = process.memoryUsage().arrayBuffers;
          const frames = await drain(path, chunkBytes);
          if (prefix !== 'none') assert.notEqual(frames, null, 'a valid header must open');
          checkMemory(baseline);
        },
      ),
      { numRuns: 400 },
    );
  } finally {
    tmp.cleanup();
  }
});

void test('mutated real captures never throw past open and stay bounded', { skip: needSharedData() }, async () => {
  const tmp = tempDir();
  const path = tmp.file('mutated.bin');
  const originals = [
    readFileSync(sharedFile('mining/monero-login-job-nanopool-14444.pcapng')),
    readFileSync(sharedFile('benign/dhcp-discover-offer-nak-ack.pcap')),
  ];
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1),
        fc.array(mutationArb, { minLength: 1, maxLength: 8 }),
        chunkArb,
        fc.boolean(),
        async (which, mutations, chunkBytes, gzip) => {
          const bytes = mutate(originals[which], mutations);
          writeFileSync(path, gzip ? gzipSync(bytes) : bytes);
          const baseline = process.memoryUsage().arrayBuffers;
          await drain(path, chunkBytes);
          checkMemory(baseline);
        },
      ),
      { numRuns: 400 },
    );
  } finally {
    tmp.cleanup();
  }
});

void test('hostile block and record lengths near 2^32 never allocate beyond the bound', async () => {
  const tmp = tempDir();
  const path = tmp.file('lengths.bin');
  try {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), async (length, ng) => {
        let bytes: Buffer;
        if (ng) {
          const block = Buffer.alloc(40);
          block.writeUInt32LE(6, 0);
          block.writeUInt32LE(length, 4);
          bytes = Buffer.concat([new PcapngBuilder().shb().idb(1, 0).build(), block, frameBytes(length, 200)]);
        } else {
          const rec = Buffer.alloc(16);
          rec.writeUInt32LE(length, 8);
          rec.writeUInt32LE(length, 12);
          bytes = Buffer.concat([pcapHeader(true, false, 1, length), rec, frameBytes(length, 200)]);
        }
        writeFileSync(path, bytes);
        const baseline = process.memoryUsage().arrayBuffers;
        await drain(path, 4096);
        checkMemory(baseline);
      }),
      { numRuns: 200 },
    );
  } finally {
    tmp.cleanup();
  }
});
