/**
 * The auto-archive rule routes on both dialects: validation errors with stable codes, the
 * organisation a rule belongs to, apply-to-existing, a matching alert ingested through the API
 * arriving archived by the rule, disable and delete, and the audit trail. (Who may call each
 * route is in authz-matrix.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, alertEvent } from '../helpers/collector.js';
import { serverFixture, type Fixture } from '../helpers/collector-server.js';
import { listAudit } from '../../src/store/identity.js';

let n = 0;

/** isp-a's alert from `src` (signature 9100001), now. */
function alert(src: string): Record<string, unknown> {
  const e = alertEvent(n++, Date.now() - 1000, { src });
  (e.alert as Record<string, unknown>).signature_id = 9_100_001;
  return e;
}

async function ingest(f: Fixture, events: Record<string, unknown>[]): Promise<void> {
  const r = await f.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${f.tokenA}` }, payload: { events } });
  assert.equal(r.statusCode, 200, r.body);
}

async function statusOf(f: Fixture, src: string): Promise<[string, number | null]> {
  const r = await f.store.db.selectFrom('incidents').select(['status', 'archived_rule']).where('src_ip', '=', src).executeTakeFirstOrThrow();
  return [r.status, r.archived_rule === null ? null : Number(r.archived_rule)];
}

for (const dialect of DIALECTS) {
  test(`auto-archive rule routes (${dialect.name})`, async (t) => {
    const f = await serverFixture(dialect);
    if (typeof f === 'string') return t.skip(f);
    try {
      const call = async (who: 'analyst' | 'other' | 'viewer', method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
        const r = await f.app.inject({ method, url, headers: await f.session(who), ...(payload ? { payload } : {}) });
        return { status: r.statusCode, body: r.json() as Record<string, unknown> & { code?: string } };
      };
      const post = (who: 'analyst' | 'other', body: object) => call(who, 'POST', '/api/v1/archive-rules', body);

      // validation: every refusal says why, with a stable code
      const refusals: Array<[object, number, string]> = [
        [{ org: 'isp-a' }, 400, 'archive-rule.no-condition'],
        [{ org: 'isp-a', comment: 'everything' }, 400, 'archive-rule.no-condition'],
        [{ org: 'isp-a', src_ip: '192.168.1.0/40' }, 400, 'archive-rule.bad-cidr'],
        [{ org: 'isp-a', dest_ip: 'pool.example.com' }, 400, 'archive-rule.bad-cidr'],
        [{ org: 'isp-a', country: 'FRA' }, 400, 'request.invalid'],
        [{ org: 'isp-a', severity_min: 0 }, 400, 'request.invalid'],
        [{ org: 'isp-a', signature_id: 1, archive_everything: true }, 400, 'request.invalid'],
        [{ signature_id: 1 }, 400, 'archive-rule.org-needed'],
        [{ org: 'no-such-org', signature_id: 1 }, 400, 'org.unknown'],
        [{ sensor_id: 999_999 }, 400, 'archive-rule.unknown-sensor'],
      ];
      for (const [body, status, code] of refusals) {
        const r = await post('analyst', body);
        assert.deepEqual([r.status, r.body.code], [status, code], JSON.stringify(body));
      }
      const sensorA = Number((await f.store.db.selectFrom('sensors').select('id').where('name', '=', 'home-router-1').executeTakeFirstOrThrow()).id);
      // a cert-th analyst: isp-a's sensor would never match its own rule; naming isp-a is refused
      assert.deepEqual(await post('other', { sensor_id: sensorA }).then((r) => [r.status, r.body.code]), [400, 'archive-rule.sensor-org']);
      assert.deepEqual(await post('other', { org: 'isp-a', signature_id: 1 }).then((r) => [r.status, r.body.code]), [403, 'auth.other-org']);
      assert.equal((await f.store.db.selectFrom('archive_rules').select('id').execute()).length, 0, 'no refused request stored a rule');

      // two open incidents exist; the rule (for the sensor's organisation, named by its sensor) archives them when asked
      await ingest(f, [alert('192.168.44.1'), alert('192.168.44.2'), alert('192.168.45.1')]);
      const made = await post('analyst', { sensor_id: sensorA, src_ip: '192.168.44.0/24', comment: 'lab rigs', apply_to_existing: true });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const rule = made.body.rule as Record<string, unknown>;
      assert.deepEqual([rule.org, rule.src_ip, rule.comment, rule.enabled, rule.created_by, rule.hits], ['isp-a', '192.168.44.0/24', 'lab rigs', true, 'anna', 2]);
      assert.deepEqual(made.body.applied, { archived: 2, truncated: false });
      const id = Number(rule.id);
      assert.deepEqual(await statusOf(f, '192.168.44.1'), ['archived', id]);
      assert.deepEqual(await statusOf(f, '192.168.45.1'), ['open', null]);

      // a new matching incident arrives archived; the inbox says by which rule
      await ingest(f, [alert('192.168.44.9'), alert('192.168.45.9')]);
      assert.deepEqual(await statusOf(f, '192.168.44.9'), ['archived', id]);
      assert.deepEqual(await statusOf(f, '192.168.45.9'), ['open', null]);
      const inbox = await call('viewer', 'GET', '/api/v1/incidents?status=archived&limit=10');
      assert.deepEqual((inbox.body.items as Array<{ archived_rule: number }>).map((i) => i.archived_rule), [id, id, id]);

      // viewers and the other organisation: the list; only isp-a's users see isp-a's rule
      const listed = await call('viewer', 'GET', '/api/v1/archive-rules');
      assert.deepEqual((listed.body.items as Array<{ id: number; hits: number }>).map((r) => [r.id, r.hits]), [[id, 3]]);
      assert.deepEqual((await call('other', 'GET', '/api/v1/archive-rules')).body.items, []);
      assert.equal((await call('other', 'PATCH', `/api/v1/archive-rules/${id}`, { enabled: false })).status, 404);
      assert.deepEqual(await call('analyst', 'PATCH', `/api/v1/archive-rules/${id}`, {}).then((r) => [r.status, r.body.code]), [400, 'request.invalid']);

      // disabled: the next new incident stays open
      const off = await call('analyst', 'PATCH', `/api/v1/archive-rules/${id}`, { enabled: false });
      assert.deepEqual([off.status, off.body.enabled], [200, false]);
      await ingest(f, [alert('192.168.44.20')]);
      assert.deepEqual(await statusOf(f, '192.168.44.20'), ['open', null]);

      assert.equal((await call('other', 'DELETE', `/api/v1/archive-rules/${id}`)).status, 404);
      assert.equal((await call('analyst', 'DELETE', `/api/v1/archive-rules/${id}`)).status, 200);
      assert.equal((await call('analyst', 'DELETE', `/api/v1/archive-rules/${id}`)).status, 404);
      assert.deepEqual(await statusOf(f, '192.168.44.9'), ['archived', id], 'what it archived stays archived');

      const trail = (await listAudit(f.store, 50)).filter((a) => a.action.startsWith('archive-rule.')).map((a) => [a.actor, a.action, a.subject]).reverse();
      assert.deepEqual(trail, [['user:anna', 'archive-rule.create', String(id)], ['user:anna', 'archive-rule.apply', String(id)], ['user:anna', 'archive-rule.update', String(id)], ['user:anna', 'archive-rule.delete', String(id)]]);
    } finally {
      await f.cleanup();
    }
  });
}
