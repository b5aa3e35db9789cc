/** Classic pcap: byte orders, nanosecond timestamps, bounds, truncation, garbage, resync. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { openCapture } from '../../src/capture/open.js';
import { CaptureError } from '../../src/capture/source.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { frameBytes, pcapFile, pcapHeader, pcapRecord, readAll, tempDir, type PcapRecord } from './builders.js';

const BASE_SEC = 1_700_000_000;

function sampleRecords(nano: boolean): PcapRecord[] {
  return [60, 1514, 0, 333, 9000].map((len, i) => ({
    sec: BASE_SEC + i,
    sub: nano ? 123_456_789 + i : 654_321 + i,
    data: frameBytes(i + 1, len),
    wireLen: i === 3 ? 1400 : i === 2 ? 60 : undefined,
  }));
}

void test('both byte orders × microsecond/nanosecond magic: timestamps, lengths, link type, bytes', async () => {
  const tmp = tempDir();
  try {
    for (const le of [true, false]) {
      for (const nano of [false, true]) {
        const records = sampleRecords(nano);
        // FCS bits in the upper half of the link-type field must not leak into the type.
        const path = tmp.file(`f-${le}-${nano}.pcap`, pcapFile(records, { le, nano, linkType: 113 | 0x10000000 }));
        const { source, frames } = await readAll([path]);
        assert.equal(frames.length, records.length);
        records.forEach((r, i) => {
          const f = frames[i];
          assert.equal(f.tsUs, r.sec * 1e6 + (nano ? Math.floor(r.sub / 1000) : r.sub), `ts ${le} ${nano} ${i}`);
          assert.equal(f.capLen, r.data.length);
          assert.equal(f.wireLen, r.wireLen ?? r.data.length);
          assert.equal(f.linkType, 113);
          assert.equal(f.ifIndex, 0);
          assert.deepEqual(new Uint8Array(f.data), r.data);
        });
        assert.deepEqual([...source.linkTypeCounts], [[113, records.length]]);
        assert.equal(source.malformed.total(), 0);
      }
    }
  } finally {
    tmp.cleanup();
  }
});

void test('a record larger than the chunk grows it; tiny chunks carry partial records over', async () => {
  const tmp = tempDir();
  try {
    const records = Array.from({ length: 40 }, (_, i) => ({ sec: BASE_SEC, sub: i, data: frameBytes(i, (i * 997) % 20000) , wireLen: 20000 }));
    const path = tmp.file('big.pcap', pcapFile(records, { snaplen: 20000 }));
    for (const chunkBytes of [64, 100, 4096, 1 << 20]) {
      const { frames, source } = await readAll([path], { chunkBytes });
      assert.equal(frames.length, 40, `chunk ${chunkBytes}`);
      frames.forEach((f, i) => assert.deepEqual(new Uint8Array(f.data), records[i].data));
      assert.equal(source.malformed.total(), 0);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('caplen bound is max(snaplen, 262144): beyond is a bad record length, within is read', async () => {
  const tmp = tempDir();
  try {
    const big = { sec: BASE_SEC, sub: 0, data: frameBytes(7, 300_000) };
    const ok = { sec: BASE_SEC, sub: 1, data: frameBytes(8, 100) };
    const strict = await readAll([tmp.file('a.pcap', pcapFile([ok, big, ok], { snaplen: 65535 }))]);
    assert.equal(strict.frames.length, 2, 'bad record skipped, resynced on the next one');
    assert.equal(strict.source.malformed.get('pcap.bad-record-length'), 1);
    const loose = await readAll([tmp.file('b.pcap', pcapFile([ok, big, ok], { snaplen: 400_000 }))]);
    assert.equal(loose.frames.length, 3);
    assert.equal(loose.frames[1].capLen, 300_000);
  } finally {
    tmp.cleanup();
  }
});

void test('a 2^31 caplen allocates nothing big, is counted, and reading stops cleanly', async () => {
  const tmp = tempDir();
  try {
    const good = sampleRecords(false).slice(0, 2);
    const hostile = Buffer.alloc(16);
    hostile.writeUInt32LE(BASE_SEC, 0);
    hostile.writeUInt32LE(2 ** 31, 8);
    hostile.writeUInt32LE(2 ** 31, 12);
    const path = tmp.file('hostile.pcap', Buffer.concat([pcapFile(good), hostile, Buffer.alloc(100, 0xee)]));
    const before = process.memoryUsage().arrayBuffers;
    const { frames, source } = await readAll([path], { chunkBytes: 1 << 16 });
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.equal(frames.length, 2);
    assert.equal(source.malformed.get('pcap.bad-record-length'), 1);
    assert.equal(source.malformed.get('pcap.resync-failed'), 1);
    assert.ok(grown < 32 << 20, `arrayBuffers grew by ${grown}`);
    assert.ok(source.warnings.some((w) => w.includes(`offset ${24 + good.reduce((s, r) => s + 16 + r.data.length, 0)}`)));
  } finally {
    tmp.cleanup();
  }
});

void test('garbage inserted mid-file: resync on the next record, warning names the offset, nothing lost', { skip: needSharedData() }, async () => {
  const tmp = tempDir();
  try {
    const original = readFileSync(sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap'));
    // record boundaries from the file itself (little-endian µs)
    const bounds: number[] = [];
    for (let p = 24; p < original.length; p += 16 + original.readUInt32LE(p + 8)) bounds.push(p);
    assert.equal(bounds.length, 145);
    for (const [at, garbage] of [[50, frameBytes(99, 777)], [100, Buffer.alloc(64)], [144, Buffer.alloc(5, 0xff)]] as const) {
      const x = bounds[at];
      const damaged = Buffer.concat([original.subarray(0, x), garbage, original.subarray(x)]);
      const { frames, source } = await readAll([tmp.file(`g${at}.pcap`, damaged)]);
      assert.equal(frames.length, 145, `garbage at record ${at}`);
      assert.equal(source.malformed.get('pcap.bad-record-length'), 1);
      assert.deepEqual(source.warnings.map((w) => w.replace(/^.*?: /, '')), [`resynchronised after ${garbage.length} garbage bytes at offset ${x}`]);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('every truncation point of a real pcap: no throw after open, complete records read, loss counted', { skip: needSharedData() }, async () => {
  const tmp = tempDir();
  try {
    const original = readFileSync(sharedFile('benign/dhcp-discover-offer-nak-ack.pcap'));
    const ends: number[] = [];
    for (let p = 24; p < original.length; p += 16 + original.readUInt32LE(p + 8)) ends.push(p + 16 + original.readUInt32LE(p + 8));
    const path = tmp.file('cut.pcap');
    for (let cut = 0; cut <= original.length; cut++) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path, original.subarray(0, cut));
      if (cut < 24) {
        await assert.rejects(openCapture([path]), (e: unknown) => e instanceof CaptureError && e.file === path && e.byteOffset === 0);
        continue;
      }
      const { frames, source } = await readAll([path], { chunkBytes: 256 });
      const complete = ends.filter((e) => e <= cut).length;
      assert.equal(frames.length, complete, `cut at ${cut}`);
      const midRecord = cut > 24 && !ends.includes(cut);
      assert.equal(source.malformed.get('pcap.truncated-record'), midRecord ? 1 : 0, `cut at ${cut}`);
      assert.equal(source.malformed.total(), midRecord ? 1 : 0, `cut at ${cut}: ${JSON.stringify(source.malformed.toJSON())}`);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('zero-filled hole (e.g. a sparse file) is not read as empty records', async () => {
  const tmp = tempDir();
  try {
    const records = sampleRecords(false);
    const bytes = Buffer.concat([pcapHeader(true, false), pcapRecord(records[0], true), Buffer.alloc(4096), ...records.slice(1).map((r) => pcapRecord(r, true))]);
    const { frames, source } = await readAll([tmp.file('hole.pcap', bytes)]);
    assert.equal(frames.length, records.length);
    assert.equal(source.malformed.get('pcap.bad-record-length'), 1);
    assert.match(source.warnings[0], /resynchronised after 4096 garbage bytes at offset 100/);
  } finally {
    tmp.cleanup();
  }
});

void test('PcapWriter output reads back identically (the writer other stages use)', async () => {
  const tmp = tempDir();
  try {
    const path = tmp.file('w.pcap');
    const w = new PcapWriter(path, 1, 262144, 4096);
    const sent: { ts: number; data: Uint8Array }[] = [];
    for (let i = 0; i < 3000; i++) {
      const data = frameBytes(i, 40 + ((i * 31) % 1500));
      const ts = 1_600_000_000_000_000 + i * 1234;
      w.write(ts, data);
      sent.push({ ts, data });
    }
    w.close();
    const { frames, source } = await readAll([path], { chunkBytes: 10_000 });
    assert.equal(frames.length, 3000);
    frames.forEach((f, i) => {
      assert.equal(f.tsUs, sent[i].ts);
      assert.deepEqual(new Uint8Array(f.data), sent[i].data);
    });
    assert.equal(source.bytesConsumed(), w.bytes);
  } finally {
    tmp.cleanup();
  }
});

void test('a caplen corrupted to a smaller value: the misaligned next header is caught and reading resyncs', { skip: needSharedData() }, async () => {
  const tmp = tempDir();
  try {
    const original = readFileSync(sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap'));
    const bounds: number[] = [];
    for (let p = 24; p < original.length; p += 16 + original.readUInt32LE(p + 8)) bounds.push(p);
    const damaged = Buffer.from(original);
    const at = bounds[70];
    const trueLen = damaged.readUInt32LE(at + 8);
    damaged.writeUInt32LE(trueLen - 10, at + 8);
    const { frames, source } = await readAll([tmp.file('c.pcap', damaged)]);
    // the damaged record is read 10 bytes short; nothing after it is lost
    assert.equal(frames.length, 145);
    assert.equal(frames[70].capLen, trueLen - 10);
    assert.equal(source.malformed.get('pcap.bad-record-length'), 1);
    assert.match(source.warnings[0], new RegExp(`resynchronised after 10 garbage bytes at offset ${at + 16 + trueLen - 10}$`));
  } finally {
    tmp.cleanup();
  }
});

void test('warnings stay bounded however much damage a file has', async () => {
  const tmp = tempDir();
  try {
    const parts: Buffer[] = [pcapHeader(true, false)];
    for (let i = 0; i < 500; i++) {
      parts.push(pcapRecord({ sec: BASE_SEC + i, sub: 0, data: frameBytes(i, 60) }, true));
      // garbage after every second record (resync wants two good records in a row)
      if (i % 2 === 1 && i < 499) parts.push(Buffer.alloc(20, 0xff));
    }
    const { frames, source } = await readAll([tmp.file('many.pcap', Buffer.concat(parts))]);
    assert.equal(frames.length, 500);
    assert.equal(source.malformed.get('pcap.bad-record-length'), 249);
    assert.equal(source.warnings.length, 101);
    assert.equal(source.warnings[100], 'further warnings suppressed');
  } finally {
    tmp.cleanup();
  }
});
