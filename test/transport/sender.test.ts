import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Sender, parseRetryAfter, type SenderOptions } from '../../src/transport/sender.js';
import { Outbox, outboxBytes } from '../../src/transport/outbox.js';
import { isUuidv7 } from '../../src/transport/uuidv7.js';
import { FakeCollector } from '../helpers/fake-collector.js';

const TOKEN = 'sensor-token-1';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mw-outbox-'));
}

function alert(i: number, pad = 0): Record<string, unknown> {
  return {
    timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace('Z', '000+0000'),
    event_type: 'alert',
    src_ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
    dest_ip: '198.51.100.7',
    dest_port: 3333,
    proto: 'TCP',
    alert: { signature_id: 9000001, signature: 'stratum login', category: 'mining', severity: 1 },
    minewatch: { detector: 'stratum', seq: i, ...(pad ? { evidence: { blob: randomBytes(pad).toString('hex') } } : {}) },
  };
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const quiet = (): void => {};

/** A fake collector, a Sender on a fresh outbox pointed at it (`url` relative to the collector's), and their cleanup. */
async function rig(opts: Partial<SenderOptions> & { path?: string }, token = TOKEN): Promise<{ col: FakeCollector; dir: string; sender: Sender; done(): Promise<void> }> {
  const col = new FakeCollector(token);
  await col.start();
  const dir = tempDir();
  const { path, ...rest } = opts;
  const sender = new Sender({ url: col.url + (path ?? ''), token: TOKEN, outboxDir: dir, log: quiet, ...rest });
  return {
    col, dir, sender,
    async done() {
      await sender.stop();
      await col.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('sender: batches of 500, the rest after the delay; gzip, bearer token, UUIDv7 event and batch ids', async () => {
  const col = new FakeCollector(TOKEN);
  await col.start();
  const dir = tempDir();
  const sender = new Sender({ url: col.url, token: TOKEN, outboxDir: dir, batchDelayMs: 300, log: quiet });
  try {
    for (let i = 0; i < 1010; i++) sender.write(alert(i));
    const written = Date.now();
    await until(() => sender.stats.ackedEvents === 1010, 20_000, 'all events acknowledged');
    const sizes = col.requests.map((r) => r.ids.length);
    assert.deepEqual(sizes, [500, 500, 10]);
    // the 10 left over went only after the batch delay (a lower bound: safe on a loaded machine)
    assert.ok(col.requests[2].at - written >= 290, `last batch after ${col.requests[2].at - written} ms`);
    for (const r of col.requests) assert.ok(isUuidv7(r.batchId), r.batchId);
    for (const id of col.stored.keys()) assert.ok(isUuidv7(id), id);
    const seqs = [...col.stored.values()].map((e) => (e.minewatch as { seq: number }).seq).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: 1010 }, (_, i) => i));
    assert.equal(sender.stats.ackedEvents, 1010);
    assert.equal(sender.stats.accepted, 1010);
    assert.equal(sender.stats.outbox.pendingBatches, 0);
  } finally {
    await sender.stop();
    await col.stop();
  }
  // everything acknowledged: the outbox holds nothing after a clean stop
  assert.equal(outboxBytes(dir), 0);
  rmSync(dir, { recursive: true, force: true });
});

test('sender: an existing minewatch.event_id is kept', async () => {
  const { col, sender, done } = await rig({ path: '/' });
  try {
    const ev = alert(1);
    (ev.minewatch as Record<string, unknown>).event_id = 'sensor-assigned-id-1';
    sender.write(ev);
    assert.equal(await sender.drain(10_000), true);
    assert.deepEqual([...col.stored.keys()], ['sensor-assigned-id-1']);
  } finally {
    await done();
  }
});

test('sender: retries 5xx, dropped connections and lost acks with backoff; the same batch and event ids each time', async () => {
  const { col, sender, done } = await rig({ concurrency: 1, backoffInitialMs: 50 });
  col.behave = (n) => (n === 0 ? { status: 500 } : n === 1 ? 'drop' : n === 2 ? 'commit-then-drop' : n === 3 ? { status: 503 } : 'ok');
  try {
    for (let i = 0; i < 500; i++) sender.write(alert(i));
    assert.equal(await sender.drain(20_000), true);
    assert.equal(col.requests.length, 5);
    assert.equal(new Set(col.requests.map((r) => r.batchId)).size, 1, 'one batch id for every attempt');
    for (const r of col.requests) assert.deepEqual(r.ids, col.requests[0].ids, 'the same event ids in every attempt');
    assert.equal(col.stored.size, 500);
    assert.equal(col.duplicates, 500, 'the attempt after the lost ack was all duplicates');
    assert.equal(sender.stats.retries, 4);
    assert.equal(sender.stats.duplicates, 500);
    // backoff: the waits grow (equal jitter: each wait is at least half its cap 50, 100, 200, 400 ms)
    const gaps = col.requests.slice(1).map((r, i) => r.at - col.requests[i].at);
    assert.ok(gaps[0] >= 20 && gaps[3] >= 190, `gaps ${gaps.join(',')}`);
  } finally {
    await done();
  }
});

test('sender: honours 429 Retry-After before the next attempt', async () => {
  const { col, sender, done } = await rig({ backoffInitialMs: 10 });
  col.behave = (n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : 'ok');
  try {
    for (let i = 0; i < 20; i++) sender.write(alert(i));
    assert.equal(await sender.drain(20_000), true);
    assert.equal(col.requests.length, 2);
    const gap = col.requests[1].at - col.requests[0].at;
    assert.ok(gap >= 990, `second attempt ${gap} ms after the 429 (Retry-After: 1 s; backoff alone would be ≤ 10 ms)`);
    assert.equal(sender.stats.retryAfterWaits, 1);
    assert.equal(col.stored.size, 20);
  } finally {
    await done();
  }
  assert.equal(parseRetryAfter('2'), 2000);
  assert.ok((parseRetryAfter(new Date(Date.now() + 5000).toUTCString()) ?? 0) > 3000);
  assert.equal(parseRetryAfter('soon'), undefined);
});

test('sender: 4xx other than 408/429 is permanent: counted, each reason logged once, the next batch goes on', async () => {
  const lines: string[] = [];
  const { col, sender, done } = await rig({ concurrency: 1, batchEvents: 100, backoffInitialMs: 10, log: (l) => lines.push(l) });
  const bad = { status: 400, body: { message: 'invalid events', errors: [{ index: 3, reason: 'timestamp: not ISO 8601' }] } };
  col.behave = (n) => (n < 2 ? bad : n === 2 ? { status: 408 } : 'ok');
  try {
    for (let i = 0; i < 300; i++) sender.write(alert(i));
    assert.equal(await sender.drain(20_000), true);
    assert.equal(col.requests.length, 4, '2 refused, one 408 retried, then ok');
    assert.equal(sender.stats.refusedBatches, 2);
    assert.equal(sender.stats.refusedEvents, 200);
    assert.equal(sender.stats.retries, 1);
    assert.deepEqual(sender.stats.refusedReasons, { 'HTTP 400: invalid events: timestamp: not ISO 8601': 200 });
    assert.equal(lines.filter((l) => l.includes('refused')).length, 1, lines.join('\n'));
    assert.equal(col.stored.size, 100);
    assert.equal(sender.stats.outbox.pendingBatches, 0);
  } finally {
    await done();
  }
});

test('sender: a 400 naming the invalid events: the valid rest goes again as a new batch with the same event ids', async () => {
  const lines: string[] = [];
  const { col, sender, done } = await rig({ log: (l) => lines.push(l) });
  col.behave = (n) => (n === 0 ? { status: 400, body: { code: 'ingest.invalid-events', message: '2 of 10 events are invalid; nothing was stored', rejected: [{ index: 2, reasons: ['timestamp: Invalid string'] }, { index: 7, reasons: ['timestamp: Invalid string'] }], rejected_count: 2 } } : 'ok');
  try {
    for (let i = 0; i < 10; i++) sender.write(alert(i));
    assert.equal(await sender.drain(10_000), true);
    assert.equal(col.requests.length, 2);
    assert.notEqual(col.requests[1].batchId, col.requests[0].batchId);
    assert.deepEqual(col.requests[1].ids, col.requests[0].ids.filter((_, i) => i !== 2 && i !== 7));
    assert.equal(col.stored.size, 8);
    assert.equal(sender.stats.refusedEvents, 2);
    assert.match(lines.join('\n'), /refused 2 of 10 events .*timestamp: Invalid string/);
  } finally {
    await done();
  }
});

test('sender: a bad token (401) is refused and counted, not retried forever', async () => {
  const lines: string[] = [];
  const { sender, done } = await rig({ log: (l) => lines.push(l) }, 'other-token');
  try {
    for (let i = 0; i < 10; i++) sender.write(alert(i));
    assert.equal(await sender.drain(10_000), true);
    assert.equal(sender.stats.refusedEvents, 10);
    assert.match(lines.join('\n'), /HTTP 401: bad token/);
  } finally {
    await done();
  }
});

test('outbox: bounded on disk while the collector is away; the oldest batches are dropped and counted, the rest delivered later', async () => {
  const maxBytes = 256 << 10;
  const { col, dir, sender, done } = await rig({ outboxMaxBytes: maxBytes, batchEvents: 50, backoffInitialMs: 20, backoffMaxMs: 100 });
  let up = false;
  col.behave = () => (up ? 'ok' : { status: 503 });
  try {
    const total = 2000; // ~150 bytes of random hex each: far more than the bound even gzipped
    let maxSeen = 0;
    for (let i = 0; i < total; i++) {
      sender.write(alert(i, 150));
      maxSeen = Math.max(maxSeen, outboxBytes(dir));
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5)); // let the 503s come back meanwhile
    }
    sender.flush();
    const st = sender.stats.outbox;
    assert.ok(col.requests.length >= 3, 'the sender tried while the collector was away');
    assert.ok(maxSeen <= maxBytes, `outbox reached ${maxSeen} bytes (bound ${maxBytes})`);
    assert.ok(st.droppedEvents > 0, 'something was dropped');
    assert.equal(st.droppedEvents + st.pendingEvents + sender.stats.ackedEvents, total);
    assert.equal(sender.stats.ackedEvents, 0);
    const pendingAtReturn = st.pendingEvents;
    up = true;
    assert.equal(await sender.drain(30_000), true);
    const seqs = new Set([...col.stored.values()].map((e) => (e.minewatch as { seq: number }).seq));
    // exact accounting: delivered + dropped = written (a batch dropped while in flight and then
    // accepted counts as delivered, not dropped)
    assert.equal(seqs.size + st.droppedEvents, total);
    // everything still pending when the collector returned (the newest events) was delivered
    for (let i = total - pendingAtReturn; i < total; i++) assert.ok(seqs.has(i), `seq ${i} delivered`);
    // what is missing is old
    for (let i = 0; i < total; i++) if (!seqs.has(i)) assert.ok(i < total - pendingAtReturn, `missing seq ${i} is among the oldest`);
  } finally {
    await done();
  }
});

