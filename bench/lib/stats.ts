/**
 * Order statistics shared by the bench scripts. Inputs are never modified (each function
 * sorts a copy); an empty input gives NaN, which prints as "NaN" instead of throwing.
 */

function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** The median: the middle value, or the mean of the two middle values for an even count; NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * How `percentile` picks a sample (no interpolation; the result is always one of the inputs):
 * - `nearest-rank`: the smallest value with at least p % of the samples at or below it
 *   (index ceil(p/100·n) − 1). The textbook definition; p50 of an even count is the lower middle.
 * - `above`: the smallest value with more than p % of the samples at or below it
 *   (index floor(p/100·n)); p50 of an even count is the upper middle. The collector bench has
 *   always reported this one, and keeps it so that its figures stay comparable with BENCHMARKS.md.
 */
export type PercentileRule = 'nearest-rank' | 'above';

/** The p-th percentile (0 ≤ p ≤ 100) of xs by `rule`; NaN for no samples. */
export function percentile(xs: readonly number[], p: number, rule: PercentileRule = 'nearest-rank'): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  const x = (p / 100) * s.length;
  const i = rule === 'above' ? Math.floor(x) : Math.ceil(x) - 1;
  return s[Math.min(s.length - 1, Math.max(0, i))];
}
