import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UniqueCounter, sketchError, mix32 } from '../../src/telescope/unique.js';

test('exact below the limit, including key 0; JSON round trip keeps the set', () => {
  const u = new UniqueCounter(14, 1000);
  for (let i = 0; i < 900; i++) u.add(i * 7);
  for (let i = 0; i < 900; i++) u.add(i * 7);
  assert.equal(u.count(), 900);
  assert.ok(u.isExact);
  const back = UniqueCounter.fromJSON(JSON.parse(JSON.stringify(u.toJSON())));
  assert.equal(back.count(), 900);
  assert.ok(back.isExact);
});

test('sketch error stays within 2 % at 50k … 2M distinct keys (p = 14, stated error 0.81 %)', () => {
  assert.ok(sketchError(14) < 0.0082);
  for (const n of [50_000, 300_000, 2_000_000]) {
    const u = new UniqueCounter(14, 1 << 12);
    for (let i = 0; i < n; i++) u.add(mix32(i + 0x1234567));
    assert.ok(!u.isExact);
    const rel = Math.abs(u.count() - n) / n;
    assert.ok(rel <= 0.02, `n=${n} estimate ${u.count()} (${(rel * 100).toFixed(2)} %)`);
  }
});

test('merge is a union: exact when small, sketch when large, order-independent', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 300 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 300 }), (a, b) => {
    const ua = new UniqueCounter(12, 256);
    const ub = new UniqueCounter(12, 256);
    for (const k of a) ua.add(k);
    for (const k of b) ub.add(k);
    const union = new Set([...a, ...b]);
    const m1 = UniqueCounter.fromJSON(ua.toJSON());
    m1.merge(ub);
    const m2 = UniqueCounter.fromJSON(ub.toJSON());
    m2.merge(ua);
    assert.equal(m1.count(), m2.count());
    if (m1.isExact) assert.equal(m1.count(), union.size);
    else assert.ok(Math.abs(m1.count() - union.size) <= Math.max(3, 0.1 * union.size), `${m1.count()} vs ${union.size}`);
  }), { numRuns: 200 });
});

test('merging a sketch into an exact counter and back gives the same estimate', () => {
  const big = new UniqueCounter(14, 1000);
  const small = new UniqueCounter(14, 1000);
  for (let i = 0; i < 100_000; i++) big.add(i);
  for (let i = 50_000; i < 50_500; i++) small.add(i);
  const a = UniqueCounter.fromJSON(big.toJSON());
  a.merge(small);
  const b = UniqueCounter.fromJSON(small.toJSON());
  b.merge(big);
  assert.equal(a.count(), b.count());
  assert.equal(a.count(), big.count(), 'small is a subset of big');
});

test('precision mismatch and bad sketches are refused with an error, not a crash', () => {
  assert.throws(() => new UniqueCounter(14).merge(new UniqueCounter(12)), /precision/);
  assert.throws(() => UniqueCounter.fromJSON({ p: 14, limit: 10, hll: 'AAAA' }), /registers/);
});

test('property: reserving room first changes nothing but the table size (same count, same serialised set or sketch)', () => {
  fc.assert(fc.property(fc.array(fc.nat(5000), { maxLength: 600 }), fc.nat(5000), (keys, extra) => {
    const plain = new UniqueCounter(12, 300);
    const reserved = new UniqueCounter(12, 300);
    reserved.reserve(extra);
    for (const k of keys) { plain.add(k); reserved.add(k); }
    assert.equal(reserved.count(), plain.count());
    assert.equal(reserved.isExact, plain.isExact);
    if (plain.isExact) assert.equal(plain.count(), new Set(keys).size);
    assert.deepEqual(reserved.toJSON(), plain.toJSON());
  }), { numRuns: 200 });
});
