/**
 * The remediation report's arithmetic at scale: `node dist/bench/campaign-report.js [--hosts N] [--runs R]`
 * builds N host timelines (120 days, 8 countries, a control group) in memory and times
 * `remediationReport` over them (median of R runs). It measures the statistics only, not the
 * store: reading 1 M campaign_hosts rows and their days from SQLite/PostgreSQL is not
 * measured here (not yet done). The machine is shared: read the spread, not one number.
 */
import { remediationReport, type HostTimeline } from '../src/campaigns/remediation.js';
import { Rng } from '../src/synth/rng.js';

const args = process.argv.slice(2);
const value = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const N = Number(value('--hosts', '1000000'));
const RUNS = Number(value('--runs', '3'));
const rng = new Rng(1);
const observed = Array.from({ length: 120 }, (_, i) => 20_000 + i);
const hosts: HostTimeline[] = [];
for (let i = 0; i < N; i++) {
  const start = 20_000 + rng.int(40);
  const len = 1 + rng.int(80);
  const sightings: number[] = [];
  for (let d = start; d < Math.min(start + len, 20_120); d++) sightings.push(d);
  hosts.push({ key: `h${i}`, country: ['JP', 'TH', 'BR', 'DE', 'VN', 'ID', 'IN', 'US'][i & 7], asn: 64500 + (i % 200), group: rng.float() < 0.2 ? 'control' : 'treatment', sightings, observed });
}
const times: number[] = [];
let baseline = 0;
for (let r = 0; r < RUNS; r++) {
  const t0 = process.hrtime.bigint();
  const rep = remediationReport(hosts, { notifyDay: 20_045, endDay: 20_119, baselineDays: 7, quietDays: 7, horizonDays: 30, shareDays: [7, 14, 30, 60, 90] });
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  baseline = rep.baseline;
}
times.sort((a, b) => a - b);
process.stdout.write(`remediationReport over ${N} hosts (baseline ${baseline}): median ${times[Math.floor(times.length / 2)].toFixed(2)} s, min ${times[0].toFixed(2)} s, max ${times[times.length - 1].toFixed(2)} s (${RUNS} runs; shared machine)\n`);
