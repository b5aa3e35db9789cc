/**
 * Flow-stage benchmark (not a test): `node --import tsx bench/flow.ts`.
 * Deterministic generated traffic; prints lookups/s, reassembly MB/s (per CPU second of this
 * process) and peak RSS. BENCH_RUNS=n (default 3),
 * BENCH_ONLY=oneShot,engineOneShot,engineOneShotWarm,engineOneShotBare,longFlows,reassembly.
 */
import { createPacketView, IpProto, Layer, TcpFlag, type PacketView } from '../src/events/packet.js';
import { ConsumerVerdict, type StreamConsumer } from '../src/events/stream.js';
import { FlowTable } from '../src/flow/table.js';
import { FlowEngine } from '../src/flow/engine.js';
import { symmetricHash } from '../test/flow/packets.js';
import { median } from './lib/stats.js';

function basePacket(): PacketView {
  const pkt = createPacketView();
  pkt.layers = Layer.L2 | Layer.IP | Layer.L4;
  pkt.ipVersion = 4;
  pkt.proto = IpProto.TCP;
  pkt.wireLength = 60;
  pkt.capLength = 60;
  return pkt;
}

/**
 * Seconds of CPU this process used since `from` (user + system). On a shared, overloaded
 * machine wall time mostly measures the other tenants; CPU time measures us.
 */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

function oneShotFlows(n: number): number {
  const table = new FlowTable({ maxFlows: 500_000 });
  const pkt = basePacket();
  pkt.tcpFlags = TcpFlag.SYN;
  pkt.dst4 = 0x0a0a0a0a;
  pkt.dstPort = 80;
  let x = 0x9e3779b9;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    pkt.src4 = x >>> 0;
    pkt.srcPort = 1024 + (i & 0x7fff);
    pkt.tsUs = 1.7e15 + i;
    table.lookup(pkt, symmetricHash(pkt));
  }
  const s = cpuSeconds(t0);
  if (table.stats.created !== n) throw new Error('bench: unexpected flow count');
  return n / s;
}

/**
 * The pipeline's case: a FlowEngine with an end callback that reads the flow id (as the
 * pipeline does for every ended flow), n one-packet flows, then finish() of the rest.
 */
function engineOneShotFlows(n: number, maxFlows: number): number {
  let idSum = 0;
  const engine = new FlowEngine({ maxFlows, onFlowEnd: (flow) => { idSum += flow.id & 1; } });
  const pkt = basePacket();
  pkt.tcpFlags = TcpFlag.SYN;
  pkt.dst4 = 0x0a0a0a0a;
  pkt.dstPort = 80;
  let x = 0x2545f491;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    pkt.src4 = x >>> 0;
    pkt.srcPort = 1024 + (i & 0x7fff);
    pkt.tsUs = 1.7e15 + i;
    engine.process(pkt, symmetricHash(pkt));
  }
  engine.finish();
  const s = cpuSeconds(t0);
  const st = engine.stats().flow;
  if (st.created !== n || st.ended.evicted + st.ended.shutdown !== n || idSum < 0) throw new Error('bench: unexpected flow count');
  return n / s;
}

/**
 * The same flood as the pipeline would feed it with batch warming: per batch of 256
 * packets the hashes first, one engine.warm(), then the packets. 1 in 8 flows is UDP
 * (two LRU lists, as in .bench/small-10m.pcap). `callback` false: no end callback, the
 * pipeline's case when nothing needs ended flows (no flow events or flow-end detectors).
 */
function engineOneShotWarmFlows(n: number, maxFlows: number, callback: boolean): number {
  let idSum = 0;
  const engine = new FlowEngine({ maxFlows, onFlowEnd: callback ? (flow) => { idSum += flow.id & 1; } : undefined });
  const pkt = basePacket();
  pkt.tcpFlags = TcpFlag.SYN;
  pkt.dst4 = 0x0a0a0a0a;
  pkt.dstPort = 80;
  const BATCH = 256;
  const hashes = new Int32Array(BATCH);
  let x = 0x2545f491;
  const t0 = process.cpuUsage();
  for (let i0 = 0; i0 < n; i0 += BATCH) {
    const m = Math.min(BATCH, n - i0);
    let y = x;
    for (let j = 0; j < m; j++) {
      y ^= y << 13; y ^= y >>> 17; y ^= y << 5;
      pkt.src4 = y >>> 0;
      pkt.proto = (y & 7) === 0 ? IpProto.UDP : IpProto.TCP;
      pkt.srcPort = 1024 + ((i0 + j) & 0x7fff);
      hashes[j] = symmetricHash(pkt);
    }
    engine.warm(hashes, m);
    for (let j = 0; j < m; j++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      pkt.src4 = x >>> 0;
      pkt.proto = (x & 7) === 0 ? IpProto.UDP : IpProto.TCP;
      pkt.srcPort = 1024 + ((i0 + j) & 0x7fff);
      pkt.tsUs = 1.7e15 + i0 + j;
      engine.process(pkt, hashes[j]);
    }
  }
  engine.finish();
  const s = cpuSeconds(t0);
  const st = engine.stats().flow;
  if (st.created !== n || st.ended.evicted + st.ended.shutdown !== n || idSum < 0) throw new Error('bench: unexpected flow count');
  return n / s;
}

