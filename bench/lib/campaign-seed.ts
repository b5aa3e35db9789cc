/**
 * The campaign benchmark's world: N infected-host timelines (120 days from day 20 000, infections
 * starting in the first 40 days and lasting 1–80 days, 8 countries, 200 ASes, a 20 % control
 * group), in memory or written into a SQLite collector store as one built campaign ("bench",
 * notified on day 20 045) whose one sensor reported every day.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { HostTimeline } from '../../src/campaigns/remediation.js';
import { createCampaign, encodeDays } from '../../src/campaigns/campaign-store.js';
import { openStore } from '../../src/store/open.js';
import { DAY_MS } from '../../src/store/schema.js';
import { Rng } from '../../src/synth/rng.js';

export const FIRST_DAY = 20_000;
export const DAYS = 120;
export const NOTIFY_DAY = 20_045;
const COUNTRIES = ['JP', 'TH', 'BR', 'DE', 'VN', 'ID', 'IN', 'US'];

export function* hostTimelines(n: number): Generator<HostTimeline> {
  const rng = new Rng(1);
  const observed = Int32Array.from({ length: DAYS }, (_, i) => FIRST_DAY + i);
  for (let i = 0; i < n; i++) {
    const start = FIRST_DAY + rng.int(40);
    const len = 1 + rng.int(80);
    const end = Math.min(start + len, FIRST_DAY + DAYS);
    const sightings = new Int32Array(end - start);
    for (let d = start; d < end; d++) sightings[d - start] = d;
    yield { key: `ip:h${i}`, country: COUNTRIES[i & 7], asn: 64500 + (i % 200), group: rng.float() < 0.2 ? 'control' : 'treatment', sightings, observed };
  }
}

/** Writes the campaign into a new SQLite store at `path` (built beside it and renamed when complete, so a killed run leaves no half store). */
export async function seedCampaignStore(path: string, n: number): Promise<void> {
  const tmp = `${path}.part`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) if (existsSync(f)) rmSync(f);
  const store = await openStore(`sqlite:${tmp}`);
  try {
    const day = (d: number) => new Date(d * DAY_MS).toISOString();
    const c = await createCampaign(store, 'bench', { period: { from: day(FIRST_DAY), to: day(FIRST_DAY + DAYS) }, notifiedAt: day(NOTIFY_DAY), control: { share: 0.2, seed: 1 } });
    await store.db.insertInto('organisations').values({ name: 'bench', countries: '[]', asns: '[]', prefixes: '[]', sensor_names: '[]', created_ms: 0 }).execute();
    await store.db.insertInto('rollup_daily').values(Array.from({ length: DAYS }, (_, i) => ({ bucket: (FIRST_DAY + i) * DAY_MS, scope_org: 0, sensor_id: 1, event_type: 'stats', signature_id: 0, severity: 0, country: '', asn: 0, count: 1 }))).execute();
    await store.db.transaction().execute(async (tx) => {
      let rows: Parameters<ReturnType<typeof tx.insertInto<'campaign_hosts'>>['values']>[0] & unknown[] = [];
      for (const h of hostTimelines(n)) {
        const s = h.sightings;
        rows.push({
          campaign_id: c.id, host_key: h.key, ip: h.key.slice(3), device_id: null, sensor_ids: '[1]', feeds: '[]', country: h.country, asn: h.asn,
          first_seen_ms: s[0] * DAY_MS, last_seen_ms: s[s.length - 1] * DAY_MS, events: s.length, evidence: '{"detectors":["stratum"],"signatureIds":[],"malware":[]}',
          grp: h.group, notify_state: h.group === 'control' ? 'held-back' : 'notified', notified_ms: h.group === 'control' ? null : NOTIFY_DAY * DAY_MS, scope: ',0,', days: encodeDays(s),
        });
        if (rows.length === 1500) {
          await tx.insertInto('campaign_hosts').values(rows).execute();
          rows = [];
        }
      }
      if (rows.length) await tx.insertInto('campaign_hosts').values(rows).execute();
    });
  } finally {
    await store.close();
  }
  renameSync(tmp, path);
}
