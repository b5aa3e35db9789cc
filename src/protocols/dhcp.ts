/**
 * DHCP (BOOTP + options, RFC 2131/2132) over UDP 67/68. Kind = the DHCP message type name
 * ('discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform', … or
 * 'bootp' when option 53 is absent). Strings are bounded to 255 characters; the option walk
 * stops at the end of the datagram, so a hostile length cannot run past it.
 */
import { ReasonCounter } from '../events/counters.js';
import { ConsumerVerdict } from '../events/stream.js';
import { message, type DhcpFields, type DhcpKind, type MessageSink, type AppConsumer, type ParseResult } from './types.js';
import { formatIpv4Bytes } from '../util/ip.js';

/** By option-53 value (index 0: no option 53, plain BOOTP); each a kind of the contract (events/messages.ts). */
export const DHCP_MESSAGE_TYPES: readonly DhcpKind[] = [
  'bootp', 'discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform',
  'forcerenew', 'leasequery', 'leaseunassigned', 'leaseunknown', 'leaseactive',
];

/** A parsed DHCP datagram: the fields of a 'dhcp' message (events/messages.ts). */
export type ParsedDhcp = DhcpFields;

const MAGIC = 0x63825363;
const MAX_TEXT = 255;

function text(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end && s.length < MAX_TEXT; i++) {
    const c = b[i];
    if (c === 0) break; // some clients NUL-terminate option strings
    s += String.fromCharCode(c);
  }
  return s;
}

function hex(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, Math.min(end - start, 128)).toString('hex');
}

function mac(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += (i ? ':' : '') + b[off + i].toString(16).padStart(2, '0');
  return s;
}

/**
 * Option 81 (client FQDN, RFC 4702): flags, two obsolete rcodes, then the name — DNS wire
 * format when the E flag is set (a partial name may lack the root label), else ASCII.
 * Null when it is malformed.
 */
export function clientFqdn(b: Uint8Array, start: number, end: number): string | null {
  if (end - start < 3) return null;
  const flags = b[start];
  let p = start + 3;
  if ((flags & 0x04) === 0) return text(b, p, end);
  let name = '';
  while (p < end) {
    const len = b[p];
    if (len === 0) break;
    if (len > 63 || p + 1 + len > end) return null;
    const label = text(b, p + 1, p + 1 + len);
    name = name === '' ? label : `${name}.${label}`;
    if (name.length > MAX_TEXT) return null;
    p += 1 + len;
  }
  return name;
}

/**
 * Parses one DHCP datagram. Never throws. A malformed option that does not break the
 * datagram (a bad option 81) is counted in `problems` and left empty.
 */
export function parseDhcp(b: Uint8Array, problems?: ReasonCounter): ParseResult<ParsedDhcp> {
  if (b.length < 240) return { ok: false, reason: 'short' };
  const op = b[0];
  if (op !== 1 && op !== 2) return { ok: false, reason: 'bad-op' };
  const hlen = b[2];
  if (hlen > 16) return { ok: false, reason: 'bad-hlen' };
  if (((b[236] << 24) | (b[237] << 16) | (b[238] << 8) | b[239]) >>> 0 !== MAGIC) return { ok: false, reason: 'no-magic-cookie' };
  const fields: ParsedDhcp = {
    messageType: 0,
    clientMac: b[1] === 1 && hlen === 6 ? mac(b, 28, 6) : mac(b, 28, hlen),
    hostname: '',
    vendorClass: '',
    parameterList: [],
    requestedIp: '',
    yourIp: formatIpv4Bytes(b, 16),
    op,
    xid: ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0,
    clientIp: formatIpv4Bytes(b, 12),
    serverId: '',
    clientId: '',
    leaseTime: -1,
    options: [],
    fqdn: '',
  };
  let p = 240;
  while (p < b.length) {
    const code = b[p];
    if (code === 255) break;
    if (code === 0) { p++; continue; }
    if (p + 1 >= b.length) return { ok: false, reason: 'option-truncated' };
    const len = b[p + 1];
    const d = p + 2;
    const e = d + len;
    if (e > b.length) return { ok: false, reason: 'option-truncated' };
    if (fields.options.length < 255) fields.options.push(code);
    switch (code) {
      case 53: if (len >= 1) fields.messageType = b[d]; break;
      case 12: fields.hostname = text(b, d, e); break;
      case 60: fields.vendorClass = text(b, d, e); break;
      case 55: for (let i = d; i < e; i++) fields.parameterList.push(b[i]); break;
      case 50: if (len === 4) fields.requestedIp = formatIpv4Bytes(b, d); break;
      case 54: if (len === 4) fields.serverId = formatIpv4Bytes(b, d); break;
      case 61: fields.clientId = hex(b, d, e); break;
      case 81: {
        const name = clientFqdn(b, d, e);
        if (name === null) problems?.add('bad-option-81');
        else fields.fqdn = name;
        break;
      }
      case 51: if (len === 4) fields.leaseTime = ((b[d] << 24) | (b[d + 1] << 16) | (b[d + 2] << 8) | b[d + 3]) >>> 0; break;
    }
    p = e;
  }
  return { ok: true, value: fields };
}

export function dhcpKind(messageType: number): DhcpKind {
  return DHCP_MESSAGE_TYPES[messageType] ?? `type_${messageType}`;
}

export function createDhcpConsumer(sink: MessageSink): AppConsumer {
  const malformed = new ReasonCounter();
  const stats = new ReasonCounter();
  return {
    id: 'dhcp',
    malformed,
    stats,
    accepts(flow) {
      if (flow.proto !== 17) return false;
      const s = flow.serverPort;
      const c = flow.clientPort;
      return s === 67 || s === 68 || c === 67 || c === 68;
    },
    onData(flow, dir, data, tsUs) {
      const r = parseDhcp(data, malformed);
      if (!r.ok) { malformed.add(r.reason); return ConsumerVerdict.CONTINUE; }
      const kind = dhcpKind(r.value.messageType);
      stats.add(kind);
      sink(flow, message('dhcp', kind, dir, tsUs, r.value));
      return ConsumerVerdict.CONTINUE;
    },
  };
}
