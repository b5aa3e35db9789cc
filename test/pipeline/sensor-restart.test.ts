/**
 * The sensor's crash guarantee: SIGKILL it mid-stream, start it again on the same input, and
 * the store holds exactly the events and incidents of an uninterrupted run — none lost, none
 * twice. Live capture needs root and an interface, so the sensor process replays the shared
 * captures (`sensor --read … --replay-pps N`): the same pipeline, store sink and EVE writer as
 * `--interface`, only the frame source differs. Also: SIGTERM stops cleanly (exit 0, everything
 * processed is committed and in EVE), and EVE is appended across restarts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DIALECTS } from '../helpers/collector.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { runSensor } from '../../src/pipeline/sensor.js';
import type { Store } from '../../src/store/index.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const INPUTS = [sharedFile('mining'), sharedFile('iot-malware')];
const SENSOR = 'home-sensor';

function startSensor(db: string, eve: string, pps?: number): ChildProcess {
  const args = [MAIN, 'sensor', '--read', ...INPUTS, '--db', db, '--eve', eve, '--sensor', SENSOR, '--stats-interval', '1'];
  if (pps) args.push('--replay-pps', String(pps));
  return spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((res) => child.once('exit', (code, signal) => res({ code, signal, stderr })));
}

async function storedAlerts(store: Store): Promise<{ ids: string[]; incidents: string[] }> {
  const ids = (await store.read.selectFrom('events').select('event_id').where('event_type', '=', 'alert').execute()).map((r) => r.event_id).sort();
  const incidents = (await store.read.selectFrom('incidents').select(['signature_id', 'src_ip', 'dest_ip', 'count', 'first_ms', 'last_ms']).execute())
    .map((r) => `${r.signature_id}|${r.src_ip}|${r.dest_ip}|${r.count}|${r.first_ms}|${r.last_ms}`).sort();
  return { ids, incidents };
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const dialect of DIALECTS) {
  test(`sensor (${dialect.name}): SIGKILL mid-stream, restart: no stored alert or incident lost or duplicated`, { skip: needSharedData(), timeout: 180_000 }, async (t) => {
    const ref = await dialect.open();
    if (typeof ref === 'string') return t.skip(ref);
    const run = await dialect.open();
    if (typeof run === 'string') { await ref.cleanup(); return t.skip(run); }
    const dir = mkdtempSync(join(tmpdir(), 'mw-sensor-'));
    try {
      // the reference: one uninterrupted run through the library
      await runSensor({ inputs: INPUTS, store: ref.store, sensor: SENSOR, log: () => {} });
      const want = await storedAlerts(ref.store);
      assert.ok(want.ids.length > 100, `reference run stored ${want.ids.length} alerts`);
      assert.equal(new Set(want.ids).size, want.ids.length);

      // a paced replay, killed once part of the alerts is committed
      const eve = join(dir, 'eve.json');
      const first = startSensor(run.url, eve, 3000);
      const firstExit = exited(first);
      let partial = 0;
      await waitFor(async () => {
        partial = (await storedAlerts(run.store)).ids.length;
        return partial >= 50;
      }, 60_000, 'the first alerts to be committed');
      first.kill('SIGKILL');
      const e1 = await firstExit;
      assert.equal(e1.signal, 'SIGKILL');
      const afterKill = await storedAlerts(run.store);
      assert.ok(afterKill.ids.length < want.ids.length, `killed mid-stream: ${afterKill.ids.length} of ${want.ids.length} alerts stored`);
      // what was stored is part of the reference, each once
      assert.equal(new Set(afterKill.ids).size, afterKill.ids.length);
      const wantSet = new Set(want.ids);
      for (const id of afterKill.ids) assert.ok(wantSet.has(id), `stored alert ${id} is one of the reference run's`);
      const eveLinesBefore = readFileSync(eve, 'utf8').split('\n').filter(Boolean).length;

      // restart on the same input, unpaced: it ends with the input
      const second = startSensor(run.url, eve);
      const e2 = await exited(second);
      assert.equal(e2.code, 0, e2.stderr);
      const got = await storedAlerts(run.store);
      assert.deepEqual(got.ids, want.ids, 'the same alerts, each once');
      assert.deepEqual(got.incidents, want.incidents, 'the same incidents with the same counts and times');
      const sensor = await run.store.read.selectFrom('sensors').select(['duplicates_total']).where('name', '=', SENSOR).executeTakeFirstOrThrow();
      assert.ok(Number(sensor.duplicates_total) >= afterKill.ids.length, `the replay's repeats were counted as duplicates (${sensor.duplicates_total})`);
      // EVE was appended, not overwritten
      const lines = readFileSync(eve, 'utf8').split('\n').filter(Boolean);
      assert.ok(lines.length > eveLinesBefore);
      for (const l of lines) JSON.parse(l);
      t.diagnostic(`reference ${want.ids.length} alerts / ${want.incidents.length} incidents; killed after ${afterKill.ids.length} stored; after restart ${got.ids.length} alerts, ${sensor.duplicates_total} duplicates refused`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await ref.cleanup();
      await run.cleanup();
    }
  });
}

test('sensor: SIGTERM stops cleanly — exit 0, everything processed is committed and in EVE', { skip: needSharedData(), timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-sensor-'));
  try {
    const db = `sqlite:${join(dir, 's.db')}`;
    const eve = join(dir, 'eve.json');
    const child = startSensor(db, eve, 3000);
    const done = exited(child);
    const { openStore } = await import('../../src/store/index.js');
    const store = await openStore(db);
    try {
      await waitFor(async () => Number((await store.read.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('event_type', '=', 'alert').executeTakeFirstOrThrow()).n) >= 20, 60_000, 'alerts');
      child.kill('SIGTERM');
      const e = await done;
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stderr, /stopped after \d+ packets/);
      const evAlerts = readFileSync(eve, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event_type: string; minewatch: { event_id: string } })
        .filter((x) => x.event_type === 'alert').map((x) => x.minewatch.event_id).sort();
      const stored = (await store.read.selectFrom('events').select('event_id').where('event_type', '=', 'alert').execute()).map((r) => r.event_id).sort();
      assert.deepEqual(stored, evAlerts, 'every alert written to EVE is committed, and the reverse');
      const stats = await store.read.selectFrom('events').select('event_id').where('event_type', '=', 'stats').execute();
      assert.ok(stats.length >= 1, 'a last stats event on stop');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
