/** Plain HTTP browsing: DNS, keep-alive connection, a page (gzip, sometimes chunked) and its assets. */
import { httpRequest, httpResponse, htmlPage } from '../content/http.js';
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, gapForMbps, plainBulk, sendPlain, sleep, tcpClose, tcpOpen } from './common.js';

export const HTTP_SITES = ['neverssl.com', 'example.com', 'httpforever.com', 'info.cern.ch', 'portquiz.net', 'www.weather-station.local-news.net',
  'connectivitycheck.gstatic.com', 'detectportal.firefox.com', 'captive.apple.com', 'download.windowsupdate.com', 'ocsp.digicert.com'];
const ASSETS = ['/static/app.js', '/static/site.css', '/img/banner.webp', '/fonts/inter.woff2', '/media/clip.bin'];

export function* webHttp(w: World, d: Device, host: string, t: number, requests: number): FlowTask {
  const r = w.resolve(d, host, t);
  t = yield* sleep(r.t, w.rng.range(200, 3000));
  const rtt = w.rttFor(host);
  const { s, truth } = w.connect(d, r.ip, 80, t, 'web-http', { host });
  t = yield* tcpOpen(s, t, rtt);
  const gap = gapForMbps(w.rng.range(20, 200));
  for (let i = 0; i < requests && !w.stopped; i++) {
    const path = i === 0 ? '/' : w.rng.pick(ASSETS);
    const req = httpRequest('GET', host, path, [
      ['User-Agent', d.userAgent], ['Accept', i === 0 ? 'text/html,application/xhtml+xml,*/*;q=0.8' : '*/*'],
      ['Accept-Encoding', 'gzip, deflate'], ['Accept-Language', 'en-US,en;q=0.9'], ['Connection', 'keep-alive'],
    ]);
    t = sendPlain(s, CLIENT, req, t + w.rng.range(100, 800));
    t = yield* after(t, rtt);
    let resp: Buffer;
    if (path === '/' || path.endsWith('.js') || path.endsWith('.css')) {
      const page = htmlPage(host, w.rng.range(2000, 40000), (n) => w.rng.int(n));
      const type = path.endsWith('.js') ? 'application/javascript' : path.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8';
      resp = httpResponse(200, [['Server', 'nginx/1.24.0'], ['Content-Type', type], ['Cache-Control', 'max-age=600']],
        page, { gzip: w.rng.chance(0.7), chunkSize: w.rng.chance(0.4) ? 8192 : 0 });
    } else {
      const len = w.rng.range(300, 120000);
      const off = w.rng.int(w.pool.length - len);
      const type = path.endsWith('.webp') ? 'image/webp' : path.endsWith('.woff2') ? 'font/woff2' : 'application/octet-stream';
      resp = httpResponse(200, [['Server', 'nginx/1.24.0'], ['Content-Type', type]], w.pool.subarray(off, off + len));
    }
    t = yield* plainBulk(w, s, SERVER, resp, t, gap);
    t = yield* sleep(t, w.rng.range(5000, 2_000_000));
  }
  t = yield* sleep(t, w.rng.range(1000, 5_000_000));
  t = yield* tcpClose(s, CLIENT, t, rtt);
  w.finish(s, truth, t);
}
