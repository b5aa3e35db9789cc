/**
 * Scan results as EVE events (event_type 'scan'), one per finding and one per live host, so
 * they can be stored and sent to the collector like sensor events.
 */
import { eveTimestamp, limitEvidence } from '../events/eve-format.js';
import type { ScanResult } from './types.js';

export interface ScanEveOptions {
  sensor?: string;
  /** Timestamp for all events (µs since epoch); default: the scan's finish time. */
  tsUs?: number;
}

export function scanEveEvents(result: ScanResult, opts: ScanEveOptions = {}): Record<string, unknown>[] {
  const ts = eveTimestamp(opts.tsUs ?? Date.parse(result.stats.finishedAt) * 1000);
  const events: Record<string, unknown>[] = [];
  for (const h of result.hosts) {
    if (h.state !== 'up') continue;
    events.push({
      timestamp: ts,
      event_type: 'scan',
      dest_ip: h.address,
      minewatch: {
        detector: 'scan',
        ...(opts.sensor ? { sensor: opts.sensor } : {}),
        ...(h.mac ? { device: { ip: h.address, mac: h.mac, ...(h.hostname ? { name: h.hostname } : {}) } } : {}),
        scan: { kind: 'host', state: h.state, discovered_by: h.discoveredBy, ports: h.ports.map((p) => ({ port: p.port, proto: p.proto, service: p.service, product: p.product, version: p.version })) },
      },
    });
    for (const f of h.findings) {
      const port = f.port !== undefined ? h.ports.find((p) => p.port === f.port) : undefined;
      events.push({
        timestamp: ts,
        event_type: 'scan',
        dest_ip: h.address,
        ...(f.port !== undefined ? { dest_port: f.port, proto: (port?.proto ?? 'tcp').toUpperCase() } : {}),
        ...(port ? { app_proto: port.service } : {}),
        minewatch: {
          detector: `scan:${f.id}`,
          ...(opts.sensor ? { sensor: opts.sensor } : {}),
          evidence: limitEvidence({ evidence: f.evidence, ...(f.details ?? {}) }),
          scan: { kind: 'finding', id: f.id, severity: f.severity, title: f.title, remediation: f.remediation },
        },
      });
    }
  }
  return events;
}
