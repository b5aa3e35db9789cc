/**
 * Hostile input the engine already bounds (issue 16 "the ones that already pass"), kept as
 * regression tests: each is a generated capture whose time per byte stays within 3x of
 * ordinary traffic of the same size (measured in the same test) and under 512 MB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assertBounded, compare, ip4, ordinaryCapture, tcpConversation, tempDir, writeCapture, Path, MACS, type FrameSink, type FrameBuilder } from './helpers.js';
import { finishChecksum, sum16, writeIp4Header } from '../../src/synth/packet-builder.js';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

async function bounded(name: string, build: (sink: FrameSink, fb: FrameBuilder) => void, check?: (protocols: Record<string, number>, malformed: Record<string, number>) => void): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    const hostile = join(dir, 'hostile.pcap');
    const bytes = writeCapture(hostile, build);
    const base = join(dir, 'ordinary.pcap');
    await ordinaryCapture(base, bytes);
    const c = compare({ input: hostile }, { input: base });
    check?.(c.hostile.summary.protocols, c.hostile.summary.malformed);
    assertBounded(c, name);
  } finally {
    cleanup();
  }
}

/** `flows` HTTP exchanges on port 80 whose response is `response`. */
function httpFlows(flows: number, response: Buffer, request = enc('GET /miner.js HTTP/1.1\r\nHost: pages.example.test\r\nAccept-Encoding: gzip\r\n\r\n')) {
  return (sink: FrameSink, fb: FrameBuilder) => {
    let t = 1.7e15;
    for (let i = 0; i < flows; i++) {
      t = tcpConversation(sink, fb, ip4(10, 0, 0, 10 + (i % 200)), ip4(203, 0, 113, 80), 42000 + i, 80, t, (s, tt) => {
        tt = s.send(0, request, 0, request.length, tt);
        return s.send(1, response, 0, response.length, tt + 300);
      }, 8960) + 1000;
    }
  };
}

test('gzip bombs: 12 responses of 200 MB of zeros compressed to ~200 KB each', async () => {
  const bomb = gzipSync(Buffer.alloc(200 << 20));
  const response = Buffer.concat([enc(`HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`), bomb]);
  await bounded('gzip bombs', httpFlows(12, response), (p) => assert.equal(p['http.response'], 12));
});

