/**
 * IPv4 and IPv6 fragment reassembly, bounded in every dimension because fragments are a
 * classic way to exhaust a sensor's memory:
 *  - at most `maxFragmentBuffers` datagrams in progress (default 4096); when full, the
 *    oldest datagram is dropped first;
 *  - at most 65535 payload bytes per datagram, and at most `maxFragmentBytes` buffer bytes
 *    in total (default 16 MiB); when a buffer would cross it, the oldest are dropped;
 *  - at most MAX_PIECES disjoint byte ranges (holes) per datagram;
 *  - datagrams older than `fragmentTimeoutUs` (default 30 s, packet time) are dropped.
 *
 * Overlap policy: FIRST WINS. Bytes already received are never overwritten by a later
 * fragment (duplicates and overlaps only fill the gaps). This is the BSD-like policy of
 * most end hosts and it makes an evasion attempt visible in `stats.overlaps` instead of
 * silently changing what detection sees.
 *
 * A completed datagram is written to one reusable output buffer as
 * [link-layer prefix of the completing fragment][IP header of the first fragment, with
 * fragmentation fields cleared][payload], and the PacketView is rebased onto it:
 * buf = that buffer, frameOffset 0, capLength = wireLength = the reassembled length, MAC
 * offsets moved along, layers gain REASSEMBLED and lose FRAGMENT, tsUs of the last fragment.
 */
import { Layer, type PacketView } from '../events/packet.js';

export const FragmentResult = {
  /** Stored; the datagram is not complete yet. */
  PENDING: 0,
  /** The PacketView now views the reassembled datagram. */
  COMPLETE: 1,
  /** The fragment is invalid (see lastRejectReason); its datagram was dropped. */
  REJECTED: 2,
  /** Dropped for lack of room (memory bound), counted in stats.droppedOverLimit. */
  DROPPED: 3,
} as const;
export type FragmentResultValue = (typeof FragmentResult)[keyof typeof FragmentResult];

export interface FragmentOptions {
  maxFragmentBuffers?: number;
  maxFragmentBytes?: number;
  fragmentTimeoutUs?: number;
}

export interface FragmentStats {
  /** Fragments offered. */
  fragments: number;
  reassembled: number;
  timedOut: number;
  /** Datagrams dropped because a count or byte bound was reached. */
  droppedOverLimit: number;
  /** Fragments that overlapped (or duplicated) bytes already held; first-wins kept the old bytes. */
  overlaps: number;
  /** Fragments rejected as invalid (inconsistent length, too many pieces …). */
  rejected: number;
}

const MAX_DATAGRAM_PAYLOAD = 65535;
/** Disjoint received ranges per datagram; real datagrams need a handful. */
export const MAX_PIECES = 256;
/** Longest link-layer prefix copied in front of a reassembled datagram. */
const MAX_L2_PREFIX = 64;
const MAX_IP_HEADER = 60;
const MIN_BUFFER = 2048;
const FREE_LIST_MAX = 64;
const EMPTY = new Uint8Array(0);

class Datagram {
  version = 4;
  src4 = 0;
  dst4 = 0;
  proto = 0;
  id = 0;
  hash = 0;
  /** IPv6 source and destination addresses (32 bytes) for exact key comparison. */
  readonly addr6 = new Uint8Array(32);
  /** IP header of the offset-0 fragment (IPv4: with options; IPv6: the fixed 40 bytes). */
  readonly header = new Uint8Array(MAX_IP_HEADER);
  headerLen = 0;
  /** IPv6: next header found in the offset-0 fragment's fragment header. */
  innerProto = 0;
  data: Uint8Array = EMPTY;
  /** Sorted, disjoint, non-touching [start, end) pairs of received payload bytes. */
  ranges: number[] = [];
  /** Payload length, known once the last fragment (MF = 0) arrived; -1 before. */
  totalLength = -1;
  firstTsUs = 0;
  bucketNext: Datagram | null = null;
  older: Datagram | null = null;
  newer: Datagram | null = null;
}

