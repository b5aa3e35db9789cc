/**
 * gzip-compressed captures: a byte producer that streams through zlib, so the same pcap and
 * pcapng record walkers read them. Detection is by the 1f 8b magic, never by file name.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { constants, createGunzip, gunzipSync, type Gunzip } from 'node:zlib';
import type { ByteProducer } from './producer.js';
import type { ReaderContext } from './context.js';

export function isGzipMagic(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Decompressed output kept per zlib step: bounds memory whatever the compression ratio. */
const ZLIB_CHUNK_BYTES = 256 << 10;

/**
 * Decompresses the beginning of a gzip member (possibly cut short) to sniff the capture
 * format inside. Input is a small head of the file, so the output is bounded too.
 */
export function gunzipHead(head: Uint8Array): Buffer {
  try {
    return gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 64 << 20 });
  } catch {
    return Buffer.alloc(0);
  }
}

export class GzipProducer implements ByteProducer {
  private readonly file: ReadStream;
  private readonly gunzip: Gunzip;
  private readonly output: AsyncIterator<Buffer>;
  private pending: Buffer | null = null;
  private pendingPos = 0;
  private done = false;

  constructor(path: string, private readonly ctx: ReaderContext) {
    this.file = createReadStream(path, { highWaterMark: 1 << 20 });
    this.gunzip = createGunzip({ chunkSize: ZLIB_CHUNK_BYTES });
    // File errors end the gunzip stream with that error, so one place reports both.
    this.file.on('error', (err) => this.gunzip.destroy(err));
    this.file.pipe(this.gunzip);
    this.output = this.gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async read(dst: Uint8Array, offset: number, length: number): Promise<number> {
    while (this.pending === null || this.pendingPos >= this.pending.length) {
      if (this.done) return 0;
      let step: IteratorResult<Buffer>;
      try {
        step = await this.output.next();
      } catch (err) {
        this.done = true;
        this.reportError(err);
        return 0;
      }
      if (step.done) {
        this.done = true;
        return 0;
      }
      this.pending = step.value;
      this.pendingPos = 0;
    }
    const n = Math.min(length, this.pending.length - this.pendingPos);
    this.pending.copy(dst, offset, this.pendingPos, this.pendingPos + n);
    this.pendingPos += n;
    return n;
  }

  private reportError(err: unknown): void {
    const code = (err as { code?: string }).code ?? '';
    const truncated = code === 'Z_BUF_ERROR';
    this.ctx.malformed.add(truncated ? 'gzip.truncated' : 'gzip.corrupt');
    const message = err instanceof Error ? err.message : String(err);
    this.ctx.warn(`gzip stream ${truncated ? 'ends early' : 'is corrupt'} after ${this.file.bytesRead} compressed bytes (${message})`);
  }

  consumed(): number {
    return this.file.bytesRead;
  }

  close(): void {
    this.done = true;
    this.file.unpipe(this.gunzip);
    this.file.destroy();
    this.gunzip.destroy();
  }
}
