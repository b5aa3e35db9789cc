/**
 * EVE `dns`, `tls` and `http` events from the parsers' messages, with Suricata 7's field
 * names (its output-json-dns/-tls/-http), so tools built for Suricata read them unchanged:
 * - dns: Suricata 7's default "version 2" style: one `query` event per question of a request,
 *   one `answer` event per response with the answers both `detailed` (answers[]) and
 *   `grouped` (by rrtype). The tuple is the flow's (src = the client), as Suricata 7 writes it.
 * - tls: one event per flow, when the handshake is done (or the flow ends first): sni,
 *   version, ja3/ja3s {hash, string}, ja4, subject/issuerdn when a certificate was seen.
 * - http: one event per transaction, when its response arrives (or the flow ends first).
 * Per-flow state lives only between a flow's first message and its end (the flow table's
 * bound), and at most MAX_PENDING_FLOWS flows at once.
 */
import type { ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { eveTimestamp, protoName, type EveTypeId } from '../events/eve-format.js';
import type { DnsAnswer, HttpRequestFields } from '../events/messages.js';

/** Flows with a pending TLS handshake or HTTP request, at most (older ones are written early). */
const MAX_PENDING_FLOWS = 65_536;
/** Unanswered requests kept per flow (pipelining); more are written without a response. */
const MAX_PENDING_REQUESTS = 16;

const RRTYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB',
  24: 'SIG', 25: 'KEY', 28: 'AAAA', 29: 'LOC', 33: 'SRV', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 39: 'DNAME',
  41: 'OPT', 43: 'DS', 44: 'SSHFP', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3', 51: 'NSEC3PARAM',
  52: 'TLSA', 59: 'CDS', 60: 'CDNSKEY', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 249: 'TKEY', 250: 'TSIG',
  251: 'IXFR', 252: 'AXFR', 255: 'ANY', 256: 'URI', 257: 'CAA',
};
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

/** Suricata's rrtype text: the mnemonic, or the number for types it has no name for. */
export function rrtypeName(type: number): string {
  return RRTYPES[type] ?? String(type);
}

/** Suricata's rcode text (NOERROR, NXDOMAIN …), or the number. */
export function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? String(rcode);
}

/** Suricata's tls.version text (app-layer-ssl.c SSLVersionToString). */
export function tlsVersionName(version: number): string {
  switch (version) {
    case 0x0200: return 'SSLv2';
    case 0x0300: return 'SSLv3';
    case 0x0301: return 'TLSv1';
    case 0x0302: return 'TLS 1.1';
    case 0x0303: return 'TLS 1.2';
    case 0x0304: return 'TLS 1.3';
    default: return 'UNDETERMINED';
  }
}

/** A flow's tuple as the events write it, kept with pending state (an evicted entry is written with its own). */
interface Tuple {
  flow_id: number;
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  proto: string;
  vlan?: number[];
}

function tupleOf(flow: FlowView): Tuple {
  return {
    flow_id: flow.id, src_ip: flow.clientIp, src_port: flow.clientPort, dest_ip: flow.serverIp, dest_port: flow.serverPort,
    proto: protoName(flow.proto), ...(flow.vlan !== 0 ? { vlan: [flow.vlan] } : {}),
  };
}

interface TlsState {
  tuple: Tuple;
  sni: string;
  version: number;
  ja3: string;
  ja3Hash: string;
  ja4: string;
  ja3s: string;
  ja3sHash: string;
  subject: string;
  issuer: string;
  /** Written already (handshake done): later messages of the flow are ignored. */
  logged: boolean;
}

type Emit = (event: Record<string, unknown>) => void;

export interface ProtocolEventsOptions {
  types: ReadonlySet<EveTypeId>;
  sensor?: string;
}

export class ProtocolEvents {
  private readonly dns: boolean;
  private readonly tls: boolean;
  private readonly http: boolean;
  private readonly tlsFlows = new Map<number, TlsState>();
  private readonly httpFlows = new Map<number, { tuple: Tuple; requests: HttpRequestFields[] }>();
  private readonly sensor: string | undefined;

  constructor(opts: ProtocolEventsOptions) {
    this.dns = opts.types.has('dns');
    this.tls = opts.types.has('tls');
    this.http = opts.types.has('http');
    this.sensor = opts.sensor;
  }

  /** True when some event type needs to hear of flow ends (pending TLS and HTTP state). */
  get wantsFlowEnd(): boolean {
    return this.tls || this.http;
  }

