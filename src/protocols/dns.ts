/**
 * DNS over UDP and TCP (RFC 1035): header, questions, resource records, name decompression.
 *
 * Bounds (hostile input): names ≤ 255 wire bytes and 128 labels; compression pointers must
 * point strictly backwards and at most 32 are followed per name (so no loop can spin);
 * at most 32 questions and 64 records per section are kept; TXT text ≤ 1024 characters.
 * A TCP stream carries 2-byte length-prefixed messages, several per direction.
 *
 * Which flows: port 53, and on any other port a first payload that passes a strict content
 * check (looksLikeDns; over TCP, a length prefix framing a whole message). On UDP 5353 the
 * flow is DNS only when it is not multicast DNS (isMdnsFlow): local resolvers and forwarders
 * listen there too, and pool lookups through them must reach pool-dns.
 */
import { ReasonCounter } from '../events/counters.js';
import { ConsumerVerdict, type ConsumerVerdictValue } from '../events/stream.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { message, type DnsAnswer, type DnsFields, type MessageSink, type AppConsumer, type ParseResult, type ProtocolMessage } from './types.js';
import { ByteQueue } from './bytes.js';
import { formatIpv4Bytes, formatIpv6 } from '../util/ip.js';

export const DNS_MAX_QUESTIONS = 32;
export const DNS_MAX_RECORDS = 64;
const MAX_NAME_WIRE = 255;
const MAX_LABELS = 128;
const MAX_POINTERS = 32;
const MAX_TXT_CHARS = 1024;

export const DnsType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;

/** A record as parsed; TXT records also keep their character-strings one by one (events/messages.ts). */
export type DnsRecord = DnsAnswer;
/** A parsed DNS message: the fields of a 'dns' message (events/messages.ts). */
export type ParsedDns = DnsFields;

export interface DnsParseOptions {
  /** Also parse authority and additional sections (mDNS puts SRV/TXT/A there). */
  allSections?: boolean;
}

// Name decoding scratch: the parser is synchronous, so one module-level slot avoids
// allocating a result object per name.
let nameText = '';
let nameError = '';
const labelDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Reads a (possibly compressed) name at `off` of `msg` (message bounds [base, end)).
 * Returns the offset just after the name in its original position, or -1 (nameError set).
 * Pointers are offsets from `base`.
 */
function readName(msg: Uint8Array, base: number, off: number, end: number): number {
  let pos = off;
  let after = -1;
  let wire = 0;
  let labels = 0;
  let pointers = 0;
  let lowest = off; // a pointer must go strictly below every position already visited
  let text = '';
  while (true) {
    if (pos >= end) { nameError = 'name-truncated'; return -1; }
    const len = msg[pos];
    if (len === 0) {
      if (after < 0) after = pos + 1;
      break;
    }
    const top = len & 0xc0;
    if (top === 0xc0) {
      if (pos + 1 >= end) { nameError = 'name-truncated'; return -1; }
      const target = base + (((len & 0x3f) << 8) | msg[pos + 1]);
      if (++pointers > MAX_POINTERS) { nameError = 'name-pointer-loop'; return -1; }
      if (target >= lowest) { nameError = 'name-pointer-forward'; return -1; }
      if (after < 0) after = pos + 2;
      lowest = target;
      pos = target;
      continue;
    }
    if (top !== 0) { nameError = 'name-bad-label-type'; return -1; }
    if (pos + 1 + len > end) { nameError = 'name-truncated'; return -1; }
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) { nameError = 'name-too-long'; return -1; }
    if (++labels > MAX_LABELS) { nameError = 'name-too-many-labels'; return -1; }
    if (text.length > 0) text += '.';
    text += labelText(msg, pos + 1, pos + 1 + len);
    pos += 1 + len;
  }
  nameText = text;
  return after;
}

function labelText(b: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) if (b[i] >= 0x80) { ascii = false; break; }
  if (!ascii) return labelDecoder.decode(b.subarray(start, end));
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

function readTxt(msg: Uint8Array, start: number, end: number, strings: string[]): string {
  let out = '';
  let pos = start;
  while (pos < end && out.length < MAX_TXT_CHARS) {
    const len = msg[pos];
    const stop = Math.min(pos + 1 + len, end);
    const s = labelText(msg, pos + 1, stop).slice(0, MAX_TXT_CHARS);
    if (strings.length < DNS_MAX_RECORDS) strings.push(s);
    out += out.length ? ' ' + s : s;
    pos = pos + 1 + len;
  }
  return out.length > MAX_TXT_CHARS ? out.slice(0, MAX_TXT_CHARS) : out;
}

