/**
 * A page served through an infected router with the Coinhive loader injected (gzip'd,
 * chunked), then the browser fetching the script over TLS and opening the mining WebSocket.
 */
import { COINHIVE_SCRIPT_HOST, COINHIVE_SOCKET_HOSTS, injectedPageResponse } from '../content/browser-miner.js';
import { httpRequest } from '../content/http.js';
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, gapForMbps, plainBulk, sendPlain, sleep, tcpClose, tcpOpen, tlsBulk, tlsOpen, tlsSend } from './common.js';

export const INJECTED_SITES = ['berita-harian.example.net', 'www.toko-online.example.com', 'news.example.org', 'forum.example.net'];

export function* browserMiner(w: World, d: Device, site: string, t: number, lifetimeUs: number): FlowTask {
  const siteKey = w.rng.hex(16);
  const common = { pool: 'coinhive.com', algorithm: 'cn/1', agent: d.userAgent, wallet: siteKey };
  // 1. the page, with the injection
  let r = w.resolve(d, site, t);
  t = yield* sleep(r.t, w.rng.range(200, 2000));
  const pageRtt = w.rttFor(site);
  const page = w.connect(d, r.ip, 80, t, 'browser-miner-page', { host: site, ...common });
  t = yield* tcpOpen(page.s, t, pageRtt);
  const req = httpRequest('GET', site, '/', [['User-Agent', d.userAgent], ['Accept', 'text/html,application/xhtml+xml,*/*;q=0.8'],
    ['Accept-Encoding', 'gzip, deflate'], ['Connection', 'keep-alive']]);
  t = sendPlain(page.s, CLIENT, req, t + 300);
  t = yield* after(t, pageRtt);
  const { response } = injectedPageResponse(site, siteKey, w.rng.range(3000, 30000), (n) => w.rng.int(n));
  t = yield* plainBulk(w, page.s, SERVER, response, t, gapForMbps(50));
  // 2. the miner script from coinhive.com
  r = w.resolve(d, COINHIVE_SCRIPT_HOST, t + 2000, true);
  t = yield* sleep(r.t, 500);
  const rtt = w.rttFor(COINHIVE_SCRIPT_HOST);
  const script = w.connect(d, r.ip, 443, t, 'browser-miner-script', { host: COINHIVE_SCRIPT_HOST, sni: COINHIVE_SCRIPT_HOST, tls: true, ...common });
  t = yield* tlsOpen(w, script.s, t, rtt, d.tlsProfile, COINHIVE_SCRIPT_HOST, ['h2', 'http/1.1']);
  t = tlsSend(w, script.s, CLIENT, w.rng.range(300, 600), t + 300, 15, false);
  t = yield* after(t, rtt);
  t = yield* tlsBulk(w, script.s, SERVER, w.rng.range(60_000, 110_000), t, gapForMbps(80));
  // 3. the mining WebSocket: job pushes down, hashes up
  const wsHost = w.rng.pick(COINHIVE_SOCKET_HOSTS);
  r = w.resolve(d, wsHost, t + 5000, true);
  t = yield* sleep(r.t, 500);
  const wsRtt = w.rttFor(wsHost);
  const ws = w.connect(d, r.ip, 443, t, 'browser-miner-websocket', { host: wsHost, sni: wsHost, tls: true, ...common });
  t = yield* tlsOpen(w, ws.s, t, wsRtt, d.tlsProfile, wsHost, ['http/1.1']);
  t = tlsSend(w, ws.s, CLIENT, w.rng.range(450, 650), t + 300, 15, false); // upgrade
  t = yield* after(t, wsRtt);
  t = tlsSend(w, ws.s, SERVER, w.rng.range(150, 250), t, 15, true);
  t = tlsSend(w, ws.s, CLIENT, w.rng.range(90, 130), t + 1000, 15, false); // auth with the site key
  t = yield* after(t, wsRtt);
  t = tlsSend(w, ws.s, SERVER, w.rng.range(250, 320), t, 15, true); // first job
  // the page and script connections go idle and are closed by the servers
  t = yield* sleep(t, w.rng.range(5_000_000, 15_000_000));
  t = yield* tcpClose(script.s, SERVER, t, rtt);
  w.finish(script.s, script.truth, t);
  t = yield* tcpClose(page.s, SERVER, t + 200, pageRtt);
  w.finish(page.s, page.truth, t);
  const end = t + lifetimeUs;
  let nextJob = t + w.rng.exp(30_000_000);
  let nextShare = t + w.rng.range(10_000_000, 50_000_000);
  while (!w.stopped) {
    const next = Math.min(nextJob, nextShare);
    if (next > end) break;
    t = yield* sleep(t, next - t);
    if (w.stopped) break;
    if (next === nextJob) {
      t = tlsSend(w, ws.s, SERVER, w.rng.range(250, 320), t, 15, true);
      nextJob = t + w.rng.exp(30_000_000);
    } else {
      t = tlsSend(w, ws.s, CLIENT, w.rng.range(120, 160), t, 15, false);
      t = yield* after(t, wsRtt);
      t = tlsSend(w, ws.s, SERVER, w.rng.range(40, 60), t, 15, true);
      nextShare = t + w.rng.range(10_000_000, 50_000_000);
    }
  }
  t = yield* tcpClose(ws.s, CLIENT, t + 1000, wsRtt);
  w.finish(ws.s, ws.truth, t);
}
