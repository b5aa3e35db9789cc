/**
 * The telescope's EVE alerts: a watched organisation's address seen as a darknet source, an
 * internal host touching unused internal address space, and an internal host ARP-sweeping
 * the segment. Signature ids are stable (9,500,001–9,500,003).
 */
import { eveTimestamp } from '../events/eve-format.js';
import type { AlertEvent } from '../events/eve.js';
import type { SourceRow } from './state.js';
import type { WatchEntry } from './watch.js';

/** A watched address (--watch) sent packets to the darknet. */
export const SID_WATCHED_SOURCE = 9_500_001;
/** Internal-darknet mode: an internal host sent packets to unused internal addresses. */
export const SID_INTERNAL_SOURCE = 9_500_002;
/** Internal-darknet mode: an internal host ARP-requested several unused internal addresses. */
export const SID_INTERNAL_ARP_SWEEP = 9_500_003;

const CATEGORY_TROJAN = 'A Network Trojan was detected';
const CATEGORY_INFO_LEAK = 'Attempted Information Leak';
const SEVERITY_HIGH = 1;
const SEVERITY_MEDIUM = 2;

/** Alert for one classified source of the darknet that is watched (or internal). */
export function sourceAlert(row: SourceRow, ports: readonly number[], internal: boolean, org: WatchEntry | null, sensor: string | undefined): AlertEvent {
  const family = row.family && row.family !== 'unknown' ? row.family : null;
  const signature = internal
    ? `MINEWATCH internal host touched unused internal address space (likely infected${family ? `, ${family}` : ''})`
    : `MINEWATCH watched address seen as a darknet source (${org?.name ?? '?'}${family ? `, ${family}` : ''})`;
  return {
    timestamp: eveTimestamp(row.first),
    event_type: 'alert',
    src_ip: row.ip,
    ...(ports.length > 0 ? { dest_port: ports[0], proto: 'TCP' } : {}),
    alert: {
      action: 'allowed', gid: 1, signature_id: internal ? SID_INTERNAL_SOURCE : SID_WATCHED_SOURCE, rev: 1, signature,
      category: internal ? CATEGORY_TROJAN : CATEGORY_INFO_LEAK, severity: internal ? SEVERITY_HIGH : SEVERITY_MEDIUM,
    },
    minewatch: {
      detector: internal ? 'internal-darknet' : 'darknet-source',
      ...(sensor ? { sensor } : {}),
      evidence: {
        ...(org ? { organisation: org.name, ranges: org.rangeText } : {}),
        first_seen: eveTimestamp(row.first), last_seen: eveTimestamp(row.last), packets: row.packets, ports: [...ports],
        class: row.class, tag: row.tag, likely_family: family ?? (row.class === 'scanner' ? 'unknown' : null),
      },
    },
  };
}

/** Alert for an internal host that ARP-requested unused internal addresses. */
export function arpSweepAlert(ip: string, first: number, last: number, requests: number, targets: number, sensor: string | undefined): AlertEvent {
  return {
    timestamp: eveTimestamp(first), event_type: 'alert', src_ip: ip,
    alert: {
      action: 'allowed', gid: 1, signature_id: SID_INTERNAL_ARP_SWEEP, rev: 1,
      signature: 'MINEWATCH internal host ARP-requested unused internal addresses (likely infected, sweeping the segment)',
      category: CATEGORY_TROJAN, severity: SEVERITY_HIGH,
    },
    minewatch: {
      detector: 'internal-darknet',
      ...(sensor ? { sensor } : {}),
      evidence: { first_seen: eveTimestamp(first), last_seen: eveTimestamp(last), arp_requests: requests, unused_addresses_requested: targets },
    },
  };
}