/** Renders RDATA to text; returns null (reason in nameError) when the RDATA is malformed. */
function rdataText(msg: Uint8Array, base: number, type: number, start: number, rdEnd: number, end: number, rec: DnsRecord): string | null {
  const len = rdEnd - start;
  switch (type) {
    case DnsType.A:
      if (len !== 4) { nameError = 'rdata-bad-a'; return null; }
      return formatIpv4Bytes(msg, start);
    case DnsType.AAAA:
      if (len !== 16) { nameError = 'rdata-bad-aaaa'; return null; }
      return formatIpv6(msg, start);
    case DnsType.CNAME:
    case DnsType.PTR:
    case DnsType.NS:
      return readName(msg, base, start, end) < 0 ? null : nameText;
    case DnsType.MX: {
      if (len < 3) { nameError = 'rdata-bad-mx'; return null; }
      const pref = (msg[start] << 8) | msg[start + 1];
      return readName(msg, base, start + 2, end) < 0 ? null : `${pref} ${nameText}`;
    }
    case DnsType.SRV: {
      if (len < 7) { nameError = 'rdata-bad-srv'; return null; }
      const prio = (msg[start] << 8) | msg[start + 1];
      const weight = (msg[start + 2] << 8) | msg[start + 3];
      const port = (msg[start + 4] << 8) | msg[start + 5];
      return readName(msg, base, start + 6, end) < 0 ? null : `${prio} ${weight} ${port} ${nameText}`;
    }
    case DnsType.SOA:
      return readName(msg, base, start, end) < 0 ? null : nameText;
    case DnsType.TXT: {
      const strings: string[] = [];
      const text = readTxt(msg, start, rdEnd, strings);
      rec.strings = strings;
      return text;
    }
    default:
      return '';
  }
}

/** Parses `count` records at `pos`; returns the new offset or -1 (nameError set). */
function readRecords(msg: Uint8Array, base: number, pos: number, end: number, count: number, out: DnsRecord[]): number {
  for (let i = 0; i < count; i++) {
    const p = readName(msg, base, pos, end);
    if (p < 0) return -1;
    const name = nameText;
    if (p + 10 > end) { nameError = 'record-truncated'; return -1; }
    const type = (msg[p] << 8) | msg[p + 1];
    const ttl = ((msg[p + 4] << 24) | (msg[p + 5] << 16) | (msg[p + 6] << 8) | msg[p + 7]) >>> 0;
    const rdlen = (msg[p + 8] << 8) | msg[p + 9];
    const rdStart = p + 10;
    const rdEnd = rdStart + rdlen;
    if (rdEnd > end) { nameError = 'rdata-truncated'; return -1; }
    if (out.length < DNS_MAX_RECORDS && type !== DnsType.OPT) {
      const rec: DnsRecord = { name, type, ttl, data: '' };
      const data = rdataText(msg, base, type, rdStart, rdEnd, end, rec);
      if (data === null) return -1;
      rec.data = data;
      out.push(rec);
    }
    pos = rdEnd;
  }
  return pos;
}

/**
 * Parses one DNS message occupying msg[offset, offset+length). Never throws.
 * `transport` is copied into the result ('udp' | 'tcp').
 */
export function parseDns(msg: Uint8Array, offset: number, length: number, transport: string, opts: DnsParseOptions = {}): ParseResult<ParsedDns> {
  const base = offset;
  const end = offset + length;
  if (length < 12 || end > msg.length) return { ok: false, reason: 'short-header' };
  const id = (msg[base] << 8) | msg[base + 1];
  const flags = (msg[base + 2] << 8) | msg[base + 3];
  const qdcount = (msg[base + 4] << 8) | msg[base + 5];
  const ancount = (msg[base + 6] << 8) | msg[base + 7];
  const nscount = (msg[base + 8] << 8) | msg[base + 9];
  const arcount = (msg[base + 10] << 8) | msg[base + 11];
  // Every question takes ≥5 bytes and every record ≥11: reject counts the size cannot hold
  // before looping over them.
  if (qdcount * 5 + (ancount + nscount + arcount) * 11 > length - 12) return { ok: false, reason: 'counts-exceed-length' };
  const questions: { name: string; type: number }[] = [];
  let pos = base + 12;
  for (let i = 0; i < qdcount; i++) {
    const p = readName(msg, base, pos, end);
    if (p < 0) return { ok: false, reason: nameError };
    if (p + 4 > end) return { ok: false, reason: 'question-truncated' };
    if (questions.length < DNS_MAX_QUESTIONS) questions.push({ name: nameText, type: (msg[p] << 8) | msg[p + 1] });
    pos = p + 4;
  }
  const answers: DnsRecord[] = [];
  pos = readRecords(msg, base, pos, end, ancount, answers);
  if (pos < 0) return { ok: false, reason: nameError };
  const authorities: DnsRecord[] = [];
  const additionals: DnsRecord[] = [];
  if (opts.allSections) {
    pos = readRecords(msg, base, pos, end, nscount, authorities);
    if (pos >= 0) pos = readRecords(msg, base, pos, end, arcount, additionals);
    if (pos < 0) return { ok: false, reason: nameError };
  }
  const q0 = questions[0];
  return {
    ok: true,
    value: {
      id,
      response: (flags & 0x8000) !== 0,
      flags,
      opcode: (flags >> 11) & 0xf,
      rcode: flags & 0xf,
      qname: q0 ? q0.name : '',
      qtype: q0 ? q0.type : 0,
      questions,
      answers,
      transport,
      qdcount,
      ancount,
      nscount,
      arcount,
      authorities,
      additionals,
    },
  };
}