function longFlows(n: number, flows: number): number {
  const table = new FlowTable({ maxFlows: 500_000 });
  const pkt = basePacket();
  pkt.tcpFlags = TcpFlag.ACK;
  // Precompute the hash per flow (the decoder computes it once per packet anyway).
  const hashes = new Int32Array(flows);
  for (let f = 0; f < flows; f++) {
    pkt.src4 = (0x0a000000 + f) >>> 0; pkt.dst4 = 0xc0a80001; pkt.srcPort = 40000 + (f & 0x3ff); pkt.dstPort = 443;
    hashes[f] = symmetricHash(pkt);
  }
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const f = (i * 7919) % flows;
    const toServer = (i & 1) === 0;
    const client = (0x0a000000 + f) >>> 0;
    const cport = 40000 + (f & 0x3ff);
    pkt.src4 = toServer ? client : 0xc0a80001;
    pkt.dst4 = toServer ? 0xc0a80001 : client;
    pkt.srcPort = toServer ? cport : 443;
    pkt.dstPort = toServer ? 443 : cport;
    pkt.tsUs = 1.7e15 + i * 10;
    table.lookup(pkt, hashes[f]);
  }
  const s = cpuSeconds(t0);
  if (table.stats.created !== flows) throw new Error(`bench: expected ${flows} flows, got ${table.stats.created}`);
  return n / s;
}

function reassemblyMBps(flowCount: number, bytesPerFlow: number): number {
  let seen = 0;
  const sink: StreamConsumer = {
    id: 'sink',
    accepts: () => true,
    onData: (_f, _d, data) => {
      seen += data.length;
      return ConsumerVerdict.CONTINUE;
    },
  };
  const engine = new FlowEngine({ maxFlows: 65_536, streamDepth: 0, consumers: [sink] });
  const mss = 1460;
  const frame = new Uint8Array(mss);
  for (let i = 0; i < mss; i++) frame[i] = i & 255;
  const pkt = basePacket();
  pkt.buf = frame;
  pkt.payloadOffset = 0;
  pkt.dst4 = 0xc0a80001;
  pkt.dstPort = 3333;
  const segments = Math.ceil(bytesPerFlow / mss);
  const hashes = new Int32Array(flowCount);
  for (let f = 0; f < flowCount; f++) {
    pkt.src4 = 0x0a000000 + f; pkt.srcPort = 50000;
    hashes[f] = symmetricHash(pkt);
  }
  const t0 = process.cpuUsage();
  // Interleave flows segment by segment, like a real link.
  for (let seg = 0; seg < segments; seg++) {
    for (let f = 0; f < flowCount; f++) {
      pkt.src4 = 0x0a000000 + f;
      pkt.srcPort = 50000;
      pkt.tcpFlags = TcpFlag.ACK | TcpFlag.PSH;
      pkt.seq = (1000 + seg * mss) >>> 0;
      pkt.payloadLength = mss;
      pkt.tsUs = 1.7e15 + seg * 1000 + f;
      engine.process(pkt, hashes[f]);
    }
  }
  const s = cpuSeconds(t0);
  if (seen !== flowCount * segments * mss) throw new Error(`bench: delivered ${seen}`);
  return seen / 1e6 / s;
}

const runs = Number(process.env.BENCH_RUNS ?? 3);
const only = new Set((process.env.BENCH_ONLY ?? 'oneShot,engineOneShot,engineOneShotWarm,engineOneShotBare,longFlows,reassembly').split(','));
const cases: Record<string, { label: string; unit: string; scale: number; run: () => number }> = {
  oneShot: { label: 'flow lookups, 10 M one-packet flows (maxFlows 500k)', unit: 'M pkt/s', scale: 1e6, run: () => oneShotFlows(10_000_000) },
  engineOneShot: {
    label: 'engine, 5 M one-packet flows (250k slots) + end callback + finish', unit: 'M flows/s', scale: 1e6,
    run: () => engineOneShotFlows(5_000_000, 250_000),
  },
  engineOneShotWarm: {
    label: 'engine, as engineOneShot, batches of 256 warmed, 1/8 UDP', unit: 'M flows/s', scale: 1e6,
    run: () => engineOneShotWarmFlows(5_000_000, 250_000, true),
  },
  engineOneShotBare: {
    label: 'engine, as engineOneShotWarm without end callback', unit: 'M flows/s', scale: 1e6,
    run: () => engineOneShotWarmFlows(5_000_000, 250_000, false),
  },
  longFlows: { label: 'flow lookups, 10 M packets over 10 k long flows', unit: 'M pkt/s', scale: 1e6, run: () => longFlows(10_000_000, 10_000) },
  reassembly: { label: 'tcp reassembly in order (1000 flows × 1 MB, 1460 B)', unit: 'MB/s', scale: 1, run: () => reassemblyMBps(1000, 1_000_000) },
};
const results: Record<string, number[]> = {};
for (let r = 0; r < runs; r++) {
  for (const [name, c] of Object.entries(cases)) if (only.has(name)) (results[name] ??= []).push(c.run());
}
for (const [name, xs] of Object.entries(results)) {
  const c = cases[name];
  console.log(`${c.label.padEnd(68)} ${(median(xs) / c.scale).toFixed(2)} ${c.unit}`);
}
const mrss = process.resourceUsage().maxRSS / 1024;
console.log(`peak RSS: ${mrss.toFixed(0)} MiB (median of ${runs} runs; rates per CPU second of this process)`);
