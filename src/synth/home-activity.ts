/**
 * Weeks of a generated home's connections, one record per connection (no packets: a month of
 * a home is millions of packets, and the device baselines only see connections): phones and
 * computers browsing by day (many hosts, push channels that stay open, the odd photo backup),
 * a TV streaming in the evening, a camera uploading to its cloud around the clock, a NAS
 * backing up at night, a speaker and a plug that talk to a few hosts. Optionally a miner on
 * the camera from a given time: a long connection to a pool on a mining port.
 *
 * Deterministic for a seed. Used by bench/eval-baselines.ts and its test.
 */
import { Rng } from './rng.js';

export interface ActivityConnection {
  tsUs: number;
  device: string;
  type: string;
  remote: string;
  port: number;
  country: string;
  upBytes: number;
  durationUs: number;
  /** Ground truth: part of an injected miner. */
  miner?: boolean;
}

export interface HomeActivityOptions {
  seed: number;
  weeks: number;
  startMs?: number;
  /** Inject a miner on the camera from this many days after the start. */
  minerAtDay?: number;
}

const HOUR_US = 3_600_000_000;
const COUNTRIES = ['US', 'US', 'US', 'DE', 'NL', 'IE', 'FR', 'GB', 'SG', 'JP'];

interface Profile {
  device: string;
  type: string;
  /** Connections per hour by hour of day (local = UTC here). */
  rate: (hour: number, weekend: boolean) => number;
  hosts: number;
  ports: [number, number][];
  /** Bytes sent per connection (median). */
  up: number;
  /** Long push channels (minutes) on these ports. */
  longPorts?: number[];
  /** Occasional big uploads: probability per day, bytes. */
  bigUpload?: [number, number];
}

const day = (h: number) => (h >= 7 && h < 23 ? 1 : 0);
const PROFILES: Profile[] = [
  { device: 'phone-1', type: 'phone', rate: (h) => 30 * day(h) + 2, hosts: 400, ports: [[443, 90], [80, 6], [5228, 4]], up: 8_000, longPorts: [5228], bigUpload: [0.15, 250e6] },
  { device: 'phone-2', type: 'phone', rate: (h) => 20 * day(h) + 1, hosts: 300, ports: [[443, 92], [80, 4], [5223, 4]], up: 6_000, longPorts: [5223], bigUpload: [0.1, 150e6] },
  { device: 'laptop', type: 'laptop', rate: (h, we) => (we ? 10 : 40) * (h >= 8 && h < 19 ? 1 : 0.1), hosts: 600, ports: [[443, 94], [80, 3], [22, 1], [993, 2]], up: 20_000, longPorts: [993, 22], bigUpload: [0.2, 400e6] },
  { device: 'pc', type: 'pc', rate: (h, we) => (we ? 30 : 8) * (h >= 17 && h < 24 ? 1 : 0.05), hosts: 500, ports: [[443, 85], [80, 5], [3478, 5], [27015, 5]], up: 30_000, longPorts: [27015, 3478] },
  { device: 'tv', type: 'smart-tv', rate: (h) => (h >= 18 && h < 24 ? 25 : 0.5), hosts: 120, ports: [[443, 95], [80, 5]], up: 4_000 },
  { device: 'camera', type: 'ip-camera', rate: () => 2, hosts: 3, ports: [[443, 80], [8000, 20]], up: 15e6, longPorts: [443, 8000] },
  { device: 'nas', type: 'nas', rate: (h) => (h === 3 ? 6 : 0.5), hosts: 20, ports: [[443, 95], [123, 5]], up: 60e6 },
  { device: 'speaker', type: 'smart-speaker', rate: () => 3, hosts: 12, ports: [[443, 90], [4070, 10]], up: 3_000, longPorts: [4070] },
  { device: 'plug', type: 'iot', rate: () => 1, hosts: 2, ports: [[8883, 60], [443, 40]], up: 500, longPorts: [8883] },
];

function weightedPort(rng: Rng, ports: [number, number][]): number {
  const total = ports.reduce((a, p) => a + p[1], 0);
  return ports[rng.weighted(ports.map((p) => p[1]), total)][0];
}

/** A host of the device's pool: a few hosts get most connections (power law). */
function host(rng: Rng, device: string, n: number): string {
  const i = Math.min(n - 1, Math.floor(n * Math.pow(rng.float(), 3)));
  let h = 2166136261;
  for (const c of `${device}/${i}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `${(h >>> 24) % 200 + 20}.${(h >>> 16) & 255}.${(h >>> 8) & 255}.${h & 255}`;
}

function countryOf(remote: string): string {
  let h = 0;
  for (const c of remote) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return COUNTRIES[h % COUNTRIES.length];
}

/** The home's connections in time order. */
export function homeActivity(o: HomeActivityOptions): ActivityConnection[] {
  const rng = new Rng(o.seed);
  const start = (o.startMs ?? Date.UTC(2026, 0, 5)) * 1000;
  const hours = o.weeks * 168;
  const out: ActivityConnection[] = [];
  for (let hIdx = 0; hIdx < hours; hIdx++) {
    const t0 = start + hIdx * HOUR_US;
    const d = new Date(t0 / 1000);
    const hour = d.getUTCHours();
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    for (const p of PROFILES) {
      // Poisson-ish: the rate's integer part plus a chance for the rest, varied ±50 %
      const rate = p.rate(hour, weekend) * (0.5 + rng.float());
      const n = Math.floor(rate) + (rng.chance(rate % 1) ? 1 : 0);
      for (let k = 0; k < n; k++) {
        const port = weightedPort(rng, p.ports);
        const remote = host(rng, p.device, p.hosts);
        const long = p.longPorts?.includes(port) ?? false;
        out.push({
          tsUs: t0 + rng.int(HOUR_US), device: p.device, type: p.type, remote, port, country: countryOf(remote),
          upBytes: Math.round(rng.logNormal(p.up, 0.6)), durationUs: long ? Math.round(rng.range(10, 90) * 60e6) : Math.round(rng.exp(20) * 1e6),
        });
      }
      if (p.bigUpload && hour === 20 && rng.chance(p.bigUpload[0])) {
        const remote = host(rng, p.device, Math.min(p.hosts, 2)); // to its usual cloud
        out.push({ tsUs: t0 + rng.int(HOUR_US), device: p.device, type: p.type, remote, port: 443, country: countryOf(remote), upBytes: Math.round(p.bigUpload[1] * (0.5 + rng.float())), durationUs: 15 * 60e6 });
      }
    }
    if (o.minerAtDay !== undefined && hIdx >= o.minerAtDay * 24) {
      // the camera's miner: one connection per hour to its pool, each the whole hour
      out.push({ tsUs: t0 + 3_600_000_000 - 1, device: 'camera', type: 'ip-camera', remote: '45.76.102.9', port: 3333, country: 'NL', upBytes: 400_000, durationUs: HOUR_US - 1, miner: true });
    }
  }
  return out.sort((a, b) => a.tsUs - b.tsUs);
}
