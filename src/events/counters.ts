/**
 * Counters by reason. Every stage counts what it could not parse or chose to drop, so the
 * summary and `stats` events can say exactly what was lost and why.
 */
export class ReasonCounter {
  private readonly counts = new Map<string, number>();

  add(reason: string, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
  }

  get(reason: string): number {
    return this.counts.get(reason) ?? 0;
  }

  total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }

  merge(other: ReasonCounter | Record<string, number>): void {
    const entries = other instanceof ReasonCounter ? other.counts.entries() : Object.entries(other);
    for (const [k, v] of entries) this.add(k, v);
  }

  /** Plain object, keys sorted, for JSON output. */
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.counts.keys()].sort()) out[k] = this.counts.get(k)!;
    return out;
  }
}

/**
 * The one place a stage's name is put in front of its malformed-input reasons: a parser counts
 * bare reasons ('gap', 'line-too-long'), and the summary shows them as `stage.reason`
 * ('stratum.gap'). Decoder and flow reasons already name their layer ('ipv4.truncated').
 */
export function addStageCounts(target: Record<string, number>, stage: string, counts: ReasonCounter | Record<string, number>): void {
  const entries = counts instanceof ReasonCounter ? Object.entries(counts.toJSON()) : Object.entries(counts);
  for (const [reason, n] of entries) {
    const key = `${stage}.${reason}`;
    target[key] = (target[key] ?? 0) + n;
  }
}
