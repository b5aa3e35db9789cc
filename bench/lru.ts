/**
 * LruMap insert cost at every capacity its users configure, against the previous
 * Map-insertion-order version (eviction through `map.keys().next()`), interleaved.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/lru.js
 */
import { LruMap } from '../src/util/lru.js';
import { median } from './lib/stats.js';

/** The previous implementation, kept here only to measure against. */
class MapOrderLru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly capacity: number) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) { this.map.delete(key); this.map.set(key, v); }
    return v;
  }
  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }
}

const USERS: [string, number][] = [
  ['probe result cache', 4096],
  ['browser-miner key sites', 5000],
  ['scan sources / dns answer cache', 10000],
  ['host pairs, bruteforce pairs, repeat gate', 20000],
];

function run(make: (cap: number) => { set(k: string, v: number): void; get(k: string): number | undefined }, cap: number, inserts: number): number {
  const lru = make(cap);
  for (let i = 0; i < cap; i++) lru.set(`k${i}`, i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < inserts; i++) {
    lru.set(`k${cap + i}`, i);
    lru.get(`k${cap + i - (i & 15)}`);
  }
  return Number(process.hrtime.bigint() - t0) / inserts / 1000;
}

console.log('| user | capacity | previous µs/insert | LruMap µs/insert |');
console.log('|---|---:|---:|---:|');
for (const [who, cap] of USERS) {
  const old: number[] = [];
  const neu: number[] = [];
  for (let r = 0; r < 5; r++) {
    old.push(run((c) => new MapOrderLru<string, number>(c), cap, 50_000));
    neu.push(run((c) => new LruMap<string, number>(c), cap, 50_000));
  }
  console.log(`| ${who} | ${cap} | ${median(old).toFixed(2)} | ${median(neu).toFixed(2)} |`);
}
