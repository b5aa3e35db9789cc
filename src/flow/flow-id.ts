/**
 * Flow ids: EVE's flow_id is an opaque integer that must be unique within a run and
 * fit a JSON number exactly. We number flows 1, 2, 3 … (times workerCount, plus the
 * worker index, so workers never collide) and scramble the sequence number with a
 * 4-round Feistel network over two 26-bit halves. A Feistel network is a bijection, so
 * distinct sequence numbers always give distinct 52-bit ids, while the ids still look
 * random (like Suricata's) and are stable: the same input gives the same ids.
 */

const HALF = 67108864; // 2^26
const MASK26 = HALF - 1;
const ROUND_KEYS = [0x1b873593, 0x2c1b3c6d, 0x297a2d39, 0x0e6546b6];

function round(x: number, key: number): number {
  let h = Math.imul(x ^ key, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) & MASK26;
}

/** Maps a sequence number in [0, 2^52) to a unique 52-bit id. */
export function flowIdFromSequence(seq: number): number {
  let left = Math.floor(seq / HALF) & MASK26;
  let right = seq % HALF;
  for (let i = 0; i < 4; i++) {
    const next = (left ^ round(right, ROUND_KEYS[i])) & MASK26;
    left = right;
    right = next;
  }
  return left * HALF + right;
}
