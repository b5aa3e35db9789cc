/**
 * The sender's bounded on-disk outbox: batches wait here until the collector acknowledged
 * them, across restarts and crashes.
 *
 * Layout: a directory of append-only segment files `seg-<12 digits>.mwq`, written in order.
 * Each record is `'M' type:u8 length:u32le crc32:u32le payload`:
 * - `B` (batch): batch id (36 ASCII bytes), event count u32le, the gzip request body. The
 *   batch is fsynced (fdatasync) before `append` returns, so a batch the sender accepted
 *   survives a crash of the process or the machine.
 * - `A` (ack): batch id. Not fsynced: an ack lost in a crash only makes the batch go again
 *   with the same batch and event ids, and the collector drops it as a duplicate.
 * On open, the segments are read in order; a torn record at the end of a segment (a crash in
 * the middle of a write) is cut off, and the batches without an ack are pending again.
 * Segments are deleted oldest first once every batch in them is acknowledged (acks are always
 * in the same or a later segment than their batch, so deleting in order never forgets one).
 * Past `maxBytes` on disk the oldest segment goes, with its unacknowledged batches counted as
 * dropped. A lock file keeps two processes out of one outbox.
 */
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { ConfigError, InputError } from '../util/errors.js';

const HEADER = 10;
const MAGIC = 0x4d; // 'M'
const T_BATCH = 0x42; // 'B'
const T_ACK = 0x41; // 'A'
const ID_LEN = 36;
const SEGMENT_RE = /^seg-(\d{12})\.mwq$/;

export interface OutboxOptions {
  dir: string;
  /** Bound on the bytes of all segment files; past it the oldest batches are dropped. */
  maxBytes: number;
  /** Segment size before a new one starts (default: maxBytes / 8, between 64 KB and 8 MB). */
  segmentBytes?: number;
  /** fdatasync every batch (default true; false only for benchmarks of the sender itself). */
  fsync?: boolean;
  /** Told about each batch dropped past the bound. */
  onDrop?: (e: OutboxEntry) => void;
}

export interface OutboxEntry {
  readonly id: string;
  readonly events: number;
  readonly seg: number;
  readonly offset: number;
  readonly length: number;
}

export interface OutboxStats {
  pendingBatches: number;
  pendingEvents: number;
  bytesOnDisk: number;
  /** Unacknowledged batches dropped past the byte bound (this process's lifetime). */
  droppedBatches: number;
  droppedEvents: number;
  /** Batches found pending when the outbox was opened. */
  recoveredBatches: number;
  recoveredEvents: number;
  /** Bytes cut off the end of segments (torn writes) when opened. */
  truncatedBytes: number;
}

interface Segment {
  seq: number;
  path: string;
  bytes: number;
  live: number;
}

type Crc = (b: Uint8Array) => number;
const crc32: Crc = typeof (zlib as { crc32?: Crc }).crc32 === 'function' ? (zlib as { crc32: Crc }).crc32 : tableCrc32;

