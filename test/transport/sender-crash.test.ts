/**
 * Outbox crash safety: a sending process is killed with SIGKILL at random moments while it
 * streams events to a collector that sometimes loses its answers, restarted each time from
 * where its outbox said events were durable; in the end every event is stored exactly once,
 * under the one event id it got first (re-sent batches carry the same ids).
 *
 * Events reported durable are only delivered once some run drains the outbox: the runs go on
 * (killed for the first four, then left to finish) until one drains, even when the killed runs
 * already wrote every event. A run's report is read to the end of its stdout ('close', not
 * 'exit': after 'exit' lines can still be in the pipe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeCollector } from '../helpers/fake-collector.js';

const CHILD = join(import.meta.dirname, '..', 'helpers', 'sender-child.js');
const TOKEN = 'crash-token';

interface Run {
  lastDurable: number;
  /** The round being sealed when killed (may or may not be in the outbox). */
  sealing: [number, number] | null;
  done: boolean;
}

/** Kills the child `kill.afterMs` after its start, or as soon as it reports `kill.atSeq` durable (so a killed run does not get to write everything). */
function runChild(url: string, dir: string, start: number, count: number, kill: { afterMs: number; atSeq: number } | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, url, TOKEN, dir, String(start), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const run: Run = { lastDurable: start - 1, sealing: null, done: false };
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (line[0] === 'F') run.sealing = [Number(line[1]), Number(line[2])];
        else if (line[0] === 'D') {
          run.lastDurable = Number(line[1]);
          run.sealing = null;
          if (kill && run.lastDurable >= kill.atSeq) child.kill('SIGKILL');
        } else if (line[0] === 'done') run.done = true;
      }
    });
    const timer = kill === null ? null : setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', () => {
      if (timer) clearTimeout(timer);
      clearTimeout(guard);
      resolve(run);
    });
  });
}

test('sender outbox: SIGKILL mid-stream, restart, every event delivered exactly once by id', { timeout: 300_000 }, async () => {
  const col = new FakeCollector(TOKEN);
  await col.start();
  // every 7th request commits and loses its answer; every 11th fails with 503
  col.behave = (n) => (n % 7 === 3 ? 'commit-then-drop' : n % 11 === 5 ? { status: 503 } : 'ok');
  const dir = mkdtempSync(join(tmpdir(), 'mw-crash-'));
  const total = 30_000;
  const ambiguous: Array<[number, number]> = [];
  let next = 0;
  let kills = 0;
  let drained = false;
  try {
    // a killed run may already have written the last event: the rounds go on until a run drained
    // the outbox (with nothing left to write, a run only re-sends what its outbox holds)
    for (let round = 0; round < 12 && !drained; round++) {
      const last = round >= 4;
      const before = col.requests.length;
      const kill = last ? null : { afterMs: 150 + Math.floor(Math.random() * 400), atSeq: next + Math.floor((total - next) * (0.1 + Math.random() * 0.3)) };
      const run = await runChild(col.url, dir, next, total - next, kill);
      if (!run.done) kills++;
      drained = run.done;
      if (run.sealing) {
        // killed between "about to seal" and "sealed": that round may or may not be in the outbox
        ambiguous.push(run.sealing);
        next = run.sealing[1] + 1;
      } else {
        next = run.lastDurable + 1;
      }
      if (last) assert.ok(run.done, 'the last run drains the outbox');
      if (!last) assert.ok(col.requests.length >= before, 'requests arrive');
    }
    assert.ok(drained, 'a run drained the outbox');
    assert.equal(next, total);
    assert.ok(kills >= 3, `the child was killed mid-stream (${kills} times)`);
    const bySeq = new Map<number, string[]>();
    for (const [id, e] of col.stored) {
      const seq = (e.minewatch as { seq: number }).seq;
      bySeq.set(seq, [...(bySeq.get(seq) ?? []), id]);
    }
    const isAmbiguous = (s: number) => ambiguous.some(([a, b]) => s >= a && s <= b);
    for (let s = 0; s < total; s++) {
      const ids = bySeq.get(s) ?? [];
      if (isAmbiguous(s)) assert.ok(ids.length <= 1, `seq ${s} stored ${ids.length} times`);
      else assert.equal(ids.length, 1, `seq ${s} stored ${ids.length} times (ids ${ids.join(',')})`);
    }
    assert.ok(col.duplicates > 0, 'lost answers and killed senders made batches go twice: the collector saw duplicates by id');
    // every batch id that came more than once carried the same event ids each time
    const byBatch = new Map<string, string>();
    for (const r of col.requests) {
      const key = r.ids.join(',');
      const prev = byBatch.get(r.batchId);
      if (prev !== undefined) assert.equal(prev, key, `batch ${r.batchId} re-sent with other events`);
      byBatch.set(r.batchId, key);
    }
    process.stderr.write(`sender crash test: ${kills} kills, ${col.requests.length} requests, ${col.stored.size} stored, ${col.duplicates} duplicates dropped by id, ${ambiguous.length} rounds killed while sealing\n`);
  } finally {
    await col.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
