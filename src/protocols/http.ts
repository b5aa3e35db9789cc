/**
 * HTTP/1.x, both directions, incrementally: pipelined/keep-alive requests and responses,
 * Content-Length and chunked bodies, gzip/deflate/br content decoding under a hard limit,
 * responses matched to requests (FIFO), HEAD/1xx/204/304 without bodies, and the switch to
 * WebSocket after `101 Switching Protocols` (browser miners talk to their proxies over
 * WebSocket, often in clear text on port 80).
 *
 * Messages: 'request' and 'response' when the message is complete (the body is part of the
 * message: JSON-RPC getwork is in the POST body), 'websocket' once per upgraded flow, then
 * 'websocket_frame' for the first `maxWebSocketFrames` frames per direction.
 *
 * DONE: keep-alive flows stay open (more requests may follow); the flow layer's depth limit
 * bounds them. We say DONE when both directions stopped (not HTTP, lost framing, CONNECT
 * tunnel) or both WebSocket directions used up their frame budget.
 *
 * Bounds: header block ≤ maxHeaderBytes (32 KiB), ≤ maxHeaders (100) kept, values ≤ 8 KiB,
 * decoded body ≤ maxBodyBytes (1 MiB), encoded body kept ≤ maxBodyBytes, ≤ 64 pending
 * requests for matching, WebSocket previews ≤ 4 KiB.
 */
import { ReasonCounter } from '../events/counters.js';
import { ConsumerVerdict, type ConsumerVerdictValue } from '../events/stream.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { message, type HttpRequestFields, type HttpResponseFields, type MessageSink, type AppConsumer, type WebSocketUpgradeFields } from './types.js';
import { ByteQueue } from './bytes.js';
import { BoundedBody, ChunkedDecoder, decodeContent, WebSocketReader, EMPTY_BODY, type WebSocketFrameFields } from './http-body.js';

export interface HttpConsumerOptions {
  /** Decoded body limit per message (default 1 MiB). */
  maxBodyBytes?: number;
  maxHeaderBytes?: number;
  maxHeaders?: number;
  /** WebSocket frames reported per direction (default 32). */
  maxWebSocketFrames?: number;
  /** Bytes of each WebSocket payload kept for `text` (default 4096). */
  maxFramePreview?: number;
  /**
   * Which response bodies to collect and decode, by Content-Type ('' when absent); default
   * all. The others are framed and counted (bodyLength) but neither copied nor
   * decompressed: without rules, nothing reads the images, fonts and style sheets that
   * make up most of a page's bytes.
   */
  keepResponseBody?: (contentType: string) => boolean;
}

/** Parsed HTTP messages: the fields of the 'http' messages (events/messages.ts). */
export type ParsedHttpRequest = HttpRequestFields;
export type ParsedHttpResponse = HttpResponseFields;
export type { WebSocketUpgradeFields };

/** Start line + headers of one message, before its body. */
export interface HttpHead {
  request: boolean;
  method: string;
  uri: string;
  version: string;
  status: number;
  reason: string;
  headers: [string, string][];
}

const MAX_VALUE = 8192;
const MAX_NAME = 256;
const MAX_URI = 8192;
const MAX_PENDING = 64;

const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'PATCH', 'TRACE', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH', 'SUBSCRIBE', 'NOTIFY', 'M-SEARCH'];
const METHOD_BYTES = METHODS.map((m) => Uint8Array.from(Buffer.from(m + ' ')));
const HTTP_SLASH = Uint8Array.from(Buffer.from('HTTP/'));

function startsWithPrefix(data: Uint8Array, word: Uint8Array): boolean {
  const n = Math.min(data.length, word.length);
  for (let i = 0; i < n; i++) if (data[i] !== word[i]) return false;
  return n > 0;
}

/**
 * Could `data` be the start of an HTTP request or response? Either direction: when a capture
 * starts mid-connection the flow layer may take the server for the initiator.
 */
export function looksLikeHttp(data: Uint8Array): boolean {
  if (startsWithPrefix(data, HTTP_SLASH)) return true;
  for (const m of METHOD_BYTES) if (startsWithPrefix(data, m)) return true;
  return false;
}

