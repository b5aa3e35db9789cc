/**
 * Map with a size bound; the least recently touched key is evicted first.
 *
 * Entries live in slots linked in recency order through two Int32Arrays, and a Map finds a
 * key's slot. Every operation is O(1): evicting the oldest entry reads the list's tail. (The
 * earlier version kept recency in a Map's insertion order and evicted with
 * `map.keys().next()`, which walks the deleted entries V8 leaves at the front of the table
 * until it rehashes: about 15.7 µs per insert at capacity 10,000.)
 */
export class LruMap<K, V> {
  private readonly index = new Map<K, number>();
  private readonly keys: (K | undefined)[];
  private readonly values: (V | undefined)[];
  /** Towards newer entries (-1 at the newest). */
  private readonly newer: Int32Array;
  /** Towards older entries (-1 at the oldest). */
  private readonly older: Int32Array;
  private newest = -1;
  private oldest = -1;
  /** Slots handed out so far; past it, free slots are chained through `older`. */
  private used = 0;
  private free = -1;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LruMap capacity must be a positive integer, got ${capacity}`);
    // Slot arrays grow on demand (many caches never fill), up to the capacity.
    this.keys = [];
    this.values = [];
    this.newer = new Int32Array(capacity);
    this.older = new Int32Array(capacity);
  }

  get(key: K): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    this.touch(slot);
    return this.values[slot];
  }

  /** Read without refreshing recency. */
  peek(key: K): V | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  set(key: K, value: V): void {
    let slot = this.index.get(key);
    if (slot !== undefined) {
      this.values[slot] = value;
      this.touch(slot);
      return;
    }
    if (this.index.size >= this.capacity) {
      slot = this.oldest;
      this.unlink(slot);
      this.index.delete(this.keys[slot] as K);
    } else if (this.free >= 0) {
      slot = this.free;
      this.free = this.older[slot];
    } else {
      slot = this.used++;
    }
    this.keys[slot] = key;
    this.values[slot] = value;
    this.index.set(key, slot);
    this.pushNewest(slot);
  }

  delete(key: K): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.index.delete(key);
    this.unlink(slot);
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.older[slot] = this.free;
    this.free = slot;
    return true;
  }

  /**
   * When the map is full, removes the least recently touched entry and returns its value, so
   * the caller can reuse it for the entry it is about to set (a flood of new keys then
   * allocates no value per key); otherwise undefined.
   */
  evictOldestIfFull(): V | undefined {
    if (this.index.size < this.capacity || this.oldest < 0) return undefined;
    const slot = this.oldest;
    const v = this.values[slot];
    this.delete(this.keys[slot] as K);
    return v;
  }

  get size(): number {
    return this.index.size;
  }

  /** Entries from the least to the most recently touched. */
  *entries(): IterableIterator<[K, V]> {
    for (let s = this.oldest; s >= 0; s = this.newer[s]) yield [this.keys[s] as K, this.values[s] as V];
  }

  private touch(slot: number): void {
    if (slot === this.newest) return;
    this.unlink(slot);
    this.pushNewest(slot);
  }

  private unlink(slot: number): void {
    const n = this.newer[slot];
    const o = this.older[slot];
    if (n >= 0) this.older[n] = o; else this.newest = o;
    if (o >= 0) this.newer[o] = n; else this.oldest = n;
  }

  private pushNewest(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = -1;
    if (this.newest >= 0) this.newer[this.newest] = slot; else this.oldest = slot;
    this.newest = slot;
  }
}
