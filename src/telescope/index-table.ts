/**
 * Open-addressing index from a uint32 key to a slot number, over typed arrays (no object
 * per entry). Used for per-source and per-victim state.
 */
import { mix32 } from './unique.js';

export class U32Index {
  private keys: Uint32Array;
  /** slot + 1; 0 = empty */
  private vals: Int32Array;
  private n = 0;

  constructor(capacity = 1 << 16) {
    let c = 16;
    while (c < capacity * 2) c <<= 1;
    this.keys = new Uint32Array(c);
    this.vals = new Int32Array(c);
  }

  get size(): number {
    return this.n;
  }

  /** Slot of key, -1 when absent. */
  get(key: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = keys.length - 1;
    let i = mix32(key) & mask;
    for (;;) {
      const v = vals[i];
      if (v === 0) return -1;
      if (keys[i] === key >>> 0) return v - 1;
      i = (i + 1) & mask;
    }
  }

  /** Inserts a key known to be absent. */
  insert(key: number, slot: number): void {
    if ((this.n + 1) * 2 > this.keys.length) this.grow();
    this.place(key >>> 0, slot + 1);
    this.n++;
  }

  private place(key: number, val: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = keys.length - 1;
    let i = mix32(key) & mask;
    while (vals[i] !== 0) i = (i + 1) & mask;
    keys[i] = key;
    vals[i] = val;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    this.keys = new Uint32Array(oldK.length * 2);
    this.vals = new Int32Array(oldV.length * 2);
    for (let i = 0; i < oldK.length; i++) if (oldV[i] !== 0) this.place(oldK[i], oldV[i]);
  }
}

/** Copies a typed array into a longer one of the same type (the tail filled with `fill`). */
export function growArray<T extends Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float64Array>(a: T, n: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
