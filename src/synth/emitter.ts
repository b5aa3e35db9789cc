/**
 * The sink every generator writes through: keeps capture timestamps non-decreasing while
 * many flows interleave (a flow's burst may run a few microseconds past the next flow's
 * wake-up time) and enforces the size / packet budget.
 */
import { PcapWriter } from '../capture/pcap-writer.js';
import type { FrameSink } from './packet-builder.js';

export class PcapEmitter implements FrameSink {
  private readonly writer: PcapWriter;
  private last = 0;

  constructor(path: string) {
    this.writer = new PcapWriter(path);
  }

  emit(tsUs: number, frame: Uint8Array): void {
    let t = Math.floor(tsUs);
    if (t < this.last) t = this.last;
    this.last = t;
    this.writer.write(t, frame);
  }

  get packets(): number {
    return this.writer.packets;
  }

  /** File bytes so far (pcap header and record headers included). */
  get bytes(): number {
    return this.writer.bytes;
  }

  /** Timestamp of the last frame written (µs). */
  get lastTs(): number {
    return this.last;
  }

  close(): void {
    this.writer.close();
  }
}
