/** Video streaming over TLS: small upstream segment requests, large downstream bursts, idle gaps. */
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, gapForMbps, sleep, tcpClose, tlsBulk, tlsOpen, tlsSend } from './common.js';

export const VIDEO_HOSTS = ['rr3---sn-4g5e6nz7.googlevideo.com', 'rr1---sn-uxax4vopj5qx-q0nl.googlevideo.com', 'ipv4-c012-ams001-ix.1.oca.nflxvideo.net',
  'video.twimg.com', 'video-ams4-1.xx.fbcdn.net', 'vod-secure.twitch.tv', 'dash-akamai.primevideo.com'];

export function* video(w: World, d: Device, host: string, t: number, totalBytes: number): FlowTask {
  const r = w.resolve(d, host, t);
  t = yield* sleep(r.t, w.rng.range(200, 2000));
  const rtt = w.rttFor(host);
  const { s, truth } = w.connect(d, r.ip, 443, t, 'video-streaming', { host, sni: host, tls: true });
  t = yield* tlsOpen(w, s, t, rtt, d.tlsProfile, host, d.tlsProfile === 'tls12-iot' ? [] : ['h2', 'http/1.1']);
  const gap = gapForMbps(w.rng.range(40, 400));
  while (totalBytes > 0 && !w.stopped) {
    t = tlsSend(w, s, CLIENT, w.rng.range(300, 700), t, 15, false);
    t = yield* after(t, rtt);
    const burst = Math.min(totalBytes, w.rng.range(500_000, 3_000_000));
    totalBytes -= burst;
    t = yield* tlsBulk(w, s, SERVER, burst, t, gap);
    // the player buffers ahead, then waits until its buffer drains
    t = yield* sleep(t, w.rng.range(2_000_000, 10_000_000));
  }
  t = yield* tcpClose(s, CLIENT, t, rtt);
  w.finish(s, truth, t);
}
