/**
 * `mixed`: a home network of 20–50 devices behind a gateway/resolver, browsing (HTTP, mostly
 * TLS), streaming video, chatting, holding push channels — and ~1–2 % of flows mining:
 * Stratum v1 and XMRig in clear text, XMRig inside TLS to pool names, and a browser-miner
 * page. Runs until the size or packet budget is reached; writes ground truth for every flow.
 */
import { PcapEmitter } from './emitter.js';
import { Rng } from './rng.js';
import { Scheduler, type FlowTask } from './scheduler.js';
import { World, isoUs, type Device, type FlowTruth } from './world.js';
import { formatIpv4 } from '../util/ip.js';
import { formatMac } from '../util/mac.js';
import { webTls, TLS_SITES } from './flows/web-tls.js';
import { webHttp, HTTP_SITES } from './flows/web-http.js';
import { video, VIDEO_HOSTS } from './flows/video.js';
import { chat, CHAT_HOSTS } from './flows/chat.js';
import { push, PUSH_SERVICES } from './flows/push.js';
import { stratumMiner, STRATUM_POOLS } from './flows/stratum.js';
import { xmrigMiner, XMR_POOLS, XMR_TLS_POOLS } from './flows/xmrig.js';
import { browserMiner, INJECTED_SITES } from './flows/browser-miner.js';
import { sleep } from './flows/common.js';

export interface MixedOptions {
  seed: number;
  /** stop once the file reaches this many bytes */
  sizeBytes?: number;
  /** stop once the file holds this many packets */
  packets?: number;
  /** capture start, µs since the epoch */
  startUs: number;
  /** the budget is spread over this much capture time (µs) */
  durationUs: number;
  /** number of home devices (default: 20–50 from the seed) */
  devices?: number;
}

export interface DeviceTruth { name: string; kind: string; vendor: string; mac: string; ip: string; miner: boolean }

export interface FlowSetTruth {
  kind: string;
  seed: number;
  start: string;
  end: string;
  packets: number;
  bytes: number;
  network: { subnet: string; gateway: string; gatewayMac: string; resolver: string; devices: DeviceTruth[] };
  summary: { flows: number; byLabel: Record<string, number>; miningFlows: number; nonDnsFlows: number; miningShareOfNonDnsFlows: number };
  flows: FlowTruth[];
}

type Kind = 'web-tls' | 'web-http' | 'video' | 'chat' | 'push' | 'stratum' | 'xmrig' | 'mining-tls' | 'browser-miner';
const KINDS: Kind[] = ['web-tls', 'web-http', 'video', 'chat', 'push', 'stratum', 'xmrig', 'mining-tls', 'browser-miner'];
/** Spawn weights by flow count (a browser-miner visit makes three mining flows). */
const WEIGHTS = [0.70, 0.12, 0.035, 0.04, 0.035, 0.003, 0.003, 0.003, 0.001];
const WEIGHT_TOTAL = WEIGHTS.reduce((a, b) => a + b, 0);

interface Budget { unit: 'bytes' | 'packets'; target: number; inflight: number }

/** Runs a flow whose estimated size was added to budget.inflight when it was spawned. */
function* tracked(inner: FlowTask, est: number, budget: Budget): FlowTask {
  try {
    yield* inner;
  } finally {
    budget.inflight -= est;
  }
}

export function browsers(w: World): Device[] {
  return w.devices.filter((d) => d.kind === 'pc' || d.kind === 'phone' || d.kind === 'tablet');
}

