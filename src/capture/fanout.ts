/**
 * Fan-out of one capture source to N worker threads: the main thread reads and walks the
 * input once, copies each batch into a shared slot (SharedArrayBuffer) and tells every
 * worker which frames are its own; the workers process the slot in place and release it.
 *
 * Why: when every worker opened and walked the whole input itself, reading, record walking
 * and the per-frame ownership test were paid N times and competed for the same two cores
 * as the real work (2 workers were slower than 1 on a 10 M-packet darknet). Here they are
 * paid once, by a thread that is otherwise idle, and a worker only loads one 32-bit route
 * word for a frame it does not own.
 *
 * Routes: the caller's `route` function gives each frame a word of up to three owner
 * bytes (worker indexes; the stage decides what they mean, e.g. flow owner and the owners
 * of the two hosts) or ROUTE_ALL when the frame must be decoded before anyone can tell
 * (non-Ethernet, fragments, IPv6 …): every worker then decides after decoding, as before.
 *
 * Flow control: a fixed number of slots; the reader waits for a free one, so memory is
 * bounded (slots × batch span) whatever the input size, and a slow worker slows the reader
 * instead of queueing batches without bound.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { FrameBatch } from './source.js';

/** Route word of a frame every worker must decode to judge. */
export const ROUTE_ALL = 0xffffffff;

/** Most workers a route byte can name (0xff is reserved for ROUTE_ALL). */
export const MAX_FANOUT_WORKERS = 254;

/** Gives a frame its route word (see the module comment). Must be pure: it runs in the reader thread. */
export type RouteFunction = (buf: Uint8Array, offset: number, capLen: number, linkType: number, workers: number) => number;

/**
 * Slots in flight: enough for the reader to stay ahead of the workers; the memory bound is
 * slots × a batch span (≤ 8 MiB chunks, ~0.5 MiB for small frames). 32 slots let the reader
 * run further ahead while the workers start, but cost 500 MB of fresh pages on 1 GB of big
 * frames and were slower there.
 */
const DEFAULT_SLOTS = 8;

const EMPTY_ROUTES = new Uint32Array(0);

/**
 * Part of an equal share the reading thread keeps for itself as partition 0: it also reads,
 * walks, routes and copies every frame and merges the results, so with equal shares the
 * other threads waited for it (10 M darknet packets, 2 partitions: reader 3.4 s of CPU,
 * worker 2.1 s). 0.85 × 1/2 = 42.5 % of the traffic for the reader with 2 partitions. On a
 * Zen 1 VM, of 0.5–0.8 tried on that capture, 0.7 and 0.8 were fastest (3.3–3.5 s vs
 * 3.4–3.8 s); on an Emerald Rapids VM, 10 M one-packet flows took (medians of 5) 3.27 s at
 * 0.8, 3.25 at 0.85, 3.24 at 0.9 and 3.50 at 1.0, 3.4–3.6 at 0.7, the telescope and the
 * 1 GB mixed capture the same from 0.7 to 0.9.
 */
export const READER_SHARE = 0.85;

const partitionTables: Uint8Array[] = [];

/**
 * Which partition a 32-bit hash belongs to, among n: by its top 8 bits through a table
 * that gives partition 0 (the reader) READER_SHARE of an equal share and splits the rest
 * evenly. Every stage that partitions traffic uses this (in the reader's route function
 * and after decoding in the partitions), so both agree.
 */
export function partitionOf(hash: number, n: number): number {
  if (n <= 1) return 0;
  let t = partitionTables[n];
  if (t === undefined) {
    t = new Uint8Array(256);
    const readerBuckets = Math.max(1, Math.round((256 / n) * READER_SHARE));
    for (let b = readerBuckets; b < 256; b++) t[b] = 1 + Math.floor(((b - readerBuckets) * (n - 1)) / (256 - readerBuckets));
    partitionTables[n] = t;
  }
  return t[hash >>> 24];
}

/** Per-frame metadata bytes: offset, capLen, wireLen, route (4 × Int32), tsUs (Float64), linkType, ifIndex (2 × Uint16). */
const META_BYTES_PER_FRAME = 4 * 4 + 8 + 2 * 2;

/** A slot's shared buffers as sent to workers (sent again only when a slot is re-allocated). */
interface SlotBuffers {
  slot: number;
  generation: number;
  bytes: SharedArrayBuffer;
  meta: SharedArrayBuffer;
  frames: number;
}

