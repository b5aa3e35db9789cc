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

/** Evidence keys that carry host names. */
const NAME_KEYS = ['sni', 'qname', 'host', 'poolName', 'serverName', 'site', 'certificateName', 'domain'];

// --- address matching -------------------------------------------------------------------

function parseV4(s: string): number | null {
  const p = s.split('.');
  if (p.length !== 4) return null;
  let n = 0;
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x) || Number(x) > 255) return null;
    n = n * 256 + Number(x);
  }
  return n;
}

function parseV6(s: string): bigint | null {
  if (!s.includes(':')) return null;
  let text = s;
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail) {
    const v = parseV4(v4tail[1]);
    if (v === null) return null;
    text = `${text.slice(0, -v4tail[1].length)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  if (groups.length !== 8) return null;
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** A compiled IP/CIDR matcher. */
export function ipMatcher(spec: string): ((ip: string) => boolean) | null {
  const [addr, lenText] = spec.trim().split('/');
  const v4 = parseV4(addr);
  if (v4 !== null) {
    const len = lenText === undefined ? 32 : Number(lenText);
    if (!Number.isInteger(len) || len < 0 || len > 32) return null;
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const net = (v4 & mask) >>> 0;
    return (ip) => { const x = parseV4(ip); return x !== null && ((x & mask) >>> 0) === net; };
  }
  const v6 = parseV6(addr.toLowerCase());
  if (v6 !== null) {
    const len = lenText === undefined ? 128 : Number(lenText);
    if (!Number.isInteger(len) || len < 0 || len > 128) return null;
    const shift = BigInt(128 - len);
    const net = v6 >> shift;
    return (ip) => { const x = parseV6(ip.toLowerCase()); return x !== null && (x >> shift) === net; };
  }
  return null;
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
