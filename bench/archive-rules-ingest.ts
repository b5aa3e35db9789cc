/**
 * What auto-archive rules cost the ingest writer: 200 batches of 500 alerts into a fresh store,
 * with no rules, with 50 enabled rules none of which matches (49 CIDR rules the detector
 * passes, so every incident's address is checked), and with 50 rules the last of which
 * matches every incident. Modes alternate, each run in a fresh store; prints CPU seconds of
 * this process (user+sys; PostgreSQL's own work is not in it) and wall time, medians.
 *
 *   node dist/bench/archive-rules-ingest.js [sqlite|postgres] [runs]
 */
import { DIALECTS, alertEvent, eventId } from '../test/helpers/collector.js';
import { eventWriter } from '../src/store/events.js';
import type { StoredEvent } from '../src/store/contract.js';
import { createOrg, createToken } from '../src/store/identity.js';
import { createArchiveRule } from '../src/store/archive-rules.js';
import { median } from './lib/stats.js';

const MODES = ['none', 'nomatch', 'match'] as const;
const BATCHES = 200;
const PER = 500;

async function once(dialect: (typeof DIALECTS)[number], mode: (typeof MODES)[number]): Promise<{ wall: number; cpu: number; archived: number }> {
  const o = await dialect.open();
  if (typeof o === 'string') throw new Error(o);
  try {
    const { store } = o;
    const org = (await createOrg(store, 'isp-a', {})).id;
    await createToken(store, 's1', 'isp-a');
    const sensor = Number((await store.db.selectFrom('sensors').select('id').executeTakeFirstOrThrow()).id);
    if (mode !== 'none') {
      for (let i = 0; i < 49; i++) await createArchiveRule(store, { org_id: org, src_cidr: `10.${i}.0.0/16`, detector: 'stratum', created_by: 'bench' });
      await createArchiveRule(store, { org_id: org, detector: mode === 'match' ? 'stratum' : 'no-such-detector', created_by: 'bench' });
    }
    const w = eventWriter(store);
    const base = Date.now() - 3_600_000;
    const batches = Array.from({ length: BATCHES }, (_, b) => Array.from({ length: PER }, (_, i) => alertEvent(b * PER + i, base + b * PER + i) as unknown as StoredEvent));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const events of batches) await w.writeEvents({ batchId: eventId(), orgId: String(org), sensorId: String(sensor), events });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const archived = await store.db.selectFrom('incidents').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'archived').executeTakeFirstOrThrow();
    return { wall, cpu: (c.user + c.system) / 1e6, archived: Number(archived.n) };
  } finally {
    await o.cleanup();
  }
}

const dialect = DIALECTS.find((d) => d.name === (process.argv[2] ?? 'sqlite'));
if (!dialect) throw new Error('sqlite or postgres');
const runs = Number(process.argv[3] ?? 3);
const got = new Map<string, Array<{ wall: number; cpu: number; archived: number }>>(MODES.map((m) => [m, []]));
for (let r = 0; r < runs; r++) for (const m of MODES) got.get(m)!.push(await once(dialect, m));
for (const [m, xs] of got) {
  console.log(`${dialect.name} rules=${m.padEnd(7)} ${BATCHES * PER} alerts: CPU ${median(xs.map((x) => x.cpu)).toFixed(2)} s (${xs.map((x) => x.cpu.toFixed(2)).join(' ')}), wall ${median(xs.map((x) => x.wall)).toFixed(2)} s, archived incidents ${xs[0].archived}`);
}
