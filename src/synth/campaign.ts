/**
 * `minewatch synth campaign`: months of telemetry of a notification campaign, with its ground
 * truth. Several countries, two ASes each; per AS an ISP-level sensor that reports the infected
 * routers behind it by device id (their public addresses churn: each subscriber gets a new
 * address every 1–21 days), per country a telescope that sees infected hosts (static
 * addresses) scan its darknet. Every sensor sends a `stats` heartbeat each day it is up (some
 * have an outage of 2–4 days after notification). Hosts are infected in two waves before
 * notification and a few after; they clean up naturally (a small daily hazard) and, if in the
 * cohort and not held back in the control group, much faster after notification; some are
 * reinfected later. Infected hosts raise 1–3 alerts on every day their sensor is up.
 *
 * The ground truth is computed here from the simulation's own state (infection episodes,
 * sensor up-days), independently of src/campaigns/remediation.ts, under the definitions stated
 * there (device-id identity rule).
 */
import { Rng } from './rng.js';
import { eveTimestamp } from '../events/eve-format.js';
import { campaignHostKey, inControlGroup } from '../util/holdback.js';

const DAY = 86_400_000;

export interface CampaignSynthOptions {
  seed: number;
  /** Days of telemetry (default 120). */
  days?: number;
  /** First day, UTC (default 2026-01-05). */
  start?: string;
  /** Day index of the notification (default 45). */
  notifyIndex?: number;
  /** Infected routers per AS seen by the ISP sensor (default 45), and hosts per country seen by its telescope (default 15). */
  hostsPerAs?: number;
  telescopeHostsPerCountry?: number;
  countries?: readonly string[];
  controlShare?: number;
  controlSeed?: number;
  quietDays?: number;
  baselineDays?: number;
  horizonDays?: number;
  shareDays?: readonly number[];
  /** Daily clean-up hazard without notification, and the extra hazard after notification. */
  naturalHazard?: number;
  notifiedHazard?: number;
  reinfectionRate?: number;
}

export interface SynthAs {
  asn: number;
  country: string;
  name: string;
  /** IPv4 /16, public. */
  prefix: string;
}

export interface CampaignTruth {
  seed: number;
  identity: 'device-id';
  period: { from: string; to: string };
  notifiedAt: string;
  control: { share: number; seed: number };
  remediation: { quietDays: number; baselineDays: number; horizonDays: number };
  shareDays: number[];
  baseline: number;
  final: number;
  reduction: number;
  /** Per day (YYYY-MM-DD) hosts seen infected, overall and per country. */
  daily: Record<string, number>;
  dailyByCountry: Record<string, Record<string, number>>;
  /** Crude share remediated within k days: all, treatment, control. */
  shareCleaned: { all: Record<string, number>; treatment: Record<string, number>; control: Record<string, number> };
  medianDays: { all: number | null; treatment: number | null; control: number | null };
  cohort: { all: number; treatment: number; control: number };
  remediated: number;
  reinfected: number;
  controlEffect: { horizonDays: number; treatmentCleaned: number; controlCleaned: number; difference: number };
  /** Hosts whose true clean-up fell into an outage, so the measured day precedes the true one. */
  cleanedDuringOutage: number;
  hosts: number;
  events: number;
  ases: SynthAs[];
}

export interface CampaignSynth {
  /** Sensor name → its EVE events in time order. */
  sensors: Map<string, { kind: 'isp-sensor' | 'telescope'; events: Record<string, unknown>[] }>;
  ases: SynthAs[];
  truth: CampaignTruth;
}

interface Host {
  key: string;
  sensor: string;
  country: string;
  asn: number;
  /** Infection episodes [start, end) in day indices. */
  episodes: Array<[number, number]>;
  /** Address per day index (churning for ISP hosts). */
  addressOn(day: number): string;
  deviceId: string | null;
  control: boolean;
}

const COUNTRIES = ['JP', 'TH', 'BR', 'DE'];
// public /16s (no special-purpose range), two per country
const PREFIX_BASE = [27, 36, 49, 58, 61, 101, 110, 113];

function hex(rng: Rng, n: number): string {
  let s = '';
  while (s.length < n) s += rng.u32().toString(16).padStart(8, '0');
  return s.slice(0, n);
}

