/**
 * The capture contract: every source (pcap, pcapng, gzip, directory, live libpcap) yields
 * batches of frames that point into one reusable chunk buffer. Batching keeps per-packet
 * work to typed-array reads — no object per packet — and makes batches cheap to hand to
 * workers.
 */
import { InputError } from '../util/errors.js';
import type { ReasonCounter } from '../events/counters.js';

export interface FrameBatch {
  /** The bytes the offsets point into. Valid until the next batch is requested. */
  buf: Uint8Array;
  /** Number of frames in this batch (the typed arrays may be longer). */
  count: number;
  /** Offset of each frame's first byte in buf. */
  offsets: Int32Array;
  /** Captured length of each frame. */
  capLens: Int32Array;
  /** Original (wire) length of each frame. */
  wireLens: Int32Array;
  /** Timestamp of each frame, microseconds since the Unix epoch. */
  tsUs: Float64Array;
  /** Link type of each frame (pcapng may mix interfaces of different link types). */
  linkTypes: Uint16Array;
  /** Interface index of each frame (pcapng), 0 for classic pcap. */
  ifIndexes: Uint16Array;
  /** Source index (for directory / multi-file sources): which file the batch came from. */
  sourceIndex: number;
  /**
   * Set by the worker fan-out (fanout.ts): per frame, the route word the reader computed
   * (owner worker indexes, or ROUTE_ALL). Absent from batches read directly.
   */
  routes?: Uint32Array;
  /**
   * Reads buf[from, from + length) again from the input into dst at dstOffset, when the
   * input is a plain file (a page-cache read, far cheaper than copying into shared memory,
   * which V8 does with race-safe relaxed moves). False when it cannot; the caller copies.
   */
  reread?: (dst: Uint8Array, dstOffset: number, from: number, length: number) => boolean;
}

/** A capture that cannot be read at all (wrong magic, unreadable, corrupt beyond resync). */
export class CaptureError extends InputError {
  constructor(
    readonly file: string,
    readonly byteOffset: number,
    readonly reason: string,
  ) {
    super('capture.unusable', `${file}: ${reason} at byte offset ${byteOffset}`, { subject: file });
  }
}

export interface CaptureSource {
  /** File path(s) or interface name, for messages. */
  readonly name: string;
  /** Total input bytes when known (compressed size for gzip), for progress; null for live. */
  readonly totalBytes: number | null;
  /** Bytes consumed so far (same unit as totalBytes). */
  bytesConsumed(): number;
  /** Link types seen so far, by pcap LINKTYPE number → frame count. */
  readonly linkTypeCounts: Map<number, number>;
  /** Records skipped or cut short, by reason ("pcap.truncated-record", "pcapng.bad-block" …). */
  readonly malformed: ReasonCounter;
  /** Non-fatal warnings for the user (e.g. "resynchronised after 12 garbage bytes at offset N"). */
  readonly warnings: string[];
  /**
   * Yields batches until the input ends (or, for live sources, until close()).
   * Throws CaptureError only when the input is unusable from the start (e.g. wrong magic);
   * damage later in a file is counted in `malformed` and reading stops or resyncs.
   */
  batches(): AsyncIterableIterator<FrameBatch>;
  close(): Promise<void>;
}

/** libpcap's own counters (pcap_stats), cumulative since the capture opened. */
export interface PcapStats {
  /** Packets the kernel received for this socket (on Linux including those it then dropped). */
  received: number;
  /** Packets dropped because the kernel buffer was full (the capture fell behind). */
  dropped: number;
  /** Packets the interface or its driver dropped. */
  ifdropped: number;
}

/** A live interface capture: which libpcap binding reads it, and libpcap's statistics when it has them. */
export interface LiveCaptureSource extends CaptureSource {
  /** "libpcap-batch" (minewatch's native/pcap addon) or "cap" (the cap package, one packet per callback). */
  readonly backend: 'libpcap-batch' | 'cap';
  /** pcap_stats, or null when the binding does not expose it (cap). */
  pcapStats(): PcapStats | null;
}

/** Growable batch storage, reused across batches by readers. */
export class BatchArrays {
  offsets: Int32Array;
  capLens: Int32Array;
  wireLens: Int32Array;
  tsUs: Float64Array;
  linkTypes: Uint16Array;
  ifIndexes: Uint16Array;

  constructor(capacity = 8192) {
    this.offsets = new Int32Array(capacity);
    this.capLens = new Int32Array(capacity);
    this.wireLens = new Int32Array(capacity);
    this.tsUs = new Float64Array(capacity);
    this.linkTypes = new Uint16Array(capacity);
    this.ifIndexes = new Uint16Array(capacity);
  }

  get capacity(): number {
    return this.offsets.length;
  }

  grow(): void {
    const n = this.capacity * 2;
    const copy = <T extends Int32Array | Float64Array | Uint16Array>(a: T, ctor: new (n: number) => T): T => {
      const b = new ctor(n);
      b.set(a);
      return b;
    };
    this.offsets = copy(this.offsets, Int32Array);
    this.capLens = copy(this.capLens, Int32Array);
    this.wireLens = copy(this.wireLens, Int32Array);
    this.tsUs = copy(this.tsUs, Float64Array);
    this.linkTypes = copy(this.linkTypes, Uint16Array);
    this.ifIndexes = copy(this.ifIndexes, Uint16Array);
  }

  batch(buf: Uint8Array, count: number, sourceIndex = 0, reread?: FrameBatch['reread']): FrameBatch {
    // Every field present (routes, reread) so every batch has the same shape.
    return {
      buf, count, offsets: this.offsets, capLens: this.capLens, wireLens: this.wireLens,
      tsUs: this.tsUs, linkTypes: this.linkTypes, ifIndexes: this.ifIndexes, sourceIndex, routes: undefined, reread,
    };
  }
}
