/**
 * Scan EVE events for tests: two hosts as the scanner would report them (a Redis without a
 * password that allows CONFIG SET, a camera with telnet open), the findings produced by the
 * real passive checks (so the fixes are the checks' own text), turned into events by the
 * scanner's own EVE writer.
 */
import { CHECKS } from '../../src/scan/checks/index.js';
import { scanEveEvents } from '../../src/scan/report-eve.js';
import type { HostResult, PortResult, ScanResult } from '../../src/scan/types.js';

const port = (p: number, service: string, product = '', version = '', details?: Record<string, unknown>): PortResult =>
  ({ port: p, proto: 'tcp', state: 'open', service, product, version, banner: '', ...(details ? { details } : {}) });

export function scanSampleEvents(atMs: number, sensor = 'home-scanner'): { events: Record<string, unknown>[]; findings: number; hosts: number } {
  const hosts: HostResult[] = [
    { address: '192.168.1.20', state: 'up', discoveredBy: ['tcp'], hostname: 'nas', mac: '02:00:00:00:00:20', ports: [port(6379, 'redis', 'Redis', '6.0.9', { auth: 'none', configSet: 'allowed' }), port(22, 'ssh', 'OpenSSH', '8.4')], findings: [] },
    { address: '192.168.1.31', state: 'up', discoveredBy: ['tcp', 'arp'], hostname: 'camera', mac: '02:00:00:00:00:31', ports: [port(23, 'telnet'), port(80, 'http')], findings: [] },
  ];
  for (const h of hosts) h.findings = CHECKS.flatMap((c) => c.run(h));
  const iso = new Date(atMs).toISOString();
  const result: ScanResult = {
    hosts,
    stats: { startedAt: iso, finishedAt: iso, elapsedMs: 1000, hostsTargeted: 2, hostsUp: 2, portsProbed: 100, openPorts: 4, credentialAttempts: 0, interrupted: false, malformed: {} },
  };
  const events = scanEveEvents(result, { sensor }).map((e, i) => ({ ...e, minewatch: { ...(e.minewatch as object), event_id: `scan-sample-${atMs}-${i}` } }));
  return { events, findings: hosts.reduce((a, h) => a + h.findings.length, 0), hosts: hosts.length };
}
