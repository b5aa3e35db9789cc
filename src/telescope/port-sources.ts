/**
 * Unique sources per destination port key (131 072 TCP and UDP ports) in memory that does
 * not grow with ports × sources. A sweep of every port by 100 000 sources put an exact set
 * of a hundred keys behind every port (87 MB of tables and 131 072 objects per worker).
 * Three tiers, no object per port while counting:
 * - exact: up to PORT_EXACT keys per port inline in one shared Uint32Array;
 * - full: past that, a UniqueCounter at the state's per-port precision (SMALL_P, 1.63 %),
 *   for at most `maxFull` ports (the first to outgrow the inline set: the busy ones);
 * - coarse: every other port, a HyperLogLog of COARSE_P in one shared register pool.
 * Ports keep every key they were given at each promotion, so no tier undercounts; coarse
 * counters merge with full ones at the lower precision (UniqueCounter.merge folds).
 */
import { hllAdd, UniqueCounter } from './unique.js';
import { SMALL_LIMIT, SMALL_P } from './state.js';
import { growArray } from './index-table.js';

/** Keys kept exactly per port before a counter. */
export const PORT_EXACT = 8;
/** Precision of the coarse per-port sketches: 256 bytes, standard error 6.5 %. */
export const COARSE_P = 8;
/** Full-precision per-port counters per aggregator (the state keeps the 8192 busiest ports' counters). */
export const PORT_FULL_COUNTERS = 8192;

const FULL = PORT_EXACT + 1;
const COARSE = PORT_EXACT + 2;
const COARSE_BYTES = 1 << COARSE_P;

/**
 * A PortSources' tables as plain data, to hand them to another thread (the typed arrays'
 * buffers transferred, see transferList) instead of a UniqueCounter object per port.
 */
export interface PortSourcesParts {
  portKeys: number;
  keys: Uint32Array;
  tier: Uint8Array;
  page: Int32Array;
  pool: Uint8Array;
  pages: number;
  /** the full-tier counters: port, precision, and sorted exact keys or sketch registers */
  full: { port: number; p: number; keys: Uint32Array | null; registers: Uint8Array | null }[];
  coarsened: number;
}

export class PortSources {
  private readonly keys: Uint32Array;
  /** per port: 0 … PORT_EXACT inline keys, FULL, or COARSE */
  private readonly tier: Uint8Array;
  private readonly full: (UniqueCounter | undefined)[];
  /** per port: its coarse register page (-1: none) */
  private readonly page: Int32Array;
  private pool: Uint8Array = new Uint8Array(0);
  private pages = 0;
  private fullCount = 0;
  /** full counters turned coarse by coarsenAll (the memory bound) */
  coarsened = 0;

  /** `from`: the parts of another PortSources (parts()), used in place. */
  constructor(readonly portKeys: number, private maxFull = PORT_FULL_COUNTERS, from?: PortSourcesParts) {
    this.full = new Array<UniqueCounter | undefined>(portKeys);
    if (from !== undefined) {
      if (from.portKeys !== portKeys) throw new RangeError(`port sources: ${from.portKeys} port keys, expected ${portKeys}`);
      this.keys = from.keys;
      this.tier = from.tier;
      this.page = from.page;
      this.pool = from.pool;
      this.pages = from.pages;
      this.coarsened = from.coarsened;
      for (const f of from.full) this.full[f.port] = UniqueCounter.fromParts(f.p, SMALL_LIMIT, f.keys, f.registers);
      this.fullCount = from.full.length;
      return;
    }
    this.keys = new Uint32Array(portKeys * PORT_EXACT);
    this.tier = new Uint8Array(portKeys);
    this.page = new Int32Array(portKeys).fill(-1);
  }

  /** The tables as plain data (the typed arrays are this object's own: it must not be used after they are transferred). */
  parts(): PortSourcesParts {
    const full: PortSourcesParts['full'] = [];
    for (let port = 0; port < this.portKeys; port++) {
      const u = this.full[port];
      if (u !== undefined) full.push({ port, p: u.p, keys: u.sortedKeys(), registers: u.sketchRegisters() });
    }
    return { portKeys: this.portKeys, keys: this.keys, tier: this.tier, page: this.page, pool: this.pool, pages: this.pages, full, coarsened: this.coarsened };
  }

