/**
 * The campaign progress report at scale.
 *
 *   node dist/bench/campaign-report.js [--hosts N] [--runs R]              # remediationReport over N in-memory timelines
 *   node dist/bench/campaign-report.js --store FILE.db [--hosts N] [--runs R]   # campaignReport from a SQLite store (seeded once)
 *
 * The store mode is the whole report as `campaign report` computes it: one campaign_hosts row
 * per host (its infected days in the row), the sensors' observed days from the daily roll-up,
 * the statistics, the funnel and the AS sizes. `npm run bench` runs the CLI over the same store
 * (group `campaign`). The machine is shared: read the spread, not one number.
 */
import { existsSync } from 'node:fs';
import { remediationReport } from '../src/campaigns/remediation.js';
import { campaignReport, getCampaign } from '../src/campaigns/campaign-store.js';
import { openStore } from '../src/store/open.js';
import { hostTimelines, NOTIFY_DAY, FIRST_DAY, DAYS, seedCampaignStore } from './lib/campaign-seed.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const { value } = readArgs();
const N = Number(value('--hosts', '1000000'));
const RUNS = Number(value('--runs', '3'));
const STORE = value('--store', '');

const times: number[] = [];
let baseline = 0;
let cpu = 0;
if (STORE) {
  if (!existsSync(STORE)) {
    const t = Date.now();
    await seedCampaignStore(STORE, N);
    process.stderr.write(`seeded ${STORE} with ${N} hosts in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const store = await openStore(`sqlite:${STORE}`);
  try {
    const id = (await getCampaign(store, 'bench')).id;
    for (let r = 0; r < RUNS; r++) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      baseline = (await campaignReport(store, id)).baseline;
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1e6;
    }
  } finally {
    await store.close();
  }
} else {
  const hosts = [...hostTimelines(N)];
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    baseline = remediationReport(hosts, { notifyDay: NOTIFY_DAY, endDay: FIRST_DAY + DAYS - 1, baselineDays: 7, quietDays: 7, horizonDays: 30, shareDays: [7, 14, 30, 60, 90] }).baseline;
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1e6;
  }
}
times.sort((a, b) => a - b);
process.stdout.write(`${STORE ? 'campaignReport from SQLite' : 'remediationReport in memory'} over ${N} hosts (baseline ${baseline}): median ${median(times).toFixed(2)} s, min ${times[0].toFixed(2)} s, max ${times[times.length - 1].toFixed(2)} s, CPU ${(cpu / RUNS).toFixed(2)} s per run (${RUNS} runs; shared machine)\n`);
