import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOutcome, kaplanMeier, kmMedian, kmSurvivalAt, proportionDifference, remediationReport, wilson, DEFAULT_PARAMS, type HostTimeline } from '../../src/campaigns/remediation.js';
import { inControlGroup } from '../../src/util/holdback.js';

const close = (a: number, b: number, eps = 5e-5) => assert.ok(Math.abs(a - b) <= eps, `${a} ≠ ${b}`);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

test('Kaplan–Meier by hand: 1, 2, 2+, 3, 4+, 5', () => {
  const c = kaplanMeier([{ time: 1, event: true }, { time: 2, event: true }, { time: 2, event: false }, { time: 3, event: true }, { time: 4, event: false }, { time: 5, event: true }]);
  assert.deepEqual(c.map((p) => [p.time, p.atRisk, p.events, p.censored]), [[1, 6, 1, 0], [2, 5, 1, 1], [3, 3, 1, 0], [4, 2, 0, 1], [5, 1, 1, 0]]);
  close(c[0].survival, 5 / 6);
  close(c[1].survival, 4 / 6); // 5/6 · 4/5
  close(c[2].survival, 4 / 9); // · 2/3
  close(c[3].survival, 4 / 9);
  close(c[4].survival, 0);
  assert.equal(kmMedian(c), 3);
  close(kmSurvivalAt(c, 0), 1);
  close(kmSurvivalAt(c, 2.5), 4 / 6);
  // never reaching one half: no median
  assert.equal(kmMedian(kaplanMeier([{ time: 1, event: true }, { time: 9, event: false }, { time: 9, event: false }])), null);
});

test('Wilson and Newcombe intervals match the published worked examples', () => {
  // Newcombe (1998), Stat Med 17:857 and 873: 0/10 → 0–0.2775; 56/70 − 48/80 → method 10: 0.0524–0.3339, Wald 0.0575–0.3425
  const [l, u] = wilson(0, 10);
  close(l, 0);
  close(u, 0.2775);
  const d = proportionDifference(56, 70, 48, 80);
  close(d.difference, 0.2, 1e-12);
  close(d.newcombe[0], 0.0524);
  close(d.newcombe[1], 0.3339);
  close(d.wald[0], 0.0575);
  close(d.wald[1], 0.3425);
  // 9/10 − 3/10: Newcombe Table II example (d): 0.1705–0.8090
  const e = proportionDifference(9, 10, 3, 10);
  close(e.newcombe[0], 0.1705);
  close(e.newcombe[1], 0.8090);
});

test('host outcome: quiet run of observed days, outages, censoring, reinfection', () => {
  const p = { notifyDay: 10, endDay: 30, quietDays: 3 };
  const h = (sightings: number[], observed = range(0, 30)): HostTimeline => ({ key: 'k', country: 'JP', asn: 1, group: 'treatment', sightings, observed });
  assert.deepEqual(hostOutcome(h([8, 9, 10, 12]), p), { key: 'k', group: 'treatment', time: 3, remediated: true, cleanDay: 13, reinfected: false });
  // seen again after the quiet run: remediated at 13 and reinfected
  assert.equal(hostOutcome(h([8, 9, 10, 12, 20]), p).reinfected, true);
  assert.equal(hostOutcome(h([8, 9, 10, 12, 20]), p).time, 3);
  // days 13 and 14 not observed (sensor outage): the quiet run is 15–17, clean-up still dated 13
  const out = hostOutcome(h([8, 9, 10, 12], range(0, 30).filter((d) => d !== 13 && d !== 14)), p);
  assert.equal(out.time, 3);
  // nothing observed after day 12: cannot be confirmed → censored at E − N + 1
  assert.deepEqual(hostOutcome(h([8, 9, 10, 12], range(0, 12)), p), { key: 'k', group: 'treatment', time: 21, remediated: false, cleanDay: null, reinfected: false });
  // last seen before notification: cleaned at day 0
  assert.equal(hostOutcome(h([9]), p).time, 0);
  // a gap shorter than R does not count: 11,12 quiet, 13 seen, 14-16 quiet → 14
  assert.equal(hostOutcome(h([9, 10, 13]), p).time, 4);
});

