/**
 * sfc32: a small, fast, well-tested 32-bit PRNG. Everything the generators produce is a
 * function of the seed, so the same seed yields byte-identical captures on every machine.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    // mix the seed in so that neighbouring seeds diverge immediately
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }

  /** Picks an index with probability proportional to its weight. */
  weighted(weights: readonly number[], total: number): number {
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** Exponentially distributed with the given mean (inter-arrival times). */
  exp(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  /** Log-normal around a median, sigma in natural-log units (sizes, think times). */
  logNormal(median: number, sigma: number): number {
    // Box-Muller; one draw is enough here
    const u = 1 - this.float();
    const v = this.float();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * z);
  }

  /** Lower-case hex string of `bytes` random bytes. */
  hex(bytes: number): string {
    let s = '';
    for (let i = 0; i < bytes; i++) s += HEX[this.u32() & 0xff];
    return s;
  }

  fill(buf: Uint8Array, off = 0, len = buf.length - off): void {
    let i = off;
    const end = off + len;
    for (; i + 4 <= end; i += 4) {
      const x = this.u32();
      buf[i] = x;
      buf[i + 1] = x >>> 8;
      buf[i + 2] = x >>> 16;
      buf[i + 3] = x >>> 24;
    }
    for (; i < end; i++) buf[i] = this.u32();
  }

  /** An independent stream derived from this one (for sub-generators). */
  fork(): Rng {
    return new Rng(this.u32() ^ 0x5bd1e995);
  }
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));
