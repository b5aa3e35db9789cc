/**
 * The format-independent part of a file reader: the loop that alternates between the
 * format's synchronous record walk (the hot path) and asynchronous refills, and the
 * resynchronisation scan after damage. pcap.ts and pcapng.ts supply only the record walk and
 * a "does a plausible record start here" judge.
 */
import type { BatchArrays, FrameBatch } from './source.js';
import type { ChunkWindow } from './window.js';
import type { ReaderContext } from './context.js';

/** parse() stopped because the batch arrays are full. */
export const STOP_FULL = 0;
/** parse() needs `need` bytes from win.pos before it can continue. */
export const STOP_NEED = 1;
/** parse() found a record header that cannot be right (reason in `damage`). */
export const STOP_DAMAGED = 2;

/** Garbage scanned before giving up on resynchronisation. */
export const RESYNC_SCAN_LIMIT = 64 << 20;

/** judge() verdicts: accept, reject; a positive number asks for that many bytes from q. */
export const JUDGE_ACCEPT = 0;
export const JUDGE_REJECT = -1;

export abstract class RecordReader {
  /** Why parse() stopped: STOP_FULL, STOP_NEED or STOP_DAMAGED. */
  stop = STOP_FULL;
  /** With STOP_NEED: bytes required from win.pos. */
  need = 0;
  /** With STOP_DAMAGED: the malformed reason. */
  damage = '';

  constructor(
    protected readonly win: ChunkWindow,
    protected readonly ctx: ReaderContext,
    /** "pcap" or "pcapng", prefix of malformed reasons. */
    private readonly format: string,
  ) {}

  /** Walks complete records at win.pos into `a` (from index 0); returns the frame count. */
  protected abstract parse(a: BatchArrays): number;

  /**
   * Whether a plausible record starts at q (and the one after it, or the stream ends right
   * after it). With eof false it may ask for more bytes instead of deciding.
   */
  protected abstract judge(b: Uint8Array, q: number, end: number, eof: boolean): number;

  async *batches(a: BatchArrays, sourceIndex: number): AsyncGenerator<FrameBatch> {
    const win = this.win;
    const reread = win.canReread ? (dst: Uint8Array, dstOffset: number, from: number, length: number) => win.reread(dst, dstOffset, from, length) : undefined;
    for (;;) {
      const n = this.parse(a);
      if (n > 0) {
        yield a.batch(win.buf, n, sourceIndex, reread);
      }
      if (this.stop === STOP_FULL) continue;
      if (this.stop === STOP_NEED) {
        if (await win.ensure(this.need)) continue;
        const left = win.end - win.pos;
        if (left === 0) return;
        this.ctx.malformed.add(`${this.format}.truncated-record`);
        this.ctx.warn(`input ends inside a record at offset ${win.offsetOf(win.pos)} (${left} bytes dropped)`);
        // Usually the last record was cut short; but a damaged length may have made us
        // wait for bytes that never come while good records follow, so look for them.
        if (!(await this.resync(false))) return;
        continue;
      }
      this.ctx.malformed.add(this.damage);
      if (!(await this.resync(true))) return;
    }
  }

  /**
   * Scans forward from win.pos + 1 for a plausible record. Bytes before the candidate are
   * discarded; the scan is bounded by RESYNC_SCAN_LIMIT.
   */
  private async resync(reportFailure: boolean): Promise<boolean> {
    const win = this.win;
    const damageOffset = win.offsetOf(win.pos);
    win.pos++;
    for (;;) {
      const b = win.buf;
      const end = win.end;
      let q = win.pos;
      let verdict = JUDGE_REJECT;
      while (q < end) {
        verdict = this.judge(b, q, end, win.eof);
        if (verdict !== JUDGE_REJECT) break;
        q++;
      }
      win.pos = q;
      const skipped = win.offsetOf(q) - damageOffset;
      if (verdict === JUDGE_ACCEPT) {
        this.ctx.warn(`resynchronised after ${skipped} garbage bytes at offset ${damageOffset}`);
        return true;
      }
      if (q >= end && win.eof) break;
      if (skipped > RESYNC_SCAN_LIMIT) break;
      // Need more bytes to decide at q; at end of stream the judge decides with eof=true.
      // A candidate needing more than the window may hold is no candidate.
      if (!(await win.ensure(verdict > 0 ? verdict : 1)) && !win.eof) win.pos = q + 1;
    }
    // After a plain truncation there is nothing more to say; after damage mid-file the
    // user should know the rest of the input was not read.
    if (reportFailure) {
      this.ctx.malformed.add(`${this.format}.resync-failed`);
      this.ctx.warn(`no plausible record after damage at offset ${damageOffset}; stopped reading this input`);
    }
    win.pos = win.end;
    return false;
  }
}
