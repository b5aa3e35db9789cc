import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUuidv7, uuidv7, uuidv7Time } from '../../src/transport/uuidv7.js';

test('uuidv7: RFC 9562 layout (version 7, variant 10) and the timestamp it carries', () => {
  const t = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
  const id = uuidv7(t + 10_000); // later than any id made so far in this process
  assert.ok(isUuidv7(id), id);
  assert.equal(id[14], '7');
  assert.ok('89ab'.includes(id[19]));
  assert.equal(uuidv7Time(id), t + 10_000);
  // the RFC's test vector timestamp 0x017F22E279B0 = 1645557742000
  assert.equal(uuidv7Time('017f22e2-79b0-7cc3-98c4-dc0c0c07398f'), 1645557742000);
});

test('uuidv7: unique and sorted in creation order, also many within one millisecond and when the clock goes back', () => {
  const ids: string[] = [];
  const base = Date.UTC(2031, 0, 1); // after the previous test's clock
  for (let i = 0; i < 20_000; i++) ids.push(uuidv7(base)); // one millisecond: counter, then borrowed ms
  for (let i = 0; i < 1000; i++) ids.push(uuidv7(base - 5_000)); // clock stepped back
  for (let i = 0; i < 1000; i++) ids.push(uuidv7());
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} !< ${ids[i]} at ${i}`);
  for (const id of ids) assert.ok(isUuidv7(id), id);
  assert.ok(uuidv7Time(ids[0]) === base);
});

test('uuidv7: random bits vary (62 bits of rand_b)', () => {
  const tails = new Set<string>();
  for (let i = 0; i < 1000; i++) tails.add(uuidv7().slice(19));
  assert.equal(tails.size, 1000);
});
