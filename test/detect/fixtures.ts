/**
 * Test fixtures for parsers and detectors: a small mutable FlowView, a recording
 * DetectorContext, and TCP streams extracted from the shared captures with tshark.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createPacketView as createPacketViewForTest } from '../../src/events/packet.js';
import type { AlertInput, Detector, DetectorContext, ProtocolMessage } from '../../src/events/detector.js';
import type { DirectionValue, FlowView } from '../../src/events/flow.js';
import type { StreamConsumer } from '../../src/events/stream.js';
import { PayloadBursts } from '../../src/flow/bursts.js';

export type MutableFlow = { -readonly [K in keyof FlowView]: FlowView[K] };

let nextFlowId = 1;

function ip4ToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x))) return 0;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function fakeFlow(over: Partial<MutableFlow> = {}): MutableFlow {
  const clientIp = over.clientIp ?? '192.168.1.10';
  const serverIp = over.serverIp ?? '203.0.113.5';
  return {
    id: nextFlowId++, proto: 6, ipVersion: clientIp.includes(':') ? 6 : 4, vlan: 0,
    clientIp, serverIp, clientPort: 40000, serverPort: 3333,
    client4: ip4ToInt(clientIp), server4: ip4ToInt(serverIp),
    clientMac: '02:00:00:00:00:01', serverMac: '02:00:00:00:00:02',
    firstTsUs: 1_700_000_000_000_000, lastTsUs: 1_700_000_000_000_000,
    pktsToServer: 0, pktsToClient: 0, bytesToServer: 0, bytesToClient: 0,
    handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false, state: 'established',
    tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: 0, userData: new Map(),
    ...over,
  };
}

export interface RecordedAlert { flow: FlowView | null; alert: AlertInput }

export function recordingContext(): DetectorContext & { alerts: RecordedAlert[]; events: Record<string, unknown>[] } {
  const alerts: RecordedAlert[] = [];
  const events: Record<string, unknown>[] = [];
  return {
    alerts,
    events,
    emit(flow, alert) { alerts.push({ flow, alert }); },
    emitEvent(event) { events.push(event); },
  };
}

/** Typed test messages (fields a test leaves out are empty): test/helpers/messages.ts. */
export { msg } from '../helpers/messages.js';

// ---------------------------------------------------------------------------------------------
// tshark

let tsharkChecked: boolean | null = null;

