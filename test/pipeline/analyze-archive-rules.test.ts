/**
 * `analyze --db` stores incidents through the same writer as the collector: a new incident an
 * enabled auto-archive rule of the sensor's organisation matches is stored archived by it, and
 * the incidents of an earlier run stay as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openStore } from '../../src/store/index.js';
import { createArchiveRule, getArchiveRule } from '../../src/store/archive-rules.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const run = promisify(execFile);

test('analyze --db: a rule made after the first run archives the second run\'s new incidents', { skip: needSharedData(), timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-analyze-rules-'));
  try {
    const db = `sqlite:${join(dir, 'a.db')}`;
    await run(process.execPath, [MAIN, 'analyze', sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap'), '--db', db, '--sensor', 'home', '-q']);
    let store = await openStore(db);
    let ruleId: number;
    let before: Array<{ id: number; status: string }>;
    try {
      before = (await store.read.selectFrom('incidents').select(['id', 'status']).execute()).map((r) => ({ id: Number(r.id), status: r.status }));
      assert.ok(before.length > 0 && before.every((i) => i.status === 'open'), JSON.stringify(before));
      const sensor = await store.read.selectFrom('sensors').select(['id', 'org_id']).where('name', '=', 'home').executeTakeFirstOrThrow();
      // every stratum incident of the sensor from now on is known noise
      ruleId = (await createArchiveRule(store, { org_id: Number(sensor.org_id), sensor_id: Number(sensor.id), detector: 'stratum', created_by: 'cli-test' })).id;
    } finally {
      await store.close();
    }
    await run(process.execPath, [MAIN, 'analyze', sharedFile('mining/monero-login-job-nanopool-14444.pcapng'), '--db', db, '--sensor', 'home', '-q']);
    store = await openStore(db);
    try {
      const rows = await store.read.selectFrom('incidents').select(['id', 'status', 'detector', 'archived_rule']).execute();
      const fresh = rows.filter((r) => !before.some((b) => b.id === Number(r.id)));
      assert.ok(fresh.some((r) => r.detector === 'stratum'), `the second capture makes a new stratum incident: ${JSON.stringify(rows)}`);
      for (const r of fresh) {
        assert.deepEqual([r.status, r.archived_rule === null ? null : Number(r.archived_rule)], r.detector === 'stratum' ? ['archived', ruleId] : ['open', null], JSON.stringify(r));
      }
      for (const b of before) assert.equal(rows.find((r) => Number(r.id) === b.id)?.status, 'open', 'the first run\'s incidents are left as they were');
      assert.equal((await getArchiveRule(store, ruleId, null))?.hits, fresh.filter((r) => r.detector === 'stratum').length);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
