/**
 * Small helpers every detector shares: categories, signature-id ranges, device
 * attribution, per-flow and per-key dedupe, a bounded LRU map.
 */
import type { DeviceRef } from '../events/eve.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { LruMap } from '../util/lru.js';

/** Suricata classtype descriptions (classification.config) used as alert categories. */
export const Category = {
  MINING: 'Crypto Currency Mining Activity Detected',
  ADMIN_GAIN: 'Attempted Administrator Privilege Gain',
  RECON: 'Detection of a Network Scan',
  BAD_UNKNOWN: 'Potentially Bad Traffic',
  TROJAN: 'A Network Trojan was detected',
} as const;

/**
 * Signature-id ranges, one block of 100 per detector (documented in src/detect/index.ts).
 * Within a block the offsets are stable; new signatures take the next free offset.
 */
export const SidBase = {
  stratum: 9100000,
  'pool-dns': 9100100,
  'pool-tls': 9100200,
  'pool-http': 9100300,
  'browser-miner': 9100400,
  'mining-encrypted': 9100500,
  scan: 9100600,
  bruteforce: 9100700,
  'redis-exploit': 9100800,
  probe: 9100900,
  'version-scan': 9101000,
  'pool-ip': 9101100,
  /** Device behaviour baselines (devices/baseline.ts): +1 mining port, +2 upload jump (9101201, 9101202). */
  anomaly: 9101200,
} as const;

/** The device on one side of a flow: its MAC when the link had one, and its IP. */
export function deviceOf(flow: FlowView, side: DirectionValue): DeviceRef {
  const mac = side === 0 ? flow.clientMac : flow.serverMac;
  const ip = side === 0 ? flow.clientIp : flow.serverIp;
  return mac ? { mac, ip, id: mac } : { ip, id: ip };
}

/** Per-flow "already reported" set under flow.userData (bounded: at most `max` keys). */
export function firstInFlow(flow: FlowView, detector: string, key: string, max = 64): boolean {
  const slot = `${detector}.seen`;
  let seen = flow.userData.get(slot) as Set<string> | undefined;
  if (seen === undefined) {
    seen = new Set();
    flow.userData.set(slot, seen);
  }
  if (seen.has(key)) return false;
  if (seen.size >= max) return false;
  seen.add(key);
  return true;
}

/** Map with a size bound and O(1) eviction of the least recently touched key. */
export { LruMap };

/**
 * Suppresses repeats of the same finding across flows (e.g. a device resolving the same
 * pool name every minute): true when `key` was not reported in the last `windowUs`.
 */
export class RepeatGate {
  private readonly last: LruMap<string, number>;
  constructor(private readonly windowUs: number, capacity = 20000) {
    this.last = new LruMap(capacity);
  }
  pass(key: string, tsUs: number): boolean {
    const prev = this.last.peek(key);
    if (prev !== undefined && tsUs - prev < this.windowUs) return false;
    this.last.set(key, tsUs);
    return true;
  }
}

/** Bounded printable form of a string for evidence; a cut string says so and how long it was. */
export function clip(s: string, max = 256): string {
  return s.length > max ? `${s.slice(0, max)}… [cut: ${max} of ${s.length} chars]` : s;
}

/** Strip a port and brackets from a Host header value; lower-case it. */
export function hostOnly(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.indexOf(':');
  if (colon >= 0 && h.indexOf(':', colon + 1) < 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** Host part of an absolute or scheme-relative URL ('' when none). */
export function urlHost(url: string): string {
  const m = /^(?:[a-z][a-z0-9+.-]*:)?\/\/([^/?#\s"'<>]+)/i.exec(url.trim());
  if (!m) return '';
  const auth = m[1];
  return hostOnly(auth.slice(auth.lastIndexOf('@') + 1));
}
