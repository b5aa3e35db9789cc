/**
 * The storage suite, run once per dialect against a real database: SQLite in a temp file and
 * PostgreSQL in a database of its own (skipped loudly when no PostgreSQL can be had; a
 * failure under CI=true).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, alertEvent, eventId } from '../helpers/collector.js';
import { eveTimestamp } from '../../src/events/eve-format.js';
import type { Store } from '../../src/store/open.js';
import { openStore } from '../../src/store/open.js';
import { eventWriter } from '../../src/store/events.js';
import type { StoredEvent } from '../../src/store/contract.js';
import {
  authenticateToken, createOrg, createSession, createToken, createUser, ensureFirstAdmin, listAudit, listTokens, revokeToken, sessionUser, verifyLogin,
  LOCKOUT_FAILURES,
} from '../../src/store/identity.js';
import { counts, listDevices, listEvents, listIncidents, listScanResults, listSensors, telescopeStats } from '../../src/store/queries.js';
import { applyRetention, eventBytes } from '../../src/store/retention.js';
import { DAY_MS, HOUR_MS } from '../../src/store/schema.js';
import { migrations } from '../../src/store/migrations.js';
import { partitionName } from '../../src/store/partitions.js';

// A deterministic enricher standing in for the mmdb lookup (server/enrich.ts tests the real one).
const GEO: Record<string, { country: string; asn: number }> = {
  '1.0.16.1': { country: 'TH', asn: 23969 }, '14.207.0.5': { country: 'TH', asn: 45758 }, '27.54.112.9': { country: 'VN', asn: 45899 },
  '36.66.0.2': { country: 'ID', asn: 7713 }, '49.128.176.3': { country: 'SG', asn: 4773 }, '103.1.28.7': { country: 'MY', asn: 9930 },
  '113.160.0.4': { country: 'VN', asn: 45899 }, '202.28.0.8': { country: 'TH', asn: 4621 },
  '141.94.96.144': { country: 'FR', asn: 16276 }, '94.130.143.162': { country: 'DE', asn: 24940 }, '18.210.126.40': { country: 'US', asn: 14618 }, '51.15.58.224': { country: 'FR', asn: 12876 },
};
const enrich = (ip: string) => GEO[ip] ?? null;

const BASE = Date.UTC(2026, 11, 7, 10, 0, 0); // a whole hour, today-ish (inside the partition window)

function batchOf(events: Record<string, unknown>[], orgId: number, sensorId: number) {
  return { batchId: eventId(), orgId: String(orgId), sensorId: String(sensorId), events: events as unknown as StoredEvent[] };
}

for (const dialect of DIALECTS) {
  describe(`store on ${dialect.name}`, () => {
    let store: Store;
    let url = '';
    let cleanup: () => Promise<void> = async () => {};
    let skip: string | false = false;
    let orgA = 0;
    let orgB = 0;
    let sensorA = 0;
    let sensorB = 0;

    before(async () => {
      const o = await dialect.open();
      if (typeof o === 'string') {
        skip = o;
        return;
      }
      ({ store, url, cleanup } = o);
      orgA = (await createOrg(store, 'isp-a', {})).id;
      orgB = (await createOrg(store, 'cert-th', { countries: ['th'], asns: [4773], prefixes: ['192.168.7.0/24', '2001:db8:7::/48'], sensorNames: ['named-sensor'] })).id;
      const ta = await createToken(store, 'home-router-1', 'isp-a');
      const tb = await createToken(store, 'named-sensor', 'isp-a');
      sensorA = (await authenticateToken(store, ta.token))!.sensorId;
      sensorB = (await authenticateToken(store, tb.token))!.sensorId;
    });
    after(async () => cleanup());

    test('migrations run once and can be re-run on an existing database', async (t) => {
      if (skip) return t.skip(skip);
      const again = await openStore(url);
      const r = await again.db.selectFrom('kysely_migration' as 'users').select('name' as 'id').execute();
      // each migration recorded once, however often the store is opened
      assert.deepEqual(r.map((x) => String((x as unknown as { name: string }).name)).sort(), Object.keys(migrations(again.dialect)).sort());
      await again.close();
    });

    test('a batch is stored once: the same batch again reports only duplicates, a partial overlap the rest', async (t) => {
      if (skip) return t.skip(skip);
      const w = eventWriter(store, { enrich });
      const events = Array.from({ length: 500 }, (_, i) => alertEvent(i, BASE + i * 1000));
      const first = await w.writeEvents(batchOf(events, orgA, sensorA));
      assert.deepEqual(first, { accepted: 500, duplicates: 0 });
      const again = await w.writeEvents(batchOf(events, orgA, sensorA));
      assert.deepEqual(again, { accepted: 0, duplicates: 500 });
      const more = [...events.slice(0, 100), ...Array.from({ length: 50 }, (_, i) => alertEvent(1000 + i, BASE + 600_000 + i))];
      assert.deepEqual(await w.writeEvents(batchOf(more, orgA, sensorA)), { accepted: 50, duplicates: 100 });
      const n = await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(n.n), 550);
      // the same event id from another sensor is another event
      const other = await w.writeEvents(batchOf(events.slice(0, 10), orgA, sensorB));
      assert.deepEqual(other, { accepted: 10, duplicates: 0 });
      const s = await listSensors(store, { orgId: null });
      const a = s.find((x) => x.id === sensorA)!;
      assert.equal(a.events_total, 550);
      assert.equal(a.duplicates_total, 600);
      assert.equal(a.batches_total, 3);
      assert.equal(a.health, 'ok');
    });

    test('roll-ups count only stored events, per hour and day, per dimension, and agree with the rows', async (t) => {
      if (skip) return t.skip(skip);
      const all = await counts(store, { orgId: null }, { event_type: 'alert' });
      assert.equal(all[0].count, 560);
      const daily = await counts(store, { orgId: null }, { event_type: 'alert', granularity: 'day', group_by: 'time' });
      assert.equal(daily.reduce((s, r) => s + r.count, 0), 560);
      const bySig = await counts(store, { orgId: null }, { group_by: 'signature_id' });
      const rows = await store.db.selectFrom('events').select(['signature_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('signature_id').execute();
      for (const r of rows) assert.equal(bySig.find((x) => Number(x.key) === r.signature_id)?.count, Number(r.n));
      const byCountry = await counts(store, { orgId: null }, { group_by: 'country' });
      const th = await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('country', '=', 'TH').executeTakeFirstOrThrow();
      assert.ok(Number(th.n) > 0);
      assert.equal(byCountry.find((x) => x.key === 'TH')?.count, Number(th.n));
      const hourly = await counts(store, { orgId: null }, { group_by: 'time', from: BASE, to: BASE + HOUR_MS });
      assert.equal(hourly.length, 1);
      assert.equal(hourly[0].key, BASE);
    });

    test('a constituency sees its countries, AS numbers, prefixes and named sensors, nothing else', async (t) => {
      if (skip) return t.skip(skip);
      const w = eventWriter(store, { enrich });
      // scopes are evaluated at ingest: write a fresh batch with a known mix
      const ev = [
        alertEvent(3, BASE + 1, { src: '1.0.16.1' }), // TH → cert-th
        alertEvent(4, BASE + 2, { src: '49.128.176.3' }), // SG, AS4773 → cert-th by AS
        alertEvent(5, BASE + 3, { src: '192.168.7.9' }), // prefix → cert-th
        alertEvent(6, BASE + 4, { src: '27.54.112.9' }), // VN: not cert-th (dest FR/DE/US)
        alertEvent(7, BASE + 5, { src: '2001:db8:7::5' }), // v6 prefix → cert-th
      ];
      const sensorC = (await authenticateToken(store, (await createToken(store, 'scope-sensor', 'isp-a')).token))!.sensorId;
      assert.deepEqual(await w.writeEvents(batchOf(ev, orgA, sensorC)), { accepted: 5, duplicates: 0 });
      const seen = await listEvents(store, { orgId: orgB }, { sensor_id: sensorC });
      const srcs = seen.items.map((x) => (x.event as { src_ip: string }).src_ip).sort();
      assert.deepEqual(srcs, ['1.0.16.1', '192.168.7.9', '2001:db8:7::5', '49.128.176.3']);
      assert.equal(seen.total, 4);
      // named sensor: everything sensorB sent is cert-th's
      const named = await listEvents(store, { orgId: orgB }, { sensor_id: sensorB });
      assert.equal(named.items.length, 10);
      // owner sees all
      assert.equal((await listEvents(store, { orgId: orgA }, { sensor_id: sensorC })).items.length, 5);
      // a third organisation sees nothing
      const orgC = (await createOrg(store, 'nobody', {})).id;
      assert.equal((await listEvents(store, { orgId: orgC }, {})).items.length, 0);
      assert.equal((await counts(store, { orgId: orgC }, {}))[0].count, 0);
      // roll-ups per organisation agree with the scoped rows
      const rolled = await counts(store, { orgId: orgB }, { sensor_id: sensorC });
      assert.equal(rolled[0].count, 4);
      const sensorsB = await listSensors(store, { orgId: orgB });
      assert.deepEqual(sensorsB.map((s) => s.name), ['named-sensor']);
      assert.equal((await listIncidents(store, { orgId: orgC }, {})).items.length, 0);
      assert.equal((await listDevices(store, { orgId: orgC }, {})).items.length, 0);
    });

    test('cursor pages walk every alert once, newest first', async (t) => {
      if (skip) return t.skip(skip);
      const seen = new Set<number>();
      let cursor: string | undefined;
      let prev = Infinity;
      let pages = 0;
      do {
        const p = await listEvents(store, { orgId: orgA }, { limit: 97, cursor });
        for (const it of p.items) {
          assert.ok(!seen.has(it.id));
          assert.ok(it.ts <= prev);
          prev = it.ts;
          seen.add(it.id);
        }
        cursor = p.next_cursor ?? undefined;
        pages++;
      } while (cursor && pages < 100);
      assert.equal(seen.size, 565);
    });

    test('incidents and devices are counted from stored events only', async (t) => {
      if (skip) return t.skip(skip);
      const inc = await listIncidents(store, { orgId: null }, { limit: 1000, sensor_id: sensorA });
      const total = inc.items.reduce((s, i) => s + Number(i.count), 0);
      assert.equal(total, 550);
      const dev = await listDevices(store, { orgId: null }, { limit: 1000, sensor_id: sensorA });
      assert.equal(dev.items.length, 40);
      assert.equal(dev.items.reduce((s, d) => s + Number(d.events), 0), 550);
    });

    test('telescope intervals and scan findings are kept beside their events', async (t) => {
      if (skip) return t.skip(skip);
      const w = eventWriter(store, { enrich });
      const sketch = Buffer.from([1, 2, 3, 250, 0, 9]);
      const tel = {
        timestamp: eveTimestamp(BASE * 1000), event_type: 'telescope',
        telescope: { start: eveTimestamp(BASE * 1000), end: eveTimestamp((BASE + 300_000) * 1000), packets: 12345, unique_sources: 77, sketch: sketch.toString('base64') },
        minewatch: { event_id: eventId(), detector: 'telescope' },
      };
      const scan = {
        timestamp: eveTimestamp(BASE * 1000), event_type: 'scan', dest_ip: '192.168.1.1', dest_port: 8291, proto: 'TCP',
        minewatch: { event_id: eventId(), detector: 'scan:winbox-cve-2018-14847', scan: { kind: 'finding', id: 'winbox-cve-2018-14847', severity: 'critical', title: 'MikroTik Winbox vulnerable' } },
      };
      assert.deepEqual(await w.writeEvents(batchOf([tel, scan], orgA, sensorA)), { accepted: 2, duplicates: 0 });
      const ts = await telescopeStats(store, { orgId: orgA }, { from: BASE - 1, to: BASE + HOUR_MS });
      assert.equal(ts.intervals.length, 1);
      assert.equal(ts.packets, 12345);
      assert.equal(ts.intervals[0].sketch, sketch.toString('base64'));
      assert.equal((await telescopeStats(store, { orgId: orgB }, { from: BASE - 1, to: BASE + HOUR_MS })).intervals.length, 0);
      const sr = await listScanResults(store, { orgId: orgA }, {});
      assert.equal(sr.items.length, 1);
      assert.equal(sr.items[0].finding, 'winbox-cve-2018-14847');
      assert.equal(sr.items[0].port, 8291);
    });

    test('concurrent writers with overlapping batches store every event exactly once', async (t) => {
      if (skip) return t.skip(skip);
      const w1 = eventWriter(store, { enrich });
      const w2 = eventWriter(store, { enrich });
      const events = Array.from({ length: 400 }, (_, i) => alertEvent(i, BASE + 2 * HOUR_MS + i));
      const batches = [events.slice(0, 250), events.slice(150, 400), events.slice(100, 300), events];
      const results = await Promise.all(batches.map((b, i) => (i % 2 ? w1 : w2).writeEvents(batchOf(b, orgA, sensorA))));
      assert.equal(results.reduce((s, r) => s + r.accepted, 0), 400);
      assert.equal(results.reduce((s, r) => s + r.accepted + r.duplicates, 0), 250 + 250 + 200 + 400);
      const c = await counts(store, { orgId: null }, { from: BASE + 2 * HOUR_MS, to: BASE + 3 * HOUR_MS });
      assert.equal(c[0].count, 400);
    });

    test('ids and fields with tabs, newlines, backslashes and quotes are stored as given, and retried', async (t) => {
      if (skip) return t.skip(skip);
      const w = eventWriter(store, { enrich });
      const odd = ['a\tb', 'c\nd', 'e\\f', 'g"h\'i', '\\N', 'ü\r€'];
      const events = odd.map((id, i) => {
        const e = alertEvent(9000 + i, BASE + 3 * HOUR_MS + i);
        (e.minewatch as Record<string, unknown>).event_id = id;
        (e.minewatch as Record<string, unknown>).detector = id;
        return e;
      });
      assert.deepEqual(await w.writeEvents(batchOf(events, orgA, sensorA)), { accepted: 6, duplicates: 0 });
      assert.deepEqual(await w.writeEvents(batchOf(events, orgA, sensorA)), { accepted: 0, duplicates: 6 });
      const rows = await store.db.selectFrom('events').select(['event_id', 'detector']).where('ts', '>=', BASE + 3 * HOUR_MS).where('ts', '<', BASE + 3 * HOUR_MS + 10).execute();
      assert.deepEqual(rows.map((r) => r.event_id).sort(), [...odd].sort());
      assert.ok(rows.every((r) => r.event_id === r.detector));
      const back = await listEvents(store, { orgId: null }, { from: BASE + 3 * HOUR_MS, to: BASE + 4 * HOUR_MS, limit: 10 });
      assert.deepEqual(back.items.map((x) => (x.event as { minewatch: { event_id: string } }).minewatch.event_id).sort(), [...odd].sort());
    });

    test('retention deletes old events in bounded chunks, keeps roll-ups, and trims by size', async (t) => {
      if (skip) return t.skip(skip);
      const w = eventWriter(store, { enrich });
      const old = BASE - 30 * DAY_MS;
      const oldEvents = Array.from({ length: 1200 }, (_, i) => alertEvent(i, old + i * 1000));
      assert.equal((await w.writeEvents(batchOf(oldEvents, orgA, sensorA))).accepted, 1200);
      const before = await counts(store, { orgId: null }, {});
      const r1 = await applyRetention(store, { now: BASE + HOUR_MS, eventsMaxAgeDays: 14, chunk: 500, maxChunks: 2 });
      if (dialect.name === 'sqlite') {
        // bounded: two chunks of 500, then it says it is not done
        assert.equal(r1.eventsDeleted, 1000);
        assert.equal(r1.done, false);
        const r2 = await applyRetention(store, { now: BASE + HOUR_MS, eventsMaxAgeDays: 14, chunk: 500, maxChunks: 2 });
        assert.equal(r2.eventsDeleted, 200);
        assert.equal(r2.done, true);
      } else {
        // whole daily partitions past the cut-off are dropped, not deleted row by row
        assert.deepEqual(r1.partitionsDropped, [partitionName(old - (old % DAY_MS))]);
        assert.equal(r1.done, true);
      }
      const left = await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('ts', '<', BASE - 14 * DAY_MS).executeTakeFirstOrThrow();
      assert.equal(Number(left.n), 0);
      const recent = await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(recent.n), 973);
      // roll-ups keep the history the raw events lost
      assert.equal((await counts(store, { orgId: null }, {}))[0].count, before[0].count);
      // by size: trim to well under the current size
      const bytes = await eventBytes(store);
      assert.ok(bytes > 0);
      const r3 = await applyRetention(store, { now: BASE + HOUR_MS, eventsMaxBytes: 1, chunk: 200, maxChunks: 20 });
      assert.ok(r3.eventsDeleted > 0, 'size retention deleted nothing');
      const after = await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.ok(Number(after.n) < 973);
    });

    test('users: argon2id hashes, login, lock-out after repeated failures, sessions', async (t) => {
      if (skip) return t.skip(skip);
      const first = await ensureFirstAdmin(store);
      assert.ok(first && first.length >= 16);
      assert.equal(await ensureFirstAdmin(store), null);
      const u = await createUser(store, { name: 'ana', role: 'analyst', org: 'cert-th', password: 'correct horse battery' });
      const row = await store.db.selectFrom('users').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow();
      assert.match(row.password_hash, /^\$argon2id\$/);
      assert.equal((await verifyLogin(store, 'ana', 'correct horse battery')).ok, true);
      for (let i = 0; i < LOCKOUT_FAILURES - 1; i++) assert.deepEqual(await verifyLogin(store, 'ana', 'wrong password!!'), { ok: false, reason: 'invalid' });
      const locked = await verifyLogin(store, 'ana', 'wrong password!!');
      assert.equal(locked.ok, false);
      assert.equal(!locked.ok && locked.reason, 'locked');
      // the right password does not open a locked account
      const still = await verifyLogin(store, 'ana', 'correct horse battery');
      assert.equal(!still.ok && still.reason, 'locked');
      assert.ok((await listAudit(store)).some((a) => a.action === 'user.locked' && a.subject === 'ana'));
      const s = await createSession(store, u.id);
      const back = await sessionUser(store, s.cookie);
      assert.equal(back?.user.name, 'ana');
      assert.equal(back?.csrf, s.csrf);
      const stored = await store.db.selectFrom('sessions').select('id').execute();
      assert.ok(stored.every((x) => x.id !== s.cookie), 'session cookie stored in clear');
      await assert.rejects(createUser(store, { name: 'weak', role: 'viewer', password: 'short' }), /at least 12/);
      await assert.rejects(createUser(store, { name: 'bad', role: 'root', password: 'long enough password' }), /not one of/);
    });

    test('concurrent token creation (default organisation, same sensor) and duplicate names', async (t) => {
      if (skip) return t.skip(skip);
      const made = await Promise.all(Array.from({ length: 6 }, (_, i) => createToken(store, i % 2 ? 'twin' : `solo-${i}`, null)));
      assert.equal(new Set(made.map((m) => m.info.org)).size, 1);
      const twins = await Promise.all(made.filter((m) => m.info.sensor === 'twin').map((m) => authenticateToken(store, m.token)));
      assert.equal(new Set(twins.map((p) => p!.sensorId)).size, 1);
      await assert.rejects(Promise.all([createOrg(store, 'race', {}), createOrg(store, 'race', {})]), /already exists/);
      await assert.rejects(Promise.all([createUser(store, { name: 'racer', role: 'viewer', password: 'long enough password' }), createUser(store, { name: 'racer', role: 'viewer', password: 'long enough password' })]), /already exists/);
    });

    test('tokens: hashed at rest, revocation stops ingest', async (t) => {
      if (skip) return t.skip(skip);
      const { token, info } = await createToken(store, 'revoke-me', 'isp-a');
      const rows = await store.db.selectFrom('tokens').select('token_hash').execute();
      assert.ok(rows.every((r) => r.token_hash !== token && !r.token_hash.includes(token)));
      assert.equal((await authenticateToken(store, token))?.sensorName, 'revoke-me');
      await revokeToken(store, info.prefix);
      assert.equal(await authenticateToken(store, token), null);
      assert.ok((await listTokens(store)).find((x) => x.id === info.id)?.revokedMs);
      assert.equal(await authenticateToken(store, 'mwt_not-a-token'), null);
    });
  });
}
