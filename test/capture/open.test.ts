/** openCapture: input validation, directories, several inputs, gzip by magic, progress. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openCapture } from '../../src/capture/open.js';
import { CaptureError } from '../../src/capture/source.js';
import { PcapngBuilder, frameBytes, pcapFile, readAll, tempDir } from './builders.js';

function records(n: number, seed: number) {
  return Array.from({ length: n }, (_, i) => ({ sec: 1_650_000_000 + i, sub: i, data: frameBytes(seed + i, 64 + i) }));
}

function pcapng(n: number): Buffer {
  const b = new PcapngBuilder().shb().idb(1, 0);
  for (let i = 0; i < n; i++) b.epb(0, 1_650_000_000_000_000n + BigInt(i), frameBytes(i, 90));
  return b.build();
}

async function openError(inputs: string[]): Promise<CaptureError> {
  try {
    await openCapture(inputs);
  } catch (err) {
    assert.ok(err instanceof CaptureError, `expected CaptureError, got ${String(err)}`);
    return err;
  }
  assert.fail('open should have failed');
}

void test('unusable inputs fail at open with file, offset 0 and a readable reason', async () => {
  const tmp = tempDir();
  try {
    const cases: [string, Uint8Array | undefined, RegExp][] = [
      ['missing.pcap', undefined, /^cannot read file \(ENOENT/],
      ['empty.pcap', new Uint8Array(0), /^empty file$/],
      ['text.pcap', Buffer.from('\x124Vx hello, not a capture'), /^not a pcap or pcapng file \(magic 0x12345678\)$/],
      ['short.pcap', pcapFile([]).subarray(0, 10), /^pcap file header truncated \(10 of 24 bytes\)$/],
      ['v1.pcap', Buffer.from(pcapFile([]).fill(0, 4, 5)), /^unsupported pcap version 0\.4$/],
      ['gz-text.pcap', gzipSync(Buffer.from('just some text in a gzip')), /^gzip file does not contain a pcap or pcapng capture \(magic 0x6a757374\)$/],
      ['gz-bad', Buffer.from([0x1f, 0x8b, 0, 1, 2, 3, 4]), /^gzip file is corrupt or empty$/],
    ];
    for (const [name, bytes, reason] of cases) {
      const path = tmp.file(name, bytes);
      const err = await openError([path]);
      assert.equal(err.file, path);
      assert.equal(err.byteOffset, 0);
      assert.match(err.reason, reason, name);
      assert.ok(err.message.includes(path));
    }
    // one bad file among good ones fails the whole open
    const good = tmp.file('good.pcap', pcapFile(records(3, 1)));
    assert.equal((await openError([good, join(tmp.dir, 'missing.pcap')])).file, join(tmp.dir, 'missing.pcap'));
    await assert.rejects(openCapture([]), CaptureError);
  } finally {
    tmp.cleanup();
  }
});

void test('directories: recursive, sorted by name, captures by magic (gzip too), others skipped with a warning', async () => {
  const tmp = tempDir();
  try {
    const root = join(tmp.dir, 'caps');
    mkdirSync(join(root, 'b-sub', 'deeper'), { recursive: true });
    writeFileSync(join(root, 'c.pcap'), pcapFile(records(3, 10)));
    writeFileSync(join(root, 'a.dat'), pcapng(4)); // name says nothing; magic says pcapng
    writeFileSync(join(root, 'b-sub', 'x.txt.gz'), gzipSync(pcapFile(records(5, 20), { le: false, nano: true })));
    writeFileSync(join(root, 'b-sub', 'deeper', 'z.pcapng'), gzipSync(pcapng(2)));
    writeFileSync(join(root, 'b-sub', 'notes.txt'), 'not a capture');
    writeFileSync(join(root, 'empty.pcap'), '');
    const single = tmp.file('single.pcap', pcapFile(records(7, 30)));

    const { source, frames } = await readAll([root, single]);
    const names = source.files.map((f) => f.path.slice(tmp.dir.length + 1));
    assert.deepEqual(names, ['caps/a.dat', 'caps/b-sub/deeper/z.pcapng', 'caps/b-sub/x.txt.gz', 'caps/c.pcap', 'single.pcap']);
    assert.deepEqual(source.files.map((f) => [f.format, f.gzip]), [['pcapng', false], ['pcapng', true], ['pcap', true], ['pcap', false], ['pcap', false]]);
    assert.deepEqual(source.packetCounts, [4, 2, 5, 3, 7]);
    assert.equal(frames.length, 21);
    assert.deepEqual([...new Set(frames.map((f) => f.sourceIndex))], [0, 1, 2, 3, 4]);
    assert.equal(source.warnings.length, 2);
    assert.match(source.warnings.find((w) => w.includes('notes.txt'))!, /skipped, not a pcap or pcapng file \(magic 0x6e6f7420\)/);
    assert.match(source.warnings.find((w) => w.includes('empty.pcap'))!, /skipped, empty file/);
    assert.equal(source.bytesConsumed(), source.totalBytes);
    assert.equal(source.name, `${root} ${single}`);

    const emptyDir = join(tmp.dir, 'nothing');
    mkdirSync(emptyDir);
    writeFileSync(join(emptyDir, 'readme'), 'hi');
    assert.match((await openError([emptyDir])).reason, /directory contains no pcap or pcapng files/);
  } finally {
    tmp.cleanup();
  }
});

void test('bytesConsumed grows monotonically to totalBytes across files', async () => {
  const tmp = tempDir();
  try {
    const a = tmp.file('a.pcap', pcapFile(records(400, 1)));
    const b = tmp.file('b.pcapng', pcapng(300));
    const source = await openCapture([a, b], { chunkBytes: 4096 });
    let last = 0;
    const seen: number[] = [];
    for await (const batch of source.batches()) {
      const now = source.bytesConsumed();
      assert.ok(now >= last && now <= source.totalBytes!);
      last = now;
      seen.push(batch.count);
    }
    assert.ok(seen.length > 10, 'small chunks give many batches');
    assert.equal(source.bytesConsumed(), source.totalBytes);
  } finally {
    tmp.cleanup();
  }
});

void test('truncated or corrupt gzip: frames before the damage are read, the damage is counted', async () => {
  const tmp = tempDir();
  try {
    const plain = pcapFile(records(2000, 5));
    const gz = gzipSync(plain);
    const cut = await readAll([tmp.file('cut.gz', gz.subarray(0, Math.floor(gz.length / 2)))]);
    assert.ok(cut.frames.length > 100 && cut.frames.length < 2000, `read ${cut.frames.length}`);
    assert.equal(cut.source.malformed.get('gzip.truncated'), 1);
    assert.ok(cut.source.warnings.some((w) => /gzip stream ends early/.test(w)));

    const corrupt = Buffer.from(gz);
    for (let i = Math.floor(gz.length / 2); i < Math.floor(gz.length / 2) + 64; i++) corrupt[i] ^= 0x5a;
    const bad = await readAll([tmp.file('bad.gz', corrupt)]);
    assert.ok(bad.frames.length < 2000);
    assert.equal(bad.source.malformed.get('gzip.corrupt'), 1);
  } finally {
    tmp.cleanup();
  }
});

void test('close() during iteration ends it without error', async () => {
  const tmp = tempDir();
  try {
    const path = tmp.file('many.pcap', pcapFile(records(3000, 2)));
    const gzPath = tmp.file('many.gz', gzipSync(pcapFile(records(3000, 2))));
    for (const p of [path, gzPath]) {
      const source = await openCapture([p], { chunkBytes: 1024 });
      let batches = 0;
      for await (const batch of source.batches()) {
        assert.ok(batch.count > 0);
        if (++batches === 2) await source.close();
      }
      assert.equal(batches, 2);
      assert.ok(source.packetCounts[0] < 3000);
    }
  } finally {
    tmp.cleanup();
  }
});