function tableCrc32(b: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

export class Outbox {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsync: boolean;
  private readonly segments: Segment[] = [];
  private readonly entries = new Map<string, OutboxEntry>();
  private fd = -1;
  private closed = false;
  private readonly lockPath: string;
  private readonly onDrop?: (e: OutboxEntry) => void;
  readonly stats: OutboxStats = { pendingBatches: 0, pendingEvents: 0, bytesOnDisk: 0, droppedBatches: 0, droppedEvents: 0, recoveredBatches: 0, recoveredEvents: 0, truncatedBytes: 0 };

  private constructor(opts: OutboxOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = opts.segmentBytes ?? Math.min(8 << 20, Math.max(64 << 10, Math.floor(opts.maxBytes / 8)));
    this.fsync = opts.fsync !== false;
    this.lockPath = join(this.dir, 'lock');
    this.onDrop = opts.onDrop;
  }

  /** Opens (creating) the outbox directory, takes its lock and recovers pending batches. */
  static open(opts: OutboxOptions): Outbox {
    if (!Number.isFinite(opts.maxBytes) || opts.maxBytes < 64 << 10) throw new ConfigError('outbox.too-small', `the outbox bound must be at least 64 KiB (got ${opts.maxBytes} bytes)`, { subject: '--outbox-max-bytes' });
    try {
      mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new ConfigError('outbox.not-writable', `cannot create the outbox directory ${opts.dir}: ${(err as Error).message}`, { subject: opts.dir, cause: err });
    }
    const box = new Outbox(opts);
    box.lock();
    try {
      box.recover();
    } catch (err) {
      box.unlock();
      throw err;
    }
    return box;
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ConfigError('outbox.not-writable', `cannot write in the outbox directory ${this.dir}: ${(err as Error).message}`, { subject: this.dir, cause: err });
      }
      const pid = Number(readFileSync(this.lockPath, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || alive(pid))) {
        throw new ConfigError('outbox.locked', `the outbox ${this.dir} is in use by process ${pid}: give each sending process its own --outbox`, { subject: this.dir });
      }
      rmSync(this.lockPath, { force: true }); // left by a process that is gone
    }
    throw new ConfigError('outbox.locked', `cannot lock the outbox ${this.dir}`, { subject: this.dir });
  }

  private unlock(): void {
    rmSync(this.lockPath, { force: true });
  }

  private recover(): void {
    const seqs = readdirSync(this.dir).map((n) => SEGMENT_RE.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
    for (const seq of seqs) {
      const path = this.segmentPath(seq);
      const data = readFileSync(path);
      const seg: Segment = { seq, path, bytes: 0, live: 0 };
      this.segments.push(seg);
      let off = 0;
      while (off + HEADER <= data.length) {
        if (data[off] !== MAGIC) break;
        const type = data[off + 1];
        const len = data.readUInt32LE(off + 2);
        const crc = data.readUInt32LE(off + 6);
        if (off + HEADER + len > data.length) break;
        const payload = data.subarray(off + HEADER, off + HEADER + len);
        if (crc32(payload) !== crc) break;
        if (type === T_BATCH && len >= ID_LEN + 4) {
          const id = payload.toString('latin1', 0, ID_LEN);
          const events = payload.readUInt32LE(ID_LEN);
          this.entries.set(id, { id, events, seg: seq, offset: off + HEADER + ID_LEN + 4, length: len - ID_LEN - 4 });
          seg.live++;
        } else if (type === T_ACK && len === ID_LEN) {
          this.forget(payload.toString('latin1'));
        } else {
          break;
        }
        off += HEADER + len;
      }
      if (off < data.length) {
        // a torn or corrupt tail: cut it off so new records follow a valid one
        const fd = openSync(path, 'r+');
        try {
          ftruncateSync(fd, off);
          fdatasyncSync(fd);
        } finally {
          closeSync(fd);
        }
        this.stats.truncatedBytes += data.length - off;
      }
      seg.bytes = off;
      this.stats.bytesOnDisk += off;
    }
    this.stats.recoveredBatches = this.entries.size;
    for (const e of this.entries.values()) this.stats.recoveredEvents += e.events;
    this.stats.pendingBatches = this.entries.size;
    this.stats.pendingEvents = this.stats.recoveredEvents;
    this.collect();
  }

  private segmentPath(seq: number): string {
    return join(this.dir, `seg-${String(seq).padStart(12, '0')}.mwq`);
  }

  private forget(id: string): OutboxEntry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    this.entries.delete(id);
    const seg = this.segments.find((s) => s.seq === e.seg);
    if (seg) seg.live--;
    this.stats.pendingBatches--;
    this.stats.pendingEvents -= e.events;
    return e;
  }

  /** Deletes the oldest segments that hold nothing pending (never the one being written). */
  private collect(): void {
    while (this.segments.length > 0 && this.segments[0].live === 0 && !(this.fd >= 0 && this.segments.length === 1)) {
      this.removeOldest();
    }
  }

  private removeOldest(): void {
    const seg = this.segments.shift()!;
    if (this.fd >= 0 && this.segments.length === 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
    unlinkSync(seg.path);
    this.stats.bytesOnDisk -= seg.bytes;
  }

  private current(recordBytes: number): Segment {
    let seg = this.segments[this.segments.length - 1];
    if (!seg || this.fd < 0 || (seg.bytes > 0 && seg.bytes + recordBytes > this.segmentBytes)) {
      if (this.fd >= 0) closeSync(this.fd);
      const seq = seg ? seg.seq + 1 : 1;
      seg = { seq, path: this.segmentPath(seq), bytes: 0, live: 0 };
      this.fd = openSync(seg.path, 'a', 0o600);
      this.segments.push(seg);
      if (this.fsync) fsyncDir(this.dir);
    }
    return seg;
  }

  private writeRecord(type: number, parts: Buffer[], sync: boolean): { seg: Segment; offset: number } {
    const payload = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const header = Buffer.allocUnsafe(HEADER);
    header[0] = MAGIC;
    header[1] = type;
    header.writeUInt32LE(payload.length, 2);
    header.writeUInt32LE(crc32(payload), 6);
    const seg = this.current(HEADER + payload.length);
    const offset = seg.bytes;
    const rec = Buffer.concat([header, payload]);
    let done = 0;
    try {
      while (done < rec.length) done += writeSync(this.fd, rec, done);
      if (sync) fdatasyncSync(this.fd);
    } catch (err) {
      // leave no half record behind the valid ones
      try {
        ftruncateSync(this.fd, offset);
      } catch {
        // the next open cuts it off
      }
      throw err;
    }
    seg.bytes += rec.length;
    this.stats.bytesOnDisk += rec.length;
    return { seg, offset };
  }

  /**
   * Stores a batch durably (written and fdatasynced before this returns). Past the byte
   * bound, the oldest pending batches are dropped and counted (never the new one).
   */
  append(id: string, events: number, body: Buffer): OutboxEntry {
    if (this.closed) throw new InputError('outbox.closed', 'the outbox is closed');
    if (id.length !== ID_LEN) throw new InputError('outbox.bad-id', `batch ids are ${ID_LEN} characters (got "${id}")`);
    if (HEADER + ID_LEN + 4 + body.length > this.maxBytes / 2) {
      throw new InputError('outbox.batch-too-large', `a batch of ${body.length} bytes does not fit the outbox bound of ${this.maxBytes} bytes`);
    }
    const head = Buffer.allocUnsafe(ID_LEN + 4);
    head.write(id, 0, ID_LEN, 'latin1');
    head.writeUInt32LE(events, ID_LEN);
    const { seg, offset } = this.writeRecord(T_BATCH, [head, body], this.fsync);
    const entry: OutboxEntry = { id, events, seg: seg.seq, offset: offset + HEADER + ID_LEN + 4, length: body.length };
    this.entries.set(id, entry);
    seg.live++;
    this.stats.pendingBatches++;
    this.stats.pendingEvents += events;
    this.enforceBound();
    return entry;
  }

  private enforceBound(): void {
    while (this.stats.bytesOnDisk > this.maxBytes && this.segments.length > 1) {
      const seg = this.segments[0];
      for (const e of [...this.entries.values()]) {
        if (e.seg !== seg.seq) continue;
        this.forget(e.id);
        this.stats.droppedBatches++;
        this.stats.droppedEvents += e.events;
        this.onDrop?.(e);
      }
      this.removeOldest();
    }
    this.collect();
  }

  /** The collector acknowledged (or permanently refused) this batch: it will not be sent again. */
  ack(id: string): void {
    if (this.closed || !this.entries.has(id)) return;
    this.writeRecord(T_ACK, [Buffer.from(id, 'latin1')], false);
    this.forget(id);
    this.collect();
  }

  /** A batch counted as dropped was delivered after all (it was in flight when dropped). */
  delivered(e: OutboxEntry): void {
    this.stats.droppedBatches--;
    this.stats.droppedEvents -= e.events;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): OutboxEntry | undefined {
    return this.entries.get(id);
  }

  /** Pending batches, oldest first. */
  pending(): OutboxEntry[] {
    return [...this.entries.values()];
  }

  /** The stored request body of a pending batch. */
  read(e: OutboxEntry): Buffer {
    const seg = this.segments.find((s) => s.seq === e.seg);
    if (!seg) throw new InputError('outbox.gone', `batch ${e.id} is no longer in the outbox`);
    const fd = openSync(seg.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(e.length);
      let got = 0;
      while (got < e.length) {
        const n = readSync(fd, buf, got, e.length - got, e.offset + got);
        if (n === 0) throw new InputError('outbox.short-read', `segment ${seg.path} ends inside batch ${e.id}`);
        got += n;
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  }

  /** Closes the files and the lock; pending batches stay on disk for the next open. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) {
      if (this.fsync) fdatasyncSync(this.fd); // acks too, so a clean stop re-sends nothing
      closeSync(this.fd);
      this.fd = -1;
    }
    this.collect();
    this.unlock();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported on every file system; the segment's own fdatasync still holds its data
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Bytes of the segment files in an outbox directory (for reports and tests). */
export function outboxBytes(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) if (SEGMENT_RE.test(name)) n += statSync(join(dir, name)).size;
  return n;
}
