/**
 * Classic pcap writer (microsecond, little-endian). Used by the synthetic-traffic
 * generator and by tests that build hostile files; buffered so writing 10 M packets is fast.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { OutputError, PIPE_CLOSED } from '../util/errors.js';

export class PcapWriter {
  private readonly fd: number;
  private readonly chunk: Buffer;
  private used = 0;
  packets = 0;
  bytes = 0;

  /** `path` is a file, or '-' for stdout. */
  constructor(path: string, linkType = 1, snaplen = 262144, chunkSize = 4 << 20) {
    this.fd = path === '-' ? 1 : openSync(path, 'w');
    this.chunk = Buffer.allocUnsafe(chunkSize);
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(linkType, 20);
    this.writeAll(h, h.length);
    this.bytes = 24;
  }

  /** Appends one record; `frame` is copied. */
  write(tsUs: number, frame: Uint8Array, wireLength = frame.length): void {
    const need = 16 + frame.length;
    if (this.used + need > this.chunk.length) this.flush();
    if (need > this.chunk.length) {
      const rec = Buffer.allocUnsafe(need);
      this.header(rec, 0, tsUs, frame.length, wireLength);
      rec.set(frame, 16);
      this.writeAll(rec, rec.length);
    } else {
      this.header(this.chunk, this.used, tsUs, frame.length, wireLength);
      this.chunk.set(frame, this.used + 16);
      this.used += need;
    }
    this.packets++;
    this.bytes += need;
  }

  private header(b: Buffer, o: number, tsUs: number, capLen: number, wireLen: number): void {
    const sec = Math.floor(tsUs / 1e6);
    b.writeUInt32LE(sec >>> 0, o);
    b.writeUInt32LE(Math.floor(tsUs - sec * 1e6), o + 4);
    b.writeUInt32LE(capLen, o + 8);
    b.writeUInt32LE(wireLen, o + 12);
  }

  flush(): void {
    if (this.used > 0) {
      this.writeAll(this.chunk, this.used);
      this.used = 0;
    }
  }

  /** Writes all `len` bytes: retries on EAGAIN (stdout may be a non-blocking pipe), stops on a closed pipe. */
  private writeAll(b: Buffer, len: number): void {
    let off = 0;
    while (off < len) {
      try {
        off += writeSync(this.fd, b, off, len - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') throw new OutputError(PIPE_CLOSED, 'the reader of the output closed the pipe', { cause: err });
        if (code !== 'EAGAIN') throw err;
      }
    }
  }

  close(): void {
    this.flush();
    if (this.fd !== 1) closeSync(this.fd);
  }
}
