/** Rule thresholds and detection filters (limit, threshold, both), tracked per rule and address in a bounded map. */
import type { Rule } from './parser.js';
import type { MatchMeta } from './match-meta.js';

export class ThresholdTracker {
  private readonly thresholds = new Map<string, { start: number; count: number }>();

  /** capacity: tracking entries kept (oldest evicted). */
  constructor(private readonly thresholdCapacity: number) {}

  /** Counts this match of a rule with a threshold and says whether it alerts. */
  allows(rule: Rule, meta: MatchMeta): boolean {
    const t = rule.threshold!;
    const who = t.track === 'by_src' ? meta.srcIp : t.track === 'by_dst' ? meta.dstIp : t.track === 'by_both' ? `${meta.srcIp}|${meta.dstIp}` : '';
    const key = `${rule.gid}:${rule.sid}|${who}`;
    const nowS = meta.tsUs / 1e6;
    let st = this.thresholds.get(key);
    if (!st || nowS - st.start >= t.seconds) {
      if (!st && this.thresholds.size >= this.thresholdCapacity) {
        const oldest = this.thresholds.keys().next().value;
        if (oldest !== undefined) this.thresholds.delete(oldest);
      }
      st = { start: nowS, count: 0 };
      this.thresholds.delete(key);
      this.thresholds.set(key, st);
    }
    st.count++;
    if (t.keyword === 'detection_filter') return st.count > t.count;
    switch (t.type) {
      case 'limit': return st.count <= t.count;
      case 'threshold': return st.count % t.count === 0;
      case 'both': return st.count === t.count;
    }
  }
}
