import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ASCII_LOWER } from '../../src/match/aho-corasick.js';
import { WuManber } from '../../src/match/wu-manber.js';
import { MultiPatternMatcher } from '../../src/match/multi-pattern.js';

type P = { bytes: Uint8Array; nocase: boolean };
function naive(patterns: P[], hay: Uint8Array): string[] {
  const out: string[] = [];
  patterns.forEach((p, id) => {
    for (let i = 0; i + p.bytes.length <= hay.length; i++) {
      let ok = true;
      for (let j = 0; j < p.bytes.length && ok; j++) ok = p.nocase ? ASCII_LOWER[hay[i + j]] === ASCII_LOWER[p.bytes[j]] : hay[i + j] === p.bytes[j];
      if (ok) out.push(`${id}@${i + p.bytes.length}`);
    }
  });
  return out.sort();
}
const ALPHA = [0x41, 0x61, 0x42, 0x62, 0x00, 0xff, 0x2e];
const bytesArb = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((a) => a.map((x) => ALPHA[x % ALPHA.length]));

test('property: Wu-Manber equals naive search (overlaps, nocase, binary)', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ bytes: bytesArb(3, 9), nocase: fc.boolean() }), { minLength: 1, maxLength: 25 }),
    bytesArb(0, 300),
    (patterns, hay) => {
      const wm = new WuManber(patterns);
      const got: string[] = [];
      wm.scan(hay, 0, hay.length, { onMatch: (id, end) => { got.push(`${id}@${end}`); return true; } });
      assert.deepEqual(got.sort(), naive(patterns, hay));
    },
  ), { numRuns: 500 });
});

test('property: hybrid matcher (Wu-Manber + Aho-Corasick) equals naive search with the callers ids', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ bytes: bytesArb(1, 10), nocase: fc.boolean() }), { minLength: 1, maxLength: 25 }),
    bytesArb(0, 300),
    fc.integer({ min: 3, max: 8 }),
    (patterns, hay, minLongLength) => {
      const m = new MultiPatternMatcher(patterns, { minLongLength });
      assert.deepEqual(m.findAll(hay).map(([id, end]) => `${id}@${end}`).sort(), naive(patterns, hay));
    },
  ), { numRuns: 500 });
});

test('scan bounds: matches never extend past end or before start', () => {
  const wm = new WuManber([{ bytes: Buffer.from('abcdef'), nocase: false }]);
  const hay = Buffer.from('abcdefabcdef');
  const got: number[] = [];
  wm.scan(hay, 1, 11, { onMatch: (_id, end) => { got.push(end); return true; } });
  assert.equal(got.length, 0);
  wm.scan(hay, 0, 12, { onMatch: (_id, end) => { got.push(end); return true; } });
  assert.deepEqual(got, [6, 12]);
  assert.throws(() => new WuManber([{ bytes: Buffer.from('ab'), nocase: false }]), RangeError);
});

/**
 * The last-byte shift is tried before the 3-byte hash: with a wide byte range most bytes
 * occur in no pattern and the scan jumps a whole window; it must never jump over a match.
 * Patterns up to 20 bytes (window capped at 16), nocase occurrences planted with flipped
 * case, haystacks over all 256 byte values.
 */
test('property: Wu-Manber last-byte skip never misses a match (wide alphabet, planted case-flipped patterns)', () => {
  const flip = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b >= 0x61 && b <= 0x7a ? b - 0x20 : b);
  fc.assert(fc.property(
    fc.array(fc.record({ bytes: fc.uint8Array({ minLength: 3, maxLength: 20 }), nocase: fc.boolean() }), { minLength: 1, maxLength: 12 }),
    fc.uint8Array({ minLength: 0, maxLength: 400 }),
    fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 6 }),
    (patterns, noise, plants) => {
      const hay = Uint8Array.from(noise);
      for (const [which, at, flipCase] of plants) {
        const p = patterns[which % patterns.length];
        if (hay.length < p.bytes.length) continue;
        const pos = at % (hay.length - p.bytes.length + 1);
        for (let j = 0; j < p.bytes.length; j++) hay[pos + j] = flipCase && p.nocase ? flip(p.bytes[j]) : p.bytes[j];
      }
      const got: string[] = [];
      new WuManber(patterns).scan(hay, 0, hay.length, { onMatch: (id, end) => { got.push(`${id}@${end}`); return true; } });
      assert.deepEqual(got.sort(), naive(patterns, hay));
    },
  ), { numRuns: 1000 });
});

test('Wu-Manber: a byte of the window start (shift m-1) and of its end (shift 0) are both found', () => {
  const wm = new WuManber([{ bytes: Buffer.from('\u0001abcdefgh\u00ff', 'latin1'), nocase: false }, { bytes: Buffer.from('XyZ12', 'latin1'), nocase: true }]);
  const hay = Buffer.from('\u00ff\u0001abcdefgh\u00ff\u0080xYz12\u0001abcdefgh', 'latin1');
  const got: string[] = [];
  wm.scan(hay, 0, hay.length, { onMatch: (id, end) => { got.push(`${id}@${end}`); return true; } });
  assert.deepEqual(got, ['0@11', '1@17']);
});

test('Wu-Manber finds a pattern planted at every offset of binary payloads of every length (every sample position, windows across two samples)', () => {
  const pats = [{ bytes: Buffer.from('"result": {', 'latin1'), nocase: false }, { bytes: Buffer.from('PaRaMs"', 'latin1'), nocase: true }];
  const wm = new WuManber(pats);
  let seed = 7;
  const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 24; };
  for (let len = 0; len <= 140; len++) {
    for (const p of pats) {
      for (let at = 0; at + p.bytes.length <= len; at++) {
        const hay = new Uint8Array(len).map(() => 0x80 | rnd()); // bytes no prefix contains
        hay.set(p.bytes, at);
        const got: string[] = [];
        wm.scan(hay, 0, len, { onMatch: (id, end) => { got.push(`${id}@${end}`); return true; } });
        assert.deepEqual(got, naive(pats, hay), `len ${len} at ${at}`);
      }
    }
  }
});
