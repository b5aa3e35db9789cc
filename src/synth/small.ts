/**
 * `small`: N header-only packets, each its own one-packet flow from a random source and
 * port (TCP SYNs and some empty UDP datagrams) — the flow-table stress and packets-per-second
 * benchmark input. One Path is reused and patched per packet.
 */
import { FrameBuilder, Path, SYN } from './packet-builder.js';
import { PcapEmitter } from './emitter.js';
import { Rng } from './rng.js';
import { publicIp4 } from './net.js';
import { parseIpv4 } from '../util/ip.js';
import { isoUs } from './world.js';

export interface SmallOptions {
  seed: number;
  packets: number;
  startUs: number;
  /** packets per second of capture time (default 500 000) */
  rate?: number;
}

export interface SmallTruth {
  kind: 'small';
  seed: number;
  start: string;
  end: string;
  packets: number;
  bytes: number;
  tcpSyn: number;
  udp: number;
  /** destinations are drawn from this /24 */
  destinations: string;
}

const TCP_PORTS = [80, 443, 22, 23, 8080, 25, 3389, 445];
const UDP_PORTS = [53, 123, 443, 5353, 1900];

export async function generateSmall(opts: SmallOptions, outFile: string): Promise<{ packets: number; bytes: number; truth: SmallTruth }> {
  const rng = new Rng(opts.seed);
  const fb = new FrameBuilder();
  const sink = new PcapEmitter(outFile);
  const dstBase = parseIpv4('198.51.100.0');
  const path = new Path(Uint8Array.of(0x00, 0x1c, 0x73, 1, 2, 3), Uint8Array.of(0x3c, 0xfd, 0xfe, 4, 5, 6), 0, dstBase);
  const spacing = 1e6 / (opts.rate ?? 500_000);
  let tcp = 0;
  let udp = 0;
  const n = Math.max(0, Math.floor(opts.packets));
  for (let i = 0; i < n; i++) {
    path.src4 = publicIp4(rng);
    path.dst4 = (dstBase + 1 + rng.int(254)) >>> 0;
    path.ttl = 40 + rng.int(90);
    path.ipId = rng.int(65536);
    const sport = 1024 + rng.int(64512);
    let frame: Uint8Array;
    if (rng.float() < 0.85) {
      frame = fb.tcp(path, sport, TCP_PORTS[rng.int(TCP_PORTS.length)], rng.u32(), 0, SYN, 64240, null);
      tcp++;
    } else {
      frame = fb.udp(path, sport, UDP_PORTS[rng.int(UDP_PORTS.length)], null);
      udp++;
    }
    sink.emit(opts.startUs + i * spacing, frame);
  }
  sink.close();
  const truth: SmallTruth = {
    kind: 'small', seed: opts.seed, start: isoUs(opts.startUs), end: isoUs(sink.lastTs), packets: sink.packets, bytes: sink.bytes,
    tcpSyn: tcp, udp, destinations: '198.51.100.0/24',
  };
  return { packets: sink.packets, bytes: sink.bytes, truth };
}
