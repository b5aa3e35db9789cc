/**
 * TCP stream reassembly: turns segments into an in-order byte stream per direction.
 *
 * Positions: each direction keeps `base` (the sequence number of stream offset 0: ISN+1
 * from the SYN, or the first data segment's sequence number when a flow is picked up
 * mid-stream) and `nextOffset`, the stream offset of the next byte to deliver, as a
 * double. A segment's offset is nextOffset + (seq − expectedSeq) in signed 32-bit
 * arithmetic, so sequence wrap-around at 2^32 needs no special case.
 *
 * Policy (Suricata's "first" overlap policy): bytes seen first win. Retransmitted bytes
 * that overlap data still buffered are compared and counted as overlap-mismatch when they
 * differ (Suricata's stream event). Bytes already delivered are not kept, so a
 * retransmission of delivered data is counted but not compared.
 *
 * Zero copy: a segment that continues the stream while nothing is buffered is delivered
 * as a view of the packet buffer. Only out-of-order data is copied, into a per-direction
 * buffer bounded by bytes and segment count and by a global byte limit. When a bound would
 * be exceeded the stream skips forward to the earliest data it holds, reporting the hole
 * as a gap, so memory stays bounded and delivery continues.
 *
 * Gaps are reported when: the out-of-order buffer overflows; a FIN or RST (or the flow's
 * end) leaves a hole; the peer ACKs bytes that were never seen. Past `streamDepth` bytes
 * of a direction nothing more is buffered or delivered (not a gap).
 */
import type { DirectionValue } from '../events/flow.js';
import { TcpFlag, type PacketView } from '../events/packet.js';
import type { FlowRecord } from './record.js';
import { TcpStream } from './tcp-stream.js';

export { TcpStream };

// Hot-path constants as plain bindings (no property load per packet).
const { SYN, ACK, FIN, RST } = TcpFlag;

/** Where in-order data and gaps go (the StreamDispatcher). */
export interface StreamSink {
  /** In-order bytes, valid during the call only. Return false when no one wants this flow any more. */
  data(flow: FlowRecord, dir: DirectionValue, bytes: Uint8Array, tsUs: number): boolean;
  /** A hole that will never be filled. Return false when no one wants this flow any more. */
  gap(flow: FlowRecord, dir: DirectionValue, length: number): boolean;
}

export interface ReassemblyOptions {
  /** Bytes per direction after which nothing is buffered or delivered; 0 = unlimited. Default 256 KiB. */
  streamDepth?: number;
  /** Out-of-order bytes buffered per direction. Default 64 KiB. */
  maxOooBytesPerDirection?: number;
  /** Out-of-order segments buffered per direction (bounds work on floods of tiny segments). Default 512. */
  maxOooSegmentsPerDirection?: number;
  /** Out-of-order bytes buffered across all flows. Default 64 MiB. */
  maxOooBytesTotal?: number;
}

export const DEFAULT_STREAM_DEPTH = 256 * 1024;

export interface ReassemblyStats {
  /** TCP segments with payload seen on reassembled flows. */
  segments: number;
  bytesDelivered: number;
  /** Segments wholly before the delivered point (retransmissions, keep-alives). */
  retransmissions: number;
  /** Segments that overlapped delivered or buffered bytes. */
  overlaps: number;
  /** Segments whose overlapping bytes differed from the buffered ones (first copy kept). */
  overlapMismatch: number;
  /** Out-of-order pieces copied into a buffer. */
  oooBuffered: number;
  /** Times a full out-of-order buffer (per direction or global) forced a skip over a hole. */
  oooOverflow: number;
  gaps: number;
  gapBytes: number;
  /** Of `gaps`: holes found because the peer acknowledged bytes never seen. */
  ackGaps: number;
  /** Directions that reached streamDepth. */
  depthReached: number;
  /** Bytes not processed because they lay beyond streamDepth. */
  bytesBeyondDepth: number;
  /** Segments with a sequence number more than 2^30 away from the expected one (ignored). */
  outOfWindow: number;
  /** Flows whose reassembly stopped because no consumer wanted them any more. */
  flowsStopped: number;
  /** Out-of-order bytes buffered now, and the most ever. */
  bufferedBytes: number;
  peakBufferedBytes: number;
}

/** Sequence distances beyond this are treated as garbage, not as a stream position. */
const MAX_SEQ_DISTANCE = 1 << 30;
/** Freed stream objects kept for reuse. */
const STREAM_POOL_LIMIT = 4096;

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`tcp reassembly: ${name} must be a non-negative number, got ${v}`);
  return Math.floor(v);
}

