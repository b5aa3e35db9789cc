import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AhoCorasick, ASCII_LOWER } from '../../src/match/aho-corasick.js';

/** Reference: every (pattern, end) pair by naive search. */
function naive(patterns: { bytes: Uint8Array; nocase: boolean }[], hay: Uint8Array): string[] {
  const out: string[] = [];
  patterns.forEach((p, id) => {
    for (let i = 0; i + p.bytes.length <= hay.length; i++) {
      let ok = true;
      for (let j = 0; j < p.bytes.length && ok; j++) {
        const a = hay[i + j];
        const b = p.bytes[j];
        ok = p.nocase ? ASCII_LOWER[a] === ASCII_LOWER[b] : a === b;
      }
      if (ok) out.push(`${id}@${i + p.bytes.length}`);
    }
  });
  return out.sort();
}

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');

test('finds overlapping, nested and case-insensitive patterns', () => {
  const pats = [
    { bytes: enc('he'), nocase: false },
    { bytes: enc('she'), nocase: false },
    { bytes: enc('his'), nocase: false },
    { bytes: enc('hers'), nocase: false },
    { bytes: enc('MINING'), nocase: true },
  ];
  const ac = new AhoCorasick(pats);
  const hay = enc('ushers Mining.notify HE');
  const got = ac.findAll(hay).map(([id, end]) => `${id}@${end}`).sort();
  assert.deepEqual(got, naive(pats, hay));
  assert.ok(got.includes('4@13'), 'nocase MINING matches "Mining"');
  assert.ok(!got.some((g) => g.startsWith('0@23')), 'case-sensitive "he" does not match "HE"');
});

test('sink can stop the scan early', () => {
  const ac = new AhoCorasick([{ bytes: enc('a'), nocase: false }]);
  let n = 0;
  ac.scan(enc('aaaaaa'), 0, 6, { onMatch: () => ++n < 3 });
  assert.equal(n, 3);
});

test('scan honours start/end bounds', () => {
  const ac = new AhoCorasick([{ bytes: enc('abc'), nocase: false }]);
  const hay = enc('abcabcabc');
  const got: number[] = [];
  ac.scan(hay, 1, 8, { onMatch: (_id, end) => { got.push(end); return true; } });
  assert.deepEqual(got, [6]);
});

test('property: equals naive multi-indexOf on random inputs (small alphabet, binary, case)', () => {
  const byteArb = fc.constantFrom(0x41, 0x61, 0x42, 0x62, 0x00, 0xff, 0x2e, 0x22);
  fc.assert(fc.property(
    fc.array(fc.record({ bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }).map((a) => a.map((x) => [0x41, 0x61, 0x42, 0x62, 0x00, 0xff, 0x2e, 0x22][x % 8])), nocase: fc.boolean() }), { minLength: 1, maxLength: 20 }),
    fc.array(byteArb, { maxLength: 200 }).map((a) => Uint8Array.from(a)),
    (patterns, hay) => {
      const ac = new AhoCorasick(patterns);
      const got = ac.findAll(hay).map(([id, end]) => `${id}@${end}`).sort();
      assert.deepEqual(got, naive(patterns, hay));
    },
  ), { numRuns: 400 });
});

test('property: more than 254 distinct bytes still exact (class overflow)', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (seed, hay) => {
    const all = Array.from({ length: 256 }, (_, i) => ({ bytes: Uint8Array.of(i, seed[i % seed.length]), nocase: i % 2 === 0 }));
    const ac = new AhoCorasick(all);
    assert.deepEqual(ac.findAll(hay).map(([id, end]) => `${id}@${end}`).sort(), naive(all, hay));
  }), { numRuns: 30 });
});

test('property: a trie over pattern prefixes (prefixLength) still reports exactly the full matches', () => {
  const bytesArb = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((a) => a.map((x) => [0x41, 0x61, 0x62, 0x42, 0x00, 0xff][x % 6]));
  fc.assert(fc.property(
    fc.array(fc.record({ bytes: bytesArb(1, 14), nocase: fc.boolean() }), { minLength: 1, maxLength: 20 }),
    fc.array(fc.tuple(fc.nat(), bytesArb(0, 3)), { maxLength: 30 }),
    fc.integer({ min: 1, max: 9 }),
    fc.nat(40), fc.nat(40),
    (patterns, pieces, prefixLength, cutStart, cutEnd) => {
      // Haystack from whole patterns and noise, so long patterns occur and straddle the cuts.
      const hay = Uint8Array.from(pieces.flatMap(([k, noise]) => [...patterns[k % patterns.length].bytes, ...noise]));
      const ac = new AhoCorasick(patterns, { prefixLength });
      assert.deepEqual(ac.findAll(hay).map(([id, end]) => `${id}@${end}`).sort(), naive(patterns, hay));
      // Bounds: a match whose prefix lies inside [start, end) but whose tail runs past end is not reported.
      const start = Math.min(cutStart, hay.length);
      const end = Math.max(start, hay.length - cutEnd);
      const got: string[] = [];
      ac.scan(hay, start, end, { onMatch: (id, e) => { got.push(`${id}@${e}`); return true; } });
      const want = naive(patterns, hay.subarray(start, end)).map((x) => { const [id, e] = x.split('@'); return `${id}@${Number(e) + start}`; });
      assert.deepEqual(got.sort(), want.sort());
    },
  ), { numRuns: 800 });
});
