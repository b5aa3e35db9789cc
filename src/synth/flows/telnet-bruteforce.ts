/**
 * A Mirai-style telnet brute force against a home device: one connection per credential
 * pair from the default list, until one works; then the BusyBox check Mirai runs.
 */
import { MIRAI_CREDENTIALS, MIRAI_POST_LOGIN, TELNET_CLIENT_NEGOTIATION, TELNET_NEGOTIATION, text } from '../content/telnet.js';
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { CLIENT, SERVER, after, sendPlain, sleep, tcpClose, tcpOpen } from './common.js';

/**
 * `attempts` pairs are tried; the device's real weak credential (`working`) is the last
 * one, so the run ends with a successful login.
 */
export function* telnetBruteForce(w: World, attacker: number, d: Device, t: number, attempts: number, working: [string, string]): FlowTask {
  const rtt = w.rng.range(30_000, 180_000);
  const tried = MIRAI_CREDENTIALS.filter(([u, p]) => !(u === working[0] && p === working[1])).slice(0, Math.max(0, attempts - 1));
  tried.push(working);
  for (let i = 0; i < tried.length && !w.stopped; i++) {
    const [user, pass] = tried[i];
    const success = i === tried.length - 1;
    const dport = w.rng.chance(0.9) ? 23 : 2323;
    const { s, truth } = w.inbound(attacker, d, dport, t, 'telnet-bruteforce', { details: { user, password: pass, success } });
    t = yield* tcpOpen(s, t, 150);
    t = yield* after(t, 2000);
    t = sendPlain(s, SERVER, TELNET_NEGOTIATION, t);
    t = yield* after(t, rtt);
    t = sendPlain(s, CLIENT, TELNET_CLIENT_NEGOTIATION, t);
    t = yield* after(t, 1500);
    t = sendPlain(s, SERVER, text('\r\n(none) login: '), t);
    t = yield* after(t, rtt);
    t = sendPlain(s, CLIENT, text(`${user}\r\n`), t);
    t = yield* after(t, 800);
    t = sendPlain(s, SERVER, text(`${user}\r\nPassword: `), t);
    t = yield* after(t, rtt);
    t = sendPlain(s, CLIENT, text(`${pass}\r\n`), t);
    t = yield* after(t, success ? 60_000 : 1_200_000);
    if (!success) {
      t = sendPlain(s, SERVER, text('\r\nLogin incorrect\r\n(none) login: '), t, true);
      t = yield* sleep(t, rtt);
      t = yield* tcpClose(s, CLIENT, t, 150);
    } else {
      t = sendPlain(s, SERVER, text('\r\n\r\nBusyBox v1.19.4 (2017-03-21 10:48:43 CST) built-in shell (ash)\r\nEnter \'help\' for a list of built-in commands.\r\n\r\n# '), t);
      for (const cmd of MIRAI_POST_LOGIN) {
        t = yield* after(t, rtt);
        t = sendPlain(s, CLIENT, text(`${cmd}\r\n`), t);
        t = yield* after(t, 3000);
        const answer = cmd.startsWith('/bin/busybox') ? `${cmd}\r\nMIRAI: applet not found\r\n# ` : `${cmd}\r\n# `;
        t = sendPlain(s, SERVER, text(answer), t, true);
      }
      t = yield* sleep(t, rtt);
      t = yield* tcpClose(s, CLIENT, t, 150);
    }
    w.finish(s, truth, t);
    t = yield* sleep(t, w.rng.range(200_000, 2_000_000));
  }
}