/** `skip` option for tests that need tshark: loud skip, but a failure under CI=true. */
export function needTshark(): false | string {
  if (tsharkChecked === null) tsharkChecked = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
  if (tsharkChecked) return false;
  const m = 'tshark not installed (apt-get install tshark)';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${m}`);
  console.error(`\n*** SKIPPING: ${m} ***\n`);
  return m;
}

export interface TcpStream {
  index: number;
  /** Node 0 of tshark's follow (the first packet's sender: the client when the SYN was captured). */
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  chunks: { dir: DirectionValue; data: Uint8Array }[];
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))];
}

/** Every TCP stream of a capture, as tshark's `follow,tcp,raw` reassembles it (one tshark run). */
const streamCache = new Map<string, TcpStream[]>();
export function tcpStreams(file: string): TcpStream[] {
  let r = streamCache.get(file);
  if (!r) streamCache.set(file, (r = tcpStreamsUncached(file)));
  return r;
}

interface PacketIndex { streams: number[]; retransmittedText: string }
const indexCache = new Map<string, PacketIndex>();

/** One tshark pass: the TCP stream ids, and the payload text of retransmitted segments. */
function packetIndex(file: string): PacketIndex {
  let r = indexCache.get(file);
  if (r) return r;
  const out = execFileSync('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'separator=|', '-e', 'tcp.stream', '-e', 'tcp.analysis.retransmission', '-e', 'tcp.analysis.fast_retransmission', '-e', 'tcp.analysis.spurious_retransmission', '-e', 'tcp.payload'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  const ids = new Set<number>();
  const retrans: string[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const c = line.split('|');
    ids.add(Number(c[0]));
    if ((c[1] || c[2] || c[3]) && c[4]) retrans.push(Buffer.from(c[4].replace(/:/g, ''), 'hex').toString('latin1'));
  }
  r = { streams: [...ids].sort((a, b) => a - b), retransmittedText: retrans.join('\n') };
  indexCache.set(file, r);
  return r;
}

function tcpStreamsUncached(file: string): TcpStream[] {
  const streams = packetIndex(file).streams;
  if (streams.length === 0) return [];
  const args = ['-r', file, '-q'];
  for (const s of streams) args.push('-z', `follow,tcp,raw,${s}`);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  const result: TcpStream[] = [];
  let cur: TcpStream | null = null;
  for (const line of out.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^Filter: tcp\.stream eq (\d+)/.exec(line))) {
      cur = { index: Number(m[1]), clientIp: '', clientPort: 0, serverIp: '', serverPort: 0, chunks: [] };
      result.push(cur);
    } else if (cur && (m = /^Node 0: (.*)$/.exec(line))) {
      [cur.clientIp, cur.clientPort] = splitHostPort(m[1]);
    } else if (cur && (m = /^Node 1: (.*)$/.exec(line))) {
      [cur.serverIp, cur.serverPort] = splitHostPort(m[1]);
    } else if (cur && /^\t?[0-9a-f]+$/.test(line)) {
      const dir: DirectionValue = line.startsWith('\t') ? 1 : 0;
      cur.chunks.push({ dir, data: Buffer.from(line.trim(), 'hex') });
    }
  }
  return result;
}

/** Feed a stream into a consumer the way the flow layer does; returns the flow used. */
export function replay(consumer: StreamConsumer, s: TcpStream, startUs = 1_700_000_000_000_000, stepUs = 1_000_000): MutableFlow {
  const flow = fakeFlow({ clientIp: s.clientIp, serverIp: s.serverIp, clientPort: s.clientPort, serverPort: s.serverPort, firstTsUs: startUs });
  const done: [boolean, boolean] = [false, false];
  let accepted: boolean | null = null;
  let ts = startUs;
  for (const c of s.chunks) {
    ts += stepUs;
    flow.lastTsUs = ts;
    if (c.dir === 0) { flow.pktsToServer++; flow.bytesToServer += c.data.length; } else { flow.pktsToClient++; flow.bytesToClient += c.data.length; }
    if (accepted === null) accepted = consumer.accepts(flow, c.dir, c.data);
    if (!accepted) break;
    if (done[c.dir]) continue;
    if (consumer.onData(flow, c.dir, c.data, ts) === 1) { done[0] = true; done[1] = true; }
  }
  consumer.onEnd?.(flow);
  return flow;
}

/** Run detector message hooks for messages a parser produced. */
export function feedMessages(det: Detector, ctx: DetectorContext, items: { flow: FlowView; msg: ProtocolMessage }[]): void {
  for (const { flow, msg: m } of items) det.onMessage?.(m, flow, ctx);
}

/** Count `"method":"X"` occurrences in a text (independent of the parser under test). */
export function countMethods(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/"method"\s*:\s*"([A-Za-z0-9_.]+)"/g)) out.set(m[1], (out.get(m[1]) ?? 0) + 1);
  return out;
}

/**
 * Method counts in retransmitted segments. SOURCES.md counted JSON-RPC methods per packet,
 * so its numbers include retransmitted copies that a reassembled stream carries only once.
 */
export function retransmittedMethodCounts(file: string): Map<string, number> {
  return countMethods(packetIndex(file).retransmittedText);
}

/** Method counts in the reassembled streams (what a correct parser must report). */
export function streamMethodCounts(streams: TcpStream[]): Map<string, number> {
  const parts: string[] = [];
  for (const s of streams) {
    for (const dir of [0, 1]) parts.push(Buffer.concat(s.chunks.filter((c) => c.dir === dir).map((c) => c.data)).toString('latin1'));
  }
  return countMethods(parts.join('\n'));
}

/**
 * A HostIntel built from the shared lists (test stand-in for rules/' list loader):
 * NoCoin hosts → browser-miner, sMaSheD pool servers (names and addresses) → pool,
 * CoinBlocker mining-server IPs → pool.
 */
export function sharedListIntel(sharedFile: (rel: string) => string): import('../../src/events/intel.js').HostIntel {
  const domains = new Map<string, import('../../src/events/intel.js').HostMatch>();
  const ips = new Map<string, import('../../src/events/intel.js').HostMatch>();
  for (const line of readFileSync(sharedFile('lists/nocoin-hosts.txt'), 'utf8').split('\n')) {
    const m = /^0\.0\.0\.0\s+(\S+)/.exec(line);
    if (m) domains.set(m[1].toLowerCase(), { entry: m[1], list: 'nocoin-hosts.txt', kind: 'browser-miner' });
  }
  for (const line of readFileSync(sharedFile('lists/mining-pool-servers-smashed-2018-05.csv'), 'utf8').split('\n').slice(1)) {
    const c = line.split(',');
    if (c.length < 7) continue;
    const hit = { entry: c[0], list: 'mining-pool-servers-smashed-2018-05.csv', kind: 'pool', pool: c[1], coin: c[4] };
    domains.set(c[0].toLowerCase(), hit);
    for (const ip of c[6].split(' ')) if (ip) ips.set(ip, { ...hit, entry: ip });
  }
  for (const line of readFileSync(sharedFile('lists/coinblocker-mining-server-ips.txt'), 'utf8').split('\n')) {
    const ip = line.trim();
    if (/^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ips.has(ip)) ips.set(ip, { entry: ip, list: 'coinblocker-mining-server-ips.txt', kind: 'pool' });
  }
  return {
    matchDomain(name: string) {
      let n = name.toLowerCase();
      for (let i = 0; i < 16; i++) {
        const hit = domains.get(n);
        if (hit) return hit;
        const dot = n.indexOf('.');
        if (dot < 0) return null;
        n = n.slice(dot + 1);
      }
      return null;
    },
    matchIp: (ip: string) => ips.get(ip) ?? null,
  };
}

/**
 * PacketViews of a capture's IP packets built from tshark's dissection (test stand-in for
 * decode/): addresses, ports, flags, seq, window, IP ID, ICMP type, payload length.
 */
export function tsharkPackets(file: string): import('../../src/events/packet.js').PacketView[] {
  const fields = ['frame.time_epoch', 'ip.src', 'ip.dst', 'ip.proto', 'ip.id', 'tcp.flags', 'tcp.seq_raw', 'tcp.window_size_value', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'icmp.type', 'tcp.len', 'udp.length', 'eth.src'];
  const args = ['-r', file, '-Y', 'ip && !icmp.resp_to && !(icmp.type==3) && !(icmp.type==11)', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  const ip = (s: string) => s.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
  const res: import('../../src/events/packet.js').PacketView[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const c = line.split('|');
    const p = createPacketViewForTest();
    p.tsUs = Math.round(Number(c[0]) * 1e6);
    p.ipVersion = 4;
    p.layers = 12;
    p.src4 = ip(c[1]);
    p.dst4 = ip(c[2]);
    p.proto = Number(c[3]);
    p.ipId = Number(c[4]);
    const mac = c[15] ?? '';
    if (mac) {
      p.buf = Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
      p.macSrcOffset = 0;
    }
    if (p.proto === 6) {
      p.tcpFlags = Number(c[5]);
      p.seq = Number(c[6]) >>> 0;
      p.window = Number(c[7]);
      p.srcPort = Number(c[8]);
      p.dstPort = Number(c[9]);
      p.payloadLength = Number(c[13] || 0);
    } else if (p.proto === 17) {
      p.srcPort = Number(c[10]);
      p.dstPort = Number(c[11]);
      p.payloadLength = Math.max(0, Number(c[14] || 8) - 8);
    } else if (p.proto === 1) {
      p.icmpType = Number(c[12]);
    }
    res.push(p);
  }
  return res;
}

/**
 * Group tshark packets into TCP/UDP flows (client = first sender) and run a detector's
 * packet, burst (through the flow stage's tracker, as the pipeline does) and flow-end hooks.
 */
export function runPacketDetector(det: Detector, ctx: DetectorContext, pkts: import('../../src/events/packet.js').PacketView[]): MutableFlow[] {
  const flows = new Map<string, { flow: MutableFlow; client: string; slot: number }>();
  const bursts = new PayloadBursts(Math.max(1, pkts.length), (f, b) => det.onBurst?.(f, b, ctx));
  const ip = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  for (const p of pkts) {
    if (p.proto !== 6 && p.proto !== 17) { det.onPacket?.(p, null, ctx); continue; }
    const a = `${p.src4}:${p.srcPort}`;
    const b = `${p.dst4}:${p.dstPort}`;
    const key = `${p.proto}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
    let e = flows.get(key);
    if (!e) {
      e = { flow: fakeFlow({ proto: p.proto, clientIp: ip(p.src4), serverIp: ip(p.dst4), clientPort: p.srcPort, serverPort: p.dstPort, firstTsUs: p.tsUs }), client: a, slot: flows.size };
      flows.set(key, e);
    }
    e.flow.lastDir = a === e.client ? 0 : 1;
    e.flow.lastTsUs = p.tsUs;
    if (p.proto === 6 && p.payloadLength > 0) bursts.add(e.slot, e.flow, e.flow.lastDir, p.tsUs, p.payloadLength);
    det.onPacket?.(p, e.flow, ctx);
  }
  for (const { flow, slot } of flows.values()) {
    bursts.end(slot, flow);
    det.onFlowEnd?.(flow, 'shutdown', ctx);
  }
  det.onFinish?.(ctx);
  return [...flows.values()].map((e) => e.flow);
}
