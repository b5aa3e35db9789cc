/**
 * Durability of the embedded collector: `minewatch server` on SQLite is killed with SIGKILL
 * twice while four senders stream events to it, restarted on the same port; the senders
 * retry from their outboxes; in the end every event (all were acknowledged) is stored
 * exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { freePort, waitForPort } from '../helpers/servers.js';
import { startLoad, until } from '../helpers/ingest-load.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');

function startCollector(db: string, port: number): ChildProcess {
  return spawn(process.execPath, [MAIN, 'server', '--db', `sqlite:${db}`, '--listen', `127.0.0.1:${port}`, '--no-geo'], { stdio: ['ignore', 'ignore', 'ignore'] });
}

async function kill9(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

test('collector durability: SIGKILL during ingest from 4 senders, restart, every acknowledged event stored exactly once (SQLite)', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-durable-'));
  const db = join(dir, 'collector.db');
  const store = await openStore(`sqlite:${db}`);
  await createOrg(store, 'isp-a', {});
  const sensors = ['router-1', 'router-2', 'router-3', 'router-4'];
  const tokens: string[] = [];
  for (const s of sensors) tokens.push((await createToken(store, s, 'isp-a')).token);
  await store.close();
  const port = await freePort();
  let collector = startCollector(db, port);
  assert.ok(await waitForPort(port, 30_000), 'collector started');
  const perSender = 12_000;
  const load = startLoad([`http://127.0.0.1:${port}`], tokens, sensors, perSender, { chunk: 250, pauseMs: 25 });
  const kills: number[] = [];
  try {
    for (const frac of [0.25, 0.6]) {
      await until(() => load.acked() >= frac * perSender * sensors.length, 120_000, `${frac * 100} % acknowledged`);
      kills.push(load.acked());
      await kill9(collector); // mid-stream: batches in flight, some committed without an answer
      await new Promise((r) => setTimeout(r, 700)); // senders see refused connections and back off
      collector = startCollector(db, port);
      assert.ok(await waitForPort(port, 30_000), 'collector restarted');
    }
    const drained = await load.done;
    assert.deepEqual(drained, [true, true, true, true], 'every sender drained its outbox');
    for (const s of load.senders) {
      assert.equal(s.sender.stats.refusedEvents, 0);
      assert.equal(s.sender.stats.outbox.droppedEvents, 0);
      assert.equal(s.sender.stats.ackedEvents, perSender);
    }
    await kill9(collector);
    const sql = new Database(db, { readonly: true });
    try {
      const rows = sql.prepare('SELECT s.name AS sensor, e.event_id AS id FROM events e JOIN sensors s ON s.id = e.sensor_id').all() as Array<{ sensor: string; id: string }>;
      const seen = new Map<string, number>();
      for (const r of rows) seen.set(`${r.sensor}/${r.id}`, (seen.get(`${r.sensor}/${r.id}`) ?? 0) + 1);
      let missing = 0;
      for (const s of load.senders) for (const id of s.ids) if (seen.get(`${s.sensor}/${id}`) !== 1) missing++;
      assert.equal(missing, 0, 'every acknowledged event stored once');
      assert.equal(rows.length, perSender * sensors.length, 'nothing else, nothing twice');
      const dups = load.senders.reduce((n, s) => n + s.sender.stats.duplicates, 0);
      const retries = load.senders.reduce((n, s) => n + s.sender.stats.retries, 0);
      process.stderr.write(`collector durability: killed at ${kills.join(' and ')} acknowledged events; ${retries} retries; ${dups} events answered as duplicates; ${rows.length} stored\n`);
      assert.ok(retries > 0, 'the kills made senders retry');
    } finally {
      sql.close();
    }
  } finally {
    await kill9(collector);
    await load.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
