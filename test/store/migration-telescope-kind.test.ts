/**
 * Migration 0008 rebuilds telescope_intervals with a kind in its unique key: rows stored before
 * survive as intervals, and a run summary may then start where an interval starts (both
 * dialects, upgrading a store that stopped at 0007).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from 'kysely';
import { openStore } from '../../src/store/open.js';
import { migrations } from '../../src/store/migrations.js';
import { createTestDatabase } from '../helpers/postgres.js';

async function location(dialect: 'sqlite' | 'postgres'): Promise<{ url: string; drop: () => Promise<void> } | string> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mw-mig-'));
    return { url: `sqlite:${join(dir, 'mw.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const db = await createTestDatabase('mw_migration');
  return typeof db === 'string' ? db : { url: db.url, drop: () => db.drop() };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`migration 0008: telescope rows stored before keep their data as intervals; a run may share an interval's start (${dialect})`, async (t) => {
    const loc = await location(dialect);
    if (typeof loc === 'string') return t.skip(loc);
    try {
      const old = await openStore(loc.url, { migrate: false });
      try {
        const m = new Migrator({ db: old.db as never, provider: { getMigrations: async () => migrations(old.dialect) } });
        const r = await m.migrateTo('0007_incident_detector');
        assert.equal(r.error, undefined);
        for (const start of [1_000, 2_000]) {
          await old.db.insertInto('telescope_intervals').values({
            org_id: 1, sensor_id: 7, start_ms: start, end_ms: start + 1_000, packets: start / 10, sources: 3, sketch: Buffer.from([1, 2, 3]), summary: '{"packets":1}', scope: '|1|',
          } as never).execute();
        }
      } finally {
        await old.close();
      }
      const store = await openStore(loc.url);
      try {
        const rows = await store.db.selectFrom('telescope_intervals').select(['sensor_id', 'start_ms', 'end_ms', 'packets', 'sources', 'sketch', 'summary', 'scope', 'kind']).orderBy('start_ms').execute();
        assert.deepEqual(rows.map((x) => [Number(x.sensor_id), Number(x.start_ms), Number(x.end_ms), Number(x.packets), Number(x.sources), [...(x.sketch as Uint8Array)], x.summary, x.scope, x.kind]), [
          [7, 1000, 2000, 100, 3, [1, 2, 3], '{"packets":1}', '|1|', 'interval'],
          [7, 2000, 3000, 200, 3, [1, 2, 3], '{"packets":1}', '|1|', 'interval'],
        ]);
        await store.db.insertInto('telescope_intervals').values({ org_id: 1, sensor_id: 7, start_ms: 1_000, end_ms: 3_000, packets: 300, sources: 5, sketch: null, summary: '{}', scope: '|1|', kind: 'run' }).execute();
        await assert.rejects(store.db.insertInto('telescope_intervals').values({ org_id: 1, sensor_id: 7, start_ms: 1_000, end_ms: 2_000, packets: 1, sources: 1, sketch: null, summary: '{}', scope: '|1|', kind: 'interval' }).execute(),
          'an interval stored twice is still refused');
        assert.equal((await store.db.selectFrom('telescope_intervals').select('id').execute()).length, 3);
      } finally {
        await store.close();
      }
    } finally {
      await loc.drop();
    }
  });
}
