/**
 * Scanner data model. The JSON written by `minewatch scan --json` is exactly `ScanResult`
 * (issue 6 output contract): hosts → ports and findings, with stable finding ids.
 */

/** Stable finding ids; collectors and dashboards key on these, so never rename one. */
export const FINDING_IDS = [
  'telnet-exposed',
  'redis-no-auth',
  'default-credentials',
  'vulnerable-firmware',
  'upnp-exposed',
  'admin-http-cleartext',
  'smb-exposed',
  'mqtt-anonymous',
  'winbox-exposed',
  'mssql-exposed',
  'adb-exposed',
] as const;
export type FindingId = (typeof FINDING_IDS)[number];

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface Finding {
  id: FindingId;
  severity: Severity;
  title: string;
  /** What we saw, in words plus the key facts (port, banner excerpt, version, CVE). */
  evidence: string;
  /** Plain-language fix for a home user or small office. */
  remediation: string;
  port?: number;
  /** Extra machine-readable facts (CVE ids, the working username, …). Never a password in clear. */
  details?: Record<string, unknown>;
}

export type PortState = 'open' | 'closed' | 'filtered';

export interface PortResult {
  port: number;
  proto: 'tcp' | 'udp';
  state: PortState;
  /** Service name as identified by handshake or banner ('ssh', 'http', 'redis' …), or 'unknown'. */
  service: string;
  product: string;
  version: string;
  /** First bytes the service sent, printable-escaped and size-limited. */
  banner: string;
  /** True when the service spoke TLS (https, mqtts, api-ssl …). */
  tls?: boolean;
  /** Probe-specific facts used by the checks (redis auth state, HTTP title, …). */
  details?: Record<string, unknown>;
}

export type HostState = 'up' | 'down';

export interface HostResult {
  address: string;
  /** 'up' when any port answered (open or closed) or the host answered on the local link. */
  state: HostState;
  /** How we know: 'tcp', 'arp', 'mdns', 'ssdp'; empty when nothing answered. */
  discoveredBy: string[];
  hostname?: string;
  mac?: string;
  ports: PortResult[];
  findings: Finding[];
}

export interface ScanStats {
  startedAt: string;
  finishedAt: string;
  elapsedMs: number;
  hostsTargeted: number;
  hostsUp: number;
  portsProbed: number;
  openPorts: number;
  credentialAttempts: number;
  interrupted: boolean;
  /** Malformed or unexpected answers by reason (probe parsers never throw). */
  malformed: Record<string, number>;
}

export interface ScanResult {
  hosts: HostResult[];
  stats: ScanStats;
}

/** What a probe learned about one open port. */
export interface ServiceIdentity {
  service: string;
  product?: string;
  version?: string;
  banner?: Buffer | string;
  tls?: boolean;
  details?: Record<string, unknown>;
}
