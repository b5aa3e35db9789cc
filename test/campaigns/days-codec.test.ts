/** The campaign_hosts.days text: runs round-trip any ascending day list; malformed text never throws and yields an ascending prefix. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DayDecoder, encodeDays } from '../../src/campaigns/campaign-store.js';

test('days text: runs, round trip, shared blocks', () => {
  assert.equal(encodeDays([20005, 20003, 20004, 20010, 20012, 20013]), '20003+2,20010,20012+1');
  assert.equal(encodeDays([]), '');
  const d = new DayDecoder();
  assert.deepEqual([...d.decode('20003+2,20010,20012+1')], [20003, 20004, 20005, 20010, 20012, 20013]);
  assert.deepEqual([...d.decode('')], []);
  fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 40_000 }), { maxLength: 300 }), (days) => {
    const sorted = [...days].sort((a, b) => a - b);
    assert.deepEqual([...d.decode(encodeDays(days))], sorted);
  }), { numRuns: 300 });
});

test('days text: malformed input never throws', () => {
  const d = new DayDecoder();
  assert.deepEqual([...d.decode('20003+2,x,20010')], [20003, 20004, 20005]);
  assert.deepEqual([...d.decode('+5')], []);
  assert.deepEqual([...d.decode('1+9999999')], []);
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
    const out = d.decode(s);
    assert.ok(out.length <= 10_000_000);
  }), { numRuns: 500 });
});
