/** A Stratum v1 miner (cgminer/bfgminer/EWBF style) in clear text: subscribe, authorize, jobs, shares. */
import { StratumV1Messages } from '../content/stratum.js';
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, sendPlain, sleep, tcpClose, tcpOpen } from './common.js';

export interface StratumPool { host: string; port: number; algorithm: string; agents: string[]; worker: (w: World) => string }

const addr = (w: World, prefix: string, len: number): string => {
  const a = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let s = prefix;
  while (s.length < len) s += a[w.rng.int(a.length)];
  return s;
};

export const STRATUM_POOLS: StratumPool[] = [
  { host: 'stratum.slushpool.com', port: 3333, algorithm: 'sha256d', agents: ['cgminer/4.11.1', 'bmminer/2.0.0'], worker: (w) => `user${w.rng.range(100, 999)}.worker${w.rng.range(1, 9)}` },
  { host: 'stratum.antpool.com', port: 3333, algorithm: 'sha256d', agents: ['bmminer/2.0.0', 'cgminer/4.10.0'], worker: (w) => `ant${w.rng.range(1000, 9999)}.${w.rng.range(1, 20)}` },
  { host: 'ltc.f2pool.com', port: 8888, algorithm: 'scrypt', agents: ['sgminer/5.6.1', 'cgminer/3.7.2'], worker: (w) => `f2user${w.rng.range(10, 99)}.001` },
  { host: 'eu1-zcash.flypool.org', port: 3333, algorithm: 'equihash', agents: ['EWBF 0.3.4b', 'equihashminer'], worker: (w) => `${addr(w, 't1', 35)}.rig${w.rng.range(1, 9)}` },
];

export function* stratumMiner(w: World, d: Device, pool: StratumPool, t: number, lifetimeUs: number): FlowTask {
  const r = w.resolve(d, pool.host, t, true);
  t = yield* sleep(r.t, w.rng.range(200, 2000));
  const rtt = w.rttFor(pool.host);
  const agent = w.rng.pick(pool.agents);
  const worker = pool.worker(w);
  const wallet = worker.split('.')[0];
  const { s, truth } = w.connect(d, r.ip, pool.port, t, 'stratum-v1', { host: pool.host, pool: pool.host, algorithm: pool.algorithm, agent, worker, wallet });
  const m = new StratumV1Messages(w.rng);
  t = yield* tcpOpen(s, t, rtt);
  const sub = m.subscribe(agent);
  t = sendPlain(s, CLIENT, sub.msg, t + 300);
  t = yield* after(t, rtt);
  t = sendPlain(s, SERVER, m.subscribeResult(sub.id), t);
  const auth = m.authorize(worker, 'x');
  t = sendPlain(s, CLIENT, auth.msg, t + 500);
  t = yield* after(t, rtt);
  t = sendPlain(s, SERVER, m.result(auth.id, true), t);
  const equihash = pool.algorithm === 'equihash';
  t = sendPlain(s, SERVER, equihash ? m.setTarget() : m.setDifficulty(w.rng.pick([8, 16, 64, 512, 4096])), t + 200);
  let job = m.notify(true);
  t = sendPlain(s, SERVER, job.msg, t + 200, true);
  const end = t + lifetimeUs;
  let nextJob = t + w.rng.exp(40_000_000);
  let nextShare = t + w.rng.exp(20_000_000);
  while (!w.stopped) {
    const next = Math.min(nextJob, nextShare);
    if (next > end) break;
    t = yield* sleep(t, next - t);
    if (w.stopped) break;
    if (nextJob <= nextShare) {
      job = m.notify(w.rng.chance(0.3));
      t = sendPlain(s, SERVER, job.msg, t, true);
      nextJob = t + w.rng.exp(40_000_000);
    } else {
      const sh = m.submit(worker, job.jobId);
      t = sendPlain(s, CLIENT, sh.msg, t);
      t = yield* after(t, rtt);
      t = sendPlain(s, SERVER, m.result(sh.id, w.rng.chance(0.97)), t, true);
      nextShare = t + w.rng.exp(20_000_000);
    }
  }
  t = yield* tcpClose(s, CLIENT, t + 1000, rtt);
  w.finish(s, truth, t);
}
