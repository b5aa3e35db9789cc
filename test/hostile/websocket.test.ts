/**
 * Hostile input, issue 16 item 2: compressed WebSocket frames. Corrupt 3-byte frames and valid
 * zero-length compressed frames, thousands per flow, stay within 3x of ordinary traffic's
 * per-byte time and under 512 MB: inflating is bounded per flow direction (credit earned by
 * payload bytes) and stops after the frames that are reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertBounded, compare, ip4, ordinaryCapture, tcpConversation, tempDir, writeCapture } from './helpers.js';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');
const UPGRADE = enc('GET /proxy HTTP/1.1\r\nHost: ws.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n');
const SWITCH = enc('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n');

/** `flows` upgraded flows; the server then sends `frames` in 60 KB segments (as a capture with GRO has them). */
function wsFlows(path: string, flows: number, frames: Buffer): number {
  return writeCapture(path, (sink, fb) => {
    let t = 1.7e15;
    for (let i = 0; i < flows; i++) {
      t = tcpConversation(sink, fb, ip4(10, 0, i >> 8, i & 255), ip4(203, 0, 113, 80), 41000 + i, 80, t, (s, tt) => {
        tt = s.send(0, UPGRADE, 0, UPGRADE.length, tt);
        tt = s.send(1, SWITCH, 0, SWITCH.length, tt + 200);
        return s.send(1, frames, 0, frames.length, tt + 200);
      }, 60_000) + 1000;
    }
  });
}

for (const [name, frame, flows, perFlow] of [
  ['corrupt 3-byte compressed frames, 8 flows', Buffer.of(0xc1, 0x01, 0xff), 8, 20_000],
  ['corrupt 3-byte compressed frames, 32 flows', Buffer.of(0xc1, 0x01, 0xff), 32, 20_000],
  ['valid zero-length compressed frames, 16 flows', Buffer.of(0xc1, 0x00), 16, 30_000],
] as const) {
  test(`websocket: ${name} within 3x of ordinary traffic per byte, under 512 MB`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const hostile = join(dir, 'ws.pcap');
      const frames = Buffer.concat(Array.from({ length: perFlow }, () => frame));
      const bytes = wsFlows(hostile, flows, frames);
      const base = join(dir, 'ordinary.pcap');
      await ordinaryCapture(base, bytes);
      const c = compare({ input: hostile }, { input: base });
      assert.ok((c.hostile.summary.protocols['http.websocket'] ?? 0) >= flows, `upgrades seen: ${JSON.stringify(c.hostile.summary.protocols)}`);
      assertBounded(c, name);
    } finally {
      cleanup();
    }
  });
}

test('websocket: 600 short flows of 40 valid 1-byte compressed frames within 3x of the same flows with plain frames', () => {
  // Every frame here is within the frames reported per direction, so each is inflated (up to
  // the credit): the baseline is the same flows with uncompressed frames, since 600 upgraded
  // flows in 0.8 MB cost more per byte than ordinary traffic whatever the frames hold.
  const { dir, cleanup } = tempDir();
  try {
    const hostile = join(dir, 'ws-deflate.pcap');
    const plain = join(dir, 'ws-plain.pcap');
    wsFlows(hostile, 600, Buffer.concat(Array.from({ length: 40 }, () => Buffer.of(0xc1, 0x01, 0x00))));
    wsFlows(plain, 600, Buffer.concat(Array.from({ length: 40 }, () => Buffer.of(0x81, 0x01, 0x41))));
    const c = compare({ input: hostile }, { input: plain });
    assert.equal(c.hostile.summary.protocols['http.websocket_frame'], 600 * 32);
    assertBounded(c, '600 flows x 40 compressed 1-byte frames');
  } finally {
    cleanup();
  }
});
