/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, version 7, 12 bits of rand_a used as a
 * counter within one millisecond (§6.2 method 1, so ids from one process sort in creation
 * order), variant 0b10, 62 random bits. Random bytes come from a pooled CSPRNG buffer.
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(8 * 1024);
let poolPos = pool.length;
let lastMs = -1;
let counter = 0;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A new UUIDv7 string; `nowMs` only for tests. */
export function uuidv7(nowMs: number = Date.now()): string {
  if (poolPos + 10 > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  let ms = nowMs;
  if (ms > lastMs) {
    counter = pool[poolPos] & 0x3ff; // random start, leaving room to count up within the ms
    lastMs = ms;
  } else if (++counter > 0xfff) {
    lastMs += 1; // counter exhausted (or the clock went back): borrow the next millisecond
    counter = pool[poolPos] & 0x3ff;
  }
  ms = lastMs;
  const b = pool; // bytes poolPos+2 .. poolPos+9 are the 62 random bits of rand_b
  const p = poolPos;
  poolPos += 10;
  const hi = Math.floor(ms / 0x1000000); // top 24 bits of 48
  const lo = ms % 0x1000000;
  return (
    HEX[(hi >>> 16) & 0xff] + HEX[(hi >>> 8) & 0xff] + HEX[hi & 0xff] + HEX[(lo >>> 16) & 0xff] + '-' +
    HEX[(lo >>> 8) & 0xff] + HEX[lo & 0xff] + '-' +
    HEX[0x70 | (counter >>> 8)] + HEX[counter & 0xff] + '-' +
    HEX[0x80 | (b[p + 2] & 0x3f)] + HEX[b[p + 3]] + '-' +
    HEX[b[p + 4]] + HEX[b[p + 5]] + HEX[b[p + 6]] + HEX[b[p + 7]] + HEX[b[p + 8]] + HEX[b[p + 9]]
  );
}

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isUuidv7(s: string): boolean {
  return UUIDV7.test(s);
}

/** The Unix millisecond timestamp a UUIDv7 carries. */
export function uuidv7Time(s: string): number {
  return parseInt(s.slice(0, 8) + s.slice(9, 13), 16);
}
