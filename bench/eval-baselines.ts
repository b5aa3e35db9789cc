/**
 * Device behaviour baselines on generated homes (src/synth/home-activity.ts): several simulated
 * weeks of each home's connections through the baselines (7-day learning window), counting the
 * anomaly alerts on benign traffic per home and week, and whether a miner injected on the
 * camera after the learning window is flagged, and how fast.
 *
 * Run twice: with the generator's own countries, and with the countries the sensor would see —
 * the generator's countries dropped and the bundled country database (telescope/geo.ts)
 * injected as the sensor's wiring does.
 *
 *   npm run eval:baselines            (after npm run build)
 */
import { fileURLToPath } from 'node:url';
import { Baselines, type Anomaly, type CountryLookup } from '../src/devices/baseline.js';
import { homeActivity } from '../src/synth/home-activity.js';
import { openCountries } from '../src/telescope/geo.js';

const WEEK_US = 7 * 24 * 3_600_000_000;

export interface BaselineEval {
  homes: number;
  weeks: number;
  /** Benign runs: alerts per (home, week after learning). */
  benignAlerts: number;
  homeWeeks: number;
  worstHomeWeek: number;
  benignByCause: Record<string, number>;
  /** Miner runs: homes whose miner was flagged, and hours from its start to the first flag. */
  minerFlagged: number;
  minerHoursToFlag: number[];
  /** Alerts in miner runs on anything but the miner. */
  minerRunOtherAlerts: number;
  /** Miner flags that a new country corroborated; country lookups made (cache misses, all runs). */
  minerNewCountry: number;
  countryLookups: number;
  examples: Anomaly[];
}

function run(seed: number, weeks: number, minerAtDay: number | undefined, country: CountryLookup | undefined, r: BaselineEval): { anomalies: Anomaly[]; start: number } {
  const b = new Baselines({}, { country });
  const conns = homeActivity({ seed, weeks, minerAtDay });
  const anomalies: Anomaly[] = [];
  // with a lookup, the generator's countries give way to it
  for (const c of conns) anomalies.push(...b.observe(country ? { ...c, country: undefined } : c));
  r.countryLookups += b.geo.lookups;
  return { anomalies, start: conns[0]?.tsUs ?? 0 };
}

/** `country`: the lookup injected into the baselines (default: the generator's own countries). */
export function evalBaselines(seeds: readonly number[], weeks = 4, minerAtDay = 16, country?: CountryLookup): BaselineEval {
  const r: BaselineEval = { homes: seeds.length, weeks, benignAlerts: 0, homeWeeks: 0, worstHomeWeek: 0, benignByCause: {}, minerFlagged: 0, minerHoursToFlag: [], minerRunOtherAlerts: 0, minerNewCountry: 0, countryLookups: 0, examples: [] };
  for (const seed of seeds) {
    const benign = run(seed, weeks, undefined, country, r);
    const perWeek = new Array<number>(weeks).fill(0);
    for (const a of benign.anomalies) {
      perWeek[Math.min(weeks - 1, Math.floor((a.tsUs - benign.start) / WEEK_US))]++;
      r.benignByCause[a.cause] = (r.benignByCause[a.cause] ?? 0) + 1;
      if (r.examples.length < 3) r.examples.push(a);
    }
    // week 0 is the learning window
    for (let w = 1; w < weeks; w++) {
      r.homeWeeks++;
      r.benignAlerts += perWeek[w];
      r.worstHomeWeek = Math.max(r.worstHomeWeek, perWeek[w]);
    }
    const mined = run(seed, weeks, minerAtDay, country, r);
    const minerStart = mined.start + minerAtDay * 24 * 3_600_000_000;
    const hit = mined.anomalies.find((a) => a.device === 'camera' && a.cause === 'mining-port' && a.remote === '45.76.102.9');
    if (hit) {
      r.minerFlagged++;
      if (hit.deviation.new_country === true) r.minerNewCountry++;
      r.minerHoursToFlag.push(Math.round((hit.tsUs - minerStart) / 3_600_000_000));
    }
    r.minerRunOtherAlerts += mined.anomalies.filter((a) => a !== hit).length;
  }
  return r;
}

function main(): void {
  const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
  const geo = openCountries();
  const modes: [string, CountryLookup | undefined][] = [['generator countries', undefined], ['bundled country database injected', (ip) => geo.country(ip)]];
  for (const [mode, country] of modes) {
    const t0 = process.cpuUsage();
    const r = evalBaselines(seeds, 4, 16, country);
    const cpu = process.cpuUsage(t0);
    console.log(`[${mode}] generated homes: ${r.homes}, ${r.weeks} simulated weeks each (week 1 = learning window)`);
    console.log(`  benign: ${r.benignAlerts} anomaly alerts in ${r.homeWeeks} home-weeks after learning (${(r.benignAlerts / r.homeWeeks).toFixed(2)} per home-week; worst home-week ${r.worstHomeWeek}) by cause ${JSON.stringify(r.benignByCause)}`);
    console.log(`  miner on the camera from day ${16}: flagged in ${r.minerFlagged}/${r.homes} homes (a new country corroborating in ${r.minerNewCountry}), hours to flag ${JSON.stringify(r.minerHoursToFlag)}; other alerts in those runs ${r.minerRunOtherAlerts}`);
    for (const e of r.examples) console.log(`  benign example: ${e.device} ${e.cause} ${JSON.stringify(e.deviation)}`);
    console.log(`  country lookups ${r.countryLookups}; cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
