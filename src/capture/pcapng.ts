/**
 * pcapng: sections (either byte order, several per file, each resetting its interfaces),
 * interface descriptions (link type, snaplen, if_tsresol, if_tsoffset), enhanced, simple and
 * obsolete packet blocks. Other blocks (name resolution, statistics, decryption secrets,
 * custom…) are skipped and counted. Framing damage (a block length that cannot be right) is
 * counted and the reader resynchronises on the next plausible block.
 */
import { BatchArrays } from './source.js';
import { rd16, rd32, magicHex } from './bytes.js';
import { JUDGE_ACCEPT, JUDGE_REJECT, RecordReader, STOP_DAMAGED, STOP_FULL, STOP_NEED } from './record-reader.js';
import type { ChunkWindow } from './window.js';
import type { ReaderContext } from './context.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_OPB = 2;
export const BT_SPB = 3;
export const BT_NRB = 4;
export const BT_ISB = 5;
export const BT_EPB = 6;
export const BT_DSB = 0x0a;
export const BT_CUSTOM = 0x00000bad;
export const BT_CUSTOM_NOCOPY = 0x40000bad;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Largest block accepted: bounds chunk growth (a hostile length never allocates more). */
export const PCAPNG_MAX_BLOCK_BYTES = 16 << 20;
const MIN_BLOCK_BYTES = 12;
const SHB_MIN_BYTES = 28;
/** FrameBatch.ifIndexes is 16-bit. */
const MAX_INTERFACES = 65536;

const SKIPPED_NAMES: Record<number, string> = {
  [BT_NRB]: 'pcapng.name-resolution-block',
  [BT_ISB]: 'pcapng.interface-statistics-block',
  [BT_DSB]: 'pcapng.decryption-secrets-block',
  [BT_CUSTOM]: 'pcapng.custom-block',
  [BT_CUSTOM_NOCOPY]: 'pcapng.custom-block',
  7: 'pcapng.irig-timestamp-block',
  8: 'pcapng.arinc-429-block',
  9: 'pcapng.systemd-journal-block',
};

function knownBlockType(t: number): boolean {
  return (t >= 1 && t <= 10) || t === BT_SHB || t === BT_CUSTOM || t === BT_CUSTOM_NOCOPY;
}

/** Byte order of the section header at b[p] (type already known to be SHB), or null. */
function sectionByteOrder(b: Uint8Array, p: number): boolean | null {
  const bom = rd32(b, p + 8, true);
  if (bom === BYTE_ORDER_MAGIC) return true;
  if (rd32(b, p + 8, false) === BYTE_ORDER_MAGIC) return false;
  return null;
}

function plausibleLength(len: number): boolean {
  return len >= MIN_BLOCK_BYTES && (len & 3) === 0 && len <= PCAPNG_MAX_BLOCK_BYTES;
}

/** Checks that bytes start with a usable section header block; a string is the reason not. */
export function checkPcapngStart(b: Uint8Array): string | null {
  if (b.length < 4 || rd32(b, 0, true) !== BT_SHB) return `not a pcapng file (magic ${magicHex(b)})`;
  if (b.length < SHB_MIN_BYTES) return `pcapng section header truncated (${b.length} of ${SHB_MIN_BYTES} bytes)`;
  const le = sectionByteOrder(b, 0);
  if (le === null) return 'pcapng section header has no valid byte-order magic';
  const len = rd32(b, 4, le);
  if (!plausibleLength(len) || len < SHB_MIN_BYTES) return `pcapng section header has impossible length ${len}`;
  const major = rd16(b, 12, le);
  if (major !== 1) return `unsupported pcapng version ${major}.${rd16(b, 14, le)}`;
  return null;
}

export class PcapngReader extends RecordReader {
  private le = true;
  /** Per-interface properties of the current section, indexed by interface id. */
  private ifLinkType: number[] = [];
  private ifSnaplen: number[] = [];
  /** Ticks per microsecond divisor when the resolution is 10^-k with k ≥ 6 (1 for µs); 0 otherwise. */
  private ifDivisor: number[] = [];
  /** Microseconds per tick when ifDivisor is 0. */
  private ifScale: number[] = [];
  /** p when the resolution is 2^-p with p ≤ 32 (exact integer path); -1 otherwise. */
  private ifBinaryExp: number[] = [];
  private ifOffsetUs: number[] = [];
  /** Timestamp of the previous packet: simple packet blocks have none of their own. */
  private lastTsUs = 0;

  /** The window must be positioned at the first section header. */
  constructor(win: ChunkWindow, ctx: ReaderContext) {
    super(win, ctx, 'pcapng');
  }

  static maxRecordBytes(): number {
    return PCAPNG_MAX_BLOCK_BYTES + MIN_BLOCK_BYTES;
  }

  get interfaceCount(): number {
    return this.ifLinkType.length;
  }

