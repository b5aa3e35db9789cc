/**
 * `sample`: the demo capture `npm start` analyses — a few minutes of a small home network
 * (2–5 k packets): devices browsing, one device mining with XMRig in clear text, one with
 * Stratum v1, a browser-miner page, a Mirai-style telnet brute force and a Redis
 * exploitation against home devices, and a small port scan. Ground truth for every flow.
 */
import { PcapEmitter } from './emitter.js';
import { Rng } from './rng.js';
import { Scheduler, type FlowTask } from './scheduler.js';
import { World, isoUs, type Device } from './world.js';
import { publicIp4 } from './net.js';
import { formatIpv4, parseIpv4 } from '../util/ip.js';
import { networkTruth, type FlowSetTruth } from './mixed.js';
import { webTls, TLS_SITES } from './flows/web-tls.js';
import { webHttp, HTTP_SITES } from './flows/web-http.js';
import { push, PUSH_SERVICES } from './flows/push.js';
import { chat, CHAT_HOSTS } from './flows/chat.js';
import { stratumMiner, STRATUM_POOLS } from './flows/stratum.js';
import { xmrigMiner, XMR_POOLS } from './flows/xmrig.js';
import { browserMiner, INJECTED_SITES } from './flows/browser-miner.js';
import { telnetBruteForce } from './flows/telnet-bruteforce.js';
import { redisExploit } from './flows/redis-exploit.js';
import { portScan } from './flows/port-scan.js';

export interface SampleOptions {
  seed: number;
  startUs: number;
  /** capture length (default 4 minutes) */
  durationUs?: number;
}

export interface SampleTruth extends FlowSetTruth {
  attacks: { kind: string; attacker: string; target: string; details: Record<string, unknown> }[];
}

export async function generateSample(opts: SampleOptions, outFile: string): Promise<{ packets: number; bytes: number; truth: SampleTruth }> {
  const rng = new Rng(opts.seed);
  const sink = new PcapEmitter(outFile);
  const scheduler = new Scheduler();
  const w = new World({ rng, sink, scheduler, deviceCount: 0 });
  const used = new Set<number>();
  const laptop = w.addDevice('pc', used);
  const phone = w.addDevice('phone', used);
  const tablet = w.addDevice('tablet', used);
  const tv = w.addDevice('tv', used);
  const xmrigBox = w.addDevice('pc', used);
  const stratumBox = w.addDevice('nas', used);
  const camera = w.addDevice('camera', used);
  const nas = w.addDevice('nas', used);
  const t0 = opts.startUs;
  const duration = opts.durationUs ?? 240e6;
  const at = (sec: number): number => t0 + Math.floor(sec * 1e6) + rng.int(500_000);
  const start = (make: (t: number) => FlowTask, sec: number): void => {
    const t = at(sec);
    scheduler.spawn(make(t), t);
  };

  // ordinary browsing spread over the capture
  const browsers: Device[] = [laptop, phone, tablet, tv];
  const nTls = 36;
  for (let i = 0; i < nTls; i++) {
    const d = browsers[i % browsers.length];
    const site = rng.pick(TLS_SITES);
    const exchanges = rng.range(1, 3);
    const down = Math.floor(rng.logNormal(20_000, 0.9));
    start((t) => webTls(w, d, site, t, exchanges, down), (i * (duration / 1e6 - 20)) / nTls);
  }
  for (let i = 0; i < 3; i++) {
    const site = rng.pick(HTTP_SITES);
    const n = rng.range(1, 3);
    start((t) => webHttp(w, browsers[i], site, t, n), 10 + i * 60);
  }
  start((t) => push(w, phone, PUSH_SERVICES[0], t, duration), 2);
  const chatHost = rng.pick(CHAT_HOSTS);
  start((t) => chat(w, laptop, chatHost, t, duration - 30e6), 5);
  // the miners and the browser-miner page
  const minerLife = duration - 30e6;
  start((t) => xmrigMiner(w, xmrigBox, XMR_POOLS[0], t, minerLife, false), 3);
  start((t) => stratumMiner(w, stratumBox, STRATUM_POOLS[0], t, minerLife), 8);
  start((t) => browserMiner(w, tablet, INJECTED_SITES[0], t, 90e6), 40);
  // attacks against home devices
  const attacks: SampleTruth['attacks'] = [];
  const telnetAttacker = publicIp4(rng);
  const working: [string, string] = ['root', 'xc3511'];
  const attempts = 10;
  start((t) => telnetBruteForce(w, telnetAttacker, camera, t, attempts, working), 20);
  attacks.push({ kind: 'telnet-bruteforce', attacker: formatIpv4(telnetAttacker), target: formatIpv4(camera.ip), details: { attempts, success: { user: working[0], password: working[1] } } });
  const redisAttacker = publicIp4(rng);
  const payloadHost = parseIpv4('203.0.113.66');
  start((t) => redisExploit(w, redisAttacker, nas, t, payloadHost), 100);
  attacks.push({ kind: 'redis-exploitation', attacker: formatIpv4(redisAttacker), target: formatIpv4(nas.ip), details: { payloadUrl: 'http://203.0.113.66/xmr.sh', rogueMaster: '203.0.113.66:6379' } });
  const scanner = publicIp4(rng);
  const open = [22, 80, 443, 5000, 6379];
  start((t) => portScan(w, scanner, nas, t, open), 70);
  attacks.push({ kind: 'port-scan', attacker: formatIpv4(scanner), target: formatIpv4(nas.ip), details: { open } });

  scheduler.run();
  sink.close();
  const byLabel: Record<string, number> = {};
  for (const f of w.flows) byLabel[f.label] = (byLabel[f.label] ?? 0) + 1;
  const mining = w.flows.filter((f) => f.category === 'mining').length;
  const nonDns = w.flows.filter((f) => f.label !== 'dns').length;
  const truth: SampleTruth = {
    kind: 'sample', seed: opts.seed, start: isoUs(t0), end: isoUs(sink.lastTs), packets: sink.packets, bytes: sink.bytes,
    network: networkTruth(w, [xmrigBox, stratumBox]),
    summary: { flows: w.flows.length, byLabel, miningFlows: mining, nonDnsFlows: nonDns, miningShareOfNonDnsFlows: nonDns ? mining / nonDns : 0 },
    flows: w.flows,
    attacks,
  };
  return { packets: sink.packets, bytes: sink.bytes, truth };
}

