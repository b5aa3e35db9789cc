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
const K0 = 0x1b873593;
const K1 = 0x2c1b3c6d;
const K2 = 0x297a2d39;
const K3 = 0x0e6546b6;

function round(x: number, key: number): number {
  let h = Math.imul(x ^ key, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) & MASK26;
}

/**
 * Maps a sequence number in [0, 2^52) to a unique 52-bit id. Called once per ended flow
 * on floods, so the rounds are unrolled and the split avoids `%` on doubles (fmod).
 */
export function flowIdFromSequence(seq: number): number {
  const high = Math.floor(seq / HALF);
  let left = high & MASK26;
  let right = (seq - high * HALF) | 0;
  left = (left ^ round(right, K0)) & MASK26;
  right = (right ^ round(left, K1)) & MASK26;
  left = (left ^ round(right, K2)) & MASK26;
  right = (right ^ round(left, K3)) & MASK26;
  return left * HALF + right;
}
