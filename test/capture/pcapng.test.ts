/** pcapng: interfaces, resolutions, offsets, SPB, skipped blocks, sections, damage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { openCapture } from '../../src/capture/open.js';
import { CaptureError } from '../../src/capture/source.js';
import { PcapngBuilder, frameBytes, readAll, tempDir } from './builders.js';

const T_US = 1_700_000_000_123_456n; // µs since epoch

/** Three interfaces: Ethernet µs, raw IP ns, Linux SLL 2^-10 s with a +1000 s offset. */
function multiInterfaceFile(le: boolean): { bytes: Buffer; expect: { tsUs: number; linkType: number; ifIndex: number; data: Uint8Array; wireLen: number }[] } {
  const b = new PcapngBuilder().shb(le)
    .idb(1, 0, { name: 'eth0' })
    .idb(101, 65535, { tsresol: 9 })
    .idb(113, 65535, { tsresol: 0x80 | 10, tsoffset: 1000 });
  const expect: { tsUs: number; linkType: number; ifIndex: number; data: Uint8Array; wireLen: number }[] = [];
  for (let i = 0; i < 12; i++) {
    const data = frameBytes(i, 20 + i * 37);
    const us = T_US + BigInt(i * 1_000_003);
    const ifIndex = i % 3;
    if (ifIndex === 0) b.epb(0, us, data, data.length + 4);
    else if (ifIndex === 1) b.epb(1, us * 1000n + 999n, data, data.length + 4);
    // 2^-10 s ticks: pick a tick count and compute µs exactly as floor(ticks·10^6/1024) + offset
    else b.epb(2, (us * 1024n) / 1_000_000n, data, data.length + 4);
    const tsUs = ifIndex === 2 ? Number(((us * 1024n) / 1_000_000n) * 1_000_000n / 1024n) + 1000e6 : Number(us);
    expect.push({ tsUs, linkType: [1, 101, 113][ifIndex], ifIndex, data, wireLen: data.length + 4 });
    if (i === 4) b.nrb().custom();
  }
  b.isb(0);
  return { bytes: b.build(), expect };
}

