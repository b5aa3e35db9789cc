/** Adds a batch's frames to a link type → frame count map (one map update per run of equal types). */
import type { FrameBatch } from './source.js';

export function countLinkTypes(batch: FrameBatch, counts: Map<number, number>): void {
  const types = batch.linkTypes;
  const n = batch.count;
  let i = 0;
  while (i < n) {
    const t = types[i];
    let j = i + 1;
    while (j < n && types[j] === t) j++;
    counts.set(t, (counts.get(t) ?? 0) + (j - i));
    i = j;
  }
}
