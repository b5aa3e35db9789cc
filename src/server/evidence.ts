/**
 * An alert's evidence for the drill-down: the stored EVE alert cut to the fields that matter —
 * the flow's 5-tuple, the time, bytes and packets, what matched (the name, pool, JA3/JA4,
 * Stratum methods, algorithm …) and a payload excerpt with control bytes escaped — each value
 * bounded, so an alert with a hostile or huge evidence object still answers a few hundred bytes.
 */
import type { AlertRow, CausePage } from '../store/index.js';
import { printableBanner } from '../scan/conversation.js';

export interface EvidenceFact { label: string; value: string }

export interface AlertEvidence {
  id: number;
  ts: number;
  sensor_id: number;
  country: string | null;
  signature_id: number | null;
  signature: string | null;
  severity: number | null;
  detector: string | null;
  flow: { flow_id: number | null; proto: string | null; app_proto: string | null; src_ip: string | null; src_port: number | null; dest_ip: string | null; dest_port: number | null };
  /** What matched, times and sizes, in the order a reader wants them. */
  facts: EvidenceFact[];
  /** The first bytes the detector kept (Stratum's first message, a rule's match, a request), escaped; null when none. */
  payload: string | null;
  /** The evidence's other fields, compact and cut (at most OTHER_MAX). */
  other: EvidenceFact[];
}

const VALUE_MAX = 200;
const PAYLOAD_MAX = 400;
const OTHER_MAX = 16;

/** Evidence keys shown as facts: key (a dotted path into the evidence) → label. */
const FACTS: Array<[string, string]> = [
  ['cause', 'Anomaly'],
  ['qname', 'Name looked up'], ['sni', 'TLS server name (SNI)'], ['poolName', 'Pool name'], ['certificateName', 'Certificate name'],
  ['dnsAnswer.name', 'Pool name resolved'], ['dnsAnswer.answeredAt', 'Name resolved at'], ['host', 'Host'], ['url', 'URL'],
  ['pool', 'Pool'], ['server', 'Server'], ['dialect', 'Stratum dialect'], ['methods', 'Stratum methods'], ['method', 'Method'],
  ['algorithm', 'Algorithm'], ['agent', 'Miner software'], ['wallet', 'Wallet'], ['worker', 'Worker'],
  ['ja3', 'JA3'], ['ja3s', 'JA3S'], ['ja4', 'JA4'], ['software', 'Software'],
  ['seenMiningAt', 'Mining seen at'], ['secondsAfterAnswer', 'Seconds after the DNS answer'],
  ['deviation.remote', 'Remote host'], ['deviation.port', 'Port'], ['deviation.duration_s', 'Connection lasted (s)'],
  ['deviation.upload_this_hour', 'Uploaded this hour (bytes)'], ['deviation.times_hourly_mean', 'Times the hourly mean'],
  ['deviation.country', 'Country'], ['deviation.new_country', 'A country it never reached'],
  ['bytes', 'Bytes'], ['packets', 'Packets'], ['distinctHosts', 'Distinct targets'], ['username', 'User name tried'],
  ['rule_sid', 'Rule'], ['buffer', 'Matched in'],
];
/** Evidence keys whose text is a payload excerpt, the first present wins. */
const PAYLOAD_KEYS = ['firstMessage', 'payload', 'matched', 'request', 'banner', 'command'];

function at(o: Record<string, unknown>, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A value as one bounded line: Stratum's method counts ({login: 1}) as their names, lists joined, objects as compact JSON. */
function text(v: unknown, max = VALUE_MAX): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else if (Array.isArray(v)) s = v.slice(0, 20).map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x) : JSON.stringify(x))).join(', ');
  else {
    try {
      s = JSON.stringify(v) ?? '';
    } catch {
      s = '';
    }
  }
  return s.length > max ? `${s.slice(0, max)}… [cut: ${max} of ${s.length} chars]` : s;
}

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {});
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v.slice(0, VALUE_MAX) : null);
const intOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function alertEvidence(r: AlertRow): AlertEvidence {
  const e = obj(r.event);
  const alert = obj(e.alert);
  const mw = obj(e.minewatch);
  const ev = obj(mw.evidence);
  const facts: EvidenceFact[] = [];
  const used = new Set<string>();
  for (const [path, label] of FACTS) {
    const v = at(ev, path);
    if (v === undefined || v === null || v === '') continue;
    used.add(path.split('.')[0]);
    facts.push({ label, value: path === 'methods' && !Array.isArray(v) ? text(Object.keys(obj(v))) : text(v) });
  }
  const pk = PAYLOAD_KEYS.find((k) => typeof ev[k] === 'string' && ev[k] !== '');
  if (pk) used.add(pk);
  const other: EvidenceFact[] = [];
  for (const [k, v] of Object.entries(ev)) {
    if (used.has(k) || k === 'baseline' || v === undefined || v === null) continue; // an anomaly's baseline is on the device page
    if (other.length >= OTHER_MAX) break;
    other.push({ label: k.slice(0, 64), value: text(v, 160) });
  }
  return {
    id: r.id, ts: r.ts, sensor_id: r.sensor_id, country: r.country,
    signature_id: intOrNull(alert.signature_id), signature: strOrNull(alert.signature), severity: intOrNull(alert.severity), detector: strOrNull(mw.detector),
    flow: {
      flow_id: intOrNull(e.flow_id), proto: strOrNull(e.proto), app_proto: strOrNull(e.app_proto),
      src_ip: strOrNull(e.src_ip), src_port: intOrNull(e.src_port), dest_ip: strOrNull(e.dest_ip), dest_port: intOrNull(e.dest_port),
    },
    facts,
    payload: pk ? printableBanner(Buffer.from(String(ev[pk]), 'utf8'), PAYLOAD_MAX) : null,
    other,
  };
}

/** A page of a cause's alerts as the drill-down answers it: each alert's evidence, the cursor, and whether the time budget cut it. */
export function evidencePage(p: CausePage): { items: AlertEvidence[]; next_cursor: string | null; partial: boolean } {
  return { items: p.items.map(alertEvidence), next_cursor: p.next_cursor, partial: p.partial };
}
