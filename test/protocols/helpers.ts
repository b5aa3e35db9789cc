/**
 * Test helpers for the protocol parsers: tshark as the reference dissector, a minimal
 * FlowView, and a sink that records what a consumer emits.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import type { DirectionValue, FlowView } from '../../src/events/flow.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import type { StreamConsumer } from '../../src/events/stream.js';
import type { MessageSink } from '../../src/protocols/types.js';
import { assertMessage } from '../helpers/messages.js';

let tsharkPresent: boolean | null = null;

/** The `skip` option for a test that needs tshark: loud when missing, a failure under CI=true. */
export function needTshark(): false | string {
  if (tsharkPresent === null) tsharkPresent = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
  if (tsharkPresent) return false;
  const msg = 'tshark not found (apt-get install -y tshark): reference comparison skipped';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
  console.error(`\n*** SKIPPING: ${msg} ***\n`);
  return msg;
}

/** One row per matching frame, one string per field (multi-values joined by ','). */
export function tsharkFields(file: string, filter: string, fields: string[], extraArgs: string[] = [], aggregator = ','): string[][] {
  const args = ['-r', file, '-n', ...extraArgs, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${aggregator}`];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

export function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/:/g, ''), 'hex'));
}

/** Both directions of TCP stream `n` as tshark's follow,tcp,raw gives them, in order of appearance. */
export function followTcp(file: string, n: number): { dir: 0 | 1; data: Uint8Array }[] {
  const out = execFileSync('tshark', ['-r', file, '-n', '-qz', `follow,tcp,raw,${n}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: { dir: 0 | 1; data: Uint8Array }[] = [];
  let started = false;
  for (const line of out.split('\n')) {
    if (line.startsWith('Node 1:')) { started = true; continue; }
    if (!started || line.startsWith('=') || line.trim() === '') continue;
    const toClient = line.startsWith('\t');
    chunks.push({ dir: toClient ? 1 : 0, data: hexBytes(line.trim()) });
  }
  return chunks;
}

export interface TestFlow extends FlowView {
  userData: Map<string, unknown>;
}

export function fakeFlow(proto: number, clientPort: number, serverPort: number, id = 1): TestFlow {
  return {
    id, proto, ipVersion: 4, vlan: 0,
    clientIp: '192.0.2.1', serverIp: '192.0.2.2', clientPort, serverPort, client4: 0xc0000201, server4: 0xc0000202,
    clientMac: '', serverMac: '', firstTsUs: 0, lastTsUs: 0, pktsToServer: 0, pktsToClient: 0,
    bytesToServer: 0, bytesToClient: 0, handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false,
    state: 'established', tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: 0, userData: new Map(),
  };
}

export function recordingSink(): { sink: MessageSink; messages: ProtocolMessage[] } {
  const messages: ProtocolMessage[] = [];
  // every message a parser emits in these tests is checked against its declared shape
  return { sink: (_flow, msg) => { messages.push(assertMessage(msg)); }, messages };
}

/** Re-cuts a list of direction chunks into pieces of at most `size` bytes (same order). */
export function resegment(chunks: { dir: 0 | 1; data: Uint8Array }[], size: number): { dir: 0 | 1; data: Uint8Array }[] {
  const out: { dir: 0 | 1; data: Uint8Array }[] = [];
  for (const c of chunks) for (let i = 0; i < c.data.length; i += size) out.push({ dir: c.dir, data: c.data.subarray(i, i + size) });
  return out;
}

/** JSON-comparable view of messages (Uint8Array bodies become hex). */
export function comparable(messages: ProtocolMessage[]): unknown {
  return JSON.parse(JSON.stringify(messages, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
}

/**
 * Payload chunks of every TCP stream of a capture in one tshark pass (much faster than one
 * `follow` per stream). Retransmitted segments are skipped; direction 0 is the side that sent
 * the SYN (or the first payload when the handshake is not in the capture).
 */
export function tcpStreams(file: string, filter = 'tcp.len > 0', extraFields: string[] = [], extraRows?: string[][]): Map<number, { dir: 0 | 1; data: Uint8Array }[]> {
  const rows = tsharkFields(file, `(${filter}) || (tcp.flags.syn == 1 && tcp.flags.ack == 0)`, ['tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.payload', 'tcp.analysis.retransmission', 'tcp.flags.syn', 'tcp.flags.ack', ...extraFields]);
  const clients = new Map<number, string>();
  const out = new Map<number, { dir: 0 | 1; data: Uint8Array }[]>();
  for (const row of rows) {
    const [stream, ip4, ip6, port, payload, retrans, syn, ack] = row;
    const n = Number(stream);
    const src = `${ip4 || ip6}:${port}`;
    if (!clients.has(n)) clients.set(n, src);
    if ((syn === '1' || syn === 'True') && (ack === '0' || ack === 'False')) continue;
    if (extraRows && extraFields.length) extraRows.push([stream, ...row.slice(8)]);
    if (!payload || retrans) continue;
    let list = out.get(n);
    if (!list) { list = []; out.set(n, list); }
    list.push({ dir: clients.get(n) === src ? 0 : 1, data: hexBytes(payload) });
  }
  return out;
}

/**
 * Plays a scripted conversation into a stream consumer as one flow: it must accept the flow
 * on the first chunk; each chunk is one tick (µs) later than the one before; then the flow ends.
 */
export function playScript(consumer: StreamConsumer, flow: FlowView, script: readonly [DirectionValue, Uint8Array][]): void {
  assert.ok(consumer.accepts(flow, script[0][0], script[0][1]));
  let t = 1;
  for (const [dir, data] of script) consumer.onData(flow, dir, data, t++);
  consumer.onEnd?.(flow);
}
