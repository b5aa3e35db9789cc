/**
 * Remediation measured, as pure functions over day numbers (UTC days since the epoch):
 *
 * - A host's **sightings** are the days it was seen infected; its **observed days** are the days
 *   its network was observed (campaign-store.ts: the days the source sensor that saw it
 *   reported anything at all). A day that was not observed says nothing about the host.
 * - **Cohort**: hosts seen infected in the baseline window [N − B, N) before notification day N.
 *   The baseline infected count is the cohort size.
 * - **Clean-up**: a cohort host is remediated at day c = max(N, s + 1), s its last sighting
 *   before a run of `quietDays` (R) observed days without a sighting (counted from c on);
 *   time to clean-up = c − N days. A host without such a run before the end E is
 *   right-censored at E − N + 1.
 * - **Reinfection**: a remediated host seen infected again after its quiet run.
 * - **Reduction**: (hosts seen in the last B days [E − B + 1, E]) / baseline − 1 (−0.78 is the
 *   "−78 %" figure; new infections after notification count in the last window too).
 * - **Share cleaned at k days**: remediated cohort hosts with time ≤ k over the cohort size
 *   (crude; the Kaplan–Meier estimate 1 − S(k) is reported beside it).
 * - **Control effect**: share cleaned by the horizon H in the treatment group minus in the
 *   held-back control group, with 95 % intervals (Newcombe's hybrid score, and Wald).
 */

/** An ascending list of UTC day numbers: an array, or a view into one shared typed array. */
export type DayList = readonly number[] | Int32Array;

export interface HostTimeline {
  key: string;
  country: string | null;
  asn: number | null;
  group: 'treatment' | 'control';
  /** Days seen infected, ascending, unique (an array or a typed-array view). */
  sightings: DayList;
  /** Days the host's network was observed, ascending, unique (sightings are observed days too); hosts of one network share one array. */
  observed: DayList;
}

export interface RemediationParams {
  /** Notification day N. */
  notifyDay: number;
  /** Last day of the period E (inclusive). */
  endDay: number;
  /** Baseline window length B in days (default 7). */
  baselineDays: number;
  /** Quiet observed days R for a host to count as remediated (default 7). */
  quietDays: number;
  /** Horizon H of the control comparison in days (default 30). */
  horizonDays: number;
  /** Days at which the share cleaned is reported. */
  shareDays: readonly number[];
}

export const DEFAULT_PARAMS: Omit<RemediationParams, 'notifyDay' | 'endDay'> = { baselineDays: 7, quietDays: 7, horizonDays: 30, shareDays: [7, 14, 30, 60, 90] };

export interface HostOutcome {
  key: string;
  group: 'treatment' | 'control';
  /** Days from notification to clean-up, or to censoring. */
  time: number;
  remediated: boolean;
  /** Day of clean-up c (when remediated). */
  cleanDay: number | null;
  reinfected: boolean;
}

/**
 * The outcome of one cohort host (see the module comment for the definition). One merge walk
 * over the two ascending day lists: no sets, no copies (a campaign report runs it per host).
 */
export function hostOutcome(h: HostTimeline, p: Pick<RemediationParams, 'notifyDay' | 'endDay' | 'quietDays'>): HostOutcome {
  const N = p.notifyDay;
  const E = p.endDay;
  const s = h.sightings;
  const o = h.observed;
  let last = -Infinity;
  let i = 0;
  while (i < s.length && s[i] < N) last = s[i++];
  let j = 0;
  while (j < o.length && o[j] < N) j++;
  let quiet = 0;
  let prev = -Infinity;
  let cleanDay: number | null = null;
  let confirmedAt = -1;
  for (;;) {
    const ds = i < s.length ? s[i] : Infinity;
    const dob = j < o.length ? o[j] : Infinity;
    const d = ds < dob ? ds : dob;
    if (d > E) break;
    if (ds === d) i++;
    if (dob === d) j++;
    if (d === prev) continue;
    prev = d;
    if (ds === d) {
      last = d;
      quiet = 0;
      continue;
    }
    if (++quiet >= p.quietDays) {
      cleanDay = Math.max(N, last + 1);
      confirmedAt = d;
      break;
    }
  }
  if (cleanDay === null) return { key: h.key, group: h.group, time: E - N + 1, remediated: false, cleanDay: null, reinfected: false };
  while (i < s.length && s[i] <= confirmedAt) i++;
  const reinfected = i < s.length && s[i] <= E;
  return { key: h.key, group: h.group, time: cleanDay - N, remediated: true, cleanDay, reinfected };
}

export interface KmPoint {
  /** Days since notification. */
  time: number;
  atRisk: number;
  events: number;
  censored: number;
  /** Survival (share still infected) just after `time`. */
  survival: number;
}