void test('several interfaces with different link types and resolutions, both byte orders', async () => {
  const tmp = tempDir();
  try {
    for (const le of [true, false]) {
      const { bytes, expect } = multiInterfaceFile(le);
      const { frames, source } = await readAll([tmp.file(`m${le}.pcapng`, bytes)]);
      assert.equal(frames.length, expect.length);
      frames.forEach((f, i) => {
        assert.equal(f.tsUs, expect[i].tsUs, `frame ${i} ts`);
        assert.equal(f.linkType, expect[i].linkType);
        assert.equal(f.ifIndex, expect[i].ifIndex);
        assert.equal(f.wireLen, expect[i].wireLen);
        assert.deepEqual(new Uint8Array(f.data), expect[i].data);
      });
      assert.deepEqual(Object.fromEntries(source.linkTypeCounts), { 1: 4, 101: 4, 113: 4 });
      assert.deepEqual(source.skipped.toJSON(), {
        'pcapng.custom-block': 1, 'pcapng.interface-statistics-block': 1, 'pcapng.name-resolution-block': 1,
      });
      assert.equal(source.malformed.total(), 0);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('simple packet blocks: previous timestamp, caplen = min(origlen, snaplen, block space)', async () => {
  const tmp = tempDir();
  try {
    const full = frameBytes(1, 100);
    const bytes = new PcapngBuilder().shb().idb(1, 64)
      .spb(full.subarray(0, 50)) // before any timestamped packet: ts 0
      .epb(0, T_US, full.subarray(0, 64), 100)
      .spb(full, 100) // snaplen 64 cuts it
      .spb(full.subarray(0, 30), 30) // origlen 30, block data padded to 32
      .build();
    const { frames } = await readAll([tmp.file('spb.pcapng', bytes)]);
    assert.deepEqual(frames.map((f) => [f.tsUs, f.capLen, f.wireLen]), [
      [0, 50, 50], [Number(T_US), 64, 100], [Number(T_US), 64, 100], [Number(T_US), 30, 30],
    ]);
    assert.deepEqual(new Uint8Array(frames[2].data), full.subarray(0, 64));
    assert.deepEqual(new Uint8Array(frames[3].data), full.subarray(0, 30));
  } finally {
    tmp.cleanup();
  }
});

void test('a new section (other byte order) resets interfaces; unknown interface ids are counted', async () => {
  const tmp = tempDir();
  try {
    const d = frameBytes(3, 70);
    const bytes = new PcapngBuilder()
      .shb(true).idb(1, 0).idb(105, 0).epb(1, T_US, d)
      .shb(false).idb(228, 0).epb(0, T_US + 1n, d).epb(1, T_US + 2n, d) // id 1 gone in this section
      .build();
    const { frames, source } = await readAll([tmp.file('sec.pcapng', bytes)]);
    assert.deepEqual(frames.map((f) => [f.linkType, f.ifIndex, f.tsUs]), [[105, 1, Number(T_US)], [228, 0, Number(T_US) + 1]]);
    assert.equal(source.malformed.get('pcapng.unknown-interface'), 1);
  } finally {
    tmp.cleanup();
  }
});

void test('obsolete packet blocks (type 2) are read like enhanced ones', async () => {
  const tmp = tempDir();
  try {
    const d = frameBytes(4, 41);
    const opb = Buffer.alloc(20);
    opb.writeUInt16LE(0, 0); // interface id
    opb.writeUInt16LE(0, 2); // drops
    opb.writeUInt32LE(Number(T_US >> 32n), 4);
    opb.writeUInt32LE(Number(T_US & 0xffffffffn), 8);
    opb.writeUInt32LE(d.length, 12);
    opb.writeUInt32LE(60, 16);
    const bytes = new PcapngBuilder().shb().idb(1, 0).block(2, Buffer.concat([opb, Buffer.from(d)])).build();
    const { frames } = await readAll([tmp.file('opb.pcapng', bytes)]);
    assert.deepEqual(frames.map((f) => [f.tsUs, f.capLen, f.wireLen]), [[Number(T_US), 41, 60]]);
  } finally {
    tmp.cleanup();
  }
});

void test('garbage between blocks and a corrupted block length: counted, resynchronised with the offset', async () => {
  const tmp = tempDir();
  try {
    const head = new PcapngBuilder().shb().idb(1, 0);
    for (let i = 0; i < 5; i++) head.epb(0, T_US + BigInt(i), frameBytes(i, 100));
    const before = head.build();
    const tail = new PcapngBuilder();
    // the builder's byte order state starts little-endian, like the section above
    for (let i = 5; i < 10; i++) tail.epb(0, T_US + BigInt(i), frameBytes(i, 100));
    const after = tail.build();
    const garbage = frameBytes(77, 123);
    const { frames, source } = await readAll([tmp.file('g.pcapng', Buffer.concat([before, garbage, after]))]);
    assert.equal(frames.length, 10);
    assert.equal(source.malformed.total(), 1);
    assert.match(source.warnings[0], new RegExp(`resynchronised after 123 garbage bytes at offset ${before.length}$`));

    // A block whose trailing length disagrees with its leading length
    const bad = Buffer.from(after);
    bad.writeUInt32LE(0xdeadbeef, 132 - 4); // first EPB is 32 + 100 = 132 bytes
    const r2 = await readAll([tmp.file('m.pcapng', Buffer.concat([before, bad]))]);
    assert.equal(r2.frames.length, 9);
    assert.equal(r2.source.malformed.get('pcapng.block-length-mismatch'), 1);
  } finally {
    tmp.cleanup();
  }
});

void test('every truncation point of a real pcapng: no throw after open, complete blocks read, loss counted', { skip: needSharedData() }, async () => {
  const tmp = tempDir();
  try {
    const original = readFileSync(sharedFile('mining/monero-login-job-nanopool-14444.pcapng'));
    const packetEnds: number[] = [];
    const blockEnds: number[] = [];
    for (let p = 0; p < original.length; p += original.readUInt32LE(p + 4)) {
      const end = p + original.readUInt32LE(p + 4);
      blockEnds.push(end);
      if (original.readUInt32LE(p) === 6) packetEnds.push(end);
    }
    assert.equal(packetEnds.length, 21);
    const path = tmp.file('cut.pcapng');
    for (let cut = 0; cut <= original.length; cut++) {
      writeFileSync(path, original.subarray(0, cut));
      if (cut < 28) {
        await assert.rejects(openCapture([path]), (e: unknown) => e instanceof CaptureError && e.byteOffset === 0);
        continue;
      }
      const { frames, source } = await readAll([path], { chunkBytes: 128 });
      assert.equal(frames.length, packetEnds.filter((e) => e <= cut).length, `cut at ${cut}`);
      const mid = !blockEnds.includes(cut);
      assert.deepEqual(source.malformed.toJSON(), mid ? { 'pcapng.truncated-record': 1 } : {}, `cut at ${cut}`);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('a bad section header at the start is an open error naming the reason', async () => {
  const tmp = tempDir();
  try {
    const bytes = new PcapngBuilder().shb().idb(1, 0).build();
    bytes.writeUInt32LE(0x11223344, 8); // byte-order magic
    const path = tmp.file('bom.pcapng', bytes);
    await assert.rejects(openCapture([path]), (e: unknown) => e instanceof CaptureError && /byte-order magic/.test(e.reason) && e.file === path);
  } finally {
    tmp.cleanup();
  }
});
