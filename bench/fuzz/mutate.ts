/**
 * Byte mutations for the fuzzing harness (AFL-style havoc: bit flips, interesting values,
 * inserts, deletes, repeats, splices, dictionary tokens), driven by a seeded PRNG so that a
 * run is reproducible from its seed.
 */
import { mulberry32 } from '../../src/util/mulberry32.js';

export class Rand {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x20, 0x22, 0x2f, 0x3a];
const INTERESTING_16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x0100, 0x00ff, 0x3fff, 0x4000];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x00010000, 0x0000ffff, 0x40000000];

/** Dictionary tokens every byte target shares (protocol keywords the seeds contain). */
export const COMMON_DICT: readonly Uint8Array[] = [
  '\r\n', '\r\n\r\n', '\n', 'HTTP/1.1 ', 'GET / HTTP/1.1\r\n', 'Content-Length: ', 'Transfer-Encoding: chunked\r\n', 'Content-Encoding: gzip\r\n',
  'Upgrade: websocket\r\n', '101 Switching Protocols', '{"id":1,"method":"mining.subscribe","params":[]}\n', '{"method":"login","params":{"login":"x"}}\n',
  '"result":', '*3\r\n$3\r\nSET\r\n', 'CONFIG SET dir /tmp\r\n', 'USER anonymous\r\n', 'PASS x\r\n', 'login: ', 'Password:',
  '\x16\x03\x01', '\x16\x03\x03\x00\x40\x01\x00\x00\x3c\x03\x03', '\xc0\x0c', '\xff\xfb\x01', '\x00\x00\xff\xff', '0\r\n\r\n', 'ffffffff\r\n',
].map((s) => Buffer.from(s, 'latin1'));

function writeBE(b: Uint8Array, at: number, v: number, bytes: number): void {
  for (let i = bytes - 1; i >= 0; i--) { if (at + i < b.length) b[at + i] = v & 0xff; v = Math.floor(v / 256); }
}

function writeLE(b: Uint8Array, at: number, v: number, bytes: number): void {
  for (let i = 0; i < bytes; i++) { if (at + i < b.length) b[at + i] = v & 0xff; v = Math.floor(v / 256); }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * A mutated copy of `src`: 1–4 havoc steps (now and then up to 16). `other` supplies a second
 * seed for splicing; the result is at most `maxLen` bytes.
 */
export function mutateBytes(src: Uint8Array, r: Rand, other: () => Uint8Array, dict: readonly Uint8Array[], maxLen: number): Uint8Array {
  let b: Uint8Array = src.slice();
  const steps = r.chance(0.1) ? 1 + r.int(16) : 1 + r.int(4);
  for (let s = 0; s < steps; s++) {
    const n = b.length;
    switch (r.int(12)) {
      case 0: if (n) b[r.int(n)] ^= 1 << r.int(8); break;
      case 1: if (n) b[r.int(n)] = r.int(256); break;
      case 2: if (n) b[r.int(n)] = r.pick(INTERESTING_8); break;
      case 3: if (n > 1) (r.chance(0.5) ? writeBE : writeLE)(b, r.int(n - 1), r.pick(INTERESTING_16), 2); break;
      case 4: if (n > 3) (r.chance(0.5) ? writeBE : writeLE)(b, r.int(n - 3), r.pick(INTERESTING_32), 4); break;
      case 5: if (n) { const at = r.int(n); b[at] = (b[at] + r.int(35) - 17) & 0xff; } break;
      case 6: { // insert random bytes
        const at = r.int(n + 1);
        const ins = new Uint8Array(1 + r.int(16));
        for (let i = 0; i < ins.length; i++) ins[i] = r.int(256);
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 7: if (n > 1) { // delete a range
        const at = r.int(n);
        const len = 1 + r.int(Math.max(1, (n - at) >> 2));
        b = concat(b.subarray(0, at), b.subarray(at + len));
      } break;
      case 8: if (n) { // repeat a short range many times (runs of the same token)
        const at = r.int(n);
        const len = 1 + r.int(Math.min(16, n - at));
        const times = r.chance(0.2) ? 1 + r.int(2000) : 1 + r.int(16);
        const piece = b.subarray(at, at + len);
        const rep = new Uint8Array(len * times);
        for (let i = 0; i < times; i++) rep.set(piece, i * len);
        b = concat(b.subarray(0, at), rep, b.subarray(at));
      } break;
      case 9: { // splice with another seed
        const o = other();
        b = concat(b.subarray(0, r.int(n + 1)), o.subarray(r.int(o.length + 1)));
        break;
      }
      case 10: if (n) b = b.subarray(0, r.int(n)); break;
      default: { // dictionary token, inserted or overwritten
        const tok = r.pick(dict.length > 0 && r.chance(0.7) ? dict : COMMON_DICT);
        const at = r.int(n + 1);
        b = r.chance(0.5) ? concat(b.subarray(0, at), tok, b.subarray(at)) : concat(b.subarray(0, at), tok, b.subarray(Math.min(n, at + tok.length)));
      }
    }
    if (b.length > maxLen) b = b.subarray(0, maxLen);
  }
  return b;
}