export async function generateMixed(opts: MixedOptions, outFile: string): Promise<{ packets: number; bytes: number; truth: FlowSetTruth }> {
  const rng = new Rng(opts.seed);
  const sink = new PcapEmitter(outFile);
  const budget: Budget = opts.packets !== undefined
    ? { unit: 'packets', target: opts.packets, inflight: 0 }
    : { unit: 'bytes', target: opts.sizeBytes ?? 50e6, inflight: 0 };
  const used = (): number => (budget.unit === 'bytes' ? sink.bytes : sink.packets);
  const scheduler = new Scheduler(() => used() >= budget.target);
  const w = new World({ rng, sink, scheduler, deviceCount: opts.devices ?? rng.range(20, 50) });
  const browsing = browsers(w);
  // the infected devices: IoT and always-on boxes are the usual victims
  const minerCandidates = w.devices.filter((d) => d.kind === 'camera' || d.kind === 'nas' || d.kind === 'iot' || d.kind === 'pc');
  const miners = minerCandidates.slice(0, 3);
  const duration = opts.durationUs;
  const toUnit = (bytes: number, avgFrame: number): number => (budget.unit === 'bytes' ? bytes : Math.ceil(bytes / avgFrame) + 12);
  const bulkCap = Math.max(2e6, (budget.unit === 'bytes' ? budget.target : budget.target * 900) * 0.12);

  const spawnKind = (kind: Kind, t: number): void => {
    const longLife = (): number => rng.range(Math.floor(duration / 3), Math.floor(duration * 1.5));
    let task: FlowTask;
    let est: number;
    switch (kind) {
      case 'web-tls': {
        const down = Math.floor(Math.min(8e6, Math.max(800, rng.logNormal(40_000, 1.6))));
        task = webTls(w, rng.pick(w.devices), rng.pick(TLS_SITES), t, rng.range(1, 8), down);
        est = toUnit(down * 1.04 + 9000, 1100);
        break;
      }
      case 'web-http': {
        const n = rng.range(1, 6);
        task = webHttp(w, rng.pick(browsing.length ? browsing : w.devices), rng.pick(HTTP_SITES), t, n);
        est = toUnit(n * 30_000, 900);
        break;
      }
      case 'video': {
        const total = Math.floor(Math.min(bulkCap, Math.max(1e6, rng.logNormal(25e6, 0.8))));
        const viewers = w.devices.filter((d) => d.kind === 'tv' || d.kind === 'tablet' || d.kind === 'phone' || d.kind === 'pc' || d.kind === 'console');
        task = video(w, rng.pick(viewers.length ? viewers : w.devices), rng.pick(VIDEO_HOSTS), t, total);
        est = toUnit(total * 1.04, 1300);
        break;
      }
      case 'chat':
        task = chat(w, rng.pick(browsing.length ? browsing : w.devices), rng.pick(CHAT_HOSTS), t, longLife());
        est = toUnit(60_000, 300);
        break;
      case 'push':
        task = push(w, rng.pick(w.devices), rng.pick(PUSH_SERVICES), t, longLife());
        est = toUnit(15_000, 150);
        break;
      case 'stratum':
        task = stratumMiner(w, rng.pick(miners), rng.pick(STRATUM_POOLS), t, longLife());
        est = toUnit(60_000, 250);
        break;
      case 'xmrig':
        task = xmrigMiner(w, rng.pick(miners), rng.pick(XMR_POOLS), t, longLife(), false);
        est = toUnit(60_000, 250);
        break;
      case 'mining-tls':
        task = xmrigMiner(w, rng.pick(miners), rng.pick(XMR_TLS_POOLS), t, longLife(), true);
        est = toUnit(60_000, 250);
        break;
      case 'browser-miner':
        task = browserMiner(w, rng.pick(browsing.length ? browsing : w.devices), rng.pick(INJECTED_SITES), t, longLife());
        est = toUnit(160_000, 600);
        break;
    }
    budget.inflight += est;
    scheduler.spawn(tracked(task, est, budget), t);
  };

  function* spawner(): FlowTask {
    let t = opts.startUs;
    // every kind appears at least once, even in a small capture
    for (const k of KINDS) spawnKind(k, t + rng.range(1000, 3_000_000));
    const tick = 200_000;
    while (!w.stopped) {
      t = yield* sleep(t, tick);
      if (w.stopped) break;
      const frac = Math.min(1, (t - opts.startUs) / duration);
      const want = budget.target * Math.max(frac, 0.02);
      let n = 0;
      while (used() + budget.inflight < want && n < 25) {
        spawnKind(KINDS[rng.weighted(WEIGHTS, WEIGHT_TOTAL)], t + rng.int(tick));
        n++;
      }
      // past the planned duration with budget left: keep feeding (the budget is the contract)
      if (frac >= 1 && n === 0 && scheduler.size <= 1) spawnKind('web-tls', t + rng.int(tick));
    }
  }
  scheduler.spawn(spawner(), opts.startUs);
  scheduler.run();
  sink.close();

  const byLabel: Record<string, number> = {};
  for (const f of w.flows) byLabel[f.label] = (byLabel[f.label] ?? 0) + 1;
  const mining = w.flows.filter((f) => f.category === 'mining').length;
  const nonDns = w.flows.filter((f) => f.label !== 'dns').length;
  const truth: FlowSetTruth = {
    kind: 'mixed', seed: opts.seed, start: isoUs(opts.startUs), end: isoUs(sink.lastTs), packets: sink.packets, bytes: sink.bytes,
    network: networkTruth(w, miners),
    summary: { flows: w.flows.length, byLabel, miningFlows: mining, nonDnsFlows: nonDns, miningShareOfNonDnsFlows: nonDns ? mining / nonDns : 0 },
    flows: w.flows,
  };
  return { packets: sink.packets, bytes: sink.bytes, truth };
}

export function networkTruth(w: World, miners: Device[]): FlowSetTruth['network'] {
  return {
    subnet: `${formatIpv4(w.gatewayIp - 1)}/24`, gateway: formatIpv4(w.gatewayIp), gatewayMac: formatMac(w.gatewayMac), resolver: formatIpv4(w.gatewayIp),
    devices: w.devices.map((d) => ({ name: d.name, kind: d.kind, vendor: d.vendor, mac: formatMac(d.mac), ip: formatIpv4(d.ip), miner: miners.includes(d) })),
  };
}