test('chunked bodies: absurd chunk sizes and 150,000 one-byte chunks', async () => {
  const tiny = enc(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n${'1\r\nx\r\n'.repeat(150_000)}0\r\n\r\n`);
  const huge = enc(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n${'y'.repeat(200_000)}`);
  const neg = enc(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nzz\r\n${'7fffffff;ext=1\r\n'.repeat(10_000)}`);
  await bounded('chunk sizes', (sink, fb) => {
    httpFlows(2, tiny)(sink, fb);
    httpFlows(2, huge)(sink, fb);
    httpFlows(2, neg)(sink, fb);
  });
});

test('TLS lengths: handshakes claiming 16 MB, records at the 64 KB limit, 40 flows', async () => {
  const record = (type: number, body: Buffer) => Buffer.concat([Buffer.of(type, 3, 1, body.length >> 8, body.length & 255), body]);
  // A ClientHello whose handshake header claims 0xffffff bytes, continued over 64 KB of records.
  const first = Buffer.concat([Buffer.of(1, 0xff, 0xff, 0xff, 3, 3), Buffer.alloc(16_000, 0x41)]);
  const parts = [record(0x16, first)];
  for (let i = 0; i < 3; i++) parts.push(record(0x16, Buffer.alloc(16_383, 0x42)));
  parts.push(Buffer.of(0x16, 3, 1, 0xff, 0xff), Buffer.alloc(1000, 0x43)); // a record longer than the limit
  const hello = Buffer.concat(parts);
  await bounded('TLS lengths', (sink, fb) => {
    let t = 1.7e15;
    for (let i = 0; i < 40; i++) t = tcpConversation(sink, fb, ip4(10, 0, 1, i), ip4(203, 0, 113, 44), 43000 + i, 443, t, (s, tt) => s.send(0, hello, 0, hello.length, tt), 8960) + 1000;
  });
});

test('long lines: an 8 MB Stratum line without a newline, and 2 MB of JSON nesting', async () => {
  const line = enc(`{"id":1,"method":"login","params":{"login":"${'A'.repeat(8 << 20)}`);
  const nested = enc(`${'['.repeat(2 << 20)}\n`);
  await bounded('long lines', (sink, fb) => {
    let t = 1.7e15;
    t = tcpConversation(sink, fb, ip4(10, 0, 2, 1), ip4(198, 51, 100, 3), 44001, 3333, t, (s, tt) => s.send(0, line, 0, line.length, tt), 8960) + 1000;
    tcpConversation(sink, fb, ip4(10, 0, 2, 2), ip4(198, 51, 100, 3), 44002, 3333, t, (s, tt) => s.send(0, nested, 0, nested.length, tt), 8960);
  });
});

test('DNS compression loops: 20,000 responses whose names point at themselves or each other', async () => {
  await bounded('DNS compression loops', (sink, fb) => {
    const q = new Path(MACS.A, MACS.B, ip4(10, 0, 0, 5), ip4(10, 0, 0, 1));
    const r = q.reverse(64);
    let t = 1.7e15;
    for (let i = 0; i < 20_000; i++) {
      const msg = Buffer.alloc(18 + 20 * 12);
      msg.writeUInt16BE(i, 0);
      msg.writeUInt16BE(0x8180, 2);
      msg.writeUInt16BE(1, 4);
      msg.writeUInt16BE(20, 6);
      // question name: a pointer to itself (offset 12); answers: pointers to each other
      msg.writeUInt16BE(0xc00c, 12);
      msg.writeUInt32BE(0x00010001, 14);
      for (let a = 0; a < 20; a++) {
        const o = 18 + a * 12;
        msg.writeUInt16BE(0xc000 | (o + 12 < msg.length ? o + 12 : 12), o);
        msg.writeUInt32BE(0x00010001, o + 2);
        msg.writeUInt32BE(60, o + 6);
        msg.writeUInt16BE(0, o + 10);
      }
      sink.emit(t, fb.udp(r, 53, 30000 + (i % 30000), msg, 0, msg.length));
      t += 50;
    }
  }, (_p, m) => assert.ok(Object.entries(m).some(([k, v]) => k.startsWith('dns.') && v >= 20_000), `DNS parser rejections: ${JSON.stringify(m)}`));
});

test('fragment flood: 150,000 first fragments with distinct ids, never completed', async () => {
  await bounded('fragment flood', (sink) => {
    const frame = new Uint8Array(14 + 20 + 120);
    frame.set(MACS.B, 0);
    frame.set(MACS.A, 6);
    frame[12] = 0x08;
    let t = 1.7e15;
    for (let i = 0; i < 150_000; i++) {
      writeIp4Header(frame, 14, ip4(198, 51, 100, 1 + (i % 50)), ip4(10, 0, 0, 9), 17, 140, i & 0xffff, 64, false, 0);
      frame[14 + 6] = 0x20; // MF, offset 0
      frame[14 + 10] = 0;
      frame[14 + 11] = 0;
      const c = finishChecksum(sum16(frame, 14, 34));
      frame[14 + 10] = c >>> 8;
      frame[14 + 11] = c & 0xff;
      sink.emit(t, frame);
      t += 20;
    }
  });
});

test('flow flood: 120,000 UDP flows from 64 sources to random ports', async () => {
  await bounded('flow flood', (sink, fb) => {
    const p = new Path(MACS.A, MACS.B, 0, ip4(10, 0, 0, 9));
    const payload = Buffer.alloc(64, 0x61);
    let x = 12345;
    let t = 1.7e15;
    for (let i = 0; i < 120_000; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      p.src4 = ip4(198, 51, 100, 1 + (i & 63));
      sink.emit(t, fb.udp(p, 1024 + ((x >>> 0) % 60000), 1024 + ((x >>> 16) % 60000), payload, 0, payload.length));
      t += 10;
    }
  });
});
