import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpaceSaving } from '../../src/telescope/heavy-hitters.js';
import { U32Index } from '../../src/telescope/index-table.js';

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

test('property: disjoint merge (worker partitions) adds nothing for keys the other side never saw', () => {
  fc.assert(fc.property(stream, stream, fc.integer({ min: 1, max: 20 }), (xa, xb, k) => {
    const a = new SpaceSaving(k);
    const b = new SpaceSaving(k);
    const exact = new Map<number, number>();
    // even keys on one side, odd on the other
    for (const [key, w] of xa) { a.add(key * 2, w); exact.set(key * 2, (exact.get(key * 2) ?? 0) + w); }
    for (const [key, w] of xb) { b.add(key * 2 + 1, w); exact.set(key * 2 + 1, (exact.get(key * 2 + 1) ?? 0) + w); }
    const errA = new Map(a.top().map((e) => [e.key, e.error]));
    const errB = new Map(b.top().map((e) => [e.key, e.error]));
    a.merge(b, true);
    assertGuarantee(a, exact, 'disjoint');
    // errors are each side's own: no floor of the other side added
    for (const e of a.top()) assert.equal(e.error, errA.get(e.key) ?? errB.get(e.key));
  }), { numRuns: 200 });
});

test('property: JSON round trip keeps every entry, the total and the floor; malformed summaries are refused', () => {
  fc.assert(fc.property(stream, fc.integer({ min: 1, max: 20 }), (xs, k) => {
    const a = new SpaceSaving(k);
    for (const [key, w] of xs) a.add(key, w);
    const b = SpaceSaving.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    assert.deepEqual(b.top(), a.top());
    assert.equal(b.total, a.total);
    assert.equal(b.floor, a.floor);
    // and it keeps counting as the original does (a monitored key: which of equal minima a newcomer replaces may differ)
    if (a.size > 0) {
      const key = a.top()[a.size - 1].key;
      a.add(key, 3);
      b.add(key, 3);
      assert.deepEqual(b.top(), a.top());
    }
  }), { numRuns: 200 });
  const ok = { k: 2, total: 5, keys: [1, 2], counts: [3, 2], errors: [0, 0] };
  assert.doesNotThrow(() => SpaceSaving.fromJSON(ok));
  for (const bad of [{ ...ok, keys: [1, 1] }, { ...ok, counts: [3] }, { ...ok, errors: [4, 0] }, { ...ok, keys: [1, -2] }, { ...ok, k: 1 }, { ...ok, total: Number.NaN }]) {
    assert.throws(() => SpaceSaving.fromJSON(bad));
  }
});

test('property: U32Index delete (backward shift) keeps every other key findable', () => {
  const op = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 }));
  fc.assert(fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
    const index = new U32Index(4);
    const model = new Map<number, number>();
    let slot = 0;
    for (const [insert, key] of ops) {
      if (insert && !model.has(key)) { index.insert(key, slot); model.set(key, slot++); }
      else if (!insert) { index.delete(key); model.delete(key); }
    }
    assert.equal(index.size, model.size);
    for (let key = 0; key <= 200; key++) assert.equal(index.get(key), model.get(key) ?? -1, `key ${key}`);
  }), { numRuns: 300 });
});

test('one replacement costs a heap sift, not a scan: a million distinct keys through k = 4096', () => {
  const ss = new SpaceSaving(4096);
  const t0 = process.cpuUsage();
  for (let i = 0; i < 1_000_000; i++) ss.add(Math.imul(i, 2654435761) >>> 0);
  const cpu = process.cpuUsage(t0);
  assert.equal(ss.size, 4096);
  assert.equal(ss.total, 1_000_000);
  // an O(k) scan per replacement would be about 4·10^9 steps (tens of seconds)
  assert.ok((cpu.user + cpu.system) / 1e6 < 5, `CPU ${(cpu.user + cpu.system) / 1e6} s`);
});
