import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpaceSaving } from '../../src/telescope/heavy-hitters.js';

/** Checks Space-Saving's guarantee against exact counts of the stream. */
function assertGuarantee(ss: SpaceSaving, exact: Map<number, number>, what: string): void {
  const n = [...exact.values()].reduce((a, b) => a + b, 0);
  assert.equal(ss.total, n, `${what}: total`);
  const listed = new Map(ss.top().map((e) => [e.key, e]));
  for (const e of listed.values()) {
    const truth = exact.get(e.key) ?? 0;
    assert.ok(e.count >= truth, `${what}: ${e.key} count ${e.count} < true ${truth}`);
    assert.ok(e.count - truth <= e.error + 1e-9, `${what}: ${e.key} overestimate ${e.count - truth} > recorded error ${e.error}`);
    assert.ok(e.error <= n / ss.k + 1e-9, `${what}: error ${e.error} > N/k ${n / ss.k}`);
  }
  for (const [key, c] of exact) if (c > n / ss.k) assert.ok(listed.has(key), `${what}: heavy key ${key} (${c} > N/k) missing`);
}

const stream = fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 5 })), { maxLength: 400 })
  // skew: small keys repeat
  .map((xs) => xs.map(([a, w]) => [a < 30 ? a % 6 : a, w] as [number, number]));

test('property: Space-Saving counts are within [true, true + N/k] and every key above N/k is listed', () => {
  fc.assert(fc.property(stream, fc.integer({ min: 1, max: 20 }), (xs, k) => {
    const ss = new SpaceSaving(k);
    const exact = new Map<number, number>();
    for (const [key, w] of xs) { ss.add(key, w); exact.set(key, (exact.get(key) ?? 0) + w); }
    assertGuarantee(ss, exact, 'single');
  }), { numRuns: 300 });
});

test('property: merge(a, b) keeps the guarantee for the union stream', () => {
  fc.assert(fc.property(stream, stream, fc.integer({ min: 1, max: 20 }), (xa, xb, k) => {
    const a = new SpaceSaving(k);
    const b = new SpaceSaving(k);
    const exact = new Map<number, number>();
    for (const [key, w] of xa) { a.add(key, w); exact.set(key, (exact.get(key) ?? 0) + w); }
    for (const [key, w] of xb) { b.add(key, w); exact.set(key, (exact.get(key) ?? 0) + w); }
    a.merge(b);
    assertGuarantee(a, exact, 'merged');
  }), { numRuns: 300 });
});

test('exact while the keys fit; a different k is refused', () => {
  const ss = new SpaceSaving(4);
  for (const [k, n] of [[7, 5], [3, 2], [9, 1]]) for (let i = 0; i < n; i++) ss.add(k);
  assert.deepEqual(ss.top(), [{ key: 7, count: 5, error: 0 }, { key: 3, count: 2, error: 0 }, { key: 9, count: 1, error: 0 }]);
  assert.throws(() => ss.merge(new SpaceSaving(5)), /k = 5/);
});