/** Reader → worker message on the channel: set-up, then re-allocated slot buffers. */
type FanoutMessage = { type: 'control'; control: SharedArrayBuffer; slots: number } | { type: 'buffers'; buffers: SlotBuffers };

// The control block (Int32 words in a SharedArrayBuffer). Batch n goes to slot n % slots.
/** Batches published so far. Workers wait on it. */
const C_PUBLISHED = 0;
/** 1 once the reader has published its last batch. */
const C_ENDED = 1;
/** Bumped on every release that frees a slot; the reader waits on it when all are busy. */
const C_RELEASES = 2;
/** 1 while the reader waits for a slot (workers notify only then). */
const C_READER_WAITING = 3;
/** Then per slot: workers still holding it, its frame count, source index, buffer generation. */
const C_SLOTS = 4;
const S_HOLDERS = 0;
const S_COUNT = 1;
const S_SOURCE = 2;
const S_GENERATION = 3;
const S_WORDS = 4;

/** Typed views of a slot's metadata (same layout on both sides). */
class SlotViews {
  readonly offsets: Int32Array;
  readonly capLens: Int32Array;
  readonly wireLens: Int32Array;
  readonly routes: Uint32Array;
  readonly tsUs: Float64Array;
  readonly linkTypes: Uint16Array;
  readonly ifIndexes: Uint16Array;
  readonly buf: Uint8Array;

  constructor(readonly buffers: SlotBuffers) {
    const f = buffers.frames;
    const m = buffers.meta;
    // Float64 first so it is 8-byte aligned.
    this.tsUs = new Float64Array(m, 0, f);
    this.offsets = new Int32Array(m, 8 * f, f);
    this.capLens = new Int32Array(m, 12 * f, f);
    this.wireLens = new Int32Array(m, 16 * f, f);
    this.routes = new Uint32Array(m, 20 * f, f);
    this.linkTypes = new Uint16Array(m, 24 * f, f);
    this.ifIndexes = new Uint16Array(m, 26 * f, f);
    this.buf = new Uint8Array(buffers.bytes);
  }
}

export interface FanoutOptions {
  /** Partitions, numbered 0..workers-1 in the route words. */
  workers: number;
  /**
   * The reader thread itself processes partition 0 (from the batch it just read) and only
   * partitions 1.. get worker threads. On a 2-core machine this keeps two busy threads
   * instead of three, and partition 0 reads no memory written by another core.
   */
  readerIsWorker0?: boolean;
  route: RouteFunction;
  /** Slots in flight (default 8). */
  slots?: number;
}

/**
 * The reader side. Create it before the workers, pass `port(i)` to worker i (in
 * workerData, listed in transferList), then send() every batch and end() once.
 *
 * Hand-over is through a shared control block, not a message per batch: a worker blocks in
 * Atomics.wait for the next batch and frees a slot with one atomic decrement, so neither
 * side wakes the other per batch (on a busy 2-core machine each such wake-up cost a context
 * switch: 3 s of a 10 M-packet run went to postMessage).
 */
export class BatchFanout {
  private readonly ports: MessagePort[];
  private readonly own: MessagePort[];
  /** Index of the first partition with a worker thread (1 when the reader is worker 0). */
  readonly firstThread: number;
  private readonly slots: (SlotViews | null)[];
  private readonly k: number;
  private readonly ctl: Int32Array;
  private closed = false;
  private wakeOnClose: (() => void) | null = null;
  private readonly route: RouteFunction;
  private readonly n: number;
  /** Frames sent so far (progress). */
  frames = 0;

  constructor(opts: FanoutOptions) {
    this.n = opts.workers;
    if (!(this.n >= 1 && this.n <= MAX_FANOUT_WORKERS)) throw new RangeError(`fan-out: 1..${MAX_FANOUT_WORKERS} workers, got ${this.n}`);
    this.route = opts.route;
    this.k = Math.max(2, opts.slots ?? DEFAULT_SLOTS);
    this.slots = new Array<SlotViews | null>(this.k).fill(null);
    const control = new SharedArrayBuffer(4 * (C_SLOTS + S_WORDS * this.k));
    this.ctl = new Int32Array(control);
    this.firstThread = opts.readerIsWorker0 === true ? 1 : 0;
    this.ports = [];
    this.own = [];
    for (let w = this.firstThread; w < this.n; w++) {
      const { port1, port2 } = new MessageChannel();
      port1.postMessage({ type: 'control', control, slots: this.k } satisfies FanoutMessage);
      this.own.push(port1);
      this.ports.push(port2);
    }
  }