  /** Buffers of parts() that can be transferred (the tables; the full counters' storage is copied). */
  static transferList(parts: PortSourcesParts): ArrayBuffer[] {
    return [parts.keys.buffer, parts.tier.buffer, parts.page.buffer, parts.pool.buffer] as ArrayBuffer[];
  }

  add(port: number, key: number): void {
    key >>>= 0;
    const n = this.tier[port];
    if (n <= PORT_EXACT) {
      const keys = this.keys;
      const base = port * PORT_EXACT;
      for (let i = base; i < base + n; i++) if (keys[i] === key) return;
      if (n < PORT_EXACT) {
        keys[base + n] = key;
        this.tier[port] = n + 1;
        return;
      }
      this.promote(port);
    }
    if (this.tier[port] === FULL) this.full[port]!.add(key);
    else hllAdd(this.pool, this.page[port] * COARSE_BYTES, COARSE_P, key);
  }

  /** Bytes held (inline keys, tiers, coarse pool, full counters' storage). */
  bytes(): number {
    let b = this.keys.byteLength + this.tier.byteLength + this.page.byteLength + this.pool.byteLength + this.portKeys * 8;
    for (const u of this.full) if (u !== undefined) b += u.storageBytes() + 64;
    return b;
  }

  /** Ports with a full-precision counter. */
  get fullPorts(): number {
    return this.fullCount;
  }

  /** Ports counted at the coarse precision. */
  get coarsePorts(): number {
    return this.pages;
  }

  /**
   * Turns every full counter into a coarse one and stops making full ones (the memory
   * bound): returns how many were turned.
   */
  coarsenAll(): number {
    let n = 0;
    this.maxFull = 0;
    for (let port = 0; port < this.portKeys; port++) {
      const u = this.full[port];
      if (u === undefined) continue;
      const base = this.newPage(port) * COARSE_BYTES;
      if (u.isExact) u.forEachKey((k) => hllAdd(this.pool, base, COARSE_P, k));
      else {
        u.coarsen(COARSE_P);
        this.pool.set(u.sketchRegisters()!, base);
      }
      this.full[port] = undefined;
      this.tier[port] = COARSE;
      n++;
    }
    this.fullCount = 0;
    this.coarsened += n;
    return n;
  }

  /** The port's counter for the state (null: no source seen). Coarse ones are views of the pool. */
  counter(port: number): UniqueCounter | null {
    const n = this.tier[port];
    if (n === 0) return null;
    if (n <= PORT_EXACT) return UniqueCounter.fromParts(SMALL_P, SMALL_LIMIT, this.keys.subarray(port * PORT_EXACT, port * PORT_EXACT + n), null);
    if (n === FULL) return this.full[port]!;
    const base = this.page[port] * COARSE_BYTES;
    return UniqueCounter.fromParts(COARSE_P, SMALL_LIMIT, null, this.pool.subarray(base, base + COARSE_BYTES));
  }

  /** Adds the port's keys to `into` (what into.merge(this.counter(port)) does, without a counter for a port of inline keys). */
  mergeInto(port: number, into: UniqueCounter): void {
    const n = this.tier[port];
    if (n === 0) return;
    if (n > PORT_EXACT) {
      into.merge(this.counter(port)!);
      return;
    }
    into.reserve(n);
    const base = port * PORT_EXACT;
    for (let i = base; i < base + n; i++) into.add(this.keys[i]);
  }

  private promote(port: number): void {
    const base = port * PORT_EXACT;
    if (this.fullCount < this.maxFull) {
      const u = new UniqueCounter(SMALL_P, SMALL_LIMIT);
      for (let i = base; i < base + PORT_EXACT; i++) u.add(this.keys[i]);
      this.full[port] = u;
      this.fullCount++;
      this.tier[port] = FULL;
      return;
    }
    const regs = this.newPage(port) * COARSE_BYTES;
    for (let i = base; i < base + PORT_EXACT; i++) hllAdd(this.pool, regs, COARSE_P, this.keys[i]);
    this.tier[port] = COARSE;
  }

  private newPage(port: number): number {
    if ((this.pages + 1) * COARSE_BYTES > this.pool.length) {
      this.pool = growArray(this.pool, Math.min(this.portKeys, Math.max(64, this.pages * 2)) * COARSE_BYTES);
    }
    this.page[port] = this.pages;
    return this.pages++;
  }
}
