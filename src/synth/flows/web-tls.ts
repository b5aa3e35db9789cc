/** HTTPS browsing and app API traffic: DNS, TLS with SNI/ALPN, request/response exchanges. */
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, gapForMbps, sleep, tcpClose, tlsBulk, tlsOpen, tlsSend } from './common.js';

export const TLS_SITES = [
  'www.google.com', 'www.youtube.com', 'www.facebook.com', 'www.wikipedia.org', 'en.wikipedia.org', 'www.amazon.com', 'www.reddit.com',
  'www.bbc.co.uk', 'www.nytimes.com', 'github.com', 'api.github.com', 'www.instagram.com', 'i.instagram.com', 'www.netflix.com',
  'fonts.gstatic.com', 'www.gstatic.com', 'apis.google.com', 'ajax.googleapis.com', 'cdn.jsdelivr.net', 'cdnjs.cloudflare.com',
  'www.apple.com', 'gateway.icloud.com', 'outlook.office365.com', 'login.microsoftonline.com', 'settings-win.data.microsoft.com',
  'api.spotify.com', 'www.linkedin.com', 'www.twitch.tv', 'static.xx.fbcdn.net', 'pbs.twimg.com', 'api.twitter.com',
  'app-measurement.com', 'firebaseinstallations.googleapis.com', 'play.googleapis.com', 'a1.tuyaeu.com',
  'api.smartthings.com', 'devs.tplinkcloud.com', 'p2p.hik-connect.com', 'update.synology.com', 'www.ebay.com', 'www.booking.com',
];

export function* webTls(w: World, d: Device, host: string, t: number, exchanges: number, downBytes: number): FlowTask {
  const r = w.resolve(d, host, t);
  t = yield* sleep(r.t, w.rng.range(200, 3000));
  const rtt = w.rttFor(host);
  const { s, truth } = w.connect(d, r.ip, 443, t, 'web-tls', { host, sni: host, tls: true });
  t = yield* tlsOpen(w, s, t, rtt, d.tlsProfile, host, d.tlsProfile === 'tls12-iot' ? [] : ['h2', 'http/1.1']);
  const gap = gapForMbps(w.rng.range(20, 300));
  for (let i = 0; i < exchanges && !w.stopped; i++) {
    t = tlsSend(w, s, CLIENT, w.rng.range(80, 900), t + w.rng.range(200, 3000), 15, false);
    t = yield* after(t, rtt);
    const share = i === exchanges - 1 ? downBytes : Math.floor(downBytes * w.rng.float() * 0.6);
    downBytes -= share;
    t = yield* tlsBulk(w, s, SERVER, Math.max(60, share), t, gap);
    t = yield* sleep(t, w.rng.range(10_000, 4_000_000));
  }
  // browsers keep idle connections a while; servers often close them first
  t = yield* sleep(t, w.rng.range(100_000, 20_000_000));
  t = yield* tcpClose(s, w.rng.chance(0.5) ? CLIENT : SERVER, t, rtt);
  w.finish(s, truth, t);
}
