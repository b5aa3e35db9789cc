/**
 * HTTP message bodies: bounded collection, chunked transfer decoding, content decoding
 * (gzip / deflate / br) under a hard output limit, and WebSocket frame payloads.
 *
 * Why the decompression is safe against bombs: zlib's `maxOutputLength` stops inflating at
 * the limit (it throws instead of returning what it had); we then inflate the longest
 * prefix of the compressed input whose output fits, found by bisection. Every attempt
 * stops at the limit, so a 1 GB bomb costs ~20 × limit of work, never 1 GB of memory.
 */
import * as zlib from 'node:zlib';
import type { WebSocketFrameFields } from './types.js';

export const EMPTY_BODY = new Uint8Array(0);

/** Collects up to `limit` bytes; counts everything it was offered. */
export class BoundedBody {
  private buf: Uint8Array = EMPTY_BODY;
  private len = 0;
  /** All bytes offered, kept or not. */
  seen = 0;
  /** Set when bytes were dropped at the limit or a hole (gap) is inside. */
  truncated = false;
  constructor(readonly limit: number) {}

  add(data: Uint8Array, start = 0, end = data.length): void {
    const n = end - start;
    this.seen += n;
    const room = this.limit - this.len;
    if (room <= 0) { if (n > 0) this.truncated = true; return; }
    const take = Math.min(room, n);
    if (take < n) this.truncated = true;
    if (this.len + take > this.buf.length) {
      const grown = new Uint8Array(Math.min(this.limit, Math.max(this.len + take, this.buf.length * 2, 256)));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(data.subarray(start, start + take), this.len);
    this.len += take;
  }

  get length(): number {
    return this.len;
  }

  /** A copy of the collected bytes, sized exactly. */
  bytes(): Uint8Array {
    return this.len === 0 ? EMPTY_BODY : this.buf.slice(0, this.len);
  }

  reset(): void {
    this.buf = EMPTY_BODY;
    this.len = 0;
    this.seen = 0;
    this.truncated = false;
  }
}

export interface DecodedBody {
  body: Uint8Array;
  /** Output cut at the limit, or the encoded input was incomplete/corrupt part-way. */
  truncated: boolean;
  /** '' or a reason ('unsupported-encoding', 'decode-error'). */
  error: string;
}

type Inflater = (input: Uint8Array, limit: number) => Uint8Array;

const ZLIB_PARTIAL = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
const BROTLI_PARTIAL = { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH };

const INFLATERS: Record<string, Inflater> = {
  gzip: (i, limit) => zlib.gunzipSync(i, { ...ZLIB_PARTIAL, maxOutputLength: limit }),
  deflate: (i, limit) => zlib.inflateSync(i, { ...ZLIB_PARTIAL, maxOutputLength: limit }),
  'deflate-raw': (i, limit) => zlib.inflateRawSync(i, { ...ZLIB_PARTIAL, maxOutputLength: limit }),
  br: (i, limit) => zlib.brotliDecompressSync(i, { ...BROTLI_PARTIAL, maxOutputLength: limit }),
};

function isTooLarge(e: unknown): boolean {
  return e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}

function tryInflate(fn: Inflater, input: Uint8Array, limit: number): Uint8Array | 'too_large' | 'error' {
  try {
    return fn(input, limit);
  } catch (e) {
    return isTooLarge(e) ? 'too_large' : 'error';
  }
}

/**
 * Decodes `raw` per Content-Encoding into at most `limit` bytes. Never throws.
 * Unknown or stacked encodings return the raw bytes (bounded) with an error reason.
 */
export function decodeContent(encoding: string, raw: Uint8Array, limit: number): DecodedBody {
  let enc = encoding.trim().toLowerCase();
  if (enc === 'x-gzip') enc = 'gzip';
  if (enc === '' || enc === 'identity') {
    return raw.length > limit ? { body: raw.subarray(0, limit), truncated: true, error: '' } : { body: raw, truncated: false, error: '' };
  }
  let fn = INFLATERS[enc];
  if (!fn) return { body: raw.subarray(0, Math.min(raw.length, limit)), truncated: raw.length > limit, error: 'unsupported-encoding' };
  let out = tryInflate(fn, raw, limit);
  if (out === 'error' && enc === 'deflate') {
    // Some servers send raw deflate under "deflate" (no zlib header).
    fn = INFLATERS['deflate-raw'];
    out = tryInflate(fn, raw, limit);
  }
  if (out === 'error') return { body: EMPTY_BODY, truncated: true, error: 'decode-error' };
  if (out !== 'too_large') return { body: new Uint8Array(out.buffer, out.byteOffset, out.length), truncated: false, error: '' };
  // Bisect for the longest input prefix whose output still fits under the limit.
  let lo = 0;
  let hi = raw.length;
  let best: Uint8Array = EMPTY_BODY;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const r = tryInflate(fn, raw.subarray(0, mid), limit);
    if (r === 'too_large') hi = mid;
    else {
      lo = mid;
      if (r !== 'error') best = new Uint8Array(r.buffer, r.byteOffset, r.length);
    }
  }
  return { body: best, truncated: true, error: '' };
}

