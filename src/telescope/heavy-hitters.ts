/**
 * Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi 2005) over uint32 keys, in typed
 * arrays: k monitored keys with counts and overestimates. Guarantee, for a stream of N
 * (weighted) items: every key with true count > N/k is monitored, and a monitored key's
 * count c satisfies true ≤ c ≤ true + err ≤ true + N/k (err is its recorded overestimate).
 * Mergeable (Agarwal et al., "Mergeable summaries", 2012): the sum of two summaries, cut to
 * k, keeps the bound for the union stream.
 *
 * Not yet wired into the aggregator or the state file (issue 21 round two left it here).
 */
import { U32Index } from './index-table.js';

export class SpaceSaving {
  readonly keys: Uint32Array;
  readonly counts: Float64Array;
  readonly errors: Float64Array;
  private n = 0;
  /** total weight seen (N) */
  total = 0;
  private index: U32Index;

  constructor(readonly k: number) {
    this.keys = new Uint32Array(k);
    this.counts = new Float64Array(k);
    this.errors = new Float64Array(k);
    this.index = new U32Index(k);
  }

  get size(): number {
    return this.n;
  }

  /** Upper bound of any count's overestimate: N/k. */
  get errorBound(): number {
    return this.total / this.k;
  }

  add(key: number, weight = 1): void {
    key >>>= 0;
    this.total += weight;
    const slot = this.index.get(key);
    if (slot >= 0) {
      this.counts[slot] += weight;
      return;
    }
    if (this.n < this.k) {
      const s = this.n++;
      this.keys[s] = key;
      this.counts[s] = weight;
      this.errors[s] = 0;
      this.index.insert(key, s);
      return;
    }
    // replace the minimum: the newcomer inherits its count as overestimate
    let min = 0;
    for (let i = 1; i < this.n; i++) if (this.counts[i] < this.counts[min]) min = i;
    const floor = this.counts[min];
    this.keys[min] = key;
    this.counts[min] = floor + weight;
    this.errors[min] = floor;
    this.rebuildIndex();
  }

  /** Monitored entries, largest count first. */
  top(): { key: number; count: number; error: number }[] {
    const out: { key: number; count: number; error: number }[] = [];
    for (let i = 0; i < this.n; i++) out.push({ key: this.keys[i], count: this.counts[i], error: this.errors[i] });
    return out.sort((a, b) => b.count - a.count || a.key - b.key);
  }

  /**
   * Adds another summary (same k): counts of common keys add; a key missing from one side
   * gets that side's minimum count (when full) as count and error; the k largest are kept.
   */
  merge(o: SpaceSaving): void {
    if (o.k !== this.k) throw new Error(`cannot merge heavy-hitter summaries of k = ${o.k} and ${this.k}`);
    const minA = this.n === this.k ? Math.min(...this.counts) : 0;
    const minB = o.n === o.k ? Math.min(...o.counts) : 0;
    const all = new Map<number, { count: number; error: number }>();
    for (let i = 0; i < this.n; i++) all.set(this.keys[i], { count: this.counts[i], error: this.errors[i] });
    const seen = new Set<number>();
    for (let i = 0; i < o.n; i++) {
      seen.add(o.keys[i]);
      const a = all.get(o.keys[i]);
      if (a) { a.count += o.counts[i]; a.error += o.errors[i]; } else all.set(o.keys[i], { count: o.counts[i] + minA, error: o.errors[i] + minA });
    }
    for (let i = 0; i < this.n; i++) {
      if (seen.has(this.keys[i])) continue;
      const a = all.get(this.keys[i])!;
      a.count += minB;
      a.error += minB;
    }
    const kept = [...all].sort((x, y) => y[1].count - x[1].count || x[0] - y[0]).slice(0, this.k);
    this.n = kept.length;
    kept.forEach(([key, v], i) => { this.keys[i] = key; this.counts[i] = v.count; this.errors[i] = v.error; });
    this.total += o.total;
    this.rebuildIndex();
  }

  private rebuildIndex(): void {
    this.index = new U32Index(this.k);
    for (let i = 0; i < this.n; i++) this.index.insert(this.keys[i], i);
  }
}