  onMessage(flow: FlowView, msg: ProtocolMessage, emit: Emit): void {
    switch (msg.protocol) {
      case 'dns':
        if (!this.dns) return;
        if (msg.kind === 'query') {
          const f = msg.fields;
          const tuple = tupleOf(flow);
          for (const q of f.questions) {
            emit(this.event(tuple, msg.tsUs, 'dns', { type: 'query', id: f.id, rrname: q.name, rrtype: rrtypeName(q.type), opcode: f.opcode }));
          }
        } else {
          emit(this.event(tupleOf(flow), msg.tsUs, 'dns', dnsAnswer(msg.fields)));
        }
        return;
      case 'tls':
        if (this.tls) this.onTls(flow, msg as ProtocolMessage<'tls'>, emit);
        return;
      case 'http':
        if (!this.http) return;
        if (msg.kind === 'request') this.onRequest(flow, msg.fields, msg.tsUs, emit);
        else if (msg.kind === 'response') {
          const pending = this.httpFlows.get(flow.id);
          const req = pending?.requests.shift();
          if (pending && pending.requests.length === 0) this.httpFlows.delete(flow.id);
          emit(this.event(pending?.tuple ?? tupleOf(flow), msg.tsUs, 'http', httpInfo(req, msg.fields)));
        }
        return;
      default:
    }
  }

  /** The flow ended: write what it left pending (a handshake without its end, unanswered requests). */
  onFlowEnd(flow: FlowView, nowUs: number, emit: Emit): void {
    const t = this.tlsFlows.get(flow.id);
    if (t !== undefined) {
      this.tlsFlows.delete(flow.id);
      if (!t.logged) emit(this.event(t.tuple, nowUs, 'tls', tlsInfo(t)));
    }
    const pending = this.httpFlows.get(flow.id);
    if (pending !== undefined) {
      this.httpFlows.delete(flow.id);
      for (const r of pending.requests) emit(this.event(pending.tuple, nowUs, 'http', httpInfo(r, undefined)));
    }
  }

  /** Flows with pending state now (bounded by the flow table and MAX_PENDING_FLOWS). */
  get pendingFlows(): number {
    return this.tlsFlows.size + this.httpFlows.size;
  }

  private onTls(flow: FlowView, msg: ProtocolMessage<'tls'>, emit: Emit): void {
    let t = this.tlsFlows.get(flow.id);
    if (t === undefined) {
      if (this.tlsFlows.size >= MAX_PENDING_FLOWS) {
        // the oldest pending handshake is written now, as far as it got
        const [id, old] = this.tlsFlows.entries().next().value!;
        this.tlsFlows.delete(id);
        if (!old.logged) emit(this.event(old.tuple, msg.tsUs, 'tls', tlsInfo(old)));
      }
      t = { tuple: tupleOf(flow), sni: '', version: 0, ja3: '', ja3Hash: '', ja4: '', ja3s: '', ja3sHash: '', subject: '', issuer: '', logged: false };
      this.tlsFlows.set(flow.id, t);
    }
    if (t.logged) return;
    switch (msg.kind) {
      case 'client_hello': {
        const f = msg.fields;
        t.sni = f.sni;
        t.version = f.version;
        t.ja3 = f.ja3;
        t.ja3Hash = f.ja3Hash;
        t.ja4 = f.ja4;
        return;
      }
      case 'server_hello': {
        const f = msg.fields;
        t.version = f.selectedVersion !== 0 ? f.selectedVersion : f.version;
        t.ja3s = f.ja3s;
        t.ja3sHash = f.ja3sHash;
        return;
      }
      case 'certificate':
        t.subject = msg.fields.subjectCn;
        t.issuer = msg.fields.issuerCn;
        return;
      case 'handshake_done':
        t.logged = true;
        emit(this.event(t.tuple, msg.tsUs, 'tls', tlsInfo(t)));
        return;
      default:
    }
  }

  private onRequest(flow: FlowView, req: HttpRequestFields, tsUs: number, emit: Emit): void {
    let pending = this.httpFlows.get(flow.id);
    if (pending === undefined) {
      if (this.httpFlows.size >= MAX_PENDING_FLOWS) {
        const [id, oldest] = this.httpFlows.entries().next().value!;
        this.httpFlows.delete(id);
        for (const r of oldest.requests) emit(this.event(oldest.tuple, tsUs, 'http', httpInfo(r, undefined)));
      }
      pending = { tuple: tupleOf(flow), requests: [] };
      this.httpFlows.set(flow.id, pending);
    }
    if (pending.requests.length >= MAX_PENDING_REQUESTS) emit(this.event(pending.tuple, tsUs, 'http', httpInfo(pending.requests.shift(), undefined)));
    pending.requests.push(req);
  }

