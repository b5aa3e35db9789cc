/**
 * Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi 2005) over uint32 keys, in typed
 * arrays: k monitored keys with counts and overestimates. Guarantee, for a stream of N
 * (weighted) items: every key with true count > N/k is monitored, and a monitored key's
 * count c satisfies true ≤ c ≤ true + err ≤ true + N/k (err is its recorded overestimate).
 * Mergeable (Agarwal et al., "Mergeable summaries", 2012): the sum of two summaries, cut to
 * k, keeps the bound for the union stream.
 *
 * The minimum is kept at the root of an indexed binary min-heap, so an update costs one
 * index lookup and a sift (O(log k)), also when a new key replaces the minimum. A caller may
 * keep its own per-key attributes in arrays of k slots: add() returns the key's slot and
 * `replaced` says whether the slot changed hands (its attributes start over).
 *
 * The telescope uses it for top talkers (the sources past the source table; the tracked ones
 * are counted exactly and joined in as a summary at the end) and as the backscatter victim
 * table; the state carries both summaries, cut to HEAVY_K, and `telescope merge` adds them.
 */
import { U32Index } from './index-table.js';

/** Monitored keys of the telescope's summaries (talkers, victims): the stated error is N/HEAVY_K. */
export const HEAVY_K = 4096;

export interface HeavyEntry { key: number; count: number; error: number }

/** A summary as plain data (the state's JSON and the binary state file's structure). */
export interface SpaceSavingJson { k: number; total: number; keys: number[]; counts: number[]; errors: number[] }

