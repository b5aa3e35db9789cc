/**
 * Behaviour baselines per device: over a learning window (default 7 days) what a device
 * normally does — the remote hosts it talks to, the ports, the countries, the hours of the
 * week it is active, how much it uploads per hour — kept in bounded memory (space-saving top-k
 * counters per device, 168 hour-of-week counters, hourly upload sums), exported as plain JSON
 * so the store keeps it across restarts.
 *
 * Anomalies are reported only for clear departures that are large or corroborated, never for a
 * merely new destination (phones meet new CDN hosts every hour):
 * - `mining-port`: a long-lived connection (default ≥ 10 min) to a host the device never
 *   talked to, on a port it never used, that is a mining-typical port — a camera that starts
 *   mining; stronger on appliance types (camera, NAS, TV, IoT …);
 * - `upload-jump`: an hour's upload many times the device's baseline (default ≥ 10× its hourly
 *   mean and ≥ 3× its largest learned hour, and at least 100 MB), on an appliance or towards a
 *   host the device never used (a phone's photo backup to its usual cloud is not news).
 * Each carries the baseline and the deviation as evidence, and each (device, cause) is reported
 * at most once per day.
 *
 * Countries come from a lookup the wiring injects (the pipeline opens telescope/geo.ts's country
 * database; devices/ does not reach up for it), asked once per remote address (an LRU cache), so
 * a device's usual hosts cost a map hit. A destination in a country the device never reached is a
 * `new-country` indicator: it corroborates an anomaly above (raising a non-appliance's severity,
 * shown with the baseline's countries in the evidence) and never raises one on its own.
 */
import { MINING_PORTS } from '../detect/mining-encrypted.js';
import { LruMap } from '../util/lru.js';

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
const WEEK_HOURS = 168;
const DEFAULT_LEARN_US = 7 * DAY_US;

export interface BaselineOptions {
  /** Learning window (µs, default 7 days): no anomaly before a device has been watched this long. */
  learnUs?: number;
  /** Devices kept (default 1024; the least recently active go first). */
  maxDevices?: number;
  /** Remote hosts counted per device (space-saving top-k, default 128). */
  topHosts?: number;
  topPorts?: number;
  topCountries?: number;
  /** A connection is long-lived from this age (µs, default 10 min). */
  longLivedUs?: number;
  /** Upload jump: factor over the learned hourly mean (default 10). */
  uploadFactor?: number;
  /** Upload jump: at least this many bytes in the hour (default 100 MB). */
  uploadMinBytes?: number;
}

/** Country of a remote address (ISO 3166 alpha-2; '' or '??' when unknown). */
export type CountryLookup = (ip: string) => string;

/** What the wiring injects (functions: kept out of the plain-data options that cross to workers). */
export interface BaselineDeps {
  /** Country of a remote address, asked once per address (cached). */
  country?: CountryLookup;
  /** Addresses whose country is cached (default 4096). */
  countryCache?: number;
}

/** One connection of a device, as the baseline sees it (at its end, or while it lasts). */
export interface Connection {
  tsUs: number;
  device: string;
  /** Device type from the inventory (appliances weigh more). */
  type: string;
  remote: string;
  port: number;
  country?: string;
  /** Bytes the device sent. */
  upBytes: number;
  durationUs: number;
}

export interface Anomaly {
  device: string;
  cause: 'mining-port' | 'upload-jump';
  severity: 1 | 2;
  tsUs: number;
  remote?: string;
  port?: number;
  baseline: Record<string, unknown>;
  deviation: Record<string, unknown>;
}

/** Counts of the most frequent keys (space-saving: a new key past capacity replaces the smallest, inheriting its count). */
type TopK = Record<string, number>;

function bump(top: TopK, key: string, cap: number): void {
  if (key === '') return;
  if (top[key] !== undefined) { top[key]++; return; }
  // one pass: the size and the smallest entry (no key array per new key)
  let size = 0;
  let min = '';
  for (const k in top) {
    size++;
    if (min === '' || top[k] < top[min]) min = k;
  }
  if (size < cap) { top[key] = 1; return; }
  const n = top[min];
  delete top[min];
  top[key] = n + 1;
}

