/**
 * One event model for every capability: Suricata EVE JSON plus our fields under `minewatch`.
 * The zod schemas are the single definition: types are inferred from them, and the
 * collector validates ingested events with the same schemas.
 */
import { z } from 'zod';
import { EVE_TIMESTAMP } from './eve-format.js';

// The formatting helpers live in eve-format.ts, without zod, so the packet path (which only
// writes events) starts without loading the schema library.
export { EVE_TIMESTAMP, EVIDENCE_LIMIT, eveTimestamp, limitEvidence, protoName } from './eve-format.js';

export const DeviceRef = z.object({
  id: z.string().optional(),
  mac: z.string().optional(),
  ip: z.string().optional(),
  type: z.string().optional(),
  vendor: z.string().optional(),
  name: z.string().optional(),
});

export const MinewatchFields = z.object({
  /** Stable detector id: stratum, pool-dns, pool-tls, rule, darknet-source … */
  detector: z.string().optional(),
  device: DeviceRef.optional(),
  evidence: z.record(z.string(), z.unknown()).optional(),
  sensor: z.string().optional(),
  /** Unique per sensor (UUIDv7 or ULID): the collector's idempotency key for retried batches. */
  event_id: z.string().min(1).max(64).optional(),
  /** Extra typed fields per capability (telescope, scan …). */
}).catchall(z.unknown());

const Base = z.object({
  timestamp: z.string().regex(EVE_TIMESTAMP),
  event_type: z.string(),
  flow_id: z.number().int().nonnegative().optional(),
  src_ip: z.string().optional(),
  src_port: z.number().int().min(0).max(65535).optional(),
  dest_ip: z.string().optional(),
  dest_port: z.number().int().min(0).max(65535).optional(),
  proto: z.string().optional(),
  vlan: z.array(z.number().int()).optional(),
  in_iface: z.string().optional(),
  app_proto: z.string().optional(),
  minewatch: MinewatchFields.optional(),
});

export const FlowInfo = z.object({
  pkts_toserver: z.number().int().nonnegative(),
  pkts_toclient: z.number().int().nonnegative(),
  bytes_toserver: z.number().int().nonnegative(),
  bytes_toclient: z.number().int().nonnegative(),
  start: z.string().regex(EVE_TIMESTAMP),
  end: z.string().regex(EVE_TIMESTAMP),
  age: z.number().int().nonnegative(),
  state: z.enum(['new', 'established', 'closed']),
  reason: z.enum(['timeout', 'forced', 'shutdown']),
  alerted: z.boolean(),
});

export const FlowEvent = Base.extend({
  event_type: z.literal('flow'),
  flow_id: z.number().int().nonnegative(),
  flow: FlowInfo,
  tcp: z.object({
    tcp_flags: z.string(),
    tcp_flags_ts: z.string(),
    tcp_flags_tc: z.string(),
    syn: z.boolean().optional(),
    fin: z.boolean().optional(),
    rst: z.boolean().optional(),
    state: z.string().optional(),
  }).optional(),
});

export const AlertInfo = z.object({
  action: z.enum(['allowed', 'blocked']).default('allowed'),
  gid: z.number().int().default(1),
  signature_id: z.number().int(),
  rev: z.number().int().default(1),
  signature: z.string(),
  category: z.string(),
  severity: z.number().int().min(1).max(4),
  metadata: z.record(z.string(), z.array(z.string())).optional(),
});

export const AlertEvent = Base.extend({
  event_type: z.literal('alert'),
  alert: AlertInfo,
  minewatch: MinewatchFields.extend({ detector: z.string() }),
});

export const StatsEvent = Base.extend({
  event_type: z.literal('stats'),
  stats: z.record(z.string(), z.unknown()),
});

/** The inventory's description of one device (event_type 'device': first seen or changed). */
export const DeviceInventoryInfo = z.object({
  macs: z.array(z.string()),
  ips: z.array(z.string()),
  hostnames: z.array(z.string()),
  randomized: z.boolean(),
  score: z.number().int().min(0).max(100),
  reasons: z.array(z.string()),
  first_seen: z.string().regex(EVE_TIMESTAMP),
  last_seen: z.string().regex(EVE_TIMESTAMP),
  /** Ids the device was announced under before (a randomised MAC joined it): their rows merge into this one. */
  replaces: z.array(z.string()).optional(),
});

export const DeviceEvent = Base.extend({
  event_type: z.literal('device'),
  minewatch: MinewatchFields.extend({
    device: DeviceRef.extend({ id: z.string().min(1), type: z.string() }),
    inventory: DeviceInventoryInfo,
  }),
});

/**
 * Protocol events in Suricata 7's EVE format (dns: the "version 2" style Suricata 7 writes by
 * default, one `query` event per question and one `answer` event per response, answers both
 * `detailed` and `grouped`). The inner objects accept further fields (catchall), so events
 * from a real Suricata with more fields (tx_id, tls.serial, http.http_refer …) validate too.
 */
export const DnsAnswerRecord = z.object({
  rrname: z.string(),
  rrtype: z.string(),
  ttl: z.number().int().nonnegative(),
  rdata: z.string().optional(),
}).catchall(z.unknown());