/**
 * Strict content check for DNS on a non-standard port: sane counts, a standard opcode, the
 * reserved bit clear, every question of a real type and class, and the whole message parses.
 */
export function looksLikeDns(data: Uint8Array): boolean {
  if (data.length < 17) return false;
  const qd = (data[4] << 8) | data[5];
  const an = (data[6] << 8) | data[7];
  const ns = (data[8] << 8) | data[9];
  const ar = (data[10] << 8) | data[11];
  const opcode = (data[2] >> 3) & 0xf;
  if (qd < 1 || qd > 4 || an > 64 || ns > 64 || ar > 64 || (opcode !== 0 && opcode !== 4 && opcode !== 5)) return false;
  if ((data[3] & 0x40) !== 0) return false; // the reserved Z bit
  // every question: a real type and class IN, CH, HS or ANY (mDNS's unicast-response bit allowed)
  let p = 12;
  for (let i = 0; i < qd; i++) {
    p = skipName(data, p);
    if (p < 0 || p + 4 > data.length) return false;
    const type = (data[p] << 8) | data[p + 1];
    const cls = ((data[p + 2] << 8) | data[p + 3]) & 0x7fff;
    if (type === 0 || (cls !== 1 && cls !== 3 && cls !== 4 && cls !== 255)) return false;
    p += 4;
  }
  return parseDns(data, 0, data.length, 'udp').ok;
}

const MDNS_PORT = 5353;

/** Skips a (possibly compressed) name at `pos`; returns the offset after it, or -1. */
function skipName(d: Uint8Array, pos: number): number {
  for (let labels = 0; pos < d.length && labels < 128; labels++) {
    const len = d[pos];
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2;
    if ((len & 0xc0) !== 0) return -1;
    pos += 1 + len;
  }
  return -1;
}

/**
 * The mDNS-only bits of a message (RFC 6762): the unicast-response bit of a question's class
 * (§5.4) or the cache-flush bit of a record's class (§10.2), looked for in the first question
 * or, without questions, the first answer record. Plain DNS never sets the top class bit.
 */
export function hasMdnsClassBit(d: Uint8Array): boolean {
  if (d.length < 12) return false;
  const qd = (d[4] << 8) | d[5];
  const records = ((d[6] << 8) | d[7]) + ((d[8] << 8) | d[9]) + ((d[10] << 8) | d[11]);
  if (qd === 0 && records === 0) return false;
  const p = skipName(d, 12);
  // question: name, type, class; record: name, type, class, …
  return p > 0 && p + 4 <= d.length && (d[p + 2] & 0x80) !== 0;
}

/** Whether the name is in mDNS's own space (.local) rather than the global DNS. */
function localName(d: Uint8Array): boolean {
  const r = parseDns(d, 0, d.length, 'udp');
  if (!r.ok) return false;
  const n = (r.value.qname || r.value.answers[0]?.name || '').toLowerCase().replace(/\.$/, '');
  return n === 'local' || n.endsWith('.local');
}

/**
 * Whether a UDP flow on port 5353 is multicast DNS rather than unicast DNS to a resolver on
 * that port (local resolvers and forwarders often listen on 5353): multicast destination,
 * 5353 on both ends (mDNS responders send from 5353, RFC 6762 §11), the mDNS class bits, or a
 * .local name. Anything else on 5353 is left to the DNS parser's content check.
 */
export function isMdnsFlow(flow: FlowView, data: Uint8Array): boolean {
  if (flow.proto !== 17 || (flow.serverPort !== MDNS_PORT && flow.clientPort !== MDNS_PORT)) return false;
  if (flow.ipVersion === 4 ? flow.server4 >>> 28 === 0xe : flow.serverIp.toLowerCase().startsWith('ff')) return true;
  if (flow.serverPort === MDNS_PORT && flow.clientPort === MDNS_PORT) return true;
  return hasMdnsClassBit(data) || localName(data);
}

export interface DnsConsumerOptions {
  /** Also claim flows on other ports whose first payload parses as DNS (default true). */
  contentDetection?: boolean;
}