export function headerValue(headers: readonly [string, string][], lowerName: string): string {
  for (const [k, v] of headers) if (k.length === lowerName.length && k.toLowerCase() === lowerName) return v;
  return '';
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/**
 * Parses a complete header block (start line through the empty line, CRLF or LF endings).
 * Returns the head or a malformed reason. Never throws.
 */
export function parseHttpHead(block: Uint8Array, start: number, end: number, maxHeaders: number): HttpHead | string {
  const text = latin1(block, start, end);
  const lines = text.split(/\r?\n/);
  const first = lines[0];
  const head: HttpHead = { request: true, method: '', uri: '', version: '', status: 0, reason: '', headers: [] };
  if (first.startsWith('HTTP/')) {
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
    if (!m) return 'bad-status-line';
    head.request = false;
    head.version = 'HTTP/' + m[1];
    head.status = Number(m[2]);
    head.reason = (m[3] ?? '').slice(0, MAX_NAME);
  } else {
    const m = /^([A-Z][A-Z_-]{0,19}) (\S+) HTTP\/(\d\.\d)$/.exec(first);
    if (!m) return 'bad-request-line';
    head.method = m[1];
    head.uri = m[2].slice(0, MAX_URI);
    head.version = 'HTTP/' + m[3];
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && head.headers.length > 0) {
      // obsolete line folding: continue the previous value
      const last = head.headers[head.headers.length - 1];
      last[1] = (last[1] + ' ' + line.trim()).slice(0, MAX_VALUE);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return 'bad-header-line';
    if (head.headers.length >= maxHeaders) continue;
    head.headers.push([line.slice(0, Math.min(colon, MAX_NAME)).trimEnd(), line.slice(colon + 1).trim().slice(0, MAX_VALUE)]);
  }
  return head;
}

// Direction parser states
const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNKED = 2;
const S_UNTIL_CLOSE = 3;
const S_WS_PENDING = 4; // client after an upgrade request: wait for the server's answer
const S_WEBSOCKET = 5;
const S_STOP = 6;

interface DirState {
  state: number;
  head: ByteQueue | null;
  /** Bytes of the head already scanned for the terminator (to avoid rescanning). */
  scanned: number;
  current: HttpHead | null;
  remaining: number;
  body: BoundedBody | null;
  /** The current body is passed over (keepResponseBody said no). */
  bodySkipped: boolean;
  chunked: ChunkedDecoder | null;
  ws: WebSocketReader | null;
  wsFrames: number;
  /** Bytes a client sent after an upgrade request, held until the 101 arrives. */
  held: ByteQueue | null;
  tsUs: number;
}

interface PendingRequest {
  method: string;
  uri: string;
  host: string;
  origin: string;
  userAgent: string;
  wsProtocol: string;
  wsExtensions: string;
  upgrade: boolean;
}

interface HttpFlowState {
  dirs: [DirState, DirState];
  pending: PendingRequest[];
  /** Direction the requests come from (0 unless the capture started mid-connection). */
  clientDir: DirectionValue;
}

function newDir(): DirState {
  return { state: S_HEAD, head: null, scanned: 0, current: null, remaining: 0, body: null, bodySkipped: false, chunked: null, ws: null, wsFrames: 0, held: null, tsUs: 0 };
}

/** Index just past the blank line ending a header block in b[start,end), or -1. */
function headEnd(b: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (b[i] !== 0x0a) continue;
    if (i + 1 < end && b[i + 1] === 0x0a) return i + 2;
    if (i + 2 < end && b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

export function createHttpConsumer(sink: MessageSink, opts: HttpConsumerOptions = {}): AppConsumer {
  const id = 'http';
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const keepResponseBody = opts.keepResponseBody;
  const maxHeaderBytes = opts.maxHeaderBytes ?? 32 * 1024;
  const maxHeaders = opts.maxHeaders ?? 100;
  const maxFrames = opts.maxWebSocketFrames ?? 32;
  const framePreview = opts.maxFramePreview ?? 4096;
  const malformed = new ReasonCounter();
  const stats = new ReasonCounter();

  function stop(d: DirState, reason: string): void {
    if (reason) malformed.add(reason);
    d.state = S_STOP;
    d.head = null;
    d.body = null;
    d.held = null;
    d.ws = null;
  }

  function emitMessage(flow: FlowView, st: HttpFlowState, dir: DirectionValue, d: DirState): void {
    const head = d.current!;
    const body = d.body;
    const encoding = headerValue(head.headers, 'content-encoding');
    let bytes: Uint8Array = EMPTY_BODY;
    let truncated = false;
    // A skipped body is empty and not truncated: nothing was meant to be kept.
    const skipped = body !== null && d.bodySkipped;
    if (body && !skipped) {
      if (body.length > 0) {
        const decoded = decodeContent(encoding, body.bytes(), maxBody);
        if (decoded.error) malformed.add(decoded.error);
        bytes = decoded.body;
        truncated = body.truncated || decoded.truncated;
      } else truncated = body.truncated;
    }
    const bodyLength = body ? body.seen : 0;
    d.current = null;
    d.body = null;
    if (head.request) {
      const upgrade = headerValue(head.headers, 'upgrade').toLowerCase() === 'websocket';
      const fields: ParsedHttpRequest = {
        method: head.method, uri: head.uri, host: headerValue(head.headers, 'host'), userAgent: headerValue(head.headers, 'user-agent'),
        version: head.version, headers: head.headers, body: bytes, websocketUpgrade: upgrade,
        bodyTruncated: truncated, bodyLength, contentEncoding: encoding, contentType: headerValue(head.headers, 'content-type'),
      };
      stats.add('request');
      sink(flow, message('http', 'request', dir, d.tsUs, fields));
    } else {
      const req = st.pending[0];
      if (head.status >= 200 || head.status === 101) st.pending.shift();
      const fields: ParsedHttpResponse = {
        status: head.status, version: head.version, headers: head.headers, contentType: headerValue(head.headers, 'content-type'),
        body: bytes, bodyTruncated: truncated, contentEncoding: encoding,
        websocketUpgrade: head.status === 101 && headerValue(head.headers, 'upgrade').toLowerCase() === 'websocket',
        reason: head.reason, bodyLength, requestMethod: req ? req.method : '', requestUri: req ? req.uri : '',
        ...(skipped ? { bodySkipped: true } : {}),
      };
      stats.add('response');
      sink(flow, message('http', 'response', dir, d.tsUs, fields));
      if (req?.upgrade && head.status >= 200) cancelUpgrade(flow, st);
    }
  }

  function startWebSocket(flow: FlowView, st: HttpFlowState, dir: DirectionValue, req: PendingRequest | undefined, tsUs: number): void {
    const fields: WebSocketUpgradeFields = {
      uri: req?.uri ?? '', host: req?.host ?? '', origin: req?.origin ?? '', userAgent: req?.userAgent ?? '',
      protocol: req?.wsProtocol ?? '', extensions: req?.wsExtensions ?? '',
    };
    stats.add('websocket');
    sink(flow, message('http', 'websocket', dir, tsUs, fields));
    for (const wdir of [0, 1] as const) {
      const wd = st.dirs[wdir];
      const held = wd.held;
      wd.state = S_WEBSOCKET;
      wd.head = null;
      wd.held = null;
      wd.ws = new WebSocketReader(framePreview, (frame: WebSocketFrameFields) => {
        if (wd.wsFrames >= maxFrames) return false;
        wd.wsFrames++;
        if (frame.opcode === 8) wd.wsFrames = maxFrames; // close: nothing more to learn
        stats.add('websocket_frame');
        if (frame.compressed && frame.truncated && frame.text === '' && frame.length > 0) stats.add('websocket_inflate_skipped');
        sink(flow, message('http', 'websocket_frame', wdir, wd.tsUs, frame));
        // Past the reported frames nothing is read (or inflated) any more.
        return wd.wsFrames < maxFrames;
      });
      if (held && held.length > 0) wd.ws.feed(held.view(), 0, held.length);
    }
  }

  /** After a complete head: decide how the body is framed. */
  function beginBody(flow: FlowView, st: HttpFlowState, dir: DirectionValue, d: DirState): void {
    const head = d.current!;
    const te = headerValue(head.headers, 'transfer-encoding').toLowerCase();
    const clText = headerValue(head.headers, 'content-length');
    let length = -1;
    if (clText !== '') {
      if (!/^\d{1,15}$/.test(clText)) { stop(d, 'bad-content-length'); return; }
      length = Number(clText);
    }
    if (head.request) {
      const upgrade = headerValue(head.headers, 'upgrade').toLowerCase() === 'websocket';
      if (st.pending.length >= MAX_PENDING) { st.pending.shift(); malformed.add('pending-overflow'); }
      st.pending.push({
        method: head.method, uri: head.uri, host: headerValue(head.headers, 'host'), origin: headerValue(head.headers, 'origin'),
        userAgent: headerValue(head.headers, 'user-agent'), wsProtocol: headerValue(head.headers, 'sec-websocket-protocol'),
        wsExtensions: headerValue(head.headers, 'sec-websocket-extensions'), upgrade,
      });
      if (te.includes('chunked')) { d.state = S_CHUNKED; }
      else if (length > 0) { d.state = S_LENGTH; d.remaining = length; }
      else {
        emitMessage(flow, st, dir, d);
        d.state = upgrade ? S_WS_PENDING : head.method === 'CONNECT' ? S_STOP : S_HEAD;
        return;
      }
    } else {
      const req = st.pending[0];
      const status = head.status;
      if (status === 101) {
        emitMessage(flow, st, dir, d);
        if (req?.upgrade && headerValue(head.headers, 'upgrade').toLowerCase() === 'websocket') startWebSocket(flow, st, dir, req, d.tsUs);
        else { stop(st.dirs[dir ^ 1], ''); stop(d, ''); } // some other protocol: not ours
        return;
      }
      if ((status >= 100 && status < 200) || status === 204 || status === 304 || req?.method === 'HEAD') {
        emitMessage(flow, st, dir, d);
        d.state = S_HEAD;
        return;
      }
      if (req?.method === 'CONNECT' && status >= 200 && status < 300) {
        emitMessage(flow, st, dir, d);
        stop(d, '');
        stop(st.dirs[dir ^ 1], '');
        return;
      }
      if (te.includes('chunked')) d.state = S_CHUNKED;
      else if (length >= 0) {
        if (length === 0) { emitMessage(flow, st, dir, d); d.state = S_HEAD; return; }
        d.state = S_LENGTH;
        d.remaining = length;
      } else d.state = S_UNTIL_CLOSE;
    }
    // A body no one reads gets a zero limit: still framed and counted, never copied.
    d.bodySkipped = !head.request && keepResponseBody !== undefined && !keepResponseBody(headerValue(head.headers, 'content-type'));
    d.body = new BoundedBody(d.bodySkipped ? 0 : maxBody);
    if (d.state === S_CHUNKED) {
      if (!d.chunked) d.chunked = new ChunkedDecoder();
      else d.chunked.reset();
    }
  }

  /** Parses what it can from data; returns the number of bytes consumed (the rest must be kept). */
  function parse(flow: FlowView, st: HttpFlowState, dir: DirectionValue, d: DirState, data: Uint8Array, from: number): number {
    let p = from;
    while (p < data.length) {
      switch (d.state) {
        case S_HEAD: {
          // skip blank lines between messages (tolerated by RFC 9112 §2.2)
          while (p < data.length && (data[p] === 0x0d || data[p] === 0x0a) && d.scanned === 0) p++;
          if (p >= data.length) return p;
          const e = headEnd(data, p + d.scanned, data.length);
          if (e < 0) {
            if (data.length - p > maxHeaderBytes) { stop(d, 'headers-too-large'); return data.length; }
            d.scanned = Math.max(0, data.length - p - 2);
            return p;
          }
          d.scanned = 0;
          if (e - p > maxHeaderBytes) { stop(d, 'headers-too-large'); return data.length; }
          const head = parseHttpHead(data, p, e, maxHeaders);
          if (typeof head === 'string') { stop(d, head); return data.length; }
          // Requests and responses are told apart by their start line, not by direction, so a
          // flow whose initiator was guessed wrong (capture began mid-connection) still parses.
          if (head.request) st.clientDir = dir;
          else if (dir === st.clientDir && st.pending.length > 0) { stop(d, 'response-from-client'); return data.length; }
          d.current = head;
          p = e;
          beginBody(flow, st, dir, d);
          break;
        }
        case S_LENGTH: {
          const take = Math.min(d.remaining, data.length - p);
          d.body!.add(data, p, p + take);
          p += take;
          d.remaining -= take;
          if (d.remaining === 0) { emitMessage(flow, st, dir, d); d.state = S_HEAD; }
          break;
        }
        case S_CHUNKED: {
          const c = d.chunked!;
          p = c.feed(data, p, data.length, d.body!);
          if (c.error) { stop(d, c.error); return data.length; }
          if (c.done) { emitMessage(flow, st, dir, d); d.state = S_HEAD; }
          break;
        }
        case S_UNTIL_CLOSE:
          d.body!.add(data, p, data.length);
          return data.length;
        case S_WS_PENDING: {
          if (!d.held) d.held = new ByteQueue(64 * 1024, 256);
          if (!d.held.push(data.subarray(p))) stop(d, 'ws-pending-overflow');
          return data.length;
        }
        case S_WEBSOCKET:
          if (d.wsFrames >= maxFrames) return data.length;
          d.ws!.feed(data, p, data.length);
          if (d.ws!.error) stop(d, d.ws!.error);
          return data.length;
        default:
          return data.length;
      }
    }
    return p;
  }

  function deliver(flow: FlowView, st: HttpFlowState, dir: DirectionValue, data: Uint8Array, tsUs: number): void {
    const d = st.dirs[dir];
    if (d.state === S_STOP) return;
    // A message's timestamp is that of the segment that started it; a frame's, the latest.
    if (d.state === S_WEBSOCKET || (d.state === S_HEAD && (!d.head || d.head.length === 0))) d.tsUs = tsUs;
    const q = d.head;
    if (q && q.length > 0) {
      if (!q.push(data)) stop(d, 'headers-too-large');
      else {
        const used = parse(flow, st, dir, d, q.view(), 0);
        if (d.head) d.head.consume(used);
      }
    } else {
      const used = parse(flow, st, dir, d, data, 0);
      if (used < data.length && d.state === S_HEAD) {
        if (!d.head) d.head = new ByteQueue(maxHeaderBytes + 4, 1024);
        if (!d.head.push(data.subarray(used))) stop(d, 'headers-too-large');
      }
    }
    if (d.state === S_HEAD && d.head && d.head.length === 0) d.scanned = 0;
  }

  /** The server refused an upgrade: what the client sent meanwhile is HTTP again. */
  function cancelUpgrade(flow: FlowView, st: HttpFlowState): void {
    const c = st.dirs[st.clientDir];
    if (c.state !== S_WS_PENDING) return;
    c.state = S_HEAD;
    const held = c.held;
    c.held = null;
    if (held && held.length > 0) deliver(flow, st, st.clientDir, held.view().slice(), c.tsUs);
  }

  function finished(st: HttpFlowState): boolean {
    const done = (d: DirState) => d.state === S_STOP || (d.state === S_WEBSOCKET && d.wsFrames >= maxFrames);
    return done(st.dirs[0]) && done(st.dirs[1]);
  }

  return {
    id,
    malformed,
    stats,
    accepts(flow, _dir, data) {
      return flow.proto === 6 && looksLikeHttp(data);
    },
    onData(flow, dir, data, tsUs): ConsumerVerdictValue {
      let st = flow.userData.get(id) as HttpFlowState | undefined;
      if (!st) { st = { dirs: [newDir(), newDir()], pending: [], clientDir: 0 }; flow.userData.set(id, st); }
      deliver(flow, st, dir, data, tsUs);
      return finished(st) ? ConsumerVerdict.DONE : ConsumerVerdict.CONTINUE;
    },
    onGap(flow, dir, length) {
      const st = flow.userData.get(id) as HttpFlowState | undefined;
      if (!st) return ConsumerVerdict.CONTINUE;
      const d = st.dirs[dir];
      if (d.state === S_LENGTH && length <= d.remaining) {
        // the hole is inside a sized body: framing survives, the body has a hole
        d.remaining -= length;
        d.body!.truncated = true;
        if (d.remaining === 0) { emitMessage(flow, st, dir, d); d.state = S_HEAD; }
      } else if (d.state === S_UNTIL_CLOSE) d.body!.truncated = true;
      else if (d.state === S_CHUNKED && d.chunked!.skipGap(length, d.body!)) { /* hole inside chunk data */ }
      else if (d.state === S_WEBSOCKET && (d.wsFrames >= maxFrames || d.ws!.skipGap(length))) { /* inside a frame payload */ }
      else if (d.state !== S_STOP) stop(d, 'gap');
      return finished(st) ? ConsumerVerdict.DONE : ConsumerVerdict.CONTINUE;
    },
    onEnd(flow) {
      const st = flow.userData.get(id) as HttpFlowState | undefined;
      if (!st) return;
      for (const dir of [0, 1] as const) {
        const d = st.dirs[dir];
        if (d.current && d.body && (d.state === S_UNTIL_CLOSE || d.state === S_LENGTH || d.state === S_CHUNKED)) {
          // body ended with the connection: complete for until-close, cut short otherwise
          if (d.state !== S_UNTIL_CLOSE) d.body.truncated = true;
          emitMessage(flow, st, dir, d);
        } else if (d.state === S_HEAD && d.head && d.head.length > 0) malformed.add('incomplete-headers');
      }
      flow.userData.delete(id);
    },
  };
}
