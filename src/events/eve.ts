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

/** Protocol, device, telescope and scan events: EVE base plus a payload object named after the type. */
export const GenericEvent = Base.catchall(z.unknown());

export const EveEvent = z.union([FlowEvent, AlertEvent, StatsEvent, GenericEvent]);

export type DeviceRef = z.infer<typeof DeviceRef>;
export type FlowEvent = z.infer<typeof FlowEvent>;
export type AlertInfo = z.input<typeof AlertInfo>;
export type AlertEvent = z.input<typeof AlertEvent>;
export type StatsEvent = z.infer<typeof StatsEvent>;
export type EveEvent = z.input<typeof EveEvent>;
