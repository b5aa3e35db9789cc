/**
 * Micro-benchmark: nanoseconds per "call pair" — one flow-partitioned detector call through
 * the pipeline's detector context and one source-partitioned call through the source context,
 * as PacketPipeline makes them for every packet — with and without `--suppress`/`--home-net`.
 * Both detectors (bruteforce, scan) return at once on the packet used, so what is timed is the
 * call path, context included.
 *
 *   node dist/bench/context-pair.js [DIST_ROOT] [none|suppress|home|both]
 *
 * DIST_ROOT (default: this build's dist/) may be an older build: before the component registry
 * (main at 5445e3f) createDetectorSet wrapped every detector and memoised one context, so two
 * alternating contexts rebuilt the wrapper on every call.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Ctx { emit(flow: unknown, alert: unknown): void; emitEvent(e: unknown): void }
interface Det { id: string; onPacket(pkt: unknown, flow: unknown, ctx: Ctx): void }

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const config = process.argv[3] ?? 'both';
const imp = (p: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(root, 'src', p)).href) as Promise<Record<string, unknown>>;

const { createPacketView } = (await imp('events/packet.js')) as { createPacketView(): unknown };
const { NO_INTEL } = (await imp('events/intel.js')) as { NO_INTEL: unknown };
const homeNets = config === 'home' || config === 'both' ? ['192.168.0.0/16'] : undefined;
const suppress = config === 'suppress' || config === 'both' ? { rules: [{ device: '192.168.2.92', reason: 'mine' }] } : undefined;
const inner: Ctx = { emit() {}, emitEvent() {} };
let detectors: Det[];
let ctx: Ctx;
let sourceCtx: Ctx;
if (existsSync(join(root, 'src', 'pipeline', 'components.js'))) {
  const a = (await imp('pipeline/analyzers.js')) as { loadComponentModules(): Promise<{ detect: unknown }>; createDetectors(m: unknown, o: unknown): Det[] };
  const { alertContext } = (await imp('pipeline/alert-context.js')) as { alertContext(c: Ctx, o: unknown, d: unknown): { ctx: Ctx } };
  const m = await a.loadComponentModules();
  detectors = a.createDetectors(m, { intel: NO_INTEL });
  // what PacketPipeline does: wrap its context once; the source context forwards to it
  const wrapped = alertContext(inner, { homeNets, suppress }, m.detect).ctx;
  ctx = wrapped;
  sourceCtx = { emit: (f, al) => wrapped.emit(f, al), emitEvent: (e) => wrapped.emitEvent(e) };
} else {
  const d = (await imp('detect/index.js')) as { createDetectorSet(o: unknown): { detectors: Det[] } };
  detectors = d.createDetectorSet({ intel: NO_INTEL, homeNets, suppress }).detectors;
  ctx = { emit: (f, al) => inner.emit(f, al), emitEvent: (e) => inner.emitEvent(e) };
  sourceCtx = { emit: (f, al) => inner.emit(f, al), emitEvent: (e) => inner.emitEvent(e) };
}
const bf = detectors.find((d) => d.id === 'bruteforce')!;
const scan = detectors.find((d) => d.id === 'scan')!;
const pkt = createPacketView(); // ipVersion 0, not TCP: both detectors return at once
const N = 2_000_000;
const run = (): number => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    bf.onPacket(pkt, null, ctx);
    scan.onPacket(pkt, null, sourceCtx);
  }
  return Number(process.hrtime.bigint() - t) / N;
};
for (let i = 0; i < 3; i++) run();
const xs = Array.from({ length: 9 }, run).sort((a, b) => a - b);
console.log(JSON.stringify({ root, config, ns_per_pair: +xs[4].toFixed(1), min: +xs[0].toFixed(1), max: +xs[8].toFixed(1) }));
