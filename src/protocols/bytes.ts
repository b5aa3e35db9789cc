/**
 * Byte helpers the protocol parsers share (TLS, DNS over TCP and HTTP queue stream bytes;
 * DNS and DHCP print IPv4 addresses). A neutral module at the bottom of protocols/, so no
 * parser imports another parser for them.
 */

/**
 * A bounded, growable byte queue for stream reassembly (used by the TLS, DNS-over-TCP and
 * HTTP consumers). Consumers parse straight from the caller's buffer when the queue is
 * empty and only copy the unparsed tail, so the common one-segment case never copies.
 */
export class ByteQueue {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  constructor(readonly capacity: number, initial = 1024) {
    this.buf = new Uint8Array(Math.min(initial, capacity));
  }
  get length(): number {
    return this.end - this.start;
  }
  /** Appends; returns false (and appends nothing) when the queue would exceed its capacity. */
  push(data: Uint8Array): boolean {
    const len = this.end - this.start;
    const need = len + data.length;
    if (need > this.capacity) return false;
    if (this.end + data.length > this.buf.length) {
      if (need <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.min(this.capacity, Math.max(need, this.buf.length * 2)));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.start = 0;
      this.end = len;
    }
    this.buf.set(data, this.end);
    this.end += data.length;
    return true;
  }
  /** The queued bytes (valid until the next push/consume). */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }
  consume(n: number): void {
    this.start += Math.min(n, this.end - this.start);
    if (this.start === this.end) this.start = this.end = 0;
  }
  clear(): void {
    this.start = this.end = 0;
  }
}