export class TcpReassembler {
  readonly stats: ReassemblyStats = {
    segments: 0, bytesDelivered: 0, retransmissions: 0, overlaps: 0, overlapMismatch: 0,
    oooBuffered: 0, oooOverflow: 0, gaps: 0, gapBytes: 0, ackGaps: 0, depthReached: 0,
    bytesBeyondDepth: 0, outOfWindow: 0, flowsStopped: 0, bufferedBytes: 0, peakBufferedBytes: 0,
  };

  private readonly depth: number;
  private readonly maxDirBytes: number;
  private readonly maxDirSegments: number;
  private readonly maxTotalBytes: number;
  private readonly pool: TcpStream[] = [];
  // Scratch for the pieces of a segment not covered by buffered data (reused, no allocation).
  private pieceStart: number[] = [];
  private pieceEnd: number[] = [];

  constructor(
    private readonly sink: StreamSink,
    opts: ReassemblyOptions = {},
  ) {
    const depth = nonNegative('streamDepth', opts.streamDepth ?? DEFAULT_STREAM_DEPTH);
    this.depth = depth === 0 ? Infinity : depth;
    this.maxDirBytes = nonNegative('maxOooBytesPerDirection', opts.maxOooBytesPerDirection ?? 64 * 1024);
    this.maxDirSegments = nonNegative('maxOooSegmentsPerDirection', opts.maxOooSegmentsPerDirection ?? 512);
    this.maxTotalBytes = nonNegative('maxOooBytesTotal', opts.maxOooBytesTotal ?? 64 * 1024 * 1024);
  }

  /**
   * One TCP packet of `flow` (already accounted by the flow table, so flow.lastDir is its
   * direction). Delivers whatever became in-order to the sink.
   */
  onPacket(flow: FlowRecord, pkt: PacketView): void {
    if (flow.streamOff) return;
    const dir = flow.lastDir;
    const flags = pkt.tcpFlags;
    const bit = 1 << dir;
    if ((flags & SYN) !== 0 && (flow.isnKnown & bit) === 0) {
      if (dir === 0) flow.isnToServer = pkt.seq >>> 0;
      else flow.isnToClient = pkt.seq >>> 0;
      flow.isnKnown |= bit;
    }
    if ((flags & ACK) !== 0) {
      const peer = dir === 0 ? flow.streamToClient : flow.streamToServer;
      if (peer !== null && !peer.depthReached) {
        this.checkAck(flow, peer, dir === 0 ? 1 : 0, pkt.ack, pkt.tsUs);
        if (flow.streamOff) return;
      }
    }
    const dataSeq = (flags & SYN) !== 0 ? (pkt.seq + 1) >>> 0 : pkt.seq >>> 0;
    const len = pkt.payloadLength;
    let stream = dir === 0 ? flow.streamToServer : flow.streamToClient;
    if (len > 0) {
      if (stream === null) {
        stream = this.pool.pop() ?? new TcpStream();
        // ISN+1 when the SYN was seen; otherwise pick the stream up at this segment.
        stream.base = (flow.isnKnown & bit) !== 0 ? ((dir === 0 ? flow.isnToServer : flow.isnToClient) + 1) >>> 0 : dataSeq;
        if (dir === 0) flow.streamToServer = stream;
        else flow.streamToClient = stream;
      }
      this.segment(flow, stream, dir, dataSeq, pkt.buf, pkt.payloadOffset, len, pkt.tsUs);
      if (flow.streamOff) return;
    }
    if ((flags & FIN) !== 0 && stream !== null) {
      const finDistance = ((dataSeq + len) - ((stream.base + stream.nextOffset) >>> 0)) | 0;
      if (finDistance >= -MAX_SEQ_DISTANCE && finDistance <= MAX_SEQ_DISTANCE) stream.finOffset = stream.nextOffset + finDistance;
      this.flushHoles(flow, stream, dir, pkt.tsUs);
      if (flow.streamOff) return;
    }
    if ((flags & RST) !== 0) {
      if (flow.streamToServer !== null) this.flushHoles(flow, flow.streamToServer, 0, pkt.tsUs);
      if (!flow.streamOff && flow.streamToClient !== null) this.flushHoles(flow, flow.streamToClient, 1, pkt.tsUs);
    }
  }

  /** The flow ends: report remaining holes, deliver what is buffered, release the streams. */
  endFlow(flow: FlowRecord, tsUs: number): void {
    if (!flow.streamOff) {
      if (flow.streamToServer !== null) this.flushHoles(flow, flow.streamToServer, 0, tsUs);
      if (!flow.streamOff && flow.streamToClient !== null) this.flushHoles(flow, flow.streamToClient, 1, tsUs);
    }
    this.releaseStreams(flow);
  }

  /** Stop reassembling this flow for good (no consumer wants it): free its buffers. */
  stopFlow(flow: FlowRecord): void {
    if (flow.streamOff) return;
    flow.streamOff = true;
    this.stats.flowsStopped++;
    this.releaseStreams(flow);
  }

