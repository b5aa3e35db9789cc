/**
 * Flow-stage benchmark (not a test): `node --import tsx test/flow/bench-flow.ts`.
 * Deterministic generated traffic; prints lookups/s, reassembly MB/s (per CPU second of this
 * process) and peak RSS.
 */
import { createPacketView, IpProto, Layer, TcpFlag, type PacketView } from '../../src/events/packet.js';
import { ConsumerVerdict, type StreamConsumer } from '../../src/events/stream.js';
import { FlowTable } from '../../src/flow/table.js';
import { FlowEngine } from '../../src/flow/engine.js';
import { symmetricHash } from './packets.js';

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
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
const results: Record<string, number[]> = { oneShot: [], longFlows: [], reassembly: [] };
for (let r = 0; r < runs; r++) {
  results.oneShot.push(oneShotFlows(10_000_000));
  results.longFlows.push(longFlows(10_000_000, 10_000));
  results.reassembly.push(reassemblyMBps(1000, 1_000_000));
}
const mrss = process.resourceUsage().maxRSS / 1024;
console.log(`flow lookups, 10 M one-packet flows (maxFlows 500k): ${(median(results.oneShot) / 1e6).toFixed(2)} M pkt/s`);
console.log(`flow lookups, 10 M packets over 10 k long flows:     ${(median(results.longFlows) / 1e6).toFixed(2)} M pkt/s`);
console.log(`tcp reassembly in order (1000 flows × 1 MB, 1460 B): ${median(results.reassembly).toFixed(0)} MB/s`);
console.log(`peak RSS: ${mrss.toFixed(0)} MiB (median of ${runs} runs; rates per CPU second of this process)`);
