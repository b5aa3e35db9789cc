/** Push-notification channels: long idle TLS connections with tiny heartbeats and rare notifications. */
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, sleep, tcpClose, tlsOpen, tlsSend } from './common.js';

export interface PushService { host: string; port: number }
export const PUSH_SERVICES: PushService[] = [
  { host: 'mtalk.google.com', port: 5228 }, { host: 'api.push.apple.com', port: 5223 }, { host: 'push.services.mozilla.com', port: 443 },
  { host: 'client.wns.windows.com', port: 443 }, { host: 'mqtt.googleapis.com', port: 8883 },
];

export function* push(w: World, d: Device, svc: PushService, t: number, lifetimeUs: number): FlowTask {
  const r = w.resolve(d, svc.host, t);
  t = yield* sleep(r.t, w.rng.range(200, 2000));
  const rtt = w.rttFor(svc.host);
  const { s, truth } = w.connect(d, r.ip, svc.port, t, 'push-notification', { host: svc.host, sni: svc.host, tls: true });
  t = yield* tlsOpen(w, s, t, rtt, d.tlsProfile, svc.host, []);
  t = tlsSend(w, s, CLIENT, w.rng.range(150, 400), t + 300, 15, false);
  t = yield* after(t, rtt);
  t = tlsSend(w, s, SERVER, w.rng.range(60, 200), t, 15, true);
  const end = t + lifetimeUs;
  const heartbeat = w.rng.pick([60_000_000, 120_000_000, 270_000_000, 540_000_000]);
  while (t < end && !w.stopped) {
    t = yield* sleep(t, heartbeat + w.rng.range(-2_000_000, 2_000_000));
    if (w.stopped) break;
    if (w.rng.chance(0.2)) {
      t = tlsSend(w, s, SERVER, w.rng.range(200, 2500), t, 15, true);
    } else {
      t = tlsSend(w, s, CLIENT, w.rng.range(20, 60), t, 15, false);
      t = yield* after(t, rtt);
      t = tlsSend(w, s, SERVER, w.rng.range(20, 60), t, 15, true);
    }
  }
  t = yield* tcpClose(s, CLIENT, t, rtt);
  w.finish(s, truth, t);
}
