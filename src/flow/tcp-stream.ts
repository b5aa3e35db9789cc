/**
 * The reassembly state of one direction of one TCP connection. A file of its own so that
 * the flow record (which holds a flow's two streams) and the reassembler (which fills them)
 * both import it without importing each other.
 */
/** One direction of one TCP connection. */
export class TcpStream {
  /** Sequence number of stream offset 0. */
  base = 0;
  /** Stream offset of the next byte to deliver (gaps included). */
  nextOffset = 0;
  /** Buffered out-of-order pieces: sorted, disjoint, all starting after nextOffset. */
  readonly segOffsets: number[] = [];
  readonly segData: Uint8Array[] = [];
  bufferedBytes = 0;
  /** Stream offset of the FIN (it consumes one sequence number), -1 until seen. */
  finOffset = -1;
  /** End of the highest byte seen (also beyond the depth), so a hole before the depth is still reported. */
  highestEnd = 0;
  depthReached = false;

  reset(): void {
    this.base = 0;
    this.nextOffset = 0;
    this.segOffsets.length = 0;
    this.segData.length = 0;
    this.bufferedBytes = 0;
    this.finOffset = -1;
    this.highestEnd = 0;
    this.depthReached = false;
  }
}
