/**
 * Byte-chunk producers: the layer under the record parsers. A producer only delivers the
 * (decompressed) byte stream of one file; pcap and pcapng parsing never know whether the
 * bytes came from a plain file or through zlib, so there is one parser per format.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface ByteProducer {
  /** Copies up to `length` stream bytes into dst at `offset`; 0 means end of stream. */
  read(dst: Uint8Array, offset: number, length: number): Promise<number>;
  /** Plain files only: synchronous read of `length` bytes at stream `position` (returns bytes read). */
  readAt?(dst: Uint8Array, offset: number, length: number, position: number): number;
  /** Input bytes consumed so far (compressed bytes for gzip), for progress. */
  consumed(): number;
  close(): void;
}

/**
 * A plain file read with synchronous reads into the caller's chunk: for page-cached files
 * this is the fastest path in Node (no stream machinery, no intermediate buffers).
 */
export class FileProducer implements ByteProducer {
  private fd: number;
  private position = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  read(dst: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.fd < 0 || length <= 0) return Promise.resolve(0);
    const n = readSync(this.fd, dst, offset, length, this.position);
    this.position += n;
    return Promise.resolve(n);
  }

  readAt(dst: Uint8Array, offset: number, length: number, position: number): number {
    return this.fd < 0 ? 0 : readSync(this.fd, dst, offset, length, position);
  }

  consumed(): number {
    return this.position;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