// ---- chunked transfer coding (RFC 9112 §7.1) ----

const CHUNK_SIZE = 0;
const CHUNK_DATA = 1;
const CHUNK_DATA_END = 2;
const CHUNK_TRAILER = 3;
const CHUNK_DONE = 4;
const MAX_CHUNK_LINE = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

/** Incremental chunked decoder; feed() consumes as much as belongs to this body. */
export class ChunkedDecoder {
  private state = CHUNK_SIZE;
  private remaining = 0;
  private lineLen = 0;
  private lineValue = 0;
  private lineDigits = 0;
  private inExtension = false;
  private trailerBytes = 0;
  /** '' or a malformed reason; once set the decoder consumes nothing more. */
  error = '';

  get done(): boolean {
    return this.state === CHUNK_DONE;
  }

  reset(): void {
    this.state = CHUNK_SIZE;
    this.remaining = this.lineLen = this.lineValue = this.lineDigits = this.trailerBytes = 0;
    this.inExtension = false;
    this.error = '';
  }

  /** Bytes of a gap inside chunk data can be skipped; anywhere else the framing is lost. */
  skipGap(length: number, out: BoundedBody): boolean {
    if (this.state !== CHUNK_DATA || length > this.remaining) return false;
    this.remaining -= length;
    out.truncated = true;
    if (this.remaining === 0) this.state = CHUNK_DATA_END;
    return true;
  }

  /** Decodes from data[start, end) into `out`; returns the offset where it stopped. */
  feed(data: Uint8Array, start: number, end: number, out: BoundedBody): number {
    let p = start;
    while (p < end && this.state !== CHUNK_DONE && this.error === '') {
      switch (this.state) {
        case CHUNK_SIZE: {
          const c = data[p++];
          if (c === 0x0a) {
            if (this.lineDigits === 0) { this.error = 'chunk-size-missing'; break; }
            this.lineLen = 0;
            this.lineDigits = 0;
            this.inExtension = false;
            this.remaining = this.lineValue;
            this.lineValue = 0;
            this.state = this.remaining === 0 ? CHUNK_TRAILER : CHUNK_DATA;
            break;
          }
          if (++this.lineLen > MAX_CHUNK_LINE) { this.error = 'chunk-line-too-long'; break; }
          if (this.inExtension || c === 0x0d) break;
          if (c === 0x3b || c === 0x20 || c === 0x09) { this.inExtension = this.lineDigits > 0 || c === 0x3b; break; }
          const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
          if (v < 0) { this.error = 'chunk-size-not-hex'; break; }
          if (++this.lineDigits > 12) { this.error = 'chunk-size-too-large'; break; }
          this.lineValue = this.lineValue * 16 + v;
          break;
        }
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, end - p);
          out.add(data, p, p + take);
          p += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = CHUNK_DATA_END;
          break;
        }
        case CHUNK_DATA_END: {
          // CRLF after the data (tolerate a bare LF)
          const c = data[p++];
          if (c === 0x0a) this.state = CHUNK_SIZE;
          else if (c !== 0x0d) this.error = 'chunk-missing-crlf';
          break;
        }
        case CHUNK_TRAILER: {
          // trailer lines end with an empty line; lineLen counts non-CR bytes of the current line
          const c = data[p++];
          if (++this.trailerBytes > MAX_TRAILER_BYTES) { this.error = 'chunk-trailer-too-long'; break; }
          if (c === 0x0a) {
            if (this.lineLen === 0) this.state = CHUNK_DONE;
            this.lineLen = 0;
          } else if (c !== 0x0d) this.lineLen++;
          break;
        }
      }
    }
    return p;
  }
}

// ---- WebSocket frames (RFC 6455 §5.2) ----

export type { WebSocketFrameFields };

const WS_HEADER = 0;
const WS_PAYLOAD = 1;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Incremental WebSocket frame reader: keeps at most `previewBytes` of each payload and skips
 * the rest without buffering. Calls `onFrame` when a frame's payload has been read.
 */
/**
 * permessage-deflate inflating is bounded per reader (one flow direction): each attempt costs a
 * credit, a failed one costs DEFLATE_ERROR_COST; credit starts at DEFLATE_INITIAL_CREDIT and
 * grows by one per DEFLATE_BYTES_PER_CREDIT payload bytes, up to DEFLATE_MAX_CREDIT. A flood
 * of tiny compressed frames (each a zlib stream set up and torn down, ~16 KB held until the
 * event loop turns when it fails) therefore costs in proportion to its bytes. Little is lost:
 * each frame is inflated on its own, so with context takeover (the default) only the first
 * message of a direction decodes anyway, and a consumer reads at most 32 frames a direction.
 */
const DEFLATE_INITIAL_CREDIT = 16;
const DEFLATE_MAX_CREDIT = 64;
const DEFLATE_BYTES_PER_CREDIT = 512;
const DEFLATE_ERROR_COST = 2;

