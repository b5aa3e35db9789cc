/**
 * An XMRig miner speaking the CryptoNote pool protocol, in clear text or inside TLS (the
 * pool's name in SNI, then small periodic upstream submits and downstream job pushes).
 */
import { XMRIG_AGENT, XmrigMessages, moneroWallet } from '../content/xmrig.js';
import type { TcpSession } from '../packet-builder.js';
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, sendPlain, sleep, tcpClose, tcpOpen, tlsOpen, tlsSend } from './common.js';

export interface XmrPool { host: string; port: number }

export const XMR_POOLS: XmrPool[] = [
  { host: 'pool.supportxmr.com', port: 3333 }, { host: 'xmr-eu1.nanopool.org', port: 14444 }, { host: 'gulf.moneroocean.stream', port: 10128 },
  { host: 'xmr.2miners.com', port: 2222 }, { host: 'pool.hashvault.pro', port: 3333 }, { host: 'xmrpool.eu', port: 3333 },
];
export const XMR_TLS_POOLS: XmrPool[] = [
  { host: 'pool.supportxmr.com', port: 443 }, { host: 'xmr-eu1.nanopool.org', port: 14433 }, { host: 'gulf.moneroocean.stream', port: 5555 },
  { host: 'pool.hashvault.pro', port: 443 }, { host: 'xmrpool.eu', port: 5555 },
];

export function* xmrigMiner(w: World, d: Device, pool: XmrPool, t: number, lifetimeUs: number, overTls: boolean): FlowTask {
  const r = w.resolve(d, pool.host, t, true);
  t = yield* sleep(r.t, w.rng.range(200, 2000));
  const rtt = w.rttFor(pool.host);
  const wallet = moneroWallet(w.rng);
  const algorithm = 'rx/0';
  const { s, truth } = w.connect(d, r.ip, pool.port, t, overTls ? 'mining-tls' : 'xmrig-cryptonote', {
    host: pool.host, pool: pool.host, algorithm, agent: XMRIG_AGENT, wallet, ...(overTls ? { sni: pool.host, tls: true } : {}),
  });
  const m = new XmrigMessages(w.rng, algorithm);
  // in TLS the same messages travel as records of their length plus the AEAD overhead
  const say = (from: 0 | 1, msg: Buffer, at: number, finalAck: boolean): number =>
    overTls ? tlsSend(w, s as TcpSession, from, msg.length + 17, at, 15, finalAck) : sendPlain(s, from, msg, at, finalAck);
  if (overTls) t = yield* tlsOpen(w, s, t, rtt, 'openssl', pool.host, []);
  else t = yield* tcpOpen(s, t, rtt);
  const login = m.login(wallet, w.rng.chance(0.5) ? 'x' : d.name, XMRIG_AGENT);
  t = say(CLIENT, login.msg, t + 300, false);
  t = yield* after(t, rtt);
  t = say(SERVER, m.loginResult(login.id), t, true);
  const end = t + lifetimeUs;
  let lastSent = t;
  let nextJob = t + w.rng.exp(45_000_000);
  // low-hashrate devices find shares rarely; XMRig sends keepalived after 60 s of silence
  const shareGap = (): number => Math.min(180_000_000, 10_000_000 + w.rng.exp(40_000_000));
  // RandomX needs its dataset first: the first share comes late, so a keepalived precedes it
  let nextShare = t + 65_000_000 + shareGap();
  while (!w.stopped) {
    const keepalive = lastSent + 60_000_000;
    const next = Math.min(nextJob, nextShare, keepalive);
    if (next > end) break;
    t = yield* sleep(t, next - t);
    if (w.stopped) break;
    if (next === nextJob) {
      t = say(SERVER, m.jobPush(), t, true);
      nextJob = t + w.rng.exp(45_000_000);
    } else if (next === nextShare) {
      const sub = m.submit();
      t = say(CLIENT, sub.msg, t, false);
      t = yield* after(t, rtt);
      t = say(SERVER, m.submitResult(sub.id), t, true);
      lastSent = t;
      nextShare = t + shareGap();
    } else {
      const ka = m.keepalived();
      t = say(CLIENT, ka.msg, t, false);
      t = yield* after(t, rtt);
      t = say(SERVER, m.keepalivedResult(ka.id), t, true);
      lastSent = t;
    }
  }
  t = yield* tcpClose(s, CLIENT, t + 1000, rtt);
  w.finish(s, truth, t);
}
