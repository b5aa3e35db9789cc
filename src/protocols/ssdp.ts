/**
 * SSDP (UPnP discovery, HTTP over UDP): M-SEARCH, NOTIFY and the unicast `HTTP/1.1 200 OK`
 * answers, on UDP 1900 and — for M-SEARCH/NOTIFY recognised by content — on any UDP port
 * (Plex GDM, DIAL, vendor variants). One datagram is one message; headers go through the
 * HTTP head parser with its bounds.
 */
import { ReasonCounter } from '../events/counters.js';
import { ConsumerVerdict } from '../events/stream.js';
import { message, type AppConsumer, type MessageSink, type ParseResult, type SsdpFields } from './types.js';
import { headerValue, parseHttpHead } from './http.js';

/** A parsed SSDP datagram: the fields of an 'ssdp' message (events/messages.ts). */
export type ParsedSsdp = SsdpFields;

const MAX_HEADERS = 64;
const M_SEARCH = Uint8Array.from(Buffer.from('M-SEARCH '));
const NOTIFY = Uint8Array.from(Buffer.from('NOTIFY '));
const HTTP = Uint8Array.from(Buffer.from('HTTP/1.'));

function startsWith(b: Uint8Array, w: Uint8Array): boolean {
  if (b.length < w.length) return false;
  for (let i = 0; i < w.length; i++) if (b[i] !== w[i]) return false;
  return true;
}

/** Index after the blank line that ends the head, or the datagram length when it has none. */
function headLength(b: Uint8Array): number {
  for (let i = 0; i + 1 < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return i + 2;
    if (b[i + 1] === 0x0d && i + 2 < b.length && b[i + 2] === 0x0a) return i + 3;
  }
  // trailing line terminators would otherwise look like an empty header line
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  return end;
}

/** Parses one SSDP datagram. Never throws. */
export function parseSsdp(b: Uint8Array): ParseResult<ParsedSsdp> {
  const isSearch = startsWith(b, M_SEARCH);
  const isNotify = !isSearch && startsWith(b, NOTIFY);
  const isResponse = !isSearch && !isNotify && startsWith(b, HTTP);
  if (!isSearch && !isNotify && !isResponse) return { ok: false, reason: 'not-ssdp' };
  const head = parseHttpHead(b, 0, headLength(b), MAX_HEADERS);
  if (typeof head === 'string') return { ok: false, reason: head };
  const h = head.headers;
  return {
    ok: true,
    value: {
      method: isSearch ? 'M-SEARCH' : isNotify ? 'NOTIFY' : 'RESPONSE',
      st: headerValue(h, 'st'),
      nt: headerValue(h, 'nt'),
      usn: headerValue(h, 'usn'),
      server: headerValue(h, 'server'),
      userAgent: headerValue(h, 'user-agent'),
      location: headerValue(h, 'location'),
      nts: headerValue(h, 'nts'),
      man: headerValue(h, 'man'),
      mx: headerValue(h, 'mx'),
      status: head.status,
      headers: h,
    },
  };
}

const KIND: Record<SsdpFields['method'], 'm-search' | 'notify' | 'response'> = { 'M-SEARCH': 'm-search', NOTIFY: 'notify', RESPONSE: 'response' };

export function createSsdpConsumer(sink: MessageSink): AppConsumer {
  const malformed = new ReasonCounter();
  const stats = new ReasonCounter();
  return {
    id: 'ssdp',
    malformed,
    stats,
    accepts(flow, _dir, data) {
      if (flow.proto !== 17) return false;
      if (flow.serverPort === 1900 || flow.clientPort === 1900) return true;
      return startsWith(data, M_SEARCH) || (startsWith(data, NOTIFY) && data.length > 9 && data[7] === 0x2a);
    },
    onData(flow, dir, data, tsUs) {
      const r = parseSsdp(data);
      if (!r.ok) { malformed.add(r.reason); return ConsumerVerdict.CONTINUE; }
      const kind = KIND[r.value.method];
      stats.add(kind);
      sink(flow, message('ssdp', kind, dir, tsUs, r.value));
      return ConsumerVerdict.CONTINUE;
    },
  };
}