export class WebSocketReader {
  private state = WS_HEADER;
  /** Inflate attempts this reader may still make (see DEFLATE_INITIAL_CREDIT). */
  private inflateCredit = DEFLATE_INITIAL_CREDIT;
  private creditBytes = 0;
  /** Compressed frames whose text was not inflated for want of credit. */
  inflateSkipped = 0;
  /** Set once onFrame asked for no more frames: the rest of the stream is passed over. */
  done = false;
  private readonly header = new Uint8Array(14);
  private headerLen = 0;
  private remaining = 0;
  private maskOffset = 0;
  private readonly mask = new Uint8Array(4);
  private readonly preview: BoundedBody;
  private frame = { opcode: 0, fin: false, masked: false, compressed: false, length: 0 };
  error = '';

  /** `onFrame` returns false when it wants no more frames (later ones are neither read nor inflated). */
  constructor(private readonly previewBytes: number, private readonly onFrame: (f: WebSocketFrameFields) => boolean | void) {
    this.preview = new BoundedBody(previewBytes);
  }

  private headerNeeded(): number {
    if (this.headerLen < 2) return 2;
    const len7 = this.header[1] & 0x7f;
    const masked = (this.header[1] & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private startPayload(): void {
    const h = this.header;
    const len7 = h[1] & 0x7f;
    let p = 2;
    let length = len7;
    if (len7 === 126) { length = (h[2] << 8) | h[3]; p = 4; }
    else if (len7 === 127) {
      // 64-bit length: anything above 2^53 cannot be real (and would lose precision)
      length = 0;
      for (let i = 0; i < 8; i++) length = length * 256 + h[2 + i];
      p = 10;
      if (h[2] & 0x80 || length > Number.MAX_SAFE_INTEGER) { this.error = 'ws-bad-length'; return; }
    }
    const masked = (h[1] & 0x80) !== 0;
    if (masked) this.mask.set(h.subarray(p, p + 4));
    this.frame = { opcode: h[0] & 0x0f, fin: (h[0] & 0x80) !== 0, masked, compressed: (h[0] & 0x40) !== 0, length };
    this.remaining = length;
    this.maskOffset = 0;
    this.preview.reset();
    this.state = WS_PAYLOAD;
    if (length === 0) this.finishFrame();
  }

  private finishFrame(): void {
    const f = this.frame;
    let text = '';
    let truncated = this.preview.truncated;
    if (f.opcode === 1 || (f.opcode === 0 && f.compressed)) {
      let bytes = this.preview.bytes();
      if (f.compressed && bytes.length > 0) {
        this.creditBytes += f.length;
        if (this.creditBytes >= DEFLATE_BYTES_PER_CREDIT) {
          this.inflateCredit = Math.min(DEFLATE_MAX_CREDIT, this.inflateCredit + Math.floor(this.creditBytes / DEFLATE_BYTES_PER_CREDIT));
          this.creditBytes %= DEFLATE_BYTES_PER_CREDIT;
        }
        if (this.inflateCredit >= 1) {
          this.inflateCredit--;
          const withTail = new Uint8Array(bytes.length + 4);
          withTail.set(bytes);
          withTail.set([0, 0, 0xff, 0xff], bytes.length);
          const d = decodeContent('deflate-raw', withTail, this.previewBytes);
          if (d.error !== '') this.inflateCredit -= DEFLATE_ERROR_COST;
          bytes = d.body;
          truncated ||= d.truncated;
        } else {
          this.inflateSkipped++;
          bytes = EMPTY_BODY;
          truncated = true;
        }
      }
      text = bytes.length === 0 ? '' : textDecoder.decode(bytes);
    }
    this.state = WS_HEADER;
    this.headerLen = 0;
    if (this.onFrame({ ...f, text, truncated }) === false) this.done = true;
  }

  /** Consumes all of data[start, end). */
  feed(data: Uint8Array, start: number, end: number): void {
    let p = start;
    while (p < end && this.error === '' && !this.done) {
      if (this.state === WS_HEADER) {
        const need = this.headerNeeded();
        while (this.headerLen < need && p < end) this.header[this.headerLen++] = data[p++];
        if (this.headerLen === need && need === this.headerNeeded()) this.startPayload();
        continue;
      }
      const take = Math.min(this.remaining, end - p);
      const room = this.preview.limit - this.preview.length;
      const keep = Math.min(take, room);
      if (keep > 0) {
        const chunk = data.slice(p, p + keep);
        if (this.frame.masked) for (let i = 0; i < keep; i++) chunk[i] ^= this.mask[(this.maskOffset + i) & 3];
        this.preview.add(chunk);
      }
      if (take > keep) this.preview.truncated = true;
      this.maskOffset += take;
      this.remaining -= take;
      p += take;
      if (this.remaining === 0) this.finishFrame();
    }
  }

  /** A gap inside a payload can be skipped (the preview is marked truncated); elsewhere framing is lost. */
  skipGap(length: number): boolean {
    if (this.state !== WS_PAYLOAD || length > this.remaining) return false;
    this.remaining -= length;
    this.maskOffset += length;
    this.preview.truncated = true;
    if (this.remaining === 0) this.finishFrame();
    return true;
  }
}
