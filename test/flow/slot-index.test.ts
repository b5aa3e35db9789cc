import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FlowSlotIndex } from '../../src/flow/slot-index.js';

/** Every slot the index should hold (by a Map model) is found from its hash's home position, and no other. */
function indexedSlots(index: FlowSlotIndex): Map<number, number> {
  const found = new Map<number, number>();
  const { entries, mask } = index;
  for (let e = 0; e <= mask; e++) {
    const s1 = entries[2 * e + 1];
    if (s1 === 0) continue;
    const h = entries[2 * e];
    // Reachable: no empty entry between the home position and this one.
    for (let p = h & mask; p !== e; p = (p + 1) & mask) assert.notEqual(entries[2 * p + 1], 0, `slot ${s1 - 1} unreachable`);
    found.set(s1 - 1, h);
  }
  return found;
}

void test('slot index: random inserts and removals with colliding hashes match a Map model', () => {
  const slots = 64;
  fc.assert(
    fc.property(
      // Few distinct home positions force long runs, wrap-around and shifted deletions.
      fc.array(fc.record({ insert: fc.boolean(), slot: fc.integer({ min: 0, max: slots - 1 }), h: fc.integer({ min: -8, max: 8 }) }), { maxLength: 300 }),
      (ops) => {
        const index = new FlowSlotIndex(slots);
        const model = new Map<number, number>();
        for (const op of ops) {
          // Hashes near the top of the table wrap to its start.
          const h = (op.h * 0x10001 + index.mask - 3) | 0;
          if (op.insert && !model.has(op.slot)) {
            index.insert(h, op.slot);
            model.set(op.slot, h);
          } else if (!op.insert && model.has(op.slot)) {
            index.remove(model.get(op.slot)!, op.slot);
            model.delete(op.slot);
          }
        }
        assert.deepEqual([...indexedSlots(index)].sort((a, b) => a[0] - b[0]), [...model].sort((a, b) => a[0] - b[0]));
      },
    ),
    { numRuns: 300 },
  );
});

void test('slot index: stays at most half full, and removing an absent slot changes nothing', () => {
  const index = new FlowSlotIndex(1000);
  assert.ok(index.mask + 1 >= 2000);
  for (let s = 0; s < 1000; s++) index.insert(Math.imul(s, 0x9e3779b1), s);
  const before = Int32Array.from(index.entries);
  index.remove(12345, 5000);
  assert.deepEqual(index.entries, before);
  for (let s = 0; s < 1000; s += 2) index.remove(Math.imul(s, 0x9e3779b1), s);
  assert.equal(indexedSlots(index).size, 500);
});
