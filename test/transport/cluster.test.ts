/**
 * The JetStream path under failure: a 3-node nats-server cluster on loopback (stream with 3
 * replicas), two ingest servers (HTTP → JetStream), two writer processes
 * (`minewatch server --role writer`) into PostgreSQL, four concurrent senders. During ingest
 * the stream's leader node is killed with SIGKILL, and so is one writer process. In the end
 * every acknowledged event is stored exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { jetstreamManager } from '@nats-io/jetstream';
import { openStore } from '../../src/store/open.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { connectNats, ensureIngestStream, ensureWriterConsumer, writerLag } from '../../src/transport/jetstream.js';
import { startScaleOut, type RunningScaleOut } from '../../src/server/scale.js';
import { startNatsCluster } from '../helpers/nats.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startLoad, until } from '../helpers/ingest-load.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');

/** A writer as users run it (the default stream and consumer names: the cluster is this test's own). */
function writerProcess(db: string, nats: string): ChildProcess {
  return spawn(process.execPath, [MAIN, 'server', '--db', db, '--nats', nats, '--role', 'writer', '--nats-replicas', '3', '--no-geo'], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function countEvents(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n);
  } finally {
    await c.end();
  }
}

async function kill9(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

test('JetStream cluster: kill the stream leader node and a writer during ingest from 4 senders; every acknowledged event stored exactly once (PostgreSQL)', { timeout: 600_000 }, async (t) => {
  const cluster = await startNatsCluster(3);
  if (typeof cluster === 'string') return t.skip(cluster);
  const pgdb = await createTestDatabase(`mw_transport_${randomBytes(3).toString('hex')}`);
  if (typeof pgdb === 'string') {
    await cluster.stop();
    return t.skip(pgdb);
  }
  const natsUrls = cluster.urls.join(',');
  const store = await openStore(pgdb.url);
  await createOrg(store, 'isp-a', {});
  const sensors = ['router-1', 'router-2', 'router-3', 'router-4'];
  const tokens: string[] = [];
  for (const s of sensors) tokens.push((await createToken(store, s, 'isp-a')).token);
  await store.close();

  const admin = await connectNats(natsUrls, 'test-admin');
  await ensureIngestStream(admin, { replicas: 3 });
  // created before the writers so a killed writer's messages come back after 3 s, not 60
  await ensureWriterConsumer(admin, { ackWaitMs: 3000 });
  const jsm = await jetstreamManager(admin);
  assert.equal((await jsm.streams.info('MINEWATCH_INGEST')).config.num_replicas, 3);

  const ingest: RunningScaleOut[] = [];
  const writers: ChildProcess[] = [];
  let load: ReturnType<typeof startLoad> | null = null;
  try {
    for (let i = 0; i < 2; i++) {
      ingest.push(await startScaleOut({ db: pgdb.url, listen: '127.0.0.1:0', noGeo: true }, { nats: natsUrls, role: 'ingest', replicas: 3 }));
    }
    for (let i = 0; i < 2; i++) writers.push(writerProcess(pgdb.url, natsUrls));
    const perSender = 10_000;
    const total = perSender * sensors.length;
    load = startLoad(ingest.map((x) => x.server!.url), tokens, sensors, perSender, { chunk: 250, pauseMs: 30 });

    await until(() => load!.acked() >= total * 0.3, 180_000, '30 % acknowledged');
    const leader = (await jsm.streams.info('MINEWATCH_INGEST')).cluster?.leader;
    const victim = cluster.nodes.find((n) => n.name === leader) ?? cluster.nodes[0];
    await victim.kill('SIGKILL');
    const killedNodeAt = load.acked();
    await until(() => load!.acked() >= total * 0.6, 180_000, '60 % acknowledged');
    // the writers start as child processes and may still be loading when a fast load passes 60 %:
    // the writer is killed while writing, not before it wrote anything
    await until(async () => (await countEvents(pgdb.url)) > 0, 180_000, 'the writers to store events');
    const storedBefore = await countEvents(pgdb.url);
    await kill9(writers[0]);
    const killedWriterAt = load.acked();
    assert.ok(storedBefore > 0, 'the writers were writing when one was killed');

    const drained = await load.done;
    assert.deepEqual(drained, [true, true, true, true], 'every sender drained its outbox');
    for (const s of load.senders) {
      assert.equal(s.sender.stats.refusedEvents, 0);
      assert.equal(s.sender.stats.ackedEvents, perSender);
    }
    // the surviving writer catches up (the killed writer's unacked messages come back after ack_wait)
    await until(async () => {
      const lag = await writerLag(admin).catch(() => null);
      return lag !== null && lag.pending === 0 && lag.ackPending === 0;
    }, 240_000, 'the writers to drain the stream');

    const c = new pg.Client({ connectionString: pgdb.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ sensor: string; id: string }>('SELECT s.name AS sensor, e.event_id AS id FROM events e JOIN sensors s ON s.id = e.sensor_id');
      const seen = new Map<string, number>();
      for (const r of rows) seen.set(`${r.sensor}/${r.id}`, (seen.get(`${r.sensor}/${r.id}`) ?? 0) + 1);
      let missing = 0;
      let twice = 0;
      for (const s of load.senders) {
        for (const id of s.ids) {
          const n = seen.get(`${s.sensor}/${id}`) ?? 0;
          if (n === 0) missing++;
          if (n > 1) twice++;
        }
      }
      assert.equal(missing, 0, 'every acknowledged event stored');
      assert.equal(twice, 0, 'none twice');
      assert.equal(rows.length, total);
      const retries = load.senders.reduce((n, s) => n + s.sender.stats.retries, 0);
      const publishRetries = ingest.reduce((n, x) => n + (x.sink?.stats.retries ?? 0), 0);
      process.stderr.write(`JetStream cluster: node ${victim.name} (stream leader) killed at ${killedNodeAt}, writer killed at ${killedWriterAt} acknowledged events (${storedBefore} stored then); ${publishRetries} publish retries in the ingest nodes, ${retries} sender retries; ${rows.length} stored of ${total}\n`);
    } finally {
      await c.end();
    }
  } finally {
    await load?.cleanup();
    for (const w of writers) await kill9(w);
    for (const x of ingest) await x.close().catch(() => {});
    await admin.close().catch(() => {});
    await cluster.stop();
    await pgdb.drop();
  }
});