  private event(t: Tuple, tsUs: number, type: 'dns' | 'tls' | 'http', body: Record<string, unknown>): Record<string, unknown> {
    return {
      timestamp: eveTimestamp(tsUs),
      flow_id: t.flow_id,
      event_type: type,
      src_ip: t.src_ip,
      src_port: t.src_port,
      dest_ip: t.dest_ip,
      dest_port: t.dest_port,
      proto: t.proto,
      ...(t.vlan ? { vlan: t.vlan } : {}),
      [type]: body,
      ...(this.sensor ? { minewatch: { sensor: this.sensor } } : {}),
    };
  }
}

function dnsAnswer(f: ProtocolMessage<'dns'>['fields']): Record<string, unknown> {
  const flags = f.flags;
  const out: Record<string, unknown> = {
    version: 2,
    type: 'answer',
    id: f.id,
    flags: (flags & 0xffff).toString(16),
    // Suricata writes each flag only when it is set
    ...((flags & 0x8000) !== 0 ? { qr: true } : {}),
    ...((flags & 0x0400) !== 0 ? { aa: true } : {}),
    ...((flags & 0x0200) !== 0 ? { tc: true } : {}),
    ...((flags & 0x0100) !== 0 ? { rd: true } : {}),
    ...((flags & 0x0080) !== 0 ? { ra: true } : {}),
    ...((flags & 0x0040) !== 0 ? { z: true } : {}),
    opcode: f.opcode,
  };
  if (f.questions.length > 0) {
    out.rrname = f.qname;
    out.rrtype = rrtypeName(f.qtype);
  }
  out.rcode = rcodeName(f.rcode);
  if (f.answers.length > 0) {
    out.answers = f.answers.map(answerRecord);
    const grouped: Record<string, string[]> = {};
    for (const a of f.answers) (grouped[rrtypeName(a.type)] ??= []).push(a.data);
    out.grouped = grouped;
  }
  return out;
}

function answerRecord(a: DnsAnswer): Record<string, unknown> {
  return { rrname: a.name, rrtype: rrtypeName(a.type), ttl: a.ttl, rdata: a.data };
}

function tlsInfo(t: TlsState): Record<string, unknown> {
  return {
    ...(t.subject !== '' ? { subject: `CN=${t.subject}` } : {}),
    ...(t.issuer !== '' ? { issuerdn: `CN=${t.issuer}` } : {}),
    ...(t.sni !== '' ? { sni: t.sni } : {}),
    version: tlsVersionName(t.version),
    ...(t.ja3Hash !== '' ? { ja3: { hash: t.ja3Hash, string: t.ja3 } } : {}),
    ...(t.ja3sHash !== '' ? { ja3s: { hash: t.ja3sHash, string: t.ja3s } } : {}),
    ...(t.ja4 !== '' ? { ja4: t.ja4 } : {}),
  };
}

/** Suricata's hostname is the Host header without its port (which goes to http_port). */
function splitHost(host: string): { hostname: string; port?: number } {
  const m = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(host);
  if (!m) return { hostname: host };
  const port = Number(m[2]);
  return port <= 65535 ? { hostname: m[1], port } : { hostname: host };
}

function httpInfo(req: HttpRequestFields | undefined, res: ProtocolMessage<'http'>['fields'] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (req) {
    if (req.host !== '') {
      const h = splitHost(req.host);
      out.hostname = h.hostname;
      if (h.port !== undefined) out.http_port = h.port;
    }
    out.url = req.uri;
    if (req.userAgent !== '') out.http_user_agent = req.userAgent;
  } else if (res && 'requestUri' in res && res.requestUri !== '') {
    out.url = res.requestUri;
  }
  const response = res && 'status' in res ? res : undefined;
  if (response && response.contentType !== '') out.http_content_type = response.contentType;
  const method = req?.method ?? response?.requestMethod ?? '';
  if (method !== '') out.http_method = method;
  const version = req?.version ?? response?.version ?? '';
  if (version !== '') out.protocol = version;
  if (response) out.status = response.status;
  out.length = response ? response.bodyLength : 0;
  return out;
}
