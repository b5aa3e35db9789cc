/**
 * DNS answer cache: address → the name a device looked up to reach it. Filled by the
 * pool-dns detector from every A/AAAA answer; read by stratum, pool-tls and
 * mining-encrypted to name the pool behind a bare address. Bounded LRU.
 *
 * Beside it, a smaller map of the answers to LISTED names only (pool, browser-miner, miner
 * download): address → the lookup (name, asking device, time, list). pool-tls and pool-ip
 * raise an alert when a device later connects to one of these addresses (issue 15, class 2).
 * Both maps are bounded; evictions are counted (a full cache forgets the oldest answers).
 */
import { LruMap } from './common.js';

export interface CachedName {
  /** The question name (what the device asked for). */
  name: string;
  /** The answer owner name when a CNAME chain led elsewhere ('' when the same). */
  target: string;
  tsUs: number;
}

/** A lookup of a listed name and one of its answer addresses. */
export interface PoolAnswer {
  /** The listed name that matched (question or CNAME target). */
  name: string;
  /** The device (IP) that asked. */
  askedBy: string;
  /** When the answer was seen (µs). */
  tsUs: number;
  /** The list and kind that matched. */
  list: string;
  kind: string;
}

export class DnsAnswerCache {
  private readonly map: LruMap<string, CachedName>;
  private readonly pool: LruMap<string, PoolAnswer>;
  /** Answers forgotten because a map was full (all answers, listed-name answers). */
  evicted = 0;
  poolEvicted = 0;

  constructor(capacity = 50000, poolCapacity = 4096) {
    this.map = new LruMap(capacity);
    this.pool = new LruMap(poolCapacity);
  }

  remember(address: string, name: string, tsUs: number, target = ''): void {
    if (address === '' || name === '') return;
    const t = target === name ? '' : target;
    // Entries are updated in place and the evicted one is reused: an answer flood allocates
    // no entry objects (lookups read them at once and keep no reference).
    let e = this.map.get(address);
    if (e === undefined) {
      e = this.map.evictOldestIfFull();
      if (e) this.evicted++;
      else e = { name, target: t, tsUs };
      this.map.set(address, e);
    }
    e.name = name;
    e.target = t;
    e.tsUs = tsUs;
  }

  lookup(address: string): CachedName | undefined {
    return this.map.get(address);
  }

  /** An answer address of a listed name (the pool-dns detector matched the name). */
  rememberPool(address: string, a: PoolAnswer): void {
    if (address === '') return;
    if (!this.pool.has(address) && this.pool.evictOldestIfFull() !== undefined) this.poolEvicted++;
    this.pool.set(address, a);
  }

  /** The listed-name lookup that answered with this address, if remembered. */
  lookupPool(address: string): PoolAnswer | undefined {
    return this.pool.size === 0 ? undefined : this.pool.get(address);
  }

  /** Whether any listed-name answer is remembered (lets callers skip work on every flow). */
  get hasPoolAnswers(): boolean {
    return this.pool.size > 0;
  }

  get size(): number {
    return this.map.size;
  }

  /** Every remembered address and its name (the sensor's blocklist reads them; recency is not touched). */
  entries(): IterableIterator<[string, CachedName]> {
    return this.map.entries();
  }
}
