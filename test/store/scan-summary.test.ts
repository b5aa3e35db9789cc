/**
 * Scan rows after migration 0003, on both dialects: live hosts with their services and
 * findings with their fixes, stored from the scanner's own EVE events and read back per
 * host (GET /api/v1/scans/summary), bounded, in scope; host rows stay out of the findings list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, eventId } from '../helpers/collector.js';
import { scanSampleEvents } from '../helpers/scan-sample.js';
import { eventWriter } from '../../src/store/events.js';
import type { StoredEvent } from '../../src/store/contract.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { listScanResults, scanSummary } from '../../src/store/queries.js';
import { HOUR_MS } from '../../src/store/schema.js';

const BASE = Date.UTC(2026, 11, 7, 10, 0, 0);

for (const dialect of DIALECTS) {
  test(`scan hosts, services and findings with fixes, per host, in scope (${dialect.name})`, async (t) => {
    const o = await dialect.open();
    if (typeof o === 'string') return t.skip(o);
    try {
      const { store } = o;
      const orgA = (await createOrg(store, 'isp-a', {})).id;
      const orgB = (await createOrg(store, 'cert-th', { countries: ['th'] })).id;
      await createToken(store, 'home-scanner', 'isp-a');
      const sensor = await store.db.selectFrom('sensors').select('id').where('name', '=', 'home-scanner').executeTakeFirstOrThrow();
      const sample = scanSampleEvents(BASE + 60_000);
      const w = eventWriter(store, { enrich: () => null });
      const r = await w.writeEvents({ batchId: eventId(), orgId: String(orgA), sensorId: String(sensor.id), events: sample.events as unknown as StoredEvent[] });
      assert.equal(r.accepted, sample.events.length);
      const sum = await scanSummary(store, { orgId: orgA }, { from: BASE, to: BASE + HOUR_MS, limit: 1000 });
      assert.equal(sum.partial, false);
      assert.deepEqual(sum.hosts.map((h) => h.target_ip).sort(), ['192.168.1.20', '192.168.1.31']);
      const nas = sum.hosts.find((h) => h.target_ip === '192.168.1.20')!;
      assert.equal(nas.name, 'nas');
      assert.deepEqual(nas.ports.map((p) => `${p.port}/${p.service}/${p.product}/${p.version}`), ['6379/redis/Redis/6.0.9', '22/ssh/OpenSSH/8.4']);
      const redis = nas.findings.find((f) => f.finding === 'redis-no-auth')!;
      assert.equal(redis.severity, 'critical');
      assert.equal(redis.port, 6379);
      assert.equal(redis.service, 'redis');
      assert.match(redis.remediation!, /requirepass/);
      assert.equal(sum.hosts.reduce((a, h) => a + h.findings.length, 0), sample.findings);
      const findings = await listScanResults(store, { orgId: orgA }, {});
      assert.equal(findings.items.length, sample.findings, 'host rows are not findings');
      assert.equal((await scanSummary(store, { orgId: orgA }, { from: BASE, to: BASE + HOUR_MS, limit: 2 })).partial, true);
      assert.equal((await scanSummary(store, { orgId: orgB }, { from: BASE, to: BASE + HOUR_MS, limit: 1000 })).hosts.length, 0);
    } finally {
      await o.cleanup();
    }
  });
}
