/**
 * DNS answer cache: address → the name a device looked up to reach it. Filled by the
 * pool-dns detector from every A/AAAA answer; read by stratum, pool-tls and
 * mining-encrypted to name the pool behind a bare address. Bounded LRU.
 */
import { LruMap } from './common.js';

export interface CachedName {
  /** The question name (what the device asked for). */
  name: string;
  /** The answer owner name when a CNAME chain led elsewhere ('' when the same). */
  target: string;
  tsUs: number;
}

export class DnsAnswerCache {
  private readonly map: LruMap<string, CachedName>;

  constructor(capacity = 50000) {
    this.map = new LruMap(capacity);
  }

  remember(address: string, name: string, tsUs: number, target = ''): void {
    if (address === '' || name === '') return;
    const t = target === name ? '' : target;
    // Entries are updated in place and the evicted one is reused: an answer flood allocates
    // no entry objects (lookups read them at once and keep no reference).
    let e = this.map.get(address);
    if (e === undefined) {
      e = this.map.evictOldestIfFull() ?? { name, target: t, tsUs };
      this.map.set(address, e);
    }
    e.name = name;
    e.target = t;
    e.tsUs = tsUs;
  }

  lookup(address: string): CachedName | undefined {
    return this.map.get(address);
  }

  get size(): number {
    return this.map.size;
  }

  /** Every remembered address and its name (the sensor's blocklist reads them; recency is not touched). */
  entries(): IterableIterator<[string, CachedName]> {
    return this.map.entries();
  }
}
