/**
 * Classic libpcap files: both byte orders, microsecond (a1b2c3d4) and nanosecond (a1b23c4d)
 * timestamps. Records are walked in place in the chunk; a record header whose lengths cannot
 * be right is counted and the reader resynchronises on the next plausible record.
 */
import { BatchArrays } from './source.js';
import { rd32, magicHex } from './bytes.js';
import { JUDGE_ACCEPT, JUDGE_REJECT, RecordReader, STOP_DAMAGED, STOP_FULL, STOP_NEED } from './record-reader.js';
import type { ChunkWindow } from './window.js';
import type { ReaderContext } from './context.js';

export const PCAP_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
/** libpcap's and Wireshark's standard maximum record size. */
export const PCAP_STANDARD_MAX_CAPLEN = 262144;
/** Hard ceiling even when a file header claims a bigger snaplen: bounds every allocation. */
export const PCAP_HARD_MAX_CAPLEN = 16 << 20;
/** Largest wire length we believe. */
const MAX_WIRE_LEN = 0x7fffffff;
/** Resync candidates must be this close (seconds) to the last good record. */
const RESYNC_TS_WINDOW_S = 7 * 86400;

export interface PcapHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  /** Largest caplen accepted: max(snaplen, 262144), capped at 16 MiB. */
  maxCapLen: number;
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/** True when the first four bytes are a classic pcap magic in either byte order. */
export function isPcapMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const be = rd32(b, 0, false);
  const le = rd32(b, 0, true);
  return be === MAGIC_US || be === MAGIC_NS || le === MAGIC_US || le === MAGIC_NS;
}

/** Parses the 24-byte file header; a string is the reason it is unusable. */
export function parsePcapHeader(b: Uint8Array): PcapHeader | string {
  if (b.length < 4 || !isPcapMagic(b)) return `not a pcap file (magic ${magicHex(b)})`;
  if (b.length < PCAP_HEADER_BYTES) return `pcap file header truncated (${b.length} of ${PCAP_HEADER_BYTES} bytes)`;
  const le = rd32(b, 0, true) === MAGIC_US || rd32(b, 0, true) === MAGIC_NS;
  const magic = rd32(b, 0, le);
  const versionMajor = (le ? b[4] | (b[5] << 8) : (b[4] << 8) | b[5]);
  const versionMinor = (le ? b[6] | (b[7] << 8) : (b[6] << 8) | b[7]);
  if (versionMajor !== 2) return `unsupported pcap version ${versionMajor}.${versionMinor}`;
  const snaplen = rd32(b, 16, le);
  // Upper bits of the link-type field carry FCS information (pcap spec), not the type.
  const linkType = rd32(b, 20, le) & 0xffff;
  const maxCapLen = Math.min(PCAP_HARD_MAX_CAPLEN, Math.max(snaplen, PCAP_STANDARD_MAX_CAPLEN));
  return { littleEndian: le, nanosecond: magic === MAGIC_NS, versionMajor, versionMinor, snaplen, linkType, maxCapLen };
}

export class PcapReader extends RecordReader {
  private readonly le: boolean;
  private readonly nano: boolean;
  private readonly linkType: number;
  private readonly maxCapLen: number;
  /** Seconds of the last good record: resync candidates must be near it. -1 before any. */
  private lastSec = -1;

  /** The window must be positioned at the file header. */
  constructor(win: ChunkWindow, ctx: ReaderContext, readonly header: PcapHeader) {
    super(win, ctx, 'pcap');
    this.le = header.littleEndian;
    this.nano = header.nanosecond;
    this.linkType = header.linkType;
    this.maxCapLen = header.maxCapLen;
    win.pos += PCAP_HEADER_BYTES;
  }

  /** Bytes of window a record can need: the growth bound for its chunk. */
  static maxRecordBytes(header: PcapHeader): number {
    return PCAP_RECORD_HEADER_BYTES * 2 + header.maxCapLen;
  }

  protected parse(a: BatchArrays): number {
    const win = this.win;
    const b = win.buf;
    const end = win.end;
    const le = this.le;
    const nano = this.nano;
    const lt = this.linkType;
    const maxCap = this.maxCapLen;
    const capacity = a.capacity;
    const offsets = a.offsets;
    const capLens = a.capLens;
    const wireLens = a.wireLens;
    const tsUs = a.tsUs;
    const linkTypes = a.linkTypes;
    const ifIndexes = a.ifIndexes;
    let p = win.pos;
    let n = 0;
    let stop = STOP_FULL;
    let sec = this.lastSec;
    while (n < capacity) {
      if (end - p < PCAP_RECORD_HEADER_BYTES) {
        stop = STOP_NEED;
        this.need = PCAP_RECORD_HEADER_BYTES;
        break;
      }
      const capLen = rd32(b, p + 8, le);
      const wireLen = rd32(b, p + 12, le);
      // No real frame has wire length 0: a zero-filled hole would otherwise read as records.
      if (capLen > maxCap || capLen > wireLen || wireLen === 0 || wireLen > MAX_WIRE_LEN) {
        stop = STOP_DAMAGED;
        this.damage = 'pcap.bad-record-length';
        break;
      }
      const total = PCAP_RECORD_HEADER_BYTES + capLen;
      if (end - p < total) {
        stop = STOP_NEED;
        this.need = total;
        break;
      }
      sec = rd32(b, p, le);
      const sub = rd32(b, p + 4, le);
      offsets[n] = p + PCAP_RECORD_HEADER_BYTES;
      capLens[n] = capLen;
      wireLens[n] = wireLen;
      tsUs[n] = sec * 1e6 + (nano ? Math.floor(sub / 1000) : sub);
      linkTypes[n] = lt;
      ifIndexes[n] = 0;
      n++;
      p += total;
    }
    win.pos = p;
    this.stop = stop;
    this.lastSec = sec;
    return n;
  }

  private plausibleHeader(b: Uint8Array, q: number, refSec: number): boolean {
    const le = this.le;
    const sec = rd32(b, q, le);
    const sub = rd32(b, q + 4, le);
    const capLen = rd32(b, q + 8, le);
    const wireLen = rd32(b, q + 12, le);
    if (sub >= (this.nano ? 1e9 : 1e6)) return false;
    if (capLen > this.maxCapLen || capLen > wireLen || wireLen === 0 || wireLen > MAX_WIRE_LEN) return false;
    return refSec < 0 || Math.abs(sec - refSec) <= RESYNC_TS_WINDOW_S;
  }

  protected judge(b: Uint8Array, q: number, end: number, eof: boolean): number {
    const H = PCAP_RECORD_HEADER_BYTES;
    if (end - q < H) return eof ? JUDGE_REJECT : H;
    if (!this.plausibleHeader(b, q, this.lastSec)) return JUDGE_REJECT;
    const next = q + H + rd32(b, q + 8, this.le);
    if (end - next < H) {
      if (!eof) return next + H - q;
      // A last record is only believed on its own when its time fits the records before.
      return next === end && this.lastSec >= 0 ? JUDGE_ACCEPT : JUDGE_REJECT;
    }
    return this.plausibleHeader(b, next, rd32(b, q, this.le)) ? JUDGE_ACCEPT : JUDGE_REJECT;
  }
}
