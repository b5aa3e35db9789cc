/**
 * Suppression: exceptions the user declares, with a reason ("my own miner", "this exchange
 * is not a pool"). Wraps a DetectorContext: an alert matching a rule is not emitted but
 * counted per rule, so the summary can say "12 alerts suppressed by rule 2 (my own miner)".
 *
 * A rule matches when ALL the fields it sets match:
 * - device: MAC or IP of the device the alert is attributed to (or the flow's client);
 * - host: IP or CIDR matching either end of the alert (flow or overrides);
 * - domain: suffix match on the names in the evidence (sni, qname, host, poolName …);
 * - detector / signatureId: restrict the rule to one detector or signature.
 */
import type { SuppressionConfig, SuppressionRule } from './suppress-types.js';
import type { AlertInput, DetectorContext } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { cidrContains, parseCidr } from '../util/ip.js';

/** Evidence keys that carry host names. */
const NAME_KEYS = ['sni', 'qname', 'host', 'poolName', 'serverName', 'site', 'certificateName', 'domain'];

/** A compiled IP/CIDR matcher (util/ip's parser and containment); null when spec is neither. */
export function ipMatcher(spec: string): ((ip: string) => boolean) | null {
  const cidr = parseCidr(spec.trim());
  return cidr === null ? null : (ip) => cidrContains(cidr, ip);
}

function evidenceNames(e: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of NAME_KEYS) {
    const v = e[k];
    if (typeof v === 'string' && v !== '') out.push(v.toLowerCase());
  }
  const listed = e.listed as { entry?: unknown } | undefined;
  if (listed && typeof listed.entry === 'string') out.push(listed.entry.toLowerCase());
  return out;
}

interface CompiledRule {
  rule: SuppressionRule;
  host: ((ip: string) => boolean) | null;
  device: string;
  domain: string;
}

export interface SuppressionCount {
  rule: number;
  reason: string;
  suppressed: number;
}

export interface SuppressingContext extends DetectorContext {
  /** Per rule (index in the config): how many alerts it suppressed. */
  counts(): SuppressionCount[];
}

export function suppressContext(ctx: DetectorContext, config: SuppressionConfig): SuppressingContext {
  const rules: CompiledRule[] = config.rules.map((rule) => ({
    rule,
    host: rule.host !== undefined ? ipMatcher(rule.host) : null,
    device: (rule.device ?? '').toLowerCase(),
    domain: (rule.domain ?? '').toLowerCase().replace(/^\*?\./, '').replace(/\.$/, ''),
  }));
  const counts = new Array<number>(rules.length).fill(0);

  function matches(c: CompiledRule, flow: FlowView | null, a: AlertInput): boolean {
    const r = c.rule;
    if (r.detector !== undefined && r.detector !== a.detector) return false;
    if (r.signatureId !== undefined && r.signatureId !== a.signatureId) return false;
    if (c.device) {
      const ids = [a.device?.mac, a.device?.ip, a.device?.id, a.device ? undefined : flow?.clientMac, a.device ? undefined : flow?.clientIp]
        .filter((x): x is string => typeof x === 'string' && x !== '').map((x) => x.toLowerCase());
      if (!ids.includes(c.device)) return false;
    }
    if (r.host !== undefined) {
      if (!c.host) return false;
      const ends = [a.srcIp, a.destIp, flow?.clientIp, flow?.serverIp].filter((x): x is string => typeof x === 'string' && x !== '');
      if (!ends.some((ip) => c.host!(ip))) return false;
    }
    if (c.domain) {
      const names = evidenceNames(a.evidence);
      if (!names.some((n) => n === c.domain || n.endsWith(`.${c.domain}`))) return false;
    }
    return true;
  }

  return {
    emit(flow: FlowView | null, alert: AlertInput): void {
      for (let i = 0; i < rules.length; i++) {
        if (matches(rules[i], flow, alert)) {
          counts[i]++;
          return;
        }
      }
      ctx.emit(flow, alert);
    },
    emitEvent(event: Record<string, unknown>): void {
      ctx.emitEvent(event);
    },
    counts(): SuppressionCount[] {
      return rules.map((r, i) => ({ rule: i, reason: r.rule.reason, suppressed: counts[i] }));
    },
  };
}