/** Kaplan–Meier product-limit estimate; censored observations at a time count as at risk at that time. */
export function kaplanMeier(obs: readonly { time: number; event: boolean }[]): KmPoint[] {
  const at = new Map<number, { events: number; censored: number }>();
  for (const o of obs) {
    let a = at.get(o.time);
    if (!a) at.set(o.time, (a = { events: 0, censored: 0 }));
    if (o.event) a.events++;
    else a.censored++;
  }
  const out: KmPoint[] = [];
  let atRisk = obs.length;
  let s = 1;
  for (const [t, { events, censored }] of [...at].sort((a, b) => a[0] - b[0])) {
    if (events > 0) s *= 1 - events / atRisk;
    out.push({ time: t, atRisk, events, censored, survival: s });
    atRisk -= events + censored;
  }
  return out;
}

/** Median time: the smallest time at which survival falls to 0.5 or below; null when it never does. */
export function kmMedian(curve: readonly KmPoint[]): number | null {
  for (const p of curve) if (p.events > 0 && p.survival <= 0.5 + 1e-12) return p.time;
  return null;
}

/** Survival S(t) read off the curve (1 before the first event). */
export function kmSurvivalAt(curve: readonly KmPoint[], t: number): number {
  let s = 1;
  for (const p of curve) {
    if (p.time > t) break;
    s = p.survival;
  }
  return s;
}

export const Z95 = 1.959963984540054;