const DNS_TCP_MAX = 65535 + 2;
/** DHCP, SSDP: parsed by their own consumers (mDNS on 5353: isMdnsFlow). */
const OTHER_UDP_PORTS = new Set([67, 68, 1900]);

interface DnsTcpState {
  queues: [ByteQueue | null, ByteQueue | null];
}

/** Shared by the DNS and mDNS consumers: one datagram or TCP frame → one message. */
export class DnsMessageEmitter {
  readonly malformed = new ReasonCounter();
  readonly stats = new ReasonCounter();
  /** `toMessage` makes the message of the emitter's protocol (DNS: the parsed fields; mDNS: plus its hints). */
  constructor(
    private readonly sink: MessageSink,
    private readonly opts: DnsParseOptions,
    private readonly toMessage: (kind: 'query' | 'response', dir: DirectionValue, tsUs: number, parsed: ParsedDns) => ProtocolMessage,
  ) {}

  emit(flow: FlowView, dir: DirectionValue, msg: Uint8Array, off: number, len: number, transport: string, tsUs: number): void {
    const r = parseDns(msg, off, len, transport, this.opts);
    if (!r.ok) { this.malformed.add(r.reason); return; }
    const kind = r.value.response ? 'response' : 'query';
    this.stats.add(kind);
    this.sink(flow, this.toMessage(kind, dir, tsUs, r.value));
  }
}

export function createDnsConsumer(sink: MessageSink, opts: DnsConsumerOptions = {}): AppConsumer {
  const emitter = new DnsMessageEmitter(sink, {}, (kind, dir, tsUs, parsed) => message('dns', kind, dir, tsUs, parsed));
  const contentDetection = opts.contentDetection ?? true;
  const id = 'dns';

  function tcpData(flow: FlowView, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
    let st = flow.userData.get(id) as DnsTcpState | undefined;
    if (!st) { st = { queues: [null, null] }; flow.userData.set(id, st); }
    let q = st.queues[dir];
    let input = data;
    if (q && q.length > 0) {
      if (!q.push(data)) { emitter.malformed.add('tcp-frame-overflow'); return ConsumerVerdict.DONE; }
      input = q.view();
    }
    let pos = 0;
    while (input.length - pos >= 2) {
      const len = (input[pos] << 8) | input[pos + 1];
      if (len < 12) { emitter.malformed.add('tcp-frame-too-short'); return ConsumerVerdict.DONE; }
      if (input.length - pos - 2 < len) break;
      emitter.emit(flow, dir, input, pos + 2, len, 'tcp', tsUs);
      pos += 2 + len;
    }
    if (input === data) {
      if (pos < data.length) {
        if (!q) { q = new ByteQueue(DNS_TCP_MAX, 512); st.queues[dir] = q; }
        q.push(data.subarray(pos));
      }
    } else q!.consume(pos);
    return ConsumerVerdict.CONTINUE;
  }

  return {
    id,
    malformed: emitter.malformed,
    stats: emitter.stats,
    accepts(flow, _dir, data) {
      if (flow.proto !== 6 && flow.proto !== 17) return false;
      if (flow.serverPort === 53 || flow.clientPort === 53) return true;
      if (!contentDetection) return false;
      if (flow.proto === 6) {
        // DNS over TCP on another port: a length prefix that frames a whole DNS message
        if (data.length < 14) return false;
        const len = (data[0] << 8) | data[1];
        return len <= data.length - 2 && looksLikeDns(data.subarray(2, 2 + len));
      }
      // Ports owned by other consumers never go through the content heuristic; this catches
      // DNS on odd UDP ports (tunnels, alternative resolvers).
      if (OTHER_UDP_PORTS.has(flow.serverPort) || OTHER_UDP_PORTS.has(flow.clientPort)) return false;
      // 5353: unicast DNS to a local resolver or forwarder is DNS; multicast DNS is the mDNS parser's
      return looksLikeDns(data) && !isMdnsFlow(flow, data);
    },
    onData(flow, dir, data, tsUs) {
      if (flow.proto === 6) return tcpData(flow, dir, data, tsUs);
      emitter.emit(flow, dir, data, 0, data.length, 'udp', tsUs);
      return ConsumerVerdict.CONTINUE;
    },
    onGap(flow) {
      // A lost TCP segment breaks the length framing; nothing after it can be trusted.
      if (flow.proto === 6) { emitter.malformed.add('tcp-gap'); return ConsumerVerdict.DONE; }
      return ConsumerVerdict.CONTINUE;
    },
    onEnd(flow) {
      const st = flow.userData.get(id) as DnsTcpState | undefined;
      if (st && ((st.queues[0]?.length ?? 0) > 0 || (st.queues[1]?.length ?? 0) > 0)) emitter.malformed.add('tcp-incomplete-frame');
      flow.userData.delete(id);
    },
  };
}