test('outbox: a restarted sender re-sends what was not acknowledged, with the same batch and event ids', async () => {
  const col = new FakeCollector(TOKEN);
  await col.start();
  col.behave = (n) => (n < 3 ? 'commit-then-drop' : 'ok');
  const dir = tempDir();
  const first = new Sender({ url: col.url, token: TOKEN, outboxDir: dir, concurrency: 1, batchEvents: 100, backoffInitialMs: 5000, log: quiet });
  for (let i = 0; i < 300; i++) first.write(alert(i));
  await until(() => col.requests.length >= 1, 10_000, 'the first attempt');
  await first.stop(); // stored once by the collector, but never acknowledged to the sender
  assert.equal(first.stats.outbox.pendingBatches, 3);
  const seenBefore = new Map(col.requests.map((r) => [r.batchId, r.ids]));
  const logs: string[] = [];
  const second = new Sender({ url: col.url, token: TOKEN, outboxDir: dir, concurrency: 1, backoffInitialMs: 10, log: (l) => logs.push(l) });
  try {
    assert.equal(second.stats.outbox.recoveredBatches, 3);
    assert.equal(second.stats.outbox.recoveredEvents, 300);
    assert.match(logs.join('\n'), /re-sending 300 events in 3 batches/);
    assert.equal(await second.drain(20_000), true);
    assert.equal(col.stored.size, 300, 'each event stored once');
    for (const r of col.requests) {
      const before = seenBefore.get(r.batchId);
      if (before) assert.deepEqual(r.ids, before, 'same event ids under the same batch id');
    }
    assert.ok(col.duplicates >= 100, 'the first batch came again and was a duplicate');
    assert.equal(new Set(col.requests.map((r) => r.batchId)).size, 3);
  } finally {
    await second.stop();
    await col.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sender: a batch bigger than half the outbox bound is split until it fits, and all of it is delivered', async () => {
  const r = await rig({ outboxMaxBytes: 192 << 10, concurrency: 1 });
  try {
    for (let i = 0; i < 500; i++) r.sender.write(alert(i, 200)); // over 100 KB gzipped in one batch: over 96 KB
    assert.equal(await r.sender.drain(20_000), true);
    assert.equal(r.col.stored.size, 500, 'every event stored');
    assert.ok(r.col.requests.length >= 2, `split into ${r.col.requests.length} requests`);
    assert.equal(r.sender.stats.outbox.droppedEvents, 0);
  } finally {
    await r.done();
  }
});

test('sender: when the outbox cannot write (a full disk), batches wait in memory, in order, and are stored and delivered once it can', async () => {
  const lines: string[] = [];
  const r = await rig({ concurrency: 1, batchEvents: 100, log: (l) => lines.push(l) });
  const outbox = (r.sender as unknown as { outbox: Outbox }).outbox;
  const append = outbox.append.bind(outbox);
  let failing = true;
  outbox.append = (id, events, body) => {
    if (failing) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return append(id, events, body);
  };
  try {
    for (let i = 0; i < 350; i++) r.sender.write(alert(i));
    r.sender.flush();
    assert.equal(r.sender.pendingEvents, 350, 'held, not dropped');
    assert.equal(r.sender.stats.outbox.droppedEvents, 0);
    assert.match(lines.join('\n'), /cannot store a batch of 100 events .*ENOSPC.*kept in memory/);
    assert.equal(r.col.requests.length, 0, 'nothing is sent before it is stored');
    failing = false; // the disk has room again: the next second stores the held batches
    assert.equal(await r.sender.drain(20_000), true);
    const seqs = [...r.col.stored.values()].map((e) => (e.minewatch as { seq: number }).seq);
    assert.deepEqual(seqs, Array.from({ length: 350 }, (_, i) => i), 'every event once, in order');
    assert.equal(r.sender.stats.outbox.droppedEvents, 0);
  } finally {
    await r.done();
  }
});

test('outbox: one process at a time; a torn record at the end is cut off on open', () => {
  const dir = tempDir();
  try {
    const box = Outbox.open({ dir, maxBytes: 1 << 20 });
    assert.throws(() => Outbox.open({ dir, maxBytes: 1 << 20 }), /in use by process/);
    box.append('018f0000-0000-7000-8000-000000000001', 2, Buffer.from('first'));
    box.append('018f0000-0000-7000-8000-000000000002', 3, Buffer.from('second'));
    box.ack('018f0000-0000-7000-8000-000000000001');
    box.close();
    const seg = readdirSync(dir).filter((n) => n.endsWith('.mwq'));
    assert.equal(seg.length, 1);
    appendFileSync(join(dir, seg[0]), Buffer.from([0x4d, 0x42, 0xff, 0, 0, 0, 1, 2, 3, 4, 5])); // a half-written record
    const again = Outbox.open({ dir, maxBytes: 1 << 20 });
    assert.equal(again.stats.truncatedBytes, 11);
    assert.deepEqual(again.pending().map((e) => e.id), ['018f0000-0000-7000-8000-000000000002']);
    assert.equal(again.read(again.pending()[0]).toString(), 'second');
    again.append('018f0000-0000-7000-8000-000000000003', 1, Buffer.from('third'));
    again.close();
    const third = Outbox.open({ dir, maxBytes: 1 << 20 });
    assert.deepEqual(third.pending().map((e) => [e.id, e.events]), [['018f0000-0000-7000-8000-000000000002', 3], ['018f0000-0000-7000-8000-000000000003', 1]]);
    third.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
