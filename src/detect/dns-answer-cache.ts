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
    this.map.set(address, { name, target: target === name ? '' : target, tsUs });
  }

  lookup(address: string): CachedName | undefined {
    return this.map.get(address);
  }

  get size(): number {
    return this.map.size;
  }
}