  protected parse(a: BatchArrays): number {
    const win = this.win;
    const b = win.buf;
    const end = win.end;
    const capacity = a.capacity;
    const offsets = a.offsets;
    const capLens = a.capLens;
    const wireLens = a.wireLens;
    const tsUs = a.tsUs;
    const linkTypes = a.linkTypes;
    const ifIndexes = a.ifIndexes;
    let le = this.le;
    let p = win.pos;
    let n = 0;
    let stop = STOP_FULL;
    let lastTs = this.lastTsUs;
    while (n < capacity) {
      if (end - p < MIN_BLOCK_BYTES) {
        stop = STOP_NEED;
        this.need = MIN_BLOCK_BYTES;
        break;
      }
      const type = rd32(b, p, le);
      // A section header carries its own byte order; it applies once the block checks out.
      let blockLe = le;
      if (type === BT_SHB) {
        const order = sectionByteOrder(b, p);
        if (order === null || rd32(b, p + 4, order) < SHB_MIN_BYTES) {
          stop = STOP_DAMAGED;
          this.damage = 'pcapng.bad-section-header';
          break;
        }
        blockLe = order;
      }
      const len = rd32(b, p + 4, blockLe);
      if (!plausibleLength(len)) {
        stop = STOP_DAMAGED;
        this.damage = 'pcapng.bad-block-length';
        break;
      }
      if (end - p < len) {
        stop = STOP_NEED;
        this.need = len;
        break;
      }
      if (rd32(b, p + len - 4, blockLe) !== len) {
        stop = STOP_DAMAGED;
        this.damage = 'pcapng.block-length-mismatch';
        break;
      }
      if (type === BT_EPB || type === BT_OPB) {
        // EPB: u32 interface id; OPB (obsolete): u16 interface id + u16 drop count.
        const id = len < 32 ? -1 : type === BT_EPB ? rd32(b, p + 8, le) : rd16(b, p + 8, le);
        const capLen = len < 32 ? 0 : rd32(b, p + 20, le);
        if (id < 0) {
          this.ctx.malformed.add('pcapng.bad-packet-block');
        } else if (id >= this.ifLinkType.length) {
          this.ctx.malformed.add('pcapng.unknown-interface');
        } else if (capLen > len - 32) {
          this.ctx.malformed.add('pcapng.bad-caplen');
        } else {
          const wireLen = rd32(b, p + 24, le);
          lastTs = this.ticksToUs(id, rd32(b, p + 12, le), rd32(b, p + 16, le));
          offsets[n] = p + 28;
          capLens[n] = capLen;
          wireLens[n] = wireLen > 0x7fffffff ? 0x7fffffff : wireLen;
          tsUs[n] = lastTs;
          linkTypes[n] = this.ifLinkType[id];
          ifIndexes[n] = id;
          n++;
        }
      } else if (type === BT_SPB) {
        if (len < 16) {
          this.ctx.malformed.add('pcapng.bad-packet-block');
        } else if (this.ifLinkType.length === 0) {
          this.ctx.malformed.add('pcapng.unknown-interface');
        } else {
          // No caplen field: the packet is what fits in the snaplen and the block.
          const wireLen = rd32(b, p + 8, le);
          const snap = this.ifSnaplen[0];
          let capLen = len - 16;
          if (wireLen < capLen) capLen = wireLen;
          if (snap > 0 && snap < capLen) capLen = snap;
          offsets[n] = p + 12;
          capLens[n] = capLen;
          wireLens[n] = wireLen > 0x7fffffff ? 0x7fffffff : wireLen;
          tsUs[n] = lastTs;
          linkTypes[n] = this.ifLinkType[0];
          ifIndexes[n] = 0;
          n++;
        }
      } else if (type === BT_IDB) {
        this.addInterface(b, p, len, le);
      } else if (type === BT_SHB) {
        le = blockLe;
        this.startSection(b, p, le);
      } else {
        this.ctx.skipped.add(SKIPPED_NAMES[type] ?? 'pcapng.other-block');
      }
      p += len;
    }
    win.pos = p;
    this.le = le;
    this.stop = stop;
    this.lastTsUs = lastTs;
    return n;
  }

  private startSection(b: Uint8Array, p: number, le: boolean): void {
    const major = rd16(b, p + 12, le);
    if (major !== 1) this.ctx.malformed.add('pcapng.unsupported-version');
    this.ifLinkType.length = 0;
    this.ifSnaplen.length = 0;
    this.ifDivisor.length = 0;
    this.ifScale.length = 0;
    this.ifBinaryExp.length = 0;
    this.ifOffsetUs.length = 0;
  }

