/**
 * The reusable chunk the record parsers walk. Frames handed out in a batch point into
 * `buf`; the window only moves or refills bytes when the parser asks for more data, which
 * happens after the batch has been consumed (the FrameBatch contract: valid until the next
 * batch is requested). Partial records are carried to the front of the chunk on refill.
 */
import type { ByteProducer } from './producer.js';

export class ChunkWindow {
  buf: Buffer;
  /** Parse position in buf. */
  pos = 0;
  /** End of valid bytes in buf. */
  end = 0;
  /** Stream offset of buf[0]. */
  base = 0;
  /** The producer reported end of stream. */
  eof = false;

  /**
   * @param chunkBytes initial chunk size
   * @param maxBytes hard bound for growth; callers never need more than one bounded record
   */
  constructor(
    private readonly producer: ByteProducer,
    chunkBytes: number,
    readonly maxBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(chunkBytes, maxBytes));
  }

  /** Whether reread() works: the stream is a plain file (stream offset = file position). */
  get canReread(): boolean {
    return this.producer.readAt !== undefined;
  }

  /** Reads buf[from, from + length) again from the file into dst (see FrameBatch.reread). */
  reread(dst: Uint8Array, dstOffset: number, from: number, length: number): boolean {
    const readAt = this.producer.readAt;
    if (readAt === undefined || from < 0 || from + length > this.end) return false;
    return readAt.call(this.producer, dst, dstOffset, length, this.base + from) === length;
  }

  /** Stream offset of a buffer position, for messages. */
  offsetOf(p: number): number {
    return this.base + p;
  }

  /**
   * Makes buf[pos, pos + n) available. False when the stream ends first (or n exceeds the
   * growth bound); the bytes that did arrive stay available.
   */
  async ensure(n: number): Promise<boolean> {
    if (this.end - this.pos >= n) return true;
    if (this.eof || n > this.maxBytes) return false;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.shiftToFront();
    }
    while (this.end < n) {
      if (this.end === this.buf.length) {
        // Grow by doubling only while real bytes keep arriving: a hostile length field
        // in a small file never allocates more than about twice the bytes present.
        const grown = Buffer.allocUnsafe(Math.min(n, this.buf.length * 2));
        this.buf.copy(grown, 0, 0, this.end);
        this.buf = grown;
      }
      const got = await this.producer.read(this.buf, this.end, this.buf.length - this.end);
      if (got <= 0) {
        this.eof = true;
        return false;
      }
      this.end += got;
    }
    return true;
  }

  private shiftToFront(): void {
    this.base += this.pos;
    this.end -= this.pos;
    this.pos = 0;
  }
}
