/**
 * `minewatch synth campaign` and `minewatch campaign create|build|mark-notified|report|hosts`
 * as users run them (the bundle): the generated sensors' EVE files are written to a store,
 * a campaign over them reports the ground truth's baseline, change and control effect, and
 * its hosts come out as host records `campaign package --hosts` reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, bundleSkip } from '../helpers/bundle.js';
import { openStore } from '../../src/store/open.js';
import { createOrg, createToken } from '../../src/store/identity.js';
import { eventWriter } from '../../src/store/events.js';
import { synthEnricher, type CampaignTruth, type SynthAs } from '../../src/synth/campaign.js';
import { InfectedHost } from '../../src/campaigns/types.js';
import type { StoredEvent } from '../../src/store/contract.js';

const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [BUNDLE!, ...args], { encoding: 'utf8', cwd, timeout: 120_000 });

test('synth campaign → store → campaign create/build/mark-notified/report/hosts', { skip: bundleSkip(), timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cli-campaign-core-'));
  try {
    const s = run(dir, 'synth', 'campaign', '-o', 'sim', '--seed', '5', '--days', '90');
    assert.equal(s.status, 0, s.stderr);
    const truth = JSON.parse(readFileSync(join(dir, 'sim', 'truth.json'), 'utf8')) as CampaignTruth;
    const world = JSON.parse(readFileSync(join(dir, 'sim', 'world.json'), 'utf8')) as { ases: SynthAs[] };
    const again = run(dir, 'synth', 'campaign', '-o', 'sim2', '--seed', '5', '--days', '90');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(readFileSync(join(dir, 'sim2', 'isp-jp-64600.eve.json'), 'utf8'), readFileSync(join(dir, 'sim', 'isp-jp-64600.eve.json'), 'utf8'), 'same seed, same events');

    const db = `sqlite:${join(dir, 'mw.db')}`;
    const store = await openStore(db);
    try {
      const org = await createOrg(store, 'synth-isps', {});
      const w = eventWriter(store, { enrich: synthEnricher(world.ases) });
      for (const f of readdirSync(join(dir, 'sim')).filter((n) => n.endsWith('.eve.json'))) {
        const { info } = await createToken(store, f.replace('.eve.json', ''), 'synth-isps');
        const events = readFileSync(join(dir, 'sim', f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StoredEvent);
        const sensor = await store.db.selectFrom('sensors').select('id').where('name', '=', info.sensor).executeTakeFirstOrThrow();
        for (let i = 0; i < events.length; i += 2000) await w.writeEvents({ batchId: `${f}-${i}`, orgId: String(org.id), sensorId: String(sensor.id), events: events.slice(i, i + 2000) });
      }
    } finally {
      await store.close();
    }

    const c = run(dir, 'campaign', 'create', 'gf', '--db', db, '--from', truth.period.from, '--to', truth.period.to, '--identity', 'device-id',
      '--sources', 'sensor,telescope', '--control-share', String(truth.control.share), '--control-seed', String(truth.control.seed));
    assert.equal(c.status, 0, c.stderr);
    const b = run(dir, 'campaign', 'build', 'gf', '--db', db);
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, new RegExp(`gf: ${truth.hosts} hosts`));
    // no notification time yet: a clear usage error, exit 64/2 not a crash
    const early = run(dir, 'campaign', 'report', 'gf', '--db', db);
    assert.notEqual(early.status, 0);
    assert.match(early.stderr, /no notification time/);
    assert.equal(run(dir, 'campaign', 'mark-notified', 'gf', '--db', db, '--at', truth.notifiedAt).status, 0);
    const r = run(dir, 'campaign', 'report', 'gf', '--db', db, '--format', 'json', '-o', 'report.json');
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.equal(rep.baseline, truth.baseline);
    assert.equal(rep.reduction, truth.reduction);
    assert.deepEqual(rep.treatment.shareCleaned, truth.shareCleaned.treatment);
    assert.equal(rep.controlEffect.difference, truth.controlEffect.difference);
    const md = run(dir, 'campaign', 'report', 'gf', '--db', db);
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, new RegExp(`\\| baseline infected hosts \\| ${truth.baseline} \\|`));
    assert.match(md.stdout, /95 % CI/);

    const h = run(dir, 'campaign', 'hosts', 'gf', '--db', db, '-o', 'hosts.jsonl');
    assert.equal(h.status, 0, h.stderr);
    const lines = readFileSync(join(dir, 'hosts.jsonl'), 'utf8').trim().split('\n');
    // the control group is held back from the notification packages
    const withControl = run(dir, 'campaign', 'hosts', 'gf', '--db', db, '--include-control');
    assert.equal(withControl.status, 0, withControl.stderr);
    const all = withControl.stdout.trim().split('\n');
    assert.equal(all.length, truth.hosts);
    assert.ok(lines.length < all.length && lines.length > 0);
    assert.match(h.stdout, /control hosts held back/);
    // hosts known at notification were notified; hosts first seen later are still pending
    for (const l of lines) {
      const rec = InfectedHost.parse(JSON.parse(l));
      assert.equal(rec.notification?.state, Date.parse(rec.firstSeen) <= Date.parse(truth.notifiedAt) ? 'sent' : 'pending', l);
    }
    assert.ok(lines.some((l) => l.includes('"rule":"device-id"')) && lines.some((l) => l.includes('"rule":"ip-day"')));

    const bad = run(dir, 'campaign', 'create', 'x', '--db', db, '--from', 'yesterday', '--to', truth.period.to);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--from/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
