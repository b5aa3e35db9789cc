/** Chat/WebSocket over TLS: irregular small messages in both directions, occasional media. */
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, gapForMbps, sleep, tcpClose, tlsBulk, tlsOpen, tlsSend } from './common.js';

export const CHAT_HOSTS = ['gateway.discord.gg', 'web.whatsapp.com', 'edge-chat.messenger.com', 'wss-primary.slack.com', 'chat.signal.org', 'mqtt-mini.facebook.com'];

export function* chat(w: World, d: Device, host: string, t: number, lifetimeUs: number): FlowTask {
  const r = w.resolve(d, host, t);
  t = yield* sleep(r.t, w.rng.range(200, 2000));
  const rtt = w.rttFor(host);
  const { s, truth } = w.connect(d, r.ip, 443, t, 'chat-websocket', { host, sni: host, tls: true });
  t = yield* tlsOpen(w, s, t, rtt, d.tlsProfile, host, ['http/1.1']);
  const end = t + lifetimeUs;
  // the WebSocket upgrade exchange, encrypted
  t = tlsSend(w, s, CLIENT, w.rng.range(400, 700), t + 500, 15, false);
  t = yield* after(t, rtt);
  t = tlsSend(w, s, SERVER, w.rng.range(150, 300), t, 15, true);
  const gap = gapForMbps(50);
  while (t < end && !w.stopped) {
    t = yield* sleep(t, Math.min(600_000_000, w.rng.logNormal(6_000_000, 1.6)));
    if (w.stopped) break;
    const from = w.rng.chance(0.55) ? SERVER : CLIENT;
    if (w.rng.chance(0.04)) t = yield* tlsBulk(w, s, from, w.rng.range(20_000, 300_000), t, gap);
    else t = tlsSend(w, s, from, w.rng.range(30, 700), t, 15, true);
  }
  t = yield* tcpClose(s, CLIENT, t, rtt);
  w.finish(s, truth, t);
}