/** A UUIDv7-shaped id from the event time and the generator's PRNG (deterministic in the seed). */
function eventId(ms: number, rng: Rng): string {
  const t = ms.toString(16).padStart(12, '0');
  const r = hex(rng, 20);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(0, 3)}-${(8 | (parseInt(r[3], 16) & 3)).toString(16)}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

export function synthCampaign(o: CampaignSynthOptions): CampaignSynth {
  const rng = new Rng(o.seed);
  const days = o.days ?? 120;
  const startMs = Date.parse(`${o.start ?? '2026-01-05'}T00:00:00Z`);
  const N = o.notifyIndex ?? 45;
  const B = o.baselineDays ?? 7;
  const R = o.quietDays ?? 7;
  const H = o.horizonDays ?? 30;
  const shareDays = [...(o.shareDays ?? [7, 14, 30, 60, 90])];
  const controlShare = o.controlShare ?? 0.2;
  const controlSeed = o.controlSeed ?? o.seed;
  const hn = o.naturalHazard ?? 0.012;
  const ht = o.notifiedHazard ?? 0.08;
  const reinfectionRate = o.reinfectionRate ?? 0.12;
  const countries = o.countries ?? COUNTRIES;
  const E = days - 1;

  const ases: SynthAs[] = [];
  countries.forEach((cc, ci) => {
    for (let k = 0; k < 2; k++) {
      const i = ci * 2 + k;
      const base = PREFIX_BASE[i % PREFIX_BASE.length];
      ases.push({ asn: 64600 + i, country: cc, name: `SYNTH-NET-${cc}-${k + 1}`, prefix: `${base}.${(i * 16 + 3) & 255}.0.0/16` });
    }
  });
  const sensorNames: Array<{ name: string; kind: 'isp-sensor' | 'telescope' }> = [
    ...ases.map((a) => ({ name: `isp-${a.country.toLowerCase()}-${a.asn}`, kind: 'isp-sensor' as const })),
    ...countries.map((cc) => ({ name: `telescope-${cc.toLowerCase()}`, kind: 'telescope' as const })),
  ];
  // up-days: an outage of 2–4 days for about half the sensors, after notification, ending 10 days before the end
  const up = new Map<string, boolean[]>();
  for (const s of sensorNames) {
    const u = new Array<boolean>(days).fill(true);
    if (rng.float() < 0.5) {
      const len = 2 + rng.int(3);
      const at = N + 3 + rng.int(Math.max(1, E - 10 - (N + 3) - len));
      for (let d = at; d < at + len; d++) u[d] = false;
    }
    up.set(s.name, u);
  }

  const hosts: Host[] = [];
  const infectionStart = (): number => {
    const x = rng.float();
    if (x < 0.62) return rng.int(20);
    if (x < 0.9) return 22 + rng.int(Math.max(1, N - 3 - 22));
    return N + 10 + rng.int(Math.max(1, days - 15 - (N + 10)));
  };
  ases.forEach((a, ai) => {
    const [p0, p1] = a.prefix.split('.').map(Number);
    const sensor = `isp-${a.country.toLowerCase()}-${a.asn}`;
    let next = 1;
    const fresh = () => {
      const n = next++;
      return `${p0}.${p1}.${(n >> 8) & 127}.${n & 255}`; // lower half of the /16
    };
    for (let h = 0; h < (o.hostsPerAs ?? 45); h++) {
      const churn = 1 + rng.int(21);
      const offset = rng.int(churn);
      const addrs: string[] = [];
      for (let d = 0, cur = fresh(); d < days; d++) {
        if (d > 0 && (d + offset) % churn === 0) cur = fresh();
        addrs.push(cur);
      }
      const deviceId = `mt-${ai}-${h.toString().padStart(4, '0')}`;
      const key = campaignHostKey('device-id', addrs[0], sensor, deviceId);
      hosts.push({ key, sensor, country: a.country, asn: a.asn, episodes: [], addressOn: (d) => addrs[d], deviceId, control: inControlGroup(key, controlSeed, controlShare) });
    }
  });
  countries.forEach((cc, ci) => {
    const sensor = `telescope-${cc.toLowerCase()}`;
    for (let h = 0; h < (o.telescopeHostsPerCountry ?? 15); h++) {
      const a = ases[ci * 2 + (h % 2)];
      const [p0, p1] = a.prefix.split('.').map(Number);
      const ip = `${p0}.${p1}.${128 + (h >> 8)}.${(h & 255) + 1}`; // upper half: never an ISP subscriber's
      const key = campaignHostKey('device-id', ip, sensor, null);
      hosts.push({ key, sensor, country: cc, asn: a.asn, episodes: [], addressOn: () => ip, deviceId: null, control: inControlGroup(key, controlSeed, controlShare) });
    }
  });

  // infection episodes: the hazard after notification applies to cohort hosts outside the control group
  for (const h of hosts) {
    let s = infectionStart();
    const notified = (start: number, end: number) => !h.control && start < N && end > N - B;
    let end = s;
    while (end < days) {
      end++;
      const hazard = hn + (notified(s, end) && end > N ? ht : 0);
      if (rng.float() < hazard) break;
    }
    h.episodes.push([s, Math.min(end, days)]);
    if (end < days && rng.float() < reinfectionRate) {
      s = end + R + 12 + rng.int(14);
      if (s < days) h.episodes.push([s, Math.min(days, s + 5 + rng.int(16))]);
    }
  }

  // events
  const sensors = new Map<string, { kind: 'isp-sensor' | 'telescope'; events: Record<string, unknown>[] }>();
  for (const s of sensorNames) sensors.set(s.name, { kind: s.kind, events: [] });
  const byDay = new Map<string, Array<Array<{ t: number; ev: Record<string, unknown> }>>>();
  for (const s of sensorNames) byDay.set(s.name, Array.from({ length: days }, () => []));
  let events = 0;
  const sightings = new Map<Host, number[]>();
  for (const h of hosts) {
    const seen: number[] = [];
    const u = up.get(h.sensor)!;
    const tele = h.sensor.startsWith('telescope-');
    for (const [a, b] of h.episodes) {
      for (let d = a; d < b; d++) {
        if (!u[d]) continue;
        seen.push(d);
        const n = 1 + rng.int(3);
        for (let k = 0; k < n; k++) {
          const t = startMs + d * DAY + 60_000 + rng.int(DAY - 120_000);
          const ip = h.addressOn(d);
          const ev: Record<string, unknown> = tele ? {
            timestamp: eveTimestamp(t * 1000), event_type: 'alert', src_ip: ip, src_port: 1024 + rng.int(60000), dest_ip: `198.18.${rng.int(256)}.${rng.int(256)}`, dest_port: [6379, 22, 23, 8291][rng.int(4)], proto: 'TCP',
            alert: { action: 'allowed', gid: 1, signature_id: 9_300_001, rev: 1, signature: 'MINEWATCH DARKNET source scanning the telescope (infected host)', category: 'Attempted Information Leak', severity: 2 },
            minewatch: { detector: 'darknet-source', sensor: h.sensor, event_id: eventId(t, rng) },
          } : {
            timestamp: eveTimestamp(t * 1000), event_type: 'alert', src_ip: ip, src_port: 1024 + rng.int(60000), dest_ip: '141.94.96.144', dest_port: 3333, proto: 'TCP', app_proto: 'stratum',
            alert: { action: 'allowed', gid: 1, signature_id: 9_100_001, rev: 1, signature: 'MINEWATCH COINMINER Stratum (Monero/XMRig) mining session to pool.supportxmr.com:3333', category: 'Crypto Currency Mining Activity Detected', severity: 1 },
            minewatch: { detector: 'stratum', sensor: h.sensor, event_id: eventId(t, rng), device: { id: h.deviceId, type: 'router', vendor: 'MikroTik' }, evidence: { poolName: 'pool.supportxmr.com' } },
          };
          byDay.get(h.sensor)![d].push({ t, ev });
          events++;
        }
      }
    }
    sightings.set(h, seen);
  }
  for (const s of sensorNames) {
    const u = up.get(s.name)!;
    const out = sensors.get(s.name)!.events;
    for (let d = 0; d < days; d++) {
      if (!u[d]) continue;
      const t = startMs + d * DAY + 30_000;
      out.push({ timestamp: eveTimestamp(t * 1000), event_type: 'stats', stats: { uptime: d * 86_400 + 30 }, minewatch: { sensor: s.name, event_id: eventId(t, rng) } });
      events++;
      for (const x of byDay.get(s.name)![d].sort((p, q) => p.t - q.t)) out.push(x.ev);
    }
  }

  // ground truth, from the episodes and up-days
  const dayText = (d: number) => new Date(startMs + d * DAY).toISOString().slice(0, 10);
  const daily: Record<string, number> = {};
  const dailyByCountry: Record<string, Record<string, number>> = {};
  for (const h of hosts) {
    for (const d of sightings.get(h)!) {
      daily[dayText(d)] = (daily[dayText(d)] ?? 0) + 1;
      const c = (dailyByCountry[h.country] ??= {});
      c[dayText(d)] = (c[dayText(d)] ?? 0) + 1;
    }
  }
  const seenIn = (h: Host, a: number, b: number) => sightings.get(h)!.some((d) => d >= a && d <= b);
  const cohort = hosts.filter((h) => seenIn(h, N - B, N - 1));
  const final = hosts.filter((h) => seenIn(h, E - B + 1, E)).length;
  let cleanedDuringOutage = 0;
  const outcome = (h: Host): { time: number; cleaned: boolean; reinfected: boolean } => {
    // the episode the cohort host was in before notification, its last observed infected day
    const idx = h.episodes.findIndex(([a, b]) => a <= N - 1 && b > N - B);
    const ep = h.episodes[idx];
    const nextStart = h.episodes[idx + 1]?.[0] ?? Infinity;
    const trueEnd = ep[1];
    const lastSeen = Math.max(...sightings.get(h)!.filter((d) => d < trueEnd));
    const c = Math.max(N, lastSeen + 1);
    if (lastSeen < trueEnd - 1 && trueEnd > N) cleanedDuringOutage++;
    const u = up.get(h.sensor)!;
    let observed = 0;
    for (let d = c; d <= E && d < nextStart; d++) if (u[d]) observed++;
    const cleaned = trueEnd < days && observed >= R;
    return { time: cleaned ? c - N : E - N + 1, cleaned, reinfected: cleaned && sightings.get(h)!.some((d) => d >= nextStart) };
  };
  const outcomes = new Map(cohort.map((h) => [h, outcome(h)]));
  const groups = { all: cohort, treatment: cohort.filter((h) => !h.control), control: cohort.filter((h) => h.control) };
  const share = (g: Host[], k: number) => (g.length ? g.filter((h) => outcomes.get(h)!.cleaned && outcomes.get(h)!.time <= k).length / g.length : 0);
  const median = (g: Host[]): number | null => {
    const times = g.filter((h) => outcomes.get(h)!.cleaned).map((h) => outcomes.get(h)!.time).sort((a, b) => a - b);
    const need = Math.ceil(g.length / 2);
    return times.length >= need && need > 0 ? times[need - 1] : null;
  };
  const shares = (g: Host[]) => Object.fromEntries(shareDays.map((k) => [String(k), share(g, k)]));
  const truth: CampaignTruth = {
    seed: o.seed,
    identity: 'device-id',
    period: { from: new Date(startMs).toISOString(), to: new Date(startMs + days * DAY).toISOString() },
    notifiedAt: new Date(startMs + N * DAY + 9 * 3_600_000).toISOString(),
    control: { share: controlShare, seed: controlSeed },
    remediation: { quietDays: R, baselineDays: B, horizonDays: H },
    shareDays,
    baseline: cohort.length,
    final,
    reduction: final / cohort.length - 1,
    daily,
    dailyByCountry,
    shareCleaned: { all: shares(groups.all), treatment: shares(groups.treatment), control: shares(groups.control) },
    medianDays: { all: median(groups.all), treatment: median(groups.treatment), control: median(groups.control) },
    cohort: { all: cohort.length, treatment: groups.treatment.length, control: groups.control.length },
    remediated: cohort.filter((h) => outcomes.get(h)!.cleaned).length,
    reinfected: cohort.filter((h) => outcomes.get(h)!.reinfected).length,
    controlEffect: { horizonDays: H, treatmentCleaned: share(groups.treatment, H), controlCleaned: share(groups.control, H), difference: share(groups.treatment, H) - share(groups.control, H) },
    cleanedDuringOutage,
    hosts: hosts.length,
    events,
    ases,
  };
  return { sensors, ases, truth };
}

/** The AS and country of an address of the synthetic world (for the collector's enrichment in tests and demos). */
export function synthEnricher(ases: readonly SynthAs[]): (ip: string) => { country: string | null; asn: number | null } | null {
  const table = new Map(ases.map((a) => [a.prefix.split('.').slice(0, 2).join('.'), a]));
  return (ip) => {
    const a = table.get(ip.split('.').slice(0, 2).join('.'));
    return a ? { country: a.country, asn: a.asn } : null;
  };
}