  private releaseStreams(flow: FlowRecord): void {
    if (flow.streamToServer !== null) this.release(flow.streamToServer);
    if (flow.streamToClient !== null) this.release(flow.streamToClient);
    flow.streamToServer = null;
    flow.streamToClient = null;
  }

  private release(stream: TcpStream): void {
    this.stats.bufferedBytes -= stream.bufferedBytes;
    stream.reset();
    if (this.pool.length < STREAM_POOL_LIMIT) this.pool.push(stream);
  }

  private segment(flow: FlowRecord, s: TcpStream, dir: DirectionValue, seq: number, buf: Uint8Array, off: number, len: number, tsUs: number): void {
    const stats = this.stats;
    stats.segments++;
    const next = s.nextOffset;
    const distance = (seq - ((s.base + next) >>> 0)) | 0;
    if (distance > MAX_SEQ_DISTANCE || distance < -MAX_SEQ_DISTANCE) {
      stats.outOfWindow++;
      return;
    }
    let start = next + distance;
    let end = start + len;
    if (end > s.highestEnd) s.highestEnd = end;
    if (s.depthReached) {
      if (end > next) stats.bytesBeyondDepth += end - Math.max(start, next);
      return;
    }
    if (end <= next) {
      stats.retransmissions++;
      return;
    }
    let overlapped = false;
    if (start < next) {
      overlapped = true;
      off += next - start;
      start = next;
    }
    if (end > this.depth) {
      stats.bytesBeyondDepth += end - Math.max(start, this.depth);
      end = this.depth;
      if (end <= start) return;
    }
    if (s.segOffsets.length === 0) {
      if (overlapped) stats.overlaps++;
      if (start === next) this.deliver(flow, s, dir, buf.subarray(off, off + (end - start)), tsUs);
      else this.insert(flow, s, dir, start, buf, off, end - start, tsUs);
      return;
    }

    // Split the segment into the pieces no buffered data covers; compare the covered parts.
    let mismatch = false;
    let pieces = 0;
    let cur = start;
    const offsets = s.segOffsets;
    const datas = s.segData;
    for (let i = 0; i < offsets.length && cur < end; i++) {
      const segStart = offsets[i];
      const seg = datas[i];
      const segEnd = segStart + seg.length;
      if (segEnd <= cur) continue;
      if (segStart >= end) break;
      if (segStart > cur) this.addPiece(pieces++, cur, segStart);
      const ovStart = Math.max(cur, segStart);
      const ovEnd = Math.min(end, segEnd);
      overlapped = true;
      if (!mismatch) {
        const a = off + (ovStart - start);
        const b = ovStart - segStart;
        for (let k = 0; k < ovEnd - ovStart; k++) {
          if (buf[a + k] !== seg[b + k]) {
            mismatch = true;
            break;
          }
        }
      }
      cur = ovEnd;
    }
    if (cur < end) this.addPiece(pieces++, cur, end);
    if (overlapped) stats.overlaps++;
    if (mismatch) stats.overlapMismatch++;
    for (let p = 0; p < pieces; p++) {
      if (flow.streamOff || s.depthReached) return;
      const pStart = this.pieceStart[p];
      const pEnd = this.pieceEnd[p];
      const pOff = off + (pStart - start);
      if (pStart === s.nextOffset) {
        this.deliver(flow, s, dir, buf.subarray(pOff, pOff + (pEnd - pStart)), tsUs);
        this.drain(flow, s, dir, tsUs);
      } else {
        this.insert(flow, s, dir, pStart, buf, pOff, pEnd - pStart, tsUs);
      }
    }
  }

  private addPiece(i: number, start: number, end: number): void {
    this.pieceStart[i] = start;
    this.pieceEnd[i] = end;
  }

