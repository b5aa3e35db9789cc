/**
 * How events are written: Suricata's timestamp and protocol names, and the evidence size
 * bound. No schema library here: writers (the packet path, the telescope) import this;
 * readers validate with the schemas in eve.ts.
 */

export const EVE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{4}$/;

/** Evidence is size-limited so a hostile payload cannot bloat events (bytes of JSON text). */
export const EVIDENCE_LIMIT = 2048;

/** Suricata timestamp: local-offset ISO 8601 with microseconds; we always write UTC (+0000). */
export function eveTimestamp(tsUs: number): string {
  const ms = Math.floor(tsUs / 1000);
  const us = Math.floor(tsUs - ms * 1000);
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  return `${iso.slice(0, 23)}${String(us).padStart(3, '0')}+0000`;
}

/** Suricata's proto names. */
export function protoName(proto: number): string {
  switch (proto) {
    case 6: return 'TCP';
    case 17: return 'UDP';
    case 1: return 'ICMP';
    case 58: return 'IPv6-ICMP';
    case 2: return 'IGMP';
    case 47: return 'GRE';
    case 50: return 'ESP';
    case 132: return 'SCTP';
    default: return String(proto);
  }
}

/** Trim evidence so one event never exceeds EVIDENCE_LIMIT bytes of JSON. */
export function limitEvidence(evidence: Record<string, unknown>, limit = EVIDENCE_LIMIT): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let used = 2;
  for (const [k, v] of Object.entries(evidence)) {
    let value = v;
    let text = JSON.stringify(value) ?? 'null';
    const room = limit - used - k.length - 4;
    if (text.length > room) {
      if (typeof value === 'string' && room > 16) {
        value = `${value.slice(0, room - 16)}…[truncated]`;
        text = JSON.stringify(value);
      } else {
        out.truncated = true;
        break;
      }
    }
    out[k] = value;
    used += k.length + text.length + 4;
  }
  return out;
}

/**
 * The EVE event types `--eve-types` can choose (default: flow, alert). dns, tls and http are
 * Suricata 7's protocol events (pipeline/eve-protocols.ts), stats its periodic counters
 * (pipeline/eve-stats.ts).
 */
export const EVE_TYPE_IDS = ['flow', 'alert', 'dns', 'tls', 'http', 'stats'] as const;
export type EveTypeId = (typeof EVE_TYPE_IDS)[number];
export const DEFAULT_EVE_TYPES: readonly EveTypeId[] = ['flow', 'alert'];