export class SpaceSaving {
  readonly keys: Uint32Array;
  readonly counts: Float64Array;
  readonly errors: Float64Array;
  /** heap of slots ordered by count (root: the minimum) and each slot's place in it */
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  private n = 0;
  /** total weight seen (N) */
  total = 0;
  /** the last add() gave its key a slot that held another key (or none) */
  replaced = false;
  private index: U32Index;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`heavy-hitter summary size ${k}: needs an integer ≥ 1`);
    this.keys = new Uint32Array(k);
    this.counts = new Float64Array(k);
    this.errors = new Float64Array(k);
    this.heap = new Int32Array(k);
    this.pos = new Int32Array(k);
    this.index = new U32Index(k);
  }

  get size(): number {
    return this.n;
  }

  /** Upper bound of any count's overestimate: N/k. */
  get errorBound(): number {
    return this.total / this.k;
  }

  /** Largest possible count of a key that is not monitored: the minimum count once all k slots are taken, else 0. */
  get floor(): number {
    return this.n === this.k ? this.counts[this.heap[0]] : 0;
  }

  /** Slot of a monitored key, -1 when not monitored. */
  slotOf(key: number): number {
    return this.index.get(key >>> 0);
  }

  /** Counts `weight` for key; returns its slot (see `replaced`). */
  add(key: number, weight = 1): number {
    key >>>= 0;
    this.total += weight;
    let slot = this.index.get(key);
    if (slot >= 0) {
      this.replaced = false;
      this.counts[slot] += weight;
      this.siftDown(this.pos[slot]);
      return slot;
    }
    this.replaced = true;
    if (this.n < this.k) {
      slot = this.n++;
      this.keys[slot] = key;
      this.counts[slot] = weight;
      this.errors[slot] = 0;
      this.index.insert(key, slot);
      this.heap[slot] = slot;
      this.pos[slot] = slot;
      this.siftUp(slot);
      return slot;
    }
    // replace the minimum: the newcomer inherits its count as overestimate
    slot = this.heap[0];
    const floor = this.counts[slot];
    this.index.delete(this.keys[slot]);
    this.index.insert(key, slot);
    this.keys[slot] = key;
    this.counts[slot] = floor + weight;
    this.errors[slot] = floor;
    this.siftDown(0);
    return slot;
  }

  /** Monitored entries, largest count first (ties: smaller key first), at most `limit`. */
  top(limit = this.n): HeavyEntry[] {
    const out: HeavyEntry[] = [];
    for (let i = 0; i < this.n; i++) out.push({ key: this.keys[i], count: this.counts[i], error: this.errors[i] });
    return out.sort((a, b) => b.count - a.count || a.key - b.key).slice(0, limit);
  }

  /**
   * A summary of k slots holding the given entries (the k largest by count are kept), over a
   * stream of `total`: for counts taken from an exact table (errors 0), or a larger summary cut
   * to k (a key left out has at most the smallest kept count, which `floor` then states).
   */
  static of(k: number, entries: HeavyEntry[], total: number): SpaceSaving {
    const s = new SpaceSaving(k);
    s.load(entries);
    s.total = total;
    return s;
  }

  /**
   * Adds another summary (same k): counts of common keys add; a key missing from one side
   * gets that side's floor as count and error (nothing when `disjoint`: the two streams never
   * share a key, as worker partitions by source); the k largest are kept.
   */
  merge(o: SpaceSaving, disjoint = false): void {
    if (o.k !== this.k) throw new Error(`cannot merge heavy-hitter summaries of k = ${o.k} and ${this.k}`);
    const minA = disjoint ? 0 : this.floor;
    const minB = disjoint ? 0 : o.floor;
    const all = new Map<number, HeavyEntry>();
    for (let i = 0; i < this.n; i++) all.set(this.keys[i], { key: this.keys[i], count: this.counts[i] + minB, error: this.errors[i] + minB });
    for (let i = 0; i < o.n; i++) {
      const a = all.get(o.keys[i]);
      // a key on both sides got minB above for nothing: take it back
      if (a) { a.count += o.counts[i] - minB; a.error += o.errors[i] - minB; } else all.set(o.keys[i], { key: o.keys[i], count: o.counts[i] + minA, error: o.errors[i] + minA });
    }
    this.load([...all.values()]);
    this.total += o.total;
  }

  /** A summary that crossed a thread boundary by structured clone: only the prototypes are restored. */
  static revive(cloned: SpaceSaving): SpaceSaving {
    const s = Object.setPrototypeOf(cloned, SpaceSaving.prototype) as SpaceSaving;
    Object.setPrototypeOf(s.index, U32Index.prototype);
    return s;
  }

  toJSON(): SpaceSavingJson {
    const order = this.top();
    return { k: this.k, total: this.total, keys: order.map((e) => e.key), counts: order.map((e) => e.count), errors: order.map((e) => e.error) };
  }

  /** Rebuilds a summary from toJSON's data; throws on anything inconsistent (the state reader names the file). */
  static fromJSON(j: SpaceSavingJson): SpaceSaving {
    const ok = j !== null && typeof j === 'object' && Number.isInteger(j.k) && j.k >= 1 && j.k <= 1 << 24 && Number.isFinite(j.total) && j.total >= 0
      && Array.isArray(j.keys) && Array.isArray(j.counts) && Array.isArray(j.errors) && j.keys.length <= j.k
      && j.counts.length === j.keys.length && j.errors.length === j.keys.length;
    if (!ok) throw new Error('heavy-hitter summary malformed');
    const entries: HeavyEntry[] = j.keys.map((key, i) => ({ key, count: j.counts[i], error: j.errors[i] }));
    for (const e of entries) {
      if (!Number.isInteger(e.key) || e.key < 0 || e.key > 0xffffffff || !(e.count >= 0) || !(e.error >= 0) || e.error > e.count) throw new Error('heavy-hitter entry out of range');
    }
    if (new Set(j.keys).size !== j.keys.length) throw new Error('heavy-hitter summary lists a key twice');
    return SpaceSaving.of(j.k, entries, j.total);
  }

  /** Replaces the content with the k largest entries (by count, then key) and rebuilds index and heap. */
  private load(entries: HeavyEntry[]): void {
    const kept = entries.sort((x, y) => y.count - x.count || x.key - y.key).slice(0, this.k);
    this.n = kept.length;
    this.index = new U32Index(this.k);
    // largest first is a valid max-heap order only; sorted ascending it is a valid min-heap
    for (let i = 0; i < this.n; i++) {
      const e = kept[this.n - 1 - i];
      this.keys[i] = e.key;
      this.counts[i] = e.count;
      this.errors[i] = e.error;
      this.heap[i] = i;
      this.pos[i] = i;
      this.index.insert(e.key, i);
    }
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const counts = this.counts;
    const slot = heap[i];
    const c = counts[slot];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = heap[parent];
      if (counts[ps] <= c) break;
      heap[i] = ps;
      this.pos[ps] = i;
      i = parent;
    }
    heap[i] = slot;
    this.pos[slot] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const counts = this.counts;
    const n = this.n;
    const slot = heap[i];
    const c = counts[slot];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && counts[heap[child + 1]] < counts[heap[child]]) child++;
      const cs = heap[child];
      if (counts[cs] >= c) break;
      heap[i] = cs;
      this.pos[cs] = i;
      i = child;
    }
    heap[i] = slot;
    this.pos[slot] = i;
  }
}