  /** The port to transfer to the worker thread of partition `index` (≥ firstThread). */
  port(index: number): MessagePort {
    const p = this.ports[index - this.firstThread];
    if (p === undefined) throw new RangeError(`fan-out: no worker thread for partition ${index}`);
    return p;
  }

  /**
   * Copies the batch into the next slot (waiting until every worker thread freed it) and
   * publishes it. Returns the batch's route words (valid until the next send), with which
   * a reader that is worker 0 processes its own partition of the batch.
   */
  async send(batch: FrameBatch): Promise<Uint32Array> {
    const count = batch.count;
    if (count === 0) return EMPTY_ROUTES;
    const ctl = this.ctl;
    const seq = Atomics.load(ctl, C_PUBLISHED);
    const slot = seq % this.k;
    const sw = C_SLOTS + S_WORDS * slot;
    while (Atomics.load(ctl, sw + S_HOLDERS) !== 0) {
      if (this.closed) throw new Error('fan-out: closed while waiting for a free slot');
      Atomics.store(ctl, C_READER_WAITING, 1);
      const releases = Atomics.load(ctl, C_RELEASES);
      if (Atomics.load(ctl, sw + S_HOLDERS) === 0) break;
      const closed = new Promise<void>((resolve) => { this.wakeOnClose = resolve; });
      const w = Atomics.waitAsync(ctl, C_RELEASES, releases);
      if (w.async) await Promise.race([w.value, closed]);
    }
    Atomics.store(ctl, C_READER_WAITING, 0);
    if (this.closed) throw new Error('fan-out: closed');

    const { offsets, capLens } = batch;
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < count; i++) {
      const o = offsets[i];
      if (o < lo) lo = o;
      if (o + capLens[i] > hi) hi = o + capLens[i];
    }
    const span = Math.max(0, hi - lo);
    let v = this.slots[slot];
    if (v === null || v.buf.length < span || v.buffers.frames < count) {
      // Grow with headroom so a slot is re-allocated (and re-sent) rarely.
      const bytes = Math.max(span, v?.buf.length ?? 0, 1 << 16);
      const frames = Math.max(count, v?.buffers.frames ?? 0);
      const generation = (v?.buffers.generation ?? 0) + 1;
      v = new SlotViews({ slot, generation, bytes: new SharedArrayBuffer(bytes + (bytes >>> 2)), meta: new SharedArrayBuffer(frames * META_BYTES_PER_FRAME), frames });
      this.slots[slot] = v;
      // Sent before the batch is published, so a worker that sees the new generation finds it queued.
      for (const p of this.own) p.postMessage({ type: 'buffers', buffers: v.buffers } satisfies FanoutMessage);
    }
    // Copies into shared memory go through V8's race-safe relaxed moves (Buffer.copy too, on
    // Node 20: both measured alike), hence the frame bytes are re-read from the file if it can.
    if (batch.reread?.(v.buf, 0, lo, span) !== true) v.buf.set(batch.buf.subarray(lo, lo + span));
    v.tsUs.set(batch.tsUs.subarray(0, count));
    v.capLens.set(capLens.subarray(0, count));
    v.wireLens.set(batch.wireLens.subarray(0, count));
    v.linkTypes.set(batch.linkTypes.subarray(0, count));
    v.ifIndexes.set(batch.ifIndexes.subarray(0, count));
    const route = this.route;
    const n = this.n;
    const buf = batch.buf;
    const linkTypes = batch.linkTypes;
    const vOffsets = v.offsets;
    const routes = v.routes;
    for (let i = 0; i < count; i++) {
      const o = offsets[i];
      vOffsets[i] = o - lo;
      routes[i] = route(buf, o, capLens[i], linkTypes[i], n);
    }
    ctl[sw + S_COUNT] = count;
    ctl[sw + S_SOURCE] = batch.sourceIndex;
    ctl[sw + S_GENERATION] = v.buffers.generation;
    Atomics.store(ctl, sw + S_HOLDERS, this.own.length);
    this.frames += count;
    // The atomic store orders every plain write above before it (sequentially consistent).
    Atomics.store(ctl, C_PUBLISHED, seq + 1);
    Atomics.notify(ctl, C_PUBLISHED);
    return routes;
  }

  /** No more batches: workers' receive loops end once they have processed what was sent. */
  end(): void {
    Atomics.store(this.ctl, C_ENDED, 1);
    Atomics.notify(this.ctl, C_PUBLISHED);
  }

  /** Ends the fan-out for good (after the workers are done, or on failure): a waiting send() throws. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.end();
    for (const p of this.own) p.close();
    const wake = this.wakeOnClose;
    this.wakeOnClose = null;
    wake?.();
  }
}

/** A batch received from the fan-out: a FrameBatch whose `routes` are set. */
export type RoutedBatch = FrameBatch & { routes: Uint32Array };

