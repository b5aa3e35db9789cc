/**
 * Writes a darknet capture shaped like the issue-21 capture (b) at a chosen scale: IPv4 SYN
 * and UDP probes to 198.18.0.0/16 from `sources` addresses with Zipf(0.8) packet counts,
 * 60 % sweeping random TCP ports, 20 % random UDP ports, 20 % eight fixed ports, spread over
 * `days`. Deterministic (xorshift). For memory-bound and scale tests of the telescope.
 */
import { PcapWriter } from '../../src/capture/pcap-writer.js';

const FIXED_PORTS = [23, 22, 445, 6379, 80, 2323, 1433, 3389];

/** Called for every packet written (for exact references). */
export type SweepPacket = (tUs: number, src: number, udp: boolean, dport: number) => void;

/** Writes `packets` probes, split evenly over `files` in time order. */
export function writeSweepCapture(files: string | string[], packets: number, sources: number, days = 3, onPacket?: SweepPacket): void {
  const outs = typeof files === 'string' ? [files] : files;
  let x = 0x2545f491;
  const rnd = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
  const ips = new Uint32Array(sources);
  const kind = new Uint8Array(sources);
  const cdf = new Float64Array(sources);
  let total = 0;
  for (let i = 0; i < sources; i++) {
    ips[i] = (0x01000000 + Math.floor(rnd() * 0xdf000000)) >>> 0;
    kind[i] = rnd() < 0.6 ? 0 : rnd() < 0.5 ? 1 : 2;
    total += 1 / Math.pow(i + 1, 0.8);
    cdf[i] = total;
  }
  const t0Us = Date.UTC(2026, 0, 5) * 1000;
  const spanUs = days * 86_400e6;
  const frame = Buffer.alloc(54);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45;
  frame.writeUInt16BE(40, 16);
  frame[22] = 50;
  let part = -1;
  let w: PcapWriter | null = null;
  for (let n = 0; n < packets; n++) {
    const p = Math.floor((n * outs.length) / packets);
    if (p !== part) {
      w?.close();
      part = p;
      w = new PcapWriter(outs[p]);
    }
    const u = rnd() * total;
    let lo = 0;
    let hi = sources - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < u) lo = mid + 1; else hi = mid; }
    const udp = kind[lo] === 1;
    const dport = kind[lo] === 2 ? FIXED_PORTS[Math.floor(rnd() * FIXED_PORTS.length)] : Math.floor(rnd() * 65536);
    frame.fill(0, 34);
    frame[23] = udp ? 17 : 6;
    frame.writeUInt32BE(ips[lo], 26);
    frame.writeUInt32BE((0xc6120000 | Math.floor(rnd() * 65536)) >>> 0, 30);
    frame.writeUInt16BE(40000 + (lo % 20000), 34);
    frame.writeUInt16BE(dport, 36);
    if (udp) frame.writeUInt16BE(20, 38);
    else {
      frame.writeUInt32BE(Math.floor(rnd() * 4294967295) >>> 0, 38);
      frame[46] = 0x50;
      frame[47] = 0x02;
      frame.writeUInt16BE(1024, 48);
    }
    const tUs = t0Us + Math.floor((n / packets) * spanUs);
    w!.write(tUs, frame);
    onPacket?.(tUs, ips[lo], udp, dport);
  }
  w?.close();
}