  /** Buffers an out-of-order piece (start > nextOffset), skipping forward when it does not fit. */
  private insert(flow: FlowRecord, s: TcpStream, dir: DirectionValue, start: number, buf: Uint8Array, off: number, len: number, tsUs: number): void {
    while (
      s.bufferedBytes + len > this.maxDirBytes ||
      s.segOffsets.length >= this.maxDirSegments ||
      this.stats.bufferedBytes + len > this.maxTotalBytes
    ) {
      this.stats.oooOverflow++;
      if (s.segOffsets.length === 0 || start < s.segOffsets[0]) {
        // This piece is the earliest data we have: jump to it, no buffering needed.
        this.gapTo(flow, s, dir, start);
        if (flow.streamOff || s.depthReached) return;
        this.deliver(flow, s, dir, buf.subarray(off, off + len), tsUs);
        this.drain(flow, s, dir, tsUs);
        return;
      }
      this.gapTo(flow, s, dir, s.segOffsets[0]);
      this.drain(flow, s, dir, tsUs);
      if (flow.streamOff || s.depthReached) return;
      if (start === s.nextOffset) {
        this.deliver(flow, s, dir, buf.subarray(off, off + len), tsUs);
        this.drain(flow, s, dir, tsUs);
        return;
      }
    }
    // Binary search for the insertion point (pieces are disjoint from buffered ones).
    const offsets = s.segOffsets;
    let lo = 0;
    let hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offsets[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    offsets.splice(lo, 0, start);
    s.segData.splice(lo, 0, buf.slice(off, off + len));
    s.bufferedBytes += len;
    const stats = this.stats;
    stats.oooBuffered++;
    stats.bufferedBytes += len;
    if (stats.bufferedBytes > stats.peakBufferedBytes) stats.peakBufferedBytes = stats.bufferedBytes;
  }

  /** Delivers buffered pieces that now continue the stream. */
  private drain(flow: FlowRecord, s: TcpStream, dir: DirectionValue, tsUs: number): void {
    const offsets = s.segOffsets;
    while (offsets.length > 0 && !flow.streamOff && !s.depthReached && offsets[0] <= s.nextOffset) {
      const segStart = offsets.shift()!;
      const data = s.segData.shift()!;
      s.bufferedBytes -= data.length;
      this.stats.bufferedBytes -= data.length;
      const skip = s.nextOffset - segStart;
      if (skip < data.length) this.deliver(flow, s, dir, skip === 0 ? data : data.subarray(skip), tsUs);
    }
  }

  private deliver(flow: FlowRecord, s: TcpStream, dir: DirectionValue, bytes: Uint8Array, tsUs: number): void {
    s.nextOffset += bytes.length;
    this.stats.bytesDelivered += bytes.length;
    if (!this.sink.data(flow, dir, bytes, tsUs)) {
      this.stopFlow(flow);
      return;
    }
    if (s.nextOffset >= this.depth) this.reachDepth(s);
  }

  /** Reports the hole up to `target` (clipped to the depth) and moves past it. */
  private gapTo(flow: FlowRecord, s: TcpStream, dir: DirectionValue, target: number): void {
    const to = Math.min(target, this.depth);
    const len = to - s.nextOffset;
    if (len <= 0) return;
    s.nextOffset = to;
    this.stats.gaps++;
    this.stats.gapBytes += len;
    if (!this.sink.gap(flow, dir, len)) {
      this.stopFlow(flow);
      return;
    }
    if (s.nextOffset >= this.depth) this.reachDepth(s);
  }

  private reachDepth(s: TcpStream): void {
    if (s.depthReached) return;
    s.depthReached = true;
    this.stats.depthReached++;
    for (const data of s.segData) this.stats.bytesBeyondDepth += data.length;
    this.stats.bufferedBytes -= s.bufferedBytes;
    s.bufferedBytes = 0;
    s.segOffsets.length = 0;
    s.segData.length = 0;
  }

  /** Every hole in the buffer becomes a gap; all buffered data is delivered. */
  private flushHoles(flow: FlowRecord, s: TcpStream, dir: DirectionValue, tsUs: number): void {
    while (s.segOffsets.length > 0 && !flow.streamOff && !s.depthReached) {
      this.gapTo(flow, s, dir, s.segOffsets[0]);
      this.drain(flow, s, dir, tsUs);
    }
    // Data seen only beyond the depth (never buffered) still proves the hole before it.
    if (!flow.streamOff && !s.depthReached && s.highestEnd > this.depth) this.gapTo(flow, s, dir, this.depth);
  }

  /** The peer acknowledged up to `ack`: bytes below it that we never saw are a gap. */
  private checkAck(flow: FlowRecord, s: TcpStream, dir: DirectionValue, ack: number, tsUs: number): void {
    const distance = ((ack >>> 0) - ((s.base + s.nextOffset) >>> 0)) | 0;
    if (distance <= 0 || distance > MAX_SEQ_DISTANCE) return;
    let target = s.nextOffset + distance;
    // The FIN takes one sequence number but carries no byte.
    if (s.finOffset >= 0 && target > s.finOffset) target = s.finOffset;
    if (target <= s.nextOffset) return;
    const gapsBefore = this.stats.gaps;
    while (s.nextOffset < target && !flow.streamOff && !s.depthReached) {
      if (s.segOffsets.length > 0 && s.segOffsets[0] < target) {
        this.gapTo(flow, s, dir, s.segOffsets[0]);
        this.drain(flow, s, dir, tsUs);
      } else {
        this.gapTo(flow, s, dir, target);
      }
    }
    this.stats.ackGaps += this.stats.gaps - gapsBefore;
  }
}
