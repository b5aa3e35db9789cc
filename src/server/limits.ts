/**
 * Fixed-window request counters per key (a sensor, a client address): bounded memory (the
 * table is cleared when it grows past `maxKeys`), and the seconds to wait for Retry-After.
 */
export class RateLimiter {
  private window = 0;
  private readonly counts = new Map<string, number>();

  constructor(private readonly perWindow: number, private readonly windowMs = 60_000, private readonly maxKeys = 100_000) {}

  /** Counts one request; returns 0 when allowed, else the seconds until the window ends. */
  take(key: string, now = Date.now()): number {
    const w = Math.floor(now / this.windowMs);
    if (w !== this.window || this.counts.size >= this.maxKeys) {
      this.window = w;
      this.counts.clear();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n <= this.perWindow) return 0;
    return Math.max(1, Math.ceil(((w + 1) * this.windowMs - now) / 1000));
  }
}
