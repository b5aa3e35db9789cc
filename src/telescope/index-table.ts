/**
 * Open-addressing index from a uint32 key to a slot number, over typed arrays (no object
 * per entry). Used for per-source and per-victim state.
 */
import { mix32 } from './unique.js';

export class U32Index {
  /** [key, slot + 1] pairs side by side (0 = empty): a lookup touches one cache line */
  private entries: Uint32Array;
  private mask: number;
  private n = 0;

  constructor(capacity = 1 << 16) {
    let c = 16;
    while (c < capacity * 2) c <<= 1;
    this.entries = new Uint32Array(c * 2);
    this.mask = c - 1;
  }

  get size(): number {
    return this.n;
  }

  /** Slot of key, -1 when absent. */
  get(key: number): number {
    const e = this.entries;
    const mask = this.mask;
    key >>>= 0;
    let i = mix32(key) & mask;
    for (;;) {
      const v = e[2 * i + 1];
      if (v === 0) return -1;
      if (e[2 * i] === key) return v - 1;
      i = (i + 1) & mask;
    }
  }

  /** Inserts a key known to be absent. */
  insert(key: number, slot: number): void {
    if ((this.n + 1) * 2 > this.mask + 1) this.grow();
    this.place(key >>> 0, slot + 1);
    this.n++;
  }

  /**
   * Removes a key (no effect when absent). Linear probing with backward shift: later entries
   * of the probe run move back into the hole, so no tombstones accumulate (the heavy-hitter
   * summaries delete one key per replacement, millions of times).
   */
  delete(key: number): void {
    const e = this.entries;
    const mask = this.mask;
    key >>>= 0;
    let i = mix32(key) & mask;
    for (;;) {
      if (e[2 * i + 1] === 0) return;
      if (e[2 * i] === key) break;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (e[2 * j + 1] === 0) break;
      const home = mix32(e[2 * j]) & mask;
      // the entry at j may fill the hole at i when i lies on its probe path (home … j)
      if (((j - home) & mask) >= ((j - i) & mask)) {
        e[2 * i] = e[2 * j];
        e[2 * i + 1] = e[2 * j + 1];
        i = j;
      }
    }
    e[2 * i] = 0;
    e[2 * i + 1] = 0;
    this.n--;
  }

  private place(key: number, val: number): void {
    const e = this.entries;
    const mask = this.mask;
    let i = mix32(key) & mask;
    while (e[2 * i + 1] !== 0) i = (i + 1) & mask;
    e[2 * i] = key;
    e[2 * i + 1] = val;
  }

  private grow(): void {
    const old = this.entries;
    this.entries = new Uint32Array(old.length * 2);
    this.mask = (this.mask << 1) | 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.place(old[i], old[i + 1]);
  }
}

/** Copies a typed array into a longer one of the same type (the tail filled with `fill`). */
export function growArray<T extends Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float64Array>(a: T, n: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
