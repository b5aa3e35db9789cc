/**
 * Conversation helpers shared by the flow generators. Every wait for the far side (an RTT)
 * is a yield, so no flow emits far ahead of the others and capture time stays realistic.
 * Use them as `t = yield* helper(...)`.
 */
import { CLIENT, SERVER, type Side, type TcpSession } from '../packet-builder.js';
import { clientFinished, clientHello, serverHello, writeAppData, type TlsClientProfile } from '../content/tls.js';
import { resumed, type FlowStep } from '../scheduler.js';
import type { World } from '../world.js';

/** Gap (µs) between full-size segments at a given link rate. */
export function gapForMbps(mbps: number): number {
  return Math.max(1, Math.round((1514 * 8) / mbps));
}

/** Waits for the other side: `rttUs` later, or right away when the run is stopping. */
export function* after(t: number, rttUs: number): FlowStep {
  return resumed(yield t + rttUs, t + rttUs);
}

/** Sleeps; when the run stops meanwhile, wakes at once with the flow's own clock. */
export function* sleep(t: number, us: number): FlowStep {
  return resumed(yield t + Math.max(0, Math.round(us)), t);
}

export function* tcpOpen(s: TcpSession, t: number, rttUs: number): FlowStep {
  s.syn(t);
  t = yield* after(t, rttUs);
  s.synAck(t);
  return s.handshakeAck(t + 150);
}

export function* tcpClose(s: TcpSession, from: Side, t: number, rttUs: number): FlowStep {
  if (s.closed) return t;
  s.fin(from, t);
  // the far side's FIN comes back after the path's RTT when the closer is local
  t = yield* after(t, from === CLIENT ? rttUs : 200);
  s.fin((1 - from) as Side, t);
  t = yield* after(t, from === CLIENT ? 150 : rttUs);
  return s.finalAck(from, t);
}

/** TCP handshake + TLS handshake; returns the time the client's Finished went out. */
export function* tlsOpen(w: World, s: TcpSession, t: number, rttUs: number, profile: TlsClientProfile, sni: string, alpn: string[]): FlowStep {
  t = yield* tcpOpen(s, t, rttUs);
  const ch = clientHello(w.rng, profile, sni, alpn);
  t = s.send(CLIENT, ch.record, 0, ch.record.length, t + w.rng.range(100, 600), 15, 40, false);
  t = yield* after(t, rttUs);
  const sh = serverHello(w.rng, ch, w.rng.range(2500, 5200));
  t = s.send(SERVER, sh, 0, sh.length, t, 120, 40, false);
  const fin = clientFinished(w.rng, ch);
  return s.send(CLIENT, fin, 0, fin.length, t + w.rng.range(300, 2000), 15, 40, false);
}

/**
 * One TLS application-data flight of `plainLen` bytes (records of at most 16 KB) from
 * `from`, assembled in the world's scratch space and segmented by MSS.
 */
export function tlsSend(w: World, s: TcpSession, from: Side, plainLen: number, t: number, gapUs = 15, finalAck = true): number {
  const n = writeAppData(w.scratch, 0, plainLen, w.pool, w.rng.u32() & 0xfffff);
  return s.send(from, w.scratch, 0, n, t, gapUs, 40, finalAck);
}

/** A large TLS transfer in 128 KB slices, so that other flows interleave in time. */
export function* tlsBulk(w: World, s: TcpSession, from: Side, total: number, t: number, gapUs: number): FlowStep {
  const slice = 128 * 1024;
  while (total > 0 && !w.stopped) {
    const n = Math.min(slice, total);
    t = tlsSend(w, s, from, n, t, gapUs, n === total);
    total -= n;
    if (total > 0) t = yield* after(t, gapUs);
  }
  return t;
}

/** A large cleartext transfer in 128 KB slices. */
export function* plainBulk(w: World, s: TcpSession, from: Side, data: Buffer, t: number, gapUs: number): FlowStep {
  const slice = 128 * 1024;
  for (let off = 0; off < data.length && !w.stopped; off += slice) {
    const n = Math.min(slice, data.length - off);
    t = s.send(from, data, off, n, t, gapUs, 40, off + n === data.length);
    if (off + n < data.length) t = yield* after(t, gapUs);
  }
  return t;
}

/** Cleartext bytes from one side; the receiver ACKs at once when `finalAck`. */
export function sendPlain(s: TcpSession, from: Side, data: Buffer, t: number, finalAck = false): number {
  return s.send(from, data, 0, data.length, t, 15, 40, finalAck);
}

export { CLIENT, SERVER };
