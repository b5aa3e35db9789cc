/**
 * The must-show test: a generated multi-country infection-and-clean-up (synth campaign) is
 * replayed through the collector's ingest API (one token per simulated sensor/telescope), a
 * campaign is defined over it, its hosts are built from the store, and the report is checked
 * against the generator's ground truth: baseline, daily counts per country, reduction, shares
 * cleaned at 7/14/30/60/90 days, median time to clean-up, reinfections and the treatment-vs-
 * control effect — exact, since the definitions are exact. A CERT user sees only its
 * constituency.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/collector.js';
import { serverFixture } from '../helpers/collector-server.js';
import { synthCampaign, synthEnricher } from '../../src/synth/campaign.js';
import { createToken } from '../../src/store/identity.js';
import { buildCampaignHosts, campaignHosts, campaignReport, createCampaign, markNotified } from '../../src/campaigns/campaign-store.js';
import { proportionDifference } from '../../src/campaigns/remediation.js';

const DAY = 86_400_000;
const day = (iso: string) => Math.floor(Date.parse(iso) / DAY);

for (const dialect of DIALECTS) {
  test(`campaign replay through ingest matches the ground truth (${dialect.name})`, { timeout: 600_000 }, async (t) => {
    const sim = synthCampaign({ seed: 11 });
    const truth = sim.truth;
    const f = await serverFixture(dialect, { enrich: synthEnricher(sim.ases) });
    if (typeof f === 'string') {
      t.skip(f);
      return;
    }
    try {
      let accepted = 0;
      for (const [name, s] of sim.sensors) {
        const { token } = await createToken(f.store, name, 'isp-a');
        for (let i = 0; i < s.events.length; i += 2000) {
          const r: { statusCode: number; body: string; json(): unknown } = await f.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${token}` }, payload: { events: s.events.slice(i, i + 2000) } });
          assert.equal(r.statusCode, 200, r.body);
          accepted += (r.json() as { accepted: number }).accepted;
        }
      }
      assert.equal(accepted, truth.events);

      const c = await createCampaign(f.store, 'goldfish', {
        selection: { sources: ['sensor', 'telescope'], detectors: ['stratum', 'darknet-source'] },
        period: truth.period, identity: 'device-id', control: truth.control, remediation: truth.remediation,
      });
      const built = await buildCampaignHosts(f.store, c.id);
      assert.equal(built.hosts, truth.hosts);
      await markNotified(f.store, c.id, Date.parse(truth.notifiedAt));
      const rep = await campaignReport(f.store, c.id, { orgId: null }, truth.shareDays);

      assert.equal(rep.identity, 'device-id');
      assert.equal(rep.baseline, truth.baseline);
      assert.equal(rep.final, truth.final);
      assert.equal(rep.reduction, truth.reduction);
      assert.ok(truth.reduction < -0.5, `the scenario has a large reduction (${truth.reduction})`);
      // daily counts, overall and per country
      const daily = Object.fromEntries(rep.daily.map((d) => [new Date(d.day * DAY).toISOString().slice(0, 10), d.hosts]));
      assert.deepEqual(daily, truth.daily);
      for (const [cc, series] of Object.entries(truth.dailyByCountry)) {
        assert.deepEqual(Object.fromEntries(rep.dailyByCountry[cc].map((d) => [new Date(d.day * DAY).toISOString().slice(0, 10), d.hosts])), series, cc);
      }
      assert.equal(Object.keys(rep.dailyByCountry).length, 4);
      assert.ok(Object.keys(rep.dailyByAsn).length === 8);
      // clean-up
      assert.deepEqual(rep.all.shareCleaned, truth.shareCleaned.all);
      assert.deepEqual(rep.treatment.shareCleaned, truth.shareCleaned.treatment);
      assert.deepEqual(rep.control!.shareCleaned, truth.shareCleaned.control);
      assert.equal(rep.all.medianDays, truth.medianDays.all);
      assert.equal(rep.treatment.medianDays, truth.medianDays.treatment);
      assert.equal(rep.control!.medianDays, truth.medianDays.control);
      assert.equal(rep.all.remediated, truth.remediated);
      assert.equal(rep.all.reinfected, truth.reinfected);
      assert.ok(truth.reinfected > 0);
      // control-group effect
      const e = rep.controlEffect!;
      assert.equal(e.treated, truth.cohort.treatment);
      assert.equal(e.controls, truth.cohort.control);
      assert.equal(e.difference, truth.controlEffect.difference);
      const expect = proportionDifference(Math.round(truth.controlEffect.treatmentCleaned * truth.cohort.treatment), truth.cohort.treatment, Math.round(truth.controlEffect.controlCleaned * truth.cohort.control), truth.cohort.control);
      assert.deepEqual(e.newcombe, expect.newcombe);
      assert.ok(e.newcombe[0] > 0, 'notification has an effect beyond natural clean-up in this scenario');
      // the Kaplan–Meier curve is a non-increasing step function ending in the censored
      for (let i = 1; i < rep.all.curve.length; i++) assert.ok(rep.all.curve[i].survival <= rep.all.curve[i - 1].survival);

      // hosts carry the stated identity, AS, country, evidence, and notification state
      const hosts = await campaignHosts(f.store, c.id);
      assert.equal(hosts.length, truth.hosts);
      assert.ok(hosts.every((h) => h.country !== null && h.asn !== null && h.evidence.detectors.length > 0));
      assert.ok(hosts.some((h) => h.key.startsWith('dev:isp-')) && hosts.some((h) => h.key.startsWith('ip:')));
      assert.ok(hosts.every((h) => (h.group === 'control' ? h.notifyState === 'held-back' : h.notifyState === (h.firstSeen <= truth.notifiedAt ? 'notified' : 'pending'))));
      assert.ok(hosts.some((h) => h.notifyState === 'pending'), 'late infections were not notified');

      // a CERT user (cert-th, constituency TH) sees its constituency only
      const th = await campaignHosts(f.store, c.id, { orgId: f.orgB });
      assert.equal(th.length, hosts.filter((h) => h.country === 'TH').length);
      assert.ok(th.length > 0 && th.every((h) => h.country === 'TH'));
      const thRep = await campaignReport(f.store, c.id, { orgId: f.orgB }, truth.shareDays);
      assert.deepEqual(Object.keys(thRep.dailyByCountry), ['TH']);
      assert.deepEqual(Object.fromEntries(thRep.daily.map((d) => [new Date(d.day * DAY).toISOString().slice(0, 10), d.hosts])), truth.dailyByCountry.TH);
      assert.ok(thRep.baseline < rep.baseline);

      // the ip-day rule counts addresses: churning subscribers make more "hosts" than devices
      const ipc = await createCampaign(f.store, 'goldfish-ip', { selection: { sources: ['sensor', 'telescope'] }, period: truth.period, notifiedAt: truth.notifiedAt });
      const ipBuilt = await buildCampaignHosts(f.store, ipc.id);
      const devices = hosts.filter((h) => h.key.startsWith('dev:')).length;
      assert.ok(ipBuilt.hosts > devices, `${ipBuilt.hosts} addresses vs ${devices} devices`);
      const ipRep = await campaignReport(f.store, ipc.id);
      assert.equal(ipRep.identity, 'ip-day');
      assert.equal(ipRep.daily[0].day, day(truth.period.from));
      // … while per day each device has one address, so the daily counts are the same
      assert.deepEqual(Object.fromEntries(ipRep.daily.map((d) => [new Date(d.day * DAY).toISOString().slice(0, 10), d.hosts])), truth.daily);
    } finally {
      await f.cleanup();
    }
  });
}
