/**
 * NetBIOS name service (RFC 1001/1002) over UDP 137: name registrations, refreshes, releases
 * and queries, and their answers. What the device inventory wants is the name a host claims
 * for itself (a registration, or a positive answer for its own name). Kind = the header's
 * opcode ('query', 'registration', 'release', 'wack', 'refresh', 'other'); `response` tells a
 * request from its answer. The name is the first-level encoded one (32 letters 'A'–'P', then
 * an optional scope, possibly a compression pointer in a resource record); every length is
 * checked against the datagram, so a hostile one cannot run past it.
 */
import { ReasonCounter } from '../events/counters.js';
import { ConsumerVerdict } from '../events/stream.js';
import { formatIpv4Bytes } from '../util/ip.js';
import { message, type AppConsumer, type MessageSink, type NetbiosFields, type ParseResult } from './types.js';

export type ParsedNetbios = NetbiosFields;
export type NetbiosKind = 'query' | 'registration' | 'release' | 'wack' | 'refresh' | 'other';

export const NETBIOS_PORT = 137;
const HEADER = 12;
const TYPE_NB = 0x20;
const MAX_SCOPE_LABELS = 16;

export function netbiosKind(opcode: number): NetbiosKind {
  switch (opcode) {
    case 0: return 'query';
    case 5: case 15: return 'registration';
    case 6: return 'release';
    case 7: return 'wack';
    case 8: case 9: return 'refresh';
    default: return 'other';
  }
}

/** The encoded name at `p` (or a pointer to it): its text, suffix and the offset after it, or a reason. */
function readName(b: Uint8Array, p: number): { name: string; suffix: number; next: number } | string {
  let at = p;
  let next = -1;
  if (at < b.length && (b[at] & 0xc0) === 0xc0) {
    if (at + 1 >= b.length) return 'truncated';
    next = at + 2;
    at = ((b[at] & 0x3f) << 8) | b[at + 1];
    // a pointer may only point back, at a name (never at itself or at another pointer)
    if (at >= p || at < HEADER || at >= b.length || (b[at] & 0xc0) !== 0) return 'bad-pointer';
  }
  if (at >= b.length) return 'truncated';
  if (b[at] !== 32) return 'bad-name';
  if (at + 33 > b.length) return 'truncated';
  const bytes: number[] = [];
  for (let i = 0; i < 16; i++) {
    const hi = b[at + 1 + 2 * i] - 0x41;
    const lo = b[at + 2 + 2 * i] - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return 'bad-name';
    bytes.push((hi << 4) | lo);
  }
  // the scope: DNS-style labels to a root label
  let q = at + 33;
  for (let n = 0; ; n++) {
    if (q >= b.length) return 'truncated';
    const len = b[q];
    if (len === 0) { q++; break; }
    if (len > 63 || n >= MAX_SCOPE_LABELS) return 'bad-name';
    q += 1 + len;
  }
  let name = '';
  for (let i = 0; i < 15; i++) {
    const c = bytes[i];
    name += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return { name: name.replace(/ +$/, ''), suffix: bytes[15], next: next >= 0 ? next : q };
}

/** Parses one NBNS datagram. Never throws. */
export function parseNetbios(b: Uint8Array): ParseResult<ParsedNetbios> {
  if (b.length < HEADER) return { ok: false, reason: 'short' };
  const flags = (b[2] << 8) | b[3];
  const qd = (b[4] << 8) | b[5];
  const an = (b[6] << 8) | b[7];
  const ar = (b[10] << 8) | b[11];
  const fields: ParsedNetbios = { opcode: (flags >> 11) & 0x0f, response: (flags & 0x8000) !== 0, rcode: flags & 0x0f, name: '', suffix: 0, group: false, address: '' };
  if (qd > 1 || an > 16) return { ok: false, reason: 'bad-counts' };
  let p = HEADER;
  let named = false;
  if (qd === 1) {
    const n = readName(b, p);
    if (typeof n === 'string') return { ok: false, reason: n };
    fields.name = n.name;
    fields.suffix = n.suffix;
    named = true;
    p = n.next + 4;
    if (p > b.length) return { ok: false, reason: 'truncated' };
  }
  // the first resource record (an answer, or a registration's additional record): its NB address
  if (an + ar > 0 && p < b.length) {
    const n = readName(b, p);
    if (typeof n === 'string') return { ok: false, reason: n };
    if (!named) {
      fields.name = n.name;
      fields.suffix = n.suffix;
      named = true;
    }
    p = n.next;
    if (p + 10 > b.length) return { ok: false, reason: 'truncated' };
    const type = (b[p] << 8) | b[p + 1];
    const rdlen = (b[p + 8] << 8) | b[p + 9];
    p += 10;
    if (p + rdlen > b.length) return { ok: false, reason: 'truncated' };
    if (type === TYPE_NB && rdlen >= 6) {
      fields.group = (b[p] & 0x80) !== 0;
      fields.address = formatIpv4Bytes(b, p + 2);
    }
  }
  if (!named) return { ok: false, reason: 'no-name' };
  return { ok: true, value: fields };
}

export function createNetbiosConsumer(sink: MessageSink): AppConsumer {
  const malformed = new ReasonCounter();
  const stats = new ReasonCounter();
  return {
    id: 'netbios',
    malformed,
    stats,
    accepts(flow) {
      return flow.proto === 17 && (flow.serverPort === NETBIOS_PORT || flow.clientPort === NETBIOS_PORT);
    },
    onData(flow, dir, data, tsUs) {
      const r = parseNetbios(data);
      if (!r.ok) { malformed.add(r.reason); return ConsumerVerdict.CONTINUE; }
      const kind = netbiosKind(r.value.opcode);
      stats.add(r.value.response ? `${kind}-response` : kind);
      sink(flow, message('netbios', kind, dir, tsUs, r.value));
      return ConsumerVerdict.CONTINUE;
    },
  };
}
