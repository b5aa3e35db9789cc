import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as layout from '../../src/flow/slot-store.js';
import { flowIdFromSequence } from '../../src/flow/flow-id.js';

void test('slot block layout: fields do not overlap and fit the 128-byte block; the hot ones share cache line 0', () => {
  const bytes: [string, number, number][] = [];
  for (const [name, v] of Object.entries(layout)) {
    if (typeof v !== 'number') continue;
    if (name.startsWith('I_')) bytes.push([name, v * 4, v * 4 + 4]);
    if (name.startsWith('F_')) bytes.push([name, v * 8, v * 8 + (name === 'F_PKTS' || name === 'F_BYTES' ? 16 : 8)]);
  }
  assert.ok(bytes.length >= 16);
  bytes.sort((a, b) => a[1] - b[1]);
  for (let i = 1; i < bytes.length; i++) assert.ok(bytes[i][1] >= bytes[i - 1][2], `${bytes[i][0]} overlaps ${bytes[i - 1][0]}`);
  assert.ok(bytes[bytes.length - 1][2] <= 128);
  // Finding, evicting and ending a flow read only line 0 (its index hash is in a dense
  // array outside the block).
  for (const name of ['I_META', 'I_VLAN', 'I_CLIENT', 'I_SERVER', 'I_PORTS', 'I_LRU_PREV', 'I_LRU_NEXT', 'I_BITS', 'F_LAST_TS', 'F_SEQ']) {
    const field = bytes.find((b) => b[0] === name)!;
    assert.ok(field[2] <= 64, `${name} is not in line 0`);
  }
});

void test('flow ids are the same as before the unrolled rewrite (ids stay stable across versions)', () => {
  const expected: [number, number][] = [
    [0, 291588368766204], [1, 3293914697956882], [2, 3607407746678741], [3, 158739833122266],
    [67108863, 3283531927369024], [67108864, 470244428311363], [1099511627781, 3876828998065350],
    [4503599627370495, 4171654337149480],
  ];
  for (const [seq, id] of expected) assert.equal(flowIdFromSequence(seq), id, `seq ${seq}`);
});
