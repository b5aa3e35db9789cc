import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSshConsumer, looksLikeSsh } from '../../src/protocols/ssh.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import { fakeFlow } from '../detect/fixtures.js';

/** One clear SSH binary packet (RFC 4253 §6): length, padding length, message number, body, padding. */
function packet(msg: number, bodyLen: number): Buffer {
  // The whole packet a multiple of 8 bytes, at least 4 bytes of padding (RFC 4253 §6).
  let pad = 8 - ((4 + 1 + 1 + bodyLen) % 8);
  if (pad < 4) pad += 8;
  const len = 1 + 1 + bodyLen + pad;
  const b = Buffer.alloc(4 + len, 0x41);
  b.writeUInt32BE(len, 0);
  b[4] = pad;
  b[5] = msg;
  return b;
}

function side(ident: string, encrypted: number[]): Buffer[] {
  // KEXINIT (20), ECDH init/reply (30/31), NEWKEYS (21), then encrypted chunks.
  return [Buffer.from(`${ident}\r\n`), Buffer.concat([packet(20, 900), packet(30, 40), packet(21, 0)]), ...encrypted.map((n) => Buffer.alloc(n, 0xee))];
}

function run(chunks: [0 | 1, Buffer][], split: number) {
  const msgs: ProtocolMessage[] = [];
  const c = createSshConsumer((_f, m) => msgs.push(m));
  const flow = fakeFlow({ serverPort: 2200 });
  assert.ok(c.accepts(flow, chunks[0][0], chunks[0][1]));
  let ts = 1e15;
  for (const [dir, data] of chunks) {
    for (let o = 0; o < data.length; o += split) c.onData(flow, dir, data.subarray(o, Math.min(data.length, o + split)), (ts += 1000));
  }
  c.onEnd!(flow);
  return { msgs, malformed: c.malformed };
}

void test('ssh: identification lines, the clear key exchange up to NEWKEYS, encrypted chunks counted; the same whatever the segmentation', () => {
  const server = side('SSH-2.0-OpenSSH_9.2p1 Debian-2', [120, 60]);
  const client = side('SSH-2.0-libssh2_1.10.0', [60, 90, 110]);
  const chunks: [0 | 1, Buffer][] = [[1, server[0]], [0, client[0]], [0, client[1]], [1, server[1]], [0, client[2]], [1, server[2]], [0, client[3]], [1, server[3]], [0, client[4]]];
  for (const split of [100_000, 7, 1]) {
    const { msgs, malformed } = run(chunks, split);
    assert.equal(msgs.length, 1);
    const f = msgs[0].fields as Record<string, unknown>;
    assert.equal(f.clientSoftware, 'libssh2_1.10.0');
    assert.equal(f.serverSoftware, 'OpenSSH_9.2p1 Debian-2');
    assert.equal(f.kexDone, true, `split ${split}`);
    assert.equal(f.clientBytes, 260);
    assert.equal(f.serverBytes, 180);
    if (split === 100_000) { assert.equal(f.clientChunks, 3); assert.equal(f.serverChunks, 2); }
    assert.equal(malformed.total(), 0);
  }
});

void test('ssh: a banner grab (no key exchange) is a connection without kexDone; absurd packet lengths are counted, never thrown', () => {
  const { msgs } = run([[1, Buffer.from('SSH-2.0-dropbear_2022.83\r\n')]], 1000);
  assert.equal((msgs[0].fields as { kexDone: boolean }).kexDone, false);
  const bad = Buffer.concat([Buffer.from('SSH-2.0-x\r\n'), Buffer.from([0xff, 0xff, 0xff, 0xff, 4, 20])]);
  const r = run([[0, bad], [0, Buffer.alloc(100, 1)]], 1000);
  assert.equal(r.malformed.get('bad-packet-length'), 1);
  assert.equal((r.msgs[0].fields as { kexDone: boolean }).kexDone, false);
  // Random bytes after a valid identification line: never a throw, always one message.
  let x = 12345;
  for (let i = 0; i < 500; i++) {
    const junk = Buffer.alloc(200);
    for (let j = 0; j < junk.length; j++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; junk[j] = x >>> 24; }
    assert.equal(run([[1, Buffer.from('SSH-2.0-y\r\n')], [1, junk], [0, junk]], 1 + (i % 37)).msgs.length, 1);
  }
  assert.equal(looksLikeSsh(Buffer.from('SSH-')), true);
  assert.equal(looksLikeSsh(Buffer.from('HTTP/1.1 200')), false);
});
