/**
 * The flow table's hash index: open addressing with linear probing, each entry holding
 * the flow's hash next to its slot number (8 bytes, eight entries per cache line).
 *
 * Why not chains: with chains, finding a flow or unlinking an evicted one dereferences the
 * slots along the chain, each a random cache miss in the big slot store. Here a lookup or
 * a removal reads one place of this (much smaller) array, and the slot store is touched
 * only when the 32-bit hash already matches. The array has at least twice as many entries
 * as there are slots, so it is never more than half full and probe runs stay short.
 * Removal shifts the following entries back (no tombstones), so a full, churning table
 * never degrades.
 */

export class FlowSlotIndex {
  /** entries[2e] = hash, entries[2e + 1] = slot + 1 (0 = empty). */
  readonly entries: Int32Array;
  readonly mask: number;

  constructor(slots: number) {
    let n = 2;
    while (n < 2 * slots) n <<= 1;
    this.entries = new Int32Array(2 * n);
    this.mask = n - 1;
  }

  insert(h: number, slot: number): void {
    const entries = this.entries;
    const mask = this.mask;
    let e = h & mask;
    while (entries[2 * e + 1] !== 0) e = (e + 1) & mask;
    entries[2 * e] = h;
    entries[2 * e + 1] = slot + 1;
  }

  /** Empties the index (when every flow ends at once). */
  clear(): void {
    this.entries.fill(0);
  }

  /** Removes the entry of `slot` (which must be present under hash `h`). */
  remove(h: number, slot: number): void {
    const entries = this.entries;
    const mask = this.mask;
    const wanted = slot + 1;
    let hole = h & mask;
    while (entries[2 * hole + 1] !== wanted) {
      if (entries[2 * hole + 1] === 0) return; // not indexed: nothing to remove
      hole = (hole + 1) & mask;
    }
    // Backward-shift deletion: move up every later entry of the run whose home position
    // is not between the hole and itself, so every entry stays reachable from its home.
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const s1 = entries[2 * j + 1];
      if (s1 === 0) break;
      const home = entries[2 * j] & mask;
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      entries[2 * hole] = entries[2 * j];
      entries[2 * hole + 1] = s1;
      hole = j;
    }
    entries[2 * hole + 1] = 0;
  }
}