/** Wilson score interval of x/n. */
export function wilson(x: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface Difference {
  p1: number;
  p2: number;
  difference: number;
  newcombe: [number, number];
  wald: [number, number];
}

/** p1 − p2 with Newcombe's hybrid score interval (his method 10) and the Wald interval. */
export function proportionDifference(x1: number, n1: number, x2: number, n2: number, z = Z95): Difference {
  const p1 = n1 ? x1 / n1 : 0;
  const p2 = n2 ? x2 / n2 : 0;
  const d = p1 - p2;
  const [l1, u1] = wilson(x1, n1, z);
  const [l2, u2] = wilson(x2, n2, z);
  const newcombe: [number, number] = [d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];
  const se = Math.sqrt((n1 ? p1 * (1 - p1) / n1 : 0) + (n2 ? p2 * (1 - p2) / n2 : 0));
  return { p1, p2, difference: d, newcombe, wald: [d - z * se, d + z * se] };
}

export interface GroupSummary {
  hosts: number;
  remediated: number;
  reinfected: number;
  /** k → crude share remediated within k days. */
  shareCleaned: Record<string, number>;
  /** k → Kaplan–Meier 1 − S(k). */
  kmCleaned: Record<string, number>;
  medianDays: number | null;
  curve: KmPoint[];
}

export interface RemediationReport {
  params: RemediationParams;
  baseline: number;
  /** Hosts seen in the last B days of the period. */
  final: number;
  /** final / baseline − 1 (−0.78 is written "−78 %"). */
  reduction: number | null;
  /** day → hosts seen that day; and per country / per AS. */
  daily: { day: number; hosts: number }[];
  dailyByCountry: Record<string, { day: number; hosts: number }[]>;
  dailyByAsn: Record<string, { day: number; hosts: number }[]>;
  /** Per AS (null: unknown): baseline hosts and hosts seen in the last B days, most baseline hosts first. */
  byAsn: Array<{ asn: number | null; baseline: number; final: number }>;
  all: GroupSummary;
  treatment: GroupSummary;
  control: GroupSummary | null;
  /** Treatment − control share cleaned by the horizon (only with a control group and enough follow-up). */
  controlEffect: (Difference & { horizonDays: number; treated: number; controls: number }) | null;
  outcomes: HostOutcome[];
}

/**
 * A group's summary from a histogram of its outcome times (times are whole days 0 … T): the
 * Kaplan–Meier curve, the crude shares and the counts in one pass over the outcomes and one
 * over the days — the same numbers as kaplanMeier() over the outcome list, without a list of
 * observation objects per host.
 */
function summarise(outcomes: readonly HostOutcome[], shareDays: readonly number[]): GroupSummary {
  // times are whole days from 0 (a period ending before the notification day censors at ≤ 0: offset by the smallest)
  let minT = 0;
  let maxT = 0;
  for (const o of outcomes) {
    if (o.time > maxT) maxT = o.time;
    if (o.time < minT) minT = o.time;
  }
  const events = new Int32Array(maxT - minT + 1);
  const censored = new Int32Array(maxT - minT + 1);
  let remediated = 0;
  let reinfected = 0;
  for (const o of outcomes) {
    if (o.remediated) {
      events[o.time - minT]++;
      remediated++;
    } else censored[o.time - minT]++;
    if (o.reinfected) reinfected++;
  }
  const curve: KmPoint[] = [];
  let atRisk = outcomes.length;
  let sv = 1;
  for (let i = 0; i < events.length; i++) {
    if (events[i] === 0 && censored[i] === 0) continue;
    if (events[i] > 0) sv *= 1 - events[i] / atRisk;
    curve.push({ time: i + minT, atRisk, events: events[i], censored: censored[i], survival: sv });
    atRisk -= events[i] + censored[i];
  }
  const shareCleaned: Record<string, number> = {};
  const kmCleaned: Record<string, number> = {};
  for (const k of shareDays) {
    let cleaned = 0;
    for (let t = minT; t <= Math.min(k, maxT); t++) cleaned += events[t - minT];
    shareCleaned[k] = outcomes.length ? cleaned / outcomes.length : 0;
    kmCleaned[k] = 1 - kmSurvivalAt(curve, k);
  }
  return { hosts: outcomes.length, remediated, reinfected, shareCleaned, kmCleaned, medianDays: kmMedian(curve), curve };
}

/** Daily host counts overall, per country and per AS in one walk over the sightings (typed arrays, one row per key). */
function countDailyAll(hosts: readonly HostTimeline[], span: { min: number; max: number }): { all: { day: number; hosts: number }[]; country: Record<string, { day: number; hosts: number }[]>; asn: Record<string, { day: number; hosts: number }[]> } {
  const width = span.max - span.min + 1;
  const all = new Int32Array(width);
  const rows = { country: new Map<string, Int32Array>(), asn: new Map<string, Int32Array>() };
  const row = (m: Map<string, Int32Array>, k: string) => {
    let r = m.get(k);
    if (!r) m.set(k, (r = new Int32Array(width)));
    return r;
  };
  for (const h of hosts) {
    const s = h.sightings;
    if (s.length === 0) continue;
    const c = row(rows.country, h.country ?? '??');
    const a = row(rows.asn, h.asn === null ? '0' : String(h.asn));
    for (let i = 0; i < s.length; i++) {
      const d = s[i] - span.min;
      all[d]++;
      c[d]++;
      a[d]++;
    }
  }
  const series = (days: Int32Array) => {
    const out: { day: number; hosts: number }[] = [];
    for (let i = 0; i < width; i++) if (days[i] > 0) out.push({ day: span.min + i, hosts: days[i] });
    return out;
  };
  const table = (m: Map<string, Int32Array>) => {
    const out: Record<string, { day: number; hosts: number }[]> = {};
    for (const [k, days] of [...m].sort((x, y) => (x[0] < y[0] ? -1 : 1))) out[k] = series(days);
    return out;
  };
  return { all: hosts.some((h) => h.sightings.length > 0) ? series(all) : [], country: table(rows.country), asn: table(rows.asn) };
}

/** True when an ascending day list has a day in [from, to] (binary search). */
function seenBetween(s: DayList, from: number, to: number): boolean {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < s.length && s[lo] <= to;
}

/** The whole campaign report from host timelines (each timeline is one host under the campaign's identity rule). */
export function remediationReport(hosts: readonly HostTimeline[], p: RemediationParams): RemediationReport {
  const N = p.notifyDay;
  const E = p.endDay;
  const inWindow = (h: HostTimeline, from: number, to: number) => seenBetween(h.sightings, from, to);
  const span = { min: Infinity, max: -Infinity };
  for (const h of hosts) {
    if (h.sightings.length === 0) continue;
    if (h.sightings[0] < span.min) span.min = h.sightings[0];
    if (h.sightings[h.sightings.length - 1] > span.max) span.max = h.sightings[h.sightings.length - 1];
  }
  if (span.min > span.max) span.min = span.max = 0;
  const cohort: HostTimeline[] = [];
  let final = 0;
  const perAs = new Map<number | null, { asn: number | null; baseline: number; final: number }>();
  for (const h of hosts) {
    const inBase = inWindow(h, N - p.baselineDays, N - 1);
    const inFinal = inWindow(h, E - p.baselineDays + 1, E);
    if (inBase) cohort.push(h);
    if (inFinal) final++;
    if (!inBase && !inFinal) continue;
    let a = perAs.get(h.asn);
    if (!a) perAs.set(h.asn, (a = { asn: h.asn, baseline: 0, final: 0 }));
    if (inBase) a.baseline++;
    if (inFinal) a.final++;
  }
  const byAsn = [...perAs.values()].sort((x, y) => y.baseline - x.baseline || y.final - x.final || (x.asn ?? -1) - (y.asn ?? -1));
  const outcomes = cohort.map((h) => hostOutcome(h, p));
  const daily = countDailyAll(hosts, span);
  const treat = outcomes.filter((o) => o.group === 'treatment');
  const ctrl = outcomes.filter((o) => o.group === 'control');
  let controlEffect: RemediationReport['controlEffect'] = null;
  if (ctrl.length > 0 && treat.length > 0 && E - N + 1 >= p.horizonDays) {
    const x = (g: HostOutcome[]) => g.filter((o) => o.remediated && o.time <= p.horizonDays).length;
    controlEffect = { ...proportionDifference(x(treat), treat.length, x(ctrl), ctrl.length), horizonDays: p.horizonDays, treated: treat.length, controls: ctrl.length };
  }
  return {
    params: p,
    baseline: cohort.length,
    final,
    reduction: cohort.length ? final / cohort.length - 1 : null,
    daily: daily.all,
    dailyByCountry: daily.country,
    dailyByAsn: daily.asn,
    byAsn,
    all: summarise(outcomes, p.shareDays),
    treatment: summarise(treat, p.shareDays),
    control: ctrl.length ? summarise(ctrl, p.shareDays) : null,
    controlEffect,
    outcomes,
  };
}
