/**
 * Hostile input, issue 16 item 7: runs of newlines (empty inline commands) and 1-byte
 * segments of a large command cost the Redis parser linear time. Baseline: ordinary traffic
 * of the same size, measured in the same test.
 */
import { test } from 'node:test';
import { join } from 'node:path';
import { assertBounded, compare, ip4, ordinaryCapture, tcpConversation, tempDir, writeCapture } from './helpers.js';

test('redis: 40 flows of 256 KB of newlines within 3x of ordinary traffic per byte', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const hostile = join(dir, 'redis-newlines.pcap');
    const payload = Buffer.alloc(256 * 1024, 0x0a);
    const bytes = writeCapture(hostile, (sink, fb) => {
      let t = 1.7e15;
      for (let i = 0; i < 40; i++) {
        t = tcpConversation(sink, fb, ip4(10, 0, 0, 10 + i), ip4(10, 0, 1, 1), 40000 + i, 6379, t, (s, tt) => s.send(0, payload, 0, payload.length, tt)) + 1000;
      }
    });
    const base = join(dir, 'ordinary.pcap');
    await ordinaryCapture(base, bytes);
    assertBounded(compare({ input: hostile }, { input: base }), '40 x 256 KB of newlines to Redis');
  } finally {
    cleanup();
  }
});

test('redis: a 60 KB inline command and a 60 KB RESP bulk in 16-byte segments within 3x of ordinary traffic per byte', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const hostile = join(dir, 'redis-small-segments.pcap');
    const inline = Buffer.from(`SET k ${'x'.repeat(60_000)}\r\n`, 'latin1');
    const bulk = Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$60000\r\n${'y'.repeat(60_000)}\r\n`, 'latin1');
    const bytes = writeCapture(hostile, (sink, fb) => {
      let t = 1.7e15;
      for (let i = 0; i < 8; i++) {
        const data = i % 2 === 0 ? inline : bulk;
        t = tcpConversation(sink, fb, ip4(10, 0, 0, 10 + i), ip4(10, 0, 1, 1), 40000 + i, 6379, t, (s, tt) => {
          for (let at = 0; at < data.length; at += 16) tt = s.send(0, data, at, Math.min(16, data.length - at), tt + 10, 15, 40, false);
          return tt;
        }) + 1000;
      }
    });
    const base = join(dir, 'ordinary.pcap');
    await ordinaryCapture(base, bytes);
    assertBounded(compare({ input: hostile }, { input: base }), '8 large Redis commands in 16-byte segments');
  } finally {
    cleanup();
  }
});