test('campaign report: baseline, reduction, shares, control effect by hand', () => {
  const obs = range(0, 40);
  const mk = (key: string, group: 'treatment' | 'control', sightings: number[], country = 'JP'): HostTimeline => ({ key, country, asn: country === 'JP' ? 64500 : 64501, group, sightings, observed: obs });
  const hosts = [
    mk('a', 'treatment', range(3, 10)), // clean at 11 → 1 day
    mk('b', 'treatment', range(5, 14)), // clean at 15 → 5 days
    mk('c', 'treatment', range(2, 40)), // censored
    mk('d', 'control', range(4, 30), 'TH'), // clean at 31 → 21 days
    mk('e', 'control', range(8, 40), 'TH'), // censored
    mk('f', 'treatment', range(1, 2)), // not in the baseline window [3, 9]
    mk('g', 'treatment', range(35, 40)), // new infection after notification
  ];
  const r = remediationReport(hosts, { ...DEFAULT_PARAMS, notifyDay: 10, endDay: 40, quietDays: 5, baselineDays: 7, horizonDays: 30, shareDays: [7, 14, 30] });
  assert.equal(r.baseline, 5);
  assert.equal(r.final, 3); // c, e, g in [34, 40]
  close(r.reduction!, 3 / 5 - 1, 1e-12);
  assert.deepEqual(r.outcomes.map((o) => [o.key, o.time, o.remediated]), [['a', 1, true], ['b', 5, true], ['c', 31, false], ['d', 21, true], ['e', 31, false]]);
  assert.deepEqual(r.treatment.shareCleaned, { 7: 2 / 3, 14: 2 / 3, 30: 2 / 3 });
  assert.deepEqual(r.control!.shareCleaned, { 7: 0, 14: 0, 30: 1 / 2 });
  assert.equal(r.all.medianDays, 21); // S: 4/5, 3/5, 2/5 at 1, 5, 21
  assert.equal(r.treatment.medianDays, 5);
  assert.equal(r.controlEffect!.difference, 2 / 3 - 1 / 2);
  assert.equal(r.daily.find((d) => d.day === 9)!.hosts, 5);
  assert.equal(r.dailyByCountry.TH.find((d) => d.day === 9)!.hosts, 2);
  assert.equal(r.dailyByAsn['64500'].find((d) => d.day === 36)!.hosts, 2);
});

test('control hold-back is deterministic and near its share', () => {
  let n = 0;
  for (let i = 0; i < 10_000; i++) if (inControlGroup(`ip:10.0.${i >> 8}.${i & 255}`, 7, 0.2)) n++;
  assert.ok(n > 1800 && n < 2200, `${n}`);
  assert.equal(inControlGroup('x', 1, 0.5), inControlGroup('x', 1, 0.5));
  assert.equal(inControlGroup('x', 1, 0), false);
});

/** The definition written the slow, obvious way: the merge walk must agree with it on any input. */
function naiveOutcome(h: HostTimeline, p: { notifyDay: number; endDay: number; quietDays: number }) {
  const seen = new Set(h.sightings);
  const days = [...new Set([...h.observed, ...h.sightings])].filter((d) => d >= p.notifyDay && d <= p.endDay).sort((a, b) => a - b);
  let last = Math.max(-Infinity, ...h.sightings.filter((d) => d < p.notifyDay));
  let quiet = 0;
  for (const d of days) {
    if (seen.has(d)) {
      last = d;
      quiet = 0;
    } else if (++quiet >= p.quietDays) {
      return { time: Math.max(p.notifyDay, last + 1) - p.notifyDay, remediated: true, reinfected: h.sightings.some((s) => s > d && s <= p.endDay) };
    }
  }
  return { time: p.endDay - p.notifyDay + 1, remediated: false, reinfected: false };
}

test('host outcome: the merge walk agrees with the naive definition on random timelines', async () => {
  const fc = (await import('fast-check')).default;
  const days = fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }).map((a) => a.sort((x, y) => x - y));
  fc.assert(fc.property(days, days, fc.integer({ min: 5, max: 40 }), fc.integer({ min: 1, max: 10 }), (sightings, observed, notifyDay, quietDays) => {
    const h: HostTimeline = { key: 'k', country: null, asn: null, group: 'treatment', sightings, observed };
    const p = { notifyDay, endDay: 55, quietDays };
    const got = hostOutcome(h, p);
    assert.deepEqual({ time: got.time, remediated: got.remediated, reinfected: got.reinfected }, naiveOutcome(h, p));
  }), { numRuns: 2000 });
});