  private addInterface(b: Uint8Array, p: number, len: number, le: boolean): void {
    if (len < 20) {
      this.ctx.malformed.add('pcapng.bad-interface-block');
      return;
    }
    if (this.ifLinkType.length >= MAX_INTERFACES) {
      this.ctx.malformed.add('pcapng.too-many-interfaces');
      return;
    }
    let divisor = 1;
    let scale = 1;
    let binaryExp = -1;
    let offsetUs = 0;
    // Options: u16 code, u16 length, value padded to 4 bytes, until opt_endofopt or block end.
    const optEnd = p + len - 4;
    let o = p + 16;
    while (o + 4 <= optEnd) {
      const code = rd16(b, o, le);
      const olen = rd16(b, o + 2, le);
      if (code === 0) break;
      const v = o + 4;
      if (v + olen > optEnd) {
        this.ctx.malformed.add('pcapng.bad-option');
        break;
      }
      if (code === 9 && olen >= 1) {
        const r = b[v];
        const exp = r & 0x7f;
        if (r & 0x80) {
          if (exp > 63) this.ctx.malformed.add('pcapng.bad-tsresol');
          else {
            divisor = 0;
            scale = 1e6 / 2 ** exp;
            if (exp <= 32) binaryExp = exp;
          }
        } else if (exp >= 6) {
          divisor = 10 ** (exp - 6);
          binaryExp = -1;
        } else {
          binaryExp = -1;
          divisor = 0;
          scale = 10 ** (6 - exp);
        }
      } else if (code === 14 && olen >= 8) {
        // if_tsoffset: signed 64-bit seconds added to every timestamp.
        const hi = rd32(b, le ? v + 4 : v, le) | 0;
        const lo = rd32(b, le ? v : v + 4, le);
        offsetUs = (hi * 4294967296 + lo) * 1e6;
      }
      o = v + ((olen + 3) & ~3);
    }
    this.ifLinkType.push(rd16(b, p + 8, le));
    this.ifSnaplen.push(rd32(b, p + 12, le));
    this.ifDivisor.push(divisor);
    this.ifScale.push(scale);
    this.ifBinaryExp.push(binaryExp);
    this.ifOffsetUs.push(offsetUs);
  }

  /** 64-bit tick count (hi, lo) of interface `id` → integer microseconds since the epoch. */
  private ticksToUs(id: number, hi: number, lo: number): number {
    const d = this.ifDivisor[id];
    let us: number;
    if (d === 1) {
      us = hi * 4294967296 + lo;
    } else if (d > 1) {
      // floor((hi·2^32 + lo) / d) without losing precision beyond 2^53: split hi by d.
      const qh = Math.floor(hi / d);
      const rh = hi - qh * d;
      us = qh * 4294967296 + Math.floor((rh * 4294967296 + lo) / d);
    } else if (this.ifBinaryExp[id] >= 0) {
      // Ticks of 2^-p s: whole seconds and the fraction separately, both exact.
      const p = this.ifBinaryExp[id];
      const unit = 2 ** p;
      const fraction = lo % unit;
      us = (hi * 2 ** (32 - p) + (lo - fraction) / unit) * 1e6 + Math.floor((fraction * 1e6) / unit);
    } else {
      us = Math.floor((hi * 4294967296 + lo) * this.ifScale[id]);
    }
    return us + this.ifOffsetUs[id];
  }

  /** Block header plausible at q (type known, length sane, no SHB with a bad byte order). */
  private plausibleBlockHeader(b: Uint8Array, q: number): number {
    let le = this.le;
    const type = rd32(b, q, le);
    if (!knownBlockType(type)) return -1;
    if (type === BT_SHB) {
      const order = sectionByteOrder(b, q);
      if (order === null) return -1;
      le = order;
    }
    const len = rd32(b, q + 4, le);
    return plausibleLength(len) ? len : -1;
  }

  protected judge(b: Uint8Array, q: number, end: number, eof: boolean): number {
    // Type, length and (for a section header) the byte-order magic: 12 bytes.
    const head = MIN_BLOCK_BYTES;
    if (end - q < head) return eof ? JUDGE_REJECT : head;
    const len = this.plausibleBlockHeader(b, q);
    if (len < 0) return JUDGE_REJECT;
    if (end - q < len + head) {
      if (!eof) return len + head;
      if (end - q < len) return JUDGE_REJECT;
    }
    const type = rd32(b, q, this.le);
    const le = type === BT_SHB ? sectionByteOrder(b, q) === true : this.le;
    if (rd32(b, q + len - 4, le) !== len) return JUDGE_REJECT;
    if (type === BT_EPB && (rd32(b, q + 8, le) >= this.ifLinkType.length || rd32(b, q + 20, le) > len - 32)) {
      return JUDGE_REJECT;
    }
    if (type === BT_SPB && this.ifLinkType.length === 0) return JUDGE_REJECT;
    const next = q + len;
    if (end - next < head) return eof && next === end ? JUDGE_ACCEPT : JUDGE_REJECT;
    return this.plausibleBlockHeader(b, next) >= 0 ? JUDGE_ACCEPT : JUDGE_REJECT;
  }
}
