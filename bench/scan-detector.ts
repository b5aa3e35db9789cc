/**
 * The scan detector alone on three probe floods, CPU time per probe, optionally paired with
 * another build's detector (rounds alternate which runs first, so a loaded machine's drift
 * falls on both alike):
 * - one-probe: N spoofed sources, one SYN each (the synth `small` capture's shape);
 * - two-probe: N/2 sources, a SYN and its retransmission each (a source gets state);
 * - scanners: N/200 sources, 200 targets each (sets spill to counters, alerts).
 *
 *   node dist/bench/scan-detector.js [--probes 400000] [--rounds 5] [--base /tmp/old/dist/src/detect/scan.js]
 */
import { pathToFileURL } from 'node:url';
import { createScanDetector } from '../src/detect/scan.js';
import { createPacketView, type PacketView } from '../src/events/packet.js';
import type { DetectorContext } from '../src/events/detector.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const { value } = readArgs();
const N = Number(value('--probes', '400000'));
const ROUNDS = Number(value('--rounds', '5'));
const BASE = value('--base', '');

type Factory = typeof createScanDetector;
const ctx: DetectorContext & { alerts: number } = { alerts: 0, emit() { this.alerts++; }, emitEvent() {} };

function run(create: Factory, shape: string): { usPerProbe: number; alerts: number } {
  const det = create();
  const p: PacketView = createPacketView();
  Object.assign(p, { ipVersion: 4, proto: 6, tcpFlags: 0x02, window: 64240, ttl: 64, layers: 12, srcPort: 40000, buf: new Uint8Array(64), macSrcOffset: 6 });
  ctx.alerts = 0;
  let x = 0x9e3779b9;
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    if (shape === 'one-probe') { p.src4 = x; p.dst4 = 0xc6336400 | (x & 0xfe); }
    else if (shape === 'two-probe') { p.src4 = (0x0b000000 + (i >>> 1) * 2654435761) >>> 0; p.dst4 = 0xc6336401; }
    else { p.src4 = (0x0c000000 + Math.floor(i / 200)) >>> 0; p.dst4 = (0x0a000000 + (i % 200) * 2) >>> 0; }
    p.dstPort = 23;
    p.seq = x;
    p.ipId = x & 0xffff;
    p.tsUs = 1e15 + i * 2;
    det.onPacket!(p, null, ctx);
  }
  det.onFinish!(ctx);
  const d = process.cpuUsage(t0);
  return { usPerProbe: (d.user + d.system) / N, alerts: ctx.alerts };
}

const base: Factory | null = BASE ? ((await import(pathToFileURL(BASE).href)) as { createScanDetector: Factory }).createScanDetector : null;
console.log(`scan detector, ${N} probes per run, ${ROUNDS} rounds${base ? `, paired with ${BASE}` : ''} (CPU µs per probe, median)`);
for (const shape of ['one-probe', 'two-probe', 'scanners']) {
  const mine: number[] = [];
  const theirs: number[] = [];
  let alerts = [0, 0];
  for (let r = 0; r < ROUNDS; r++) {
    const order = base && r % 2 === 1 ? ['base', 'this'] : ['this', 'base'];
    for (const who of order) {
      if (who === 'base' && !base) continue;
      const res = run(who === 'this' ? createScanDetector : base!, shape);
      (who === 'this' ? mine : theirs).push(res.usPerProbe);
      alerts[who === 'this' ? 0 : 1] = res.alerts;
    }
  }
  const line = `${shape.padEnd(10)} this ${median(mine).toFixed(3)} µs (${alerts[0]} alerts)`;
  console.log(base ? `${line}   base ${median(theirs).toFixed(3)} µs (${alerts[1]} alerts)   base/this ${(median(theirs) / median(mine)).toFixed(2)}×` : line);
  alerts = [0, 0];
}
