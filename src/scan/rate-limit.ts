/**
 * Global rate limit for everything the scanner sends (connections and credential attempts):
 * a token bucket shared by all workers, so `--rate` holds no matter the concurrency.
 */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();
  private queue: Promise<void> = Promise.resolve();

  /** `perSecond` <= 0 or Infinity means unlimited. */
  constructor(private readonly perSecond: number, private readonly burst = Math.max(1, Math.min(perSecond, 50))) {
    this.tokens = this.burst;
  }

  /** Resolves when the caller may send one more thing. Callers are served in order. */
  take(): Promise<void> {
    if (!(this.perSecond > 0) || this.perSecond === Infinity) return Promise.resolve();
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn;
    return turn;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
