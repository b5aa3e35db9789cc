import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, ensureIngestStream, JetStreamSink, JetStreamWriter, writerLag } from '../../src/transport/jetstream.js';
import type { EventBatch, StoredEvent } from '../../src/store/contract.js';
import { uuidv7 } from '../../src/transport/uuidv7.js';
import { natsServer, type NatsForTest } from '../helpers/nats.js';
import { MemoryWriter } from '../helpers/memory-writer.js';

let server: NatsForTest | string;
let nc: NatsConnection | null = null;
const streams: string[] = [];

before(async () => {
  server = await natsServer();
  if (typeof server !== 'string') nc = await connectNats(server.url, 'minewatch-test');
});

after(async () => {
  if (nc) {
    const jsm = await jetstreamManager(nc);
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
  }
  if (typeof server !== 'string') await server.stop();
});

/** A fresh stream (unique names: other engineers' tests share this server). */
async function freshStream(): Promise<{ stream: string; subjectPrefix: string; durable: string }> {
  const tag = randomBytes(4).toString('hex');
  const names = { stream: `MWTEST_${tag}`, subjectPrefix: `mwtest.${tag}`, durable: `writers-${tag}` };
  await ensureIngestStream(nc!, { stream: names.stream, subjectPrefix: names.subjectPrefix, replicas: 1 });
  streams.push(names.stream);
  return names;
}

function batchOf(n: number, sensor = 'sensor-1', pad = 0): EventBatch {
  const events: StoredEvent[] = [];
  for (let i = 0; i < n; i++) {
    events.push({
      timestamp: '2026-01-01T00:00:00.000000+0000', event_type: 'alert', src_ip: `10.0.0.${i % 250}`, dest_port: 3333,
      alert: { signature_id: 1, signature: 'stratum', category: 'mining', severity: 1 },
      minewatch: { event_id: uuidv7(), detector: 'stratum', ...(pad ? { evidence: { blob: 'x'.repeat(pad) } } : {}) },
    });
  }
  return { batchId: uuidv7(), orgId: 'org.1', sensorId: sensor, events };
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('jetstream: the sink resolves after the PubAck; a retried batch id is a duplicate; the writer stores each event once and acks after the commit', async (t) => {
  if (!nc) return t.skip(String(server));
  const names = await freshStream();
  const sink = new JetStreamSink(nc, { subjectPrefix: names.subjectPrefix });
  const b1 = batchOf(500);
  const r1 = await sink.submit(b1);
  assert.deepEqual(r1, { accepted: 500, duplicates: 0, queued: true });
  const again = await sink.submit(b1); // the sensor retried: same batch id
  assert.deepEqual(again, { accepted: 0, duplicates: 500, queued: true });
  const jsm = await jetstreamManager(nc);
  assert.equal((await jsm.streams.info(names.stream)).state.messages, 1, 'JetStream kept one copy');

  const mem = new MemoryWriter();
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  mem.before = () => gate; // hold the "commit"
  const writer = new JetStreamWriter(nc, mem, { ...names, log: () => {} });
  await writer.start();
  await until(async () => (await writerLag(nc!, names)).ackPending === 1, 10_000, 'the writer to take the message');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await writerLag(nc, names)).ackPending, 1, 'not acked before the commit');
  assert.equal((await jsm.streams.info(names.stream)).state.messages, 1);
  release();
  await until(async () => (await jsm.streams.info(names.stream)).state.messages === 0, 10_000, 'the ack (work queue empties)');
  assert.equal(mem.stored.size, 500);
  await writer.stop();
  assert.equal(writer.stats.accepted, 500);
});

test('jetstream: two writer instances share one durable consumer; a failed write comes back; a writer dying before its ack is harmless', async (t) => {
  if (!nc) return t.skip(String(server));
  const names = await freshStream();
  const sink = new JetStreamSink(nc, { subjectPrefix: names.subjectPrefix });
  const mem = new MemoryWriter(); // one "database" behind both writers
  mem.before = (_b, call) => {
    if (call === 3) throw new Error('database briefly unavailable');
  };
  const ncA = await connectNats(typeof server === 'string' ? '' : server.url, 'writer-a');
  const ncB = await connectNats(typeof server === 'string' ? '' : server.url, 'writer-b');
  // writer A commits, then its process "dies" before acking: its writes never resolve after call 5
  let hang = false;
  const memA = { writeEvents: async (b: EventBatch) => {
    const r = await mem.writeEvents(b);
    if (hang) await new Promise(() => {});
    return r;
  } };
  const a = new JetStreamWriter(ncA, memA, { ...names, ackWaitMs: 1500, maxInFlight: 2, log: () => {} });
  const b = new JetStreamWriter(ncB, mem, { ...names, ackWaitMs: 1500, maxInFlight: 2, log: () => {} });
  await a.start();
  await b.start();
  const sent: EventBatch[] = [];
  for (let i = 0; i < 40; i++) {
    const batch = batchOf(100, `sensor-${i % 3}`);
    sent.push(batch);
    await sink.submit(batch);
    if (i === 20) hang = true;
  }
  await until(() => a.stats.messages + b.stats.messages >= 5 && hang, 10_000, 'some writes');
  await ncA.close(); // writer A is gone with messages it committed but never acked
  await until(() => mem.stored.size === 4000, 30_000, 'every event stored');
  await until(async () => (await writerLag(nc!, names)).pending === 0 && (await writerLag(nc!, names)).ackPending === 0, 30_000, 'the consumer drained');
  await b.stop();
  assert.ok(a.stats.messages > 0 && b.stats.messages > 0, `both writers worked (${a.stats.messages}, ${b.stats.messages})`);
  assert.ok(b.stats.failures + a.stats.failures >= 1, 'the failed write was counted');
  assert.ok(b.stats.redelivered >= 1, 'B got redeliveries');
  assert.ok(mem.calls > 40, `writes ${mem.calls} for 40 batches: failures and redeliveries wrote again`);
  for (const batch of sent) for (const e of batch.events) assert.ok(mem.stored.has(`${batch.sensorId}/${e.minewatch.event_id}`));
  await ncB.close();
});