export const DnsInfo = z.object({
  version: z.literal(2).optional(),
  type: z.enum(['query', 'answer']),
  id: z.number().int().min(0).max(65535),
  flags: z.string().optional(),
  qr: z.boolean().optional(),
  aa: z.boolean().optional(),
  tc: z.boolean().optional(),
  rd: z.boolean().optional(),
  ra: z.boolean().optional(),
  opcode: z.number().int().optional(),
  rrname: z.string().optional(),
  rrtype: z.string().optional(),
  rcode: z.string().optional(),
  answers: z.array(DnsAnswerRecord).optional(),
  grouped: z.record(z.string(), z.array(z.string())).optional(),
}).catchall(z.unknown());

export const DnsEvent = Base.extend({ event_type: z.literal('dns'), dns: DnsInfo });

const Fingerprint = z.object({ hash: z.string(), string: z.string() });

export const TlsInfo = z.object({
  subject: z.string().optional(),
  issuerdn: z.string().optional(),
  sni: z.string().optional(),
  version: z.string(),
  ja3: Fingerprint.optional(),
  ja3s: Fingerprint.optional(),
  ja4: z.string().optional(),
}).catchall(z.unknown());

export const TlsEvent = Base.extend({ event_type: z.literal('tls'), tls: TlsInfo });

export const HttpInfo = z.object({
  hostname: z.string().optional(),
  url: z.string().optional(),
  http_user_agent: z.string().optional(),
  http_content_type: z.string().optional(),
  http_method: z.string().optional(),
  protocol: z.string().optional(),
  status: z.number().int().optional(),
  length: z.number().int().nonnegative(),
}).catchall(z.unknown());

export const HttpEvent = Base.extend({ event_type: z.literal('http'), http: HttpInfo });

/** What `minewatch scan` found about one live host (event_type 'scan', kind 'host'). */
export const ScanHostInfo = z.object({
  kind: z.literal('host'),
  state: z.enum(['up', 'down']),
  discovered_by: z.array(z.string()),
  ports: z.array(z.object({
    port: z.number().int().min(0).max(65535),
    proto: z.enum(['tcp', 'udp']),
    service: z.string(),
    product: z.string(),
    version: z.string(),
  })),
});

/** One finding of `minewatch scan` (event_type 'scan', kind 'finding'). */
export const ScanFindingInfo = z.object({
  kind: z.literal('finding'),
  id: z.string().min(1),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']),
  title: z.string(),
  remediation: z.string(),
});

export const ScanEvent = Base.extend({
  event_type: z.literal('scan'),
  dest_ip: z.string(),
  minewatch: MinewatchFields.extend({
    detector: z.string(),
    scan: z.discriminatedUnion('kind', [ScanHostInfo, ScanFindingInfo]),
  }),
});

/**
 * Every event type minewatch writes, discriminated on `event_type`: a known type must carry
 * its own body (an `alert` without `alert{…}` fails), never falling back to a lax schema.
 */
export const EveEvent = z.discriminatedUnion('event_type', [FlowEvent, AlertEvent, StatsEvent, ScanEvent, DeviceEvent, DnsEvent, TlsEvent, HttpEvent]);

/** The event types of EveEvent. */
export const EVE_EVENT_TYPES = ['flow', 'alert', 'stats', 'scan', 'device', 'dns', 'tls', 'http'] as const;

/** Each known event type's schema (the branch of EveEvent its event_type selects). */
export const EVE_SCHEMAS = { flow: FlowEvent, alert: AlertEvent, stats: StatsEvent, scan: ScanEvent, device: DeviceEvent, dns: DnsEvent, tls: TlsEvent, http: HttpEvent } as const;

/**
 * An EVE event of a type minewatch does not define (Suricata's dns, tls, http … from another
 * sensor): the base fields plus anything else. Its `event_type` may not be a known one, so a
 * malformed known event cannot slip through here. Accept it explicitly with `AnyEveEvent`.
 */
export const OtherEveEvent = Base.extend({
  event_type: z.string().min(1).refine((t) => !(EVE_EVENT_TYPES as readonly string[]).includes(t), {
    message: 'a known event type must match its own schema',
  }),
}).catchall(z.unknown());

/** A known event (strict, by type) or, explicitly, an event of another type. */
export const AnyEveEvent = z.union([EveEvent, OtherEveEvent]);

export type DeviceRef = z.infer<typeof DeviceRef>;
export type FlowEvent = z.infer<typeof FlowEvent>;
export type AlertInfo = z.input<typeof AlertInfo>;
export type AlertEvent = z.input<typeof AlertEvent>;
export type StatsEvent = z.infer<typeof StatsEvent>;
export type ScanEvent = z.infer<typeof ScanEvent>;
export type DeviceEvent = z.infer<typeof DeviceEvent>;
export type DnsEvent = z.infer<typeof DnsEvent>;
export type TlsEvent = z.infer<typeof TlsEvent>;
export type HttpEvent = z.infer<typeof HttpEvent>;
export type EveEvent = z.input<typeof EveEvent>;
export type OtherEveEvent = z.infer<typeof OtherEveEvent>;

/**
 * The JSON Schema (draft 2020-12) of the event model, generated from the zod schemas above:
 * what `minewatch schema eve` prints, for other tools and the collector. It describes what a
 * valid event looks like on the wire (the input side: defaults may be left out).
 */
export function eveJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(EveEvent, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    title: 'minewatch EVE event',
    description: 'An event written by minewatch (Suricata EVE JSON plus minewatch fields), discriminated on event_type.',
    ...schema,
  };
}