function mixKey(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

export class FragmentReassembler {
  readonly maxBuffers: number;
  readonly maxBytes: number;
  readonly timeoutUs: number;
  readonly stats: FragmentStats = { fragments: 0, reassembled: 0, timedOut: 0, droppedOverLimit: 0, overlaps: 0, rejected: 0 };
  /** Reason of the last REJECTED result, "<layer>.<problem>". */
  lastRejectReason = '';
  /** Where completed datagrams are written; valid until the next completion. */
  private readonly out = new Uint8Array(MAX_L2_PREFIX + MAX_IP_HEADER + MAX_DATAGRAM_PAYLOAD);
  private readonly buckets = new Map<number, Datagram>();
  private oldest: Datagram | null = null;
  private newest: Datagram | null = null;
  private readonly free: Datagram[] = [];
  private count = 0;
  private bytes = 0;

  constructor(opts: FragmentOptions = {}) {
    this.maxBuffers = Math.max(1, opts.maxFragmentBuffers ?? 4096);
    this.maxBytes = Math.max(MIN_BUFFER, opts.maxFragmentBytes ?? 16 * 1024 * 1024);
    this.timeoutUs = opts.fragmentTimeoutUs ?? 30_000_000;
  }

  /** Datagrams in progress. */
  get inProgress(): number {
    return this.count;
  }

  /** Payload buffer bytes held by datagrams in progress (≤ maxBytes). */
  get bytesInUse(): number {
    return this.bytes;
  }

  /**
   * Adds the IPv4 fragment pkt views (decodeIpv4 has filled addresses, id, proto,
   * payloadOffset/Length). fragOffset is in bytes.
   */
  addIpv4(pkt: PacketView, headerLen: number, fragOffset: number, moreFragments: boolean): FragmentResultValue {
    this.expire(pkt.tsUs);
    const hash = mixKey(pkt.src4, pkt.dst4, (pkt.ipId << 8) | pkt.proto);
    let d = this.buckets.get(hash) ?? null;
    while (d !== null && (d.version !== 4 || d.src4 !== pkt.src4 || d.dst4 !== pkt.dst4 || d.id !== pkt.ipId || d.proto !== pkt.proto)) {
      d = d.bucketNext;
    }
    if (d === null) {
      d = this.create(hash, pkt.tsUs);
      d.version = 4;
      d.src4 = pkt.src4;
      d.dst4 = pkt.dst4;
      d.id = pkt.ipId;
      d.proto = pkt.proto;
    }
    if (fragOffset === 0 && d.headerLen === 0) {
      // First wins for the header too: a later duplicate first fragment changes nothing.
      d.header.set(pkt.buf.subarray(pkt.l3Offset, pkt.l3Offset + headerLen));
      d.headerLen = headerLen;
    }
    return this.addPiece(d, pkt, fragOffset, moreFragments);
  }

  /** Adds the IPv6 fragment pkt views; payloadOffset/Length cover the bytes after the fragment header. */
  addIpv6(pkt: PacketView, innerProto: number, id: number, fragOffset: number, moreFragments: boolean): FragmentResultValue {
    const buf = pkt.buf;
    this.expire(pkt.tsUs);
    const hash = mixKey(pkt.src4, pkt.dst4, id);
    let d = this.buckets.get(hash) ?? null;
    while (d !== null && (d.version !== 6 || d.id !== id || !this.sameAddr6(d, buf, pkt.src6Offset, pkt.dst6Offset))) {
      d = d.bucketNext;
    }
    if (d === null) {
      d = this.create(hash, pkt.tsUs);
      d.version = 6;
      d.id = id;
      d.src4 = pkt.src4;
      d.dst4 = pkt.dst4;
      d.addr6.set(buf.subarray(pkt.src6Offset, pkt.src6Offset + 16), 0);
      d.addr6.set(buf.subarray(pkt.dst6Offset, pkt.dst6Offset + 16), 16);
    }
    if (fragOffset === 0 && d.headerLen === 0) {
      d.header.set(buf.subarray(pkt.l3Offset, pkt.l3Offset + 40));
      d.headerLen = 40;
      d.innerProto = innerProto;
    }
    return this.addPiece(d, pkt, fragOffset, moreFragments);
  }

  /** Drops datagrams whose first fragment is older than the timeout at packet time nowUs. */
  expire(nowUs: number): void {
    while (this.oldest !== null && nowUs - this.oldest.firstTsUs > this.timeoutUs) {
      this.stats.timedOut++;
      this.release(this.oldest);
    }
  }

  /** Drops everything in progress (end of input); what was pending counts as timed out. */
  flush(): void {
    while (this.oldest !== null) {
      this.stats.timedOut++;
      this.release(this.oldest);
    }
  }

  private sameAddr6(d: Datagram, buf: Uint8Array, src: number, dst: number): boolean {
    const a = d.addr6;
    for (let i = 0; i < 16; i++) if (a[i] !== buf[src + i] || a[16 + i] !== buf[dst + i]) return false;
    return true;
  }

  private reject(d: Datagram, reason: string): FragmentResultValue {
    this.lastRejectReason = reason;
    this.stats.rejected++;
    this.release(d);
    return FragmentResult.REJECTED;
  }

  private addPiece(d: Datagram, pkt: PacketView, start: number, moreFragments: boolean): FragmentResultValue {
    this.stats.fragments++;
    const len = pkt.payloadLength;
    const end = start + len;
    const v = d.version === 4 ? 'ipv4' : 'ipv6';
    if (moreFragments && (len === 0 || (len & 7) !== 0)) return this.reject(d, `${v}.bad-fragment-length`);
    if (end > MAX_DATAGRAM_PAYLOAD) return this.reject(d, `${v}.fragment-too-large`);
    const ranges = d.ranges;
    if (!moreFragments) {
      const heldEnd = ranges.length > 0 ? ranges[ranges.length - 1] : 0;
      if ((d.totalLength >= 0 && d.totalLength !== end) || heldEnd > end) return this.reject(d, `${v}.fragment-inconsistent-length`);
      d.totalLength = end;
    } else if (d.totalLength >= 0 && end > d.totalLength) {
      return this.reject(d, `${v}.fragment-beyond-end`);
    }
    if (end > d.data.length && !this.grow(d, end)) return FragmentResult.DROPPED;

    // First wins: copy only the gaps between ranges already held.
    const src = pkt.buf;
    const srcBase = pkt.payloadOffset - start;
    const data = d.data;
    let cursor = start;
    let overlapped = false;
    let first = -1; // index (pair) of the first range touching [start, end]
    let last = -1;
    for (let i = 0; i < ranges.length; i += 2) {
      const rs = ranges[i];
      const re = ranges[i + 1];
      if (re < start) continue;
      if (rs > end) break;
      if (first < 0) first = i;
      last = i;
      if (re <= cursor || rs >= end) continue;
      if (rs > cursor) data.set(src.subarray(srcBase + cursor, srcBase + rs), cursor);
      if (re > start && rs < end) overlapped = true;
      if (re > cursor) cursor = re;
    }
    if (cursor < end) data.set(src.subarray(srcBase + cursor, srcBase + end), cursor);
    if (overlapped) this.stats.overlaps++;
    if (first < 0) {
      // No range touches: insert keeping order.
      let at = 0;
      while (at < ranges.length && ranges[at] < start) at += 2;
      if (ranges.length >= MAX_PIECES * 2) return this.reject(d, `${v}.fragment-too-many-pieces`);
      ranges.splice(at, 0, start, end);
    } else {
      const ms = Math.min(start, ranges[first]);
      const me = Math.max(end, ranges[last + 1]);
      ranges.splice(first, last - first + 2, ms, me);
    }
    if (d.totalLength >= 0 && d.headerLen > 0 && ranges.length === 2 && ranges[0] === 0 && ranges[1] === d.totalLength) {
      return this.complete(d, pkt);
    }
    return FragmentResult.PENDING;
  }

  private grow(d: Datagram, need: number): boolean {
    let cap = Math.max(MIN_BUFFER, d.data.length);
    while (cap < need) cap *= 2;
    if (cap > MAX_DATAGRAM_PAYLOAD) cap = MAX_DATAGRAM_PAYLOAD;
    const delta = cap - d.data.length;
    while (this.bytes + delta > this.maxBytes && this.oldest !== null && this.oldest !== d) {
      this.stats.droppedOverLimit++;
      this.release(this.oldest);
    }
    if (this.bytes + delta > this.maxBytes) {
      this.stats.droppedOverLimit++;
      this.release(d);
      return false;
    }
    const next = new Uint8Array(cap);
    next.set(d.data);
    d.data = next;
    this.bytes += delta;
    return true;
  }

  private complete(d: Datagram, pkt: PacketView): FragmentResultValue {
    const prefixLen = pkt.l3Offset - pkt.frameOffset;
    const headerLen = d.headerLen;
    const total = headerLen + d.totalLength;
    const v = d.version === 4 ? 'ipv4' : 'ipv6';
    if (prefixLen > MAX_L2_PREFIX || prefixLen < 0) return this.reject(d, `${v}.fragment-link-header-too-long`);
    if (d.version === 4 && total > MAX_DATAGRAM_PAYLOAD) return this.reject(d, 'ipv4.fragment-too-large');
    const out = this.out;
    out.set(pkt.buf.subarray(pkt.frameOffset, pkt.l3Offset), 0);
    out.set(d.header.subarray(0, headerLen), prefixLen);
    if (d.version === 4) {
      out[prefixLen + 2] = total >> 8;
      out[prefixLen + 3] = total & 0xff;
      out[prefixLen + 6] &= 0x40; // keep DF, clear MF and the offset
      out[prefixLen + 7] = 0;
    } else {
      out[prefixLen + 4] = d.totalLength >> 8;
      out[prefixLen + 5] = d.totalLength & 0xff;
      out[prefixLen + 6] = d.innerProto;
    }
    out.set(d.data.subarray(0, d.totalLength), prefixLen + headerLen);
    if (pkt.macSrcOffset >= 0) pkt.macSrcOffset -= pkt.frameOffset;
    if (pkt.macDstOffset >= 0) pkt.macDstOffset -= pkt.frameOffset;
    pkt.buf = out;
    pkt.frameOffset = 0;
    pkt.l3Offset = prefixLen;
    pkt.capLength = prefixLen + total;
    pkt.wireLength = prefixLen + total;
    pkt.isFragment = false;
    pkt.layers = (pkt.layers & ~Layer.FRAGMENT) | Layer.REASSEMBLED;
    this.stats.reassembled++;
    this.release(d);
    return FragmentResult.COMPLETE;
  }

  private create(hash: number, tsUs: number): Datagram {
    if (this.count >= this.maxBuffers && this.oldest !== null) {
      this.stats.droppedOverLimit++;
      this.release(this.oldest);
    }
    const d = this.free.pop() ?? new Datagram();
    if (d.data.length > 0) {
      if (this.bytes + d.data.length > this.maxBytes) d.data = EMPTY;
      else this.bytes += d.data.length;
    }
    d.hash = hash;
    d.headerLen = 0;
    d.totalLength = -1;
    d.ranges.length = 0;
    d.firstTsUs = tsUs;
    d.bucketNext = this.buckets.get(hash) ?? null;
    this.buckets.set(hash, d);
    d.older = this.newest;
    d.newer = null;
    if (this.newest !== null) this.newest.newer = d;
    else this.oldest = d;
    this.newest = d;
    this.count++;
    return d;
  }

  private release(d: Datagram): void {
    // Unlink from its hash bucket.
    const head = this.buckets.get(d.hash);
    if (head === d) {
      if (d.bucketNext === null) this.buckets.delete(d.hash);
      else this.buckets.set(d.hash, d.bucketNext);
    } else {
      let p = head ?? null;
      while (p !== null && p.bucketNext !== d) p = p.bucketNext;
      if (p !== null) p.bucketNext = d.bucketNext;
    }
    // Unlink from the age list.
    if (d.older !== null) d.older.newer = d.newer;
    else this.oldest = d.newer;
    if (d.newer !== null) d.newer.older = d.older;
    else this.newest = d.older;
    this.count--;
    this.bytes -= d.data.length;
    d.bucketNext = d.older = d.newer = null;
    // A free datagram keeps a minimum-size buffer (at most FREE_LIST_MAX x 2 KB outside the
    // byte bound, counted again when reused): a flood of never-completed fragments otherwise
    // allocated and zeroed a new buffer per fragment, 3x ordinary traffic's time per byte.
    if (d.data.length !== MIN_BUFFER) d.data = EMPTY;
    if (this.free.length < FREE_LIST_MAX) this.free.push(d);
  }
}