test('jetstream: a batch over max_payload goes in parts with deterministic ids; a retry of it is all duplicates', async (t) => {
  if (!nc) return t.skip(String(server));
  const names = await freshStream();
  const sink = new JetStreamSink(nc, { subjectPrefix: names.subjectPrefix });
  const max = nc.info?.max_payload ?? 1 << 20;
  const big = batchOf(500, 'sensor-big', Math.ceil((max * 2.5) / 500));
  const r = await sink.submit(big);
  assert.equal(r.accepted, 500);
  assert.ok(sink.stats.parts >= 3, `${sink.stats.parts} parts`);
  const again = await sink.submit(big);
  assert.deepEqual(again, { accepted: 0, duplicates: 500, queued: true });
  const mem = new MemoryWriter();
  const w = new JetStreamWriter(nc, mem, { ...names, log: () => {} });
  await w.start();
  await until(() => mem.stored.size === 500, 20_000, 'all parts written');
  await w.stop();
  assert.ok(mem.batches.every((id) => id.startsWith(big.batchId + '.')), mem.batches.join(','));
});

test('jetstream: stop() finishes and acks the writes in flight, nothing is left half done', async (t) => {
  if (!nc) return t.skip(String(server));
  const names = await freshStream();
  const sink = new JetStreamSink(nc, { subjectPrefix: names.subjectPrefix });
  for (let i = 0; i < 10; i++) await sink.submit(batchOf(50));
  const mem = new MemoryWriter();
  mem.before = () => new Promise((r) => setTimeout(r, 100));
  const w = new JetStreamWriter(nc, mem, { ...names, maxInFlight: 2, log: () => {} });
  await w.start();
  await until(() => mem.calls >= 2, 10_000, 'writes in flight');
  await w.stop();
  const lag = await writerLag(nc, names);
  // every write that started was committed and acked; what was not started is still in the stream
  assert.equal(mem.calls, w.stats.messages);
  assert.equal(lag.pending + w.stats.messages, 10, `pending ${lag.pending}, written ${w.stats.messages}`);
  assert.equal(lag.ackPending, 0);
});

test('jetstream: the writer on the real store (SQLite): each event once, a batch re-published beyond the duplicate window is all duplicates', async (t) => {
  if (!nc) return t.skip(String(server));
  const { DIALECTS, alertEvent } = await import('../helpers/collector.js');
  const { eventWriter } = await import('../../src/store/events.js');
  const { createOrg, createToken } = await import('../../src/store/identity.js');
  const opened = await DIALECTS[0].open();
  if (typeof opened === 'string') return t.skip(opened);
  const { store, cleanup } = opened;
  try {
    const org = await createOrg(store, 'isp-js', {});
    await createToken(store, 'js-sensor', 'isp-js');
    const sensor = await store.db.selectFrom('sensors').select('id').where('name', '=', 'js-sensor').executeTakeFirstOrThrow();
    const names = await freshStream();
    const sink = new JetStreamSink(nc, { subjectPrefix: names.subjectPrefix });
    const events = Array.from({ length: 500 }, (_, i) => alertEvent(i, Date.now() - 60_000) as unknown as StoredEvent);
    const batch: EventBatch = { batchId: uuidv7(), orgId: String(org.id), sensorId: String(sensor.id), events };
    await sink.submit(batch);
    // the sensor retried much later with a new batch id: JetStream cannot tell, the database can
    await sink.submit({ ...batch, batchId: uuidv7() });
    const w = new JetStreamWriter(nc, eventWriter(store), { ...names, maxInFlight: 1, log: () => {} });
    await w.start();
    await until(() => w.stats.messages === 2, 20_000, 'both messages written');
    await w.stop();
    assert.equal(w.stats.accepted, 500);
    assert.equal(w.stats.duplicates, 500);
    const n = await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 500);
    assert.equal((await writerLag(nc, names)).pending, 0);
  } finally {
    await cleanup();
  }
});

test('jetstream: a batch with the received JSON text is published as those bytes and the writer reads exactly the validated events under the sink\'s ids', async (t) => {
  if (!nc) return t.skip(String(server));
  const names = await freshStream();
  const sink = new JetStreamSink(nc, { subjectPrefix: names.subjectPrefix });
  const b = batchOf(20, 'sensor-raw');
  // as a sensor may send it: whitespace, and a duplicated key (JSON.parse keeps the last, as the route validated)
  const text = ` \n{ "events" : [{"junk":1}], "events":${JSON.stringify(b.events, null, 1)} }\n`;
  assert.deepEqual(Object.keys(JSON.parse(text) as object), ['events']);
  const r = await sink.submit({ ...b, receivedJson: text });
  assert.deepEqual(r, { accepted: 20, duplicates: 0, queued: true });
  const mem = new MemoryWriter();
  let got: EventBatch | undefined;
  mem.before = (batch) => { got = batch; };
  const writer = new JetStreamWriter(nc, mem, { ...names, log: () => {} });
  await writer.start();
  await until(() => mem.stored.size === 20, 10_000, 'the writer to store the batch');
  await writer.stop();
  assert.equal(writer.stats.terminated, 0);
  assert.equal(got?.batchId, b.batchId);
  assert.equal(got?.orgId, 'org.1');
  assert.equal(got?.sensorId, 'sensor-raw');
  assert.deepEqual(got?.events, b.events);
});