function topList(top: TopK, n: number): [string, number][] {
  return Object.entries(top).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

export interface DeviceBaselineState {
  device: string;
  type: string;
  /** First and last activity (µs). */
  first: number;
  last: number;
  flows: number;
  hosts: TopK;
  ports: TopK;
  countries: TopK;
  /** Connections per hour of the week (0 = Monday 00:00 UTC). */
  hours: number[];
  /** Completed hours with upload: count, sum and largest (bytes). */
  upHours: number;
  upSum: number;
  upMax: number;
  /** The hour being summed (µs of its start) and its bytes so far. */
  curHour: number;
  curUp: number;
  /** The hour's largest upload: where it went, and whether that host was new to the device. */
  curTopRemote: string;
  curTopBytes: number;
  curTopNew: boolean;
  /** Its country when the device had never reached that country ('' otherwise; absent in older saved states). */
  curTopNewCountry?: string;
  /** Cause → when it was last reported (µs). */
  reported: Record<string, number>;
}

export interface BaselineState {
  version: 1;
  /** The learning window the sensor used (µs; absent in states saved before it was recorded: the default then). */
  learnUs?: number;
  devices: DeviceBaselineState[];
}

/** What a device's baseline has learned, as plain figures (the anomaly evidence and the device page show these). */
export function baselineFigures(s: DeviceBaselineState): Record<string, unknown> & { learned_days: number; flows: number; hosts_known: number; top_hosts: string[]; top_ports: number[]; top_countries: string[]; upload_hourly_mean: number; upload_hourly_max: number; active_hours_of_week: number; flows_per_active_hour: number } {
  const active = s.hours.reduce((a, b) => a + b, 0);
  const activeHours = s.hours.filter((n) => n > 0).length;
  return {
    learned_days: Math.round(((s.last - s.first) / DAY_US) * 10) / 10,
    flows: s.flows,
    hosts_known: Object.keys(s.hosts).length,
    top_hosts: topList(s.hosts, 5).map(([k]) => k),
    top_ports: topList(s.ports, 5).map(([k]) => Number(k)),
    top_countries: topList(s.countries, 5).map(([k]) => k),
    upload_hourly_mean: s.upHours > 0 ? Math.round(s.upSum / s.upHours) : 0,
    upload_hourly_max: s.upMax,
    active_hours_of_week: activeHours,
    flows_per_active_hour: active > 0 ? Math.round((active / Math.max(1, activeHours)) * 10) / 10 : 0,
  };
}

/** A device's baseline for the device page: learning or learned (and since when), what it has learned, when it learned from last. */
export interface BaselineDescription {
  status: 'learning' | 'learned';
  /** First and last connection learned (ms since the epoch). */
  since_ms: number;
  last_ms: number;
  /** The learning window (days) and when it ends or ended (ms). */
  learn_days: number;
  learned_at_ms: number;
  device_type: string;
  figures: ReturnType<typeof baselineFigures>;
  /** Hours of the week (0 = Monday 00–01 UTC) with the most connections, busiest first (at most 5). */
  busiest_hours_utc: number[];
}

/** The saved baseline of one device in a sensor's saved state (loadBaselineState), described; null when the state has none. */
export function describeBaseline(state: unknown, device: string): BaselineDescription | null {
  const st = state as Partial<BaselineState> | null;
  if (!st || st.version !== 1 || !Array.isArray(st.devices)) return null;
  const s = st.devices.find((d) => d?.device === device);
  if (!s || !Array.isArray(s.hours) || s.hours.length !== WEEK_HOURS || !Number.isFinite(s.first) || !Number.isFinite(s.last)) return null;
  const learnUs = typeof st.learnUs === 'number' && st.learnUs > 0 ? st.learnUs : DEFAULT_LEARN_US;
  const busiest = s.hours.map((n, i) => [i, n] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 5).map(([i]) => i);
  return {
    status: s.last - s.first >= learnUs ? 'learned' : 'learning',
    since_ms: Math.floor(s.first / 1000), last_ms: Math.floor(s.last / 1000),
    learn_days: Math.round((learnUs / DAY_US) * 10) / 10, learned_at_ms: Math.floor((s.first + learnUs) / 1000),
    device_type: typeof s.type === 'string' ? s.type : 'unknown',
    figures: baselineFigures(s), busiest_hours_utc: busiest,
  };
}

/** Device types that have no business opening long connections to strangers. */
const APPLIANCES = new Set(['ip-camera', 'nas', 'smart-tv', 'game-console', 'printer', 'smart-speaker', 'iot', 'router']);

function hourOfWeek(tsUs: number): number {
  const d = new Date(tsUs / 1000);
  return ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours();
}

export class Baselines {
  private readonly devices = new Map<string, DeviceBaselineState>();
  private readonly o: Required<BaselineOptions>;
  /** Anomalies reported so far, by cause. */
  readonly counts = { 'mining-port': 0, 'upload-jump': 0 };
  /** Country lookups made (cache misses) and anomalies a new country corroborated. */
  readonly geo = { lookups: 0, newCountry: 0 };
  private readonly countryOf: CountryLookup | null;
  private readonly countries: LruMap<string, string> | null;

  constructor(opts: BaselineOptions = {}, deps: BaselineDeps = {}) {
    this.countryOf = deps.country ?? null;
    this.countries = deps.country ? new LruMap(deps.countryCache ?? 4096) : null;
    this.o = {
      learnUs: opts.learnUs ?? DEFAULT_LEARN_US, maxDevices: opts.maxDevices ?? 1024, topHosts: opts.topHosts ?? 128, topPorts: opts.topPorts ?? 32,
      topCountries: opts.topCountries ?? 16, longLivedUs: opts.longLivedUs ?? 10 * 60_000_000, uploadFactor: opts.uploadFactor ?? 10,
      uploadMinBytes: opts.uploadMinBytes ?? 100e6,
    };
  }

  get size(): number {
    return this.devices.size;
  }

  get longLivedUs(): number {
    return this.o.longLivedUs;
  }

  private state(device: string, type: string, tsUs: number): DeviceBaselineState {
    let s = this.devices.get(device);
    if (!s) {
      if (this.devices.size >= this.o.maxDevices) this.evict();
      s = { device, type, first: tsUs, last: tsUs, flows: 0, hosts: {}, ports: {}, countries: {}, hours: new Array<number>(WEEK_HOURS).fill(0), upHours: 0, upSum: 0, upMax: 0, curHour: tsUs - (tsUs % HOUR_US), curUp: 0, curTopRemote: '', curTopBytes: 0, curTopNew: false, curTopNewCountry: '', reported: {} };
      this.devices.set(device, s);
    }
    if (type !== '' && type !== 'unknown') s.type = type;
    return s;
  }

  private evict(): void {
    let oldest: DeviceBaselineState | null = null;
    for (const s of this.devices.values()) if (!oldest || s.last < oldest.last) oldest = s;
    if (oldest) this.devices.delete(oldest.device);
  }

  /** The connection's country: given, or looked up once per address ('' when unknown). */
  private country(c: Connection): string {
    if (c.country !== undefined) return c.country === '??' ? '' : c.country;
    if (this.countries === null || this.countryOf === null) return '';
    let cc = this.countries.get(c.remote);
    if (cc === undefined) {
      this.geo.lookups++;
      let r = '';
      try {
        r = this.countryOf(c.remote);
      } catch {
        r = '';
      }
      cc = /^[A-Z]{2}$/.test(r) ? r : '';
      this.countries.set(c.remote, cc);
    }
    return cc;
  }

  /** The country when the device has learned countries and never reached this one; '' otherwise. */
  private newCountry(s: DeviceBaselineState, country: string): string {
    // a device that has learned no country yet (no lookup before) has nothing to depart from
    return country === '' || s.countries[country] !== undefined || Object.keys(s.countries).length === 0 ? '' : country;
  }

  /** The new-country indicator's evidence (empty when there is none). */
  private countryEvidence(s: DeviceBaselineState, country: string, fresh: string): Record<string, unknown> {
    if (country === '') return {};
    return { country, new_country: fresh !== '', ...(fresh !== '' ? { baseline_countries: topList(s.countries, this.o.topCountries).map(([k]) => k), corroborated_by: ['new-country'] } : {}) };
  }

  private learned(s: DeviceBaselineState, tsUs: number): boolean {
    return tsUs - s.first >= this.o.learnUs;
  }

  private report(s: DeviceBaselineState, a: Anomaly): Anomaly | null {
    const last = s.reported[a.cause];
    if (last !== undefined && a.tsUs - last < DAY_US) return null;
    s.reported[a.cause] = a.tsUs;
    this.counts[a.cause]++;
    if (a.deviation.new_country === true) this.geo.newCountry++;
    return a;
  }

  private summary(s: DeviceBaselineState): Record<string, unknown> {
    return baselineFigures(s);
  }

  /**
   * A connection still open (or just ended) that has lasted `durationUs`: a mining-port anomaly
   * when it is long-lived, new in host and port, and on a mining-typical port. Does not learn.
   */
  checkLongLived(c: Connection): Anomaly | null {
    const s = this.devices.get(c.device);
    if (!s || !this.learned(s, c.tsUs) || c.durationUs < this.o.longLivedUs || !MINING_PORTS.has(c.port)) return null;
    if (s.hosts[c.remote] !== undefined || s.ports[String(c.port)] !== undefined) return null;
    const appliance = APPLIANCES.has(c.type !== '' && c.type !== 'unknown' ? c.type : s.type);
    // looked up only here, for a host already new and suspect (and cached for the flow's end)
    const country = this.country(c);
    const fresh = this.newCountry(s, country);
    return this.report(s, {
      device: c.device, cause: 'mining-port', severity: appliance || fresh !== '' ? 1 : 2, tsUs: c.tsUs, remote: c.remote, port: c.port,
      baseline: this.summary(s),
      deviation: {
        remote: c.remote, port: c.port, duration_s: Math.round(c.durationUs / 1e6), new_host: true, new_port: true, mining_port: true,
        ...this.countryEvidence(s, country, fresh),
        hour_of_week_share: s.hours[hourOfWeek(c.tsUs)] / Math.max(1, s.flows),
        device_type: s.type,
      },
    });
  }

  /** A finished connection: checked (long-lived, upload), then learned. Returns the anomalies it raised. */
  observe(c: Connection): Anomaly[] {
    const s = this.state(c.device, c.type, c.tsUs);
    const out: Anomaly[] = [];
    const ll = this.checkLongLived(c);
    if (ll) out.push(ll);
    // upload, summed per hour; a finished hour joins the baseline unless it was the anomaly
    const hour = c.tsUs - (c.tsUs % HOUR_US);
    if (hour > s.curHour) {
      this.closeHour(s);
      s.curHour = hour;
      s.curUp = 0;
      s.curTopBytes = 0;
      s.curTopNewCountry = '';
    }
    s.curUp += c.upBytes;
    const country = this.country(c);
    if (c.upBytes > s.curTopBytes) {
      s.curTopBytes = c.upBytes;
      s.curTopRemote = c.remote;
      s.curTopNew = s.hosts[c.remote] === undefined;
      s.curTopNewCountry = this.newCountry(s, country);
    }
    if (this.learned(s, c.tsUs) && s.upHours >= 24) {
      const mean = s.upSum / s.upHours;
      // large, and corroborated: an appliance (which has no reason to), or the bulk of it going to a host the device never used
      if (s.curUp > this.uploadLimit(s) && (APPLIANCES.has(s.type) || s.curTopNew)) {
        const fresh = s.curTopNewCountry ?? '';
        const a = this.report(s, {
          device: c.device, cause: 'upload-jump', severity: APPLIANCES.has(s.type) || fresh !== '' ? 1 : 2, tsUs: c.tsUs, remote: s.curTopRemote,
          baseline: this.summary(s),
          deviation: { upload_this_hour: s.curUp, largest_remote: s.curTopRemote, largest_upload: s.curTopBytes, new_host: s.curTopNew, times_hourly_mean: Math.round((s.curUp / Math.max(1, mean)) * 10) / 10, times_hourly_max: Math.round((s.curUp / Math.max(1, s.upMax)) * 10) / 10, ...(fresh !== '' ? this.countryEvidence(s, fresh, fresh) : {}) },
        });
        if (a) out.push(a);
      }
    }
    // learn (a reported connection is learned too: the device is reported once, not every hour)
    if (c.tsUs > s.last) s.last = c.tsUs;
    s.flows++;
    bump(s.hosts, c.remote, this.o.topHosts);
    bump(s.ports, String(c.port), this.o.topPorts);
    if (country !== '') bump(s.countries, country, this.o.topCountries);
    s.hours[hourOfWeek(c.tsUs)]++;
    return out;
  }

  /** A finished hour joins the upload baseline — a reported jump too: the owner was told, and only a larger one is news. */
  private closeHour(s: DeviceBaselineState): void {
    if (s.curUp <= 0) return;
    s.upHours++;
    s.upSum += s.curUp;
    if (s.curUp > s.upMax) s.upMax = s.curUp;
  }

  /** Bytes in an hour beyond which the upload is a jump: many times the mean, well above the largest learned hour, and large. */
  private uploadLimit(s: DeviceBaselineState): number {
    return Math.max(this.o.uploadFactor * (s.upHours > 0 ? s.upSum / s.upHours : 0), 3 * s.upMax, this.o.uploadMinBytes);
  }

  exportState(): BaselineState {
    return { version: 1, learnUs: this.o.learnUs, devices: [...this.devices.values()].sort((a, b) => (a.device < b.device ? -1 : 1)).map((s) => structuredClone(s)) };
  }

  /** Restores (or adds) saved baselines; a device already known keeps what it has. */
  importState(state: BaselineState): void {
    if (!state || state.version !== 1 || !Array.isArray(state.devices)) return;
    for (const s of state.devices) {
      if (typeof s?.device !== 'string' || this.devices.has(s.device) || !Array.isArray(s.hours) || s.hours.length !== WEEK_HOURS) continue;
      if (this.devices.size >= this.o.maxDevices) this.evict();
      this.devices.set(s.device, structuredClone(s));
    }
  }

  /** One device's state (tests, the store). */
  get(device: string): DeviceBaselineState | undefined {
    return this.devices.get(device);
  }
}