/**
 * The worker side, synchronous: next() blocks (Atomics.wait; workers may block) until the
 * reader publishes a batch and returns it as a FrameBatch view of the shared slot, or null
 * after the reader's end(). The batch stays valid until next() is called again, which first
 * releases it.
 */
export class BatchReceiver {
  private ctl: Int32Array | null = null;
  private k = 0;
  private seq = 0;
  private holding = -1;
  private readonly views = new Map<number, SlotViews>();

  constructor(private readonly port: MessagePort) {}

  next(): RoutedBatch | null {
    this.release();
    const ctl = this.ctl ?? this.setUp();
    const seq = this.seq;
    for (;;) {
      const published = Atomics.load(ctl, C_PUBLISHED);
      if (published > seq) break;
      if (Atomics.load(ctl, C_ENDED) === 1 && Atomics.load(ctl, C_PUBLISHED) === published) return null;
      Atomics.wait(ctl, C_PUBLISHED, published, 1000);
    }
    const slot = seq % this.k;
    const sw = C_SLOTS + S_WORDS * slot;
    const generation = ctl[sw + S_GENERATION];
    let v = this.views.get(slot);
    while (v === undefined || v.buffers.generation !== generation) {
      const m = this.receive();
      if (m.type === 'buffers') this.views.set(m.buffers.slot, new SlotViews(m.buffers));
      v = this.views.get(slot);
    }
    this.seq = seq + 1;
    this.holding = slot;
    return {
      buf: v.buf, count: ctl[sw + S_COUNT], offsets: v.offsets, capLens: v.capLens, wireLens: v.wireLens, tsUs: v.tsUs,
      linkTypes: v.linkTypes, ifIndexes: v.ifIndexes, sourceIndex: ctl[sw + S_SOURCE], routes: v.routes,
    };
  }

  /** Frees the batch last returned (next() does this itself). */
  release(): void {
    const slot = this.holding;
    if (slot < 0 || this.ctl === null) return;
    this.holding = -1;
    const ctl = this.ctl;
    if (Atomics.sub(ctl, C_SLOTS + S_WORDS * slot + S_HOLDERS, 1) === 1) {
      Atomics.add(ctl, C_RELEASES, 1);
      if (Atomics.load(ctl, C_READER_WAITING) === 1) Atomics.notify(ctl, C_RELEASES);
    }
  }

  close(): void {
    this.release();
    this.port.close();
  }

  private setUp(): Int32Array {
    const m = this.receive();
    if (m.type !== 'control') throw new Error('fan-out: expected the control block first');
    this.k = m.slots;
    this.ctl = new Int32Array(m.control);
    return this.ctl;
  }

  private receive(): FanoutMessage {
    // The reader posts set-up and buffer messages before the batches that need them.
    const r = receiveMessageOnPort(this.port);
    if (r === undefined) throw new Error('fan-out: a message the reader posted is missing');
    return r.message as FanoutMessage;
  }
}

/**
 * Reads every batch into the fan-out, then ends it. `onBatch` runs after each send with the
 * batch (valid until the next one is read) and its route words: a reader that is worker 0
 * processes its partition there. Rejects if the fan-out is closed meanwhile (a worker
 * failed: its own error is the one to report).
 */
export async function feedFanout(
  batches: AsyncIterable<FrameBatch>, fanout: BatchFanout, onBatch?: (batch: FrameBatch, routes: Uint32Array) => void, first?: FrameBatch,
): Promise<void> {
  // (not `onBatch?.(b, await send(b))`: an absent callback would skip the send too)
  const feed = async (batch: FrameBatch) => {
    const routes = await fanout.send(batch);
    if (onBatch) onBatch(batch, routes);
  };
  if (first) await feed(first);
  for await (const batch of batches) await feed(batch);
  fanout.end();
}
