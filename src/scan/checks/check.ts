/**
 * The check contract: a check reads what discovery and the probes learned about one host
 * and returns findings (id, severity, evidence, plain-language remediation). Checks are
 * pure: they send nothing. Active credential checks live in ../credentials.ts.
 */
import type { Finding, HostResult, PortResult } from '../types.js';

export interface HostCheck {
  readonly id: Finding['id'];
  run(host: HostResult): Finding[];
}

export function portsWith(host: HostResult, pred: (p: PortResult) => boolean): PortResult[] {
  return host.ports.filter((p) => p.state === 'open' && pred(p));
}

export function describePort(p: PortResult): string {
  const what = [p.product, p.version].filter(Boolean).join(' ');
  return `${p.proto}/${p.port} ${p.service}${what ? ` (${what})` : ''}`;
}

/** Advice shared by several findings (MISSION.md: change defaults, update, separate IoT, turn off what you do not use). */
export const ADVICE = {
  separate: 'Put cameras, smart TVs and other IoT devices on a separate guest or IoT network so an infected one cannot reach your computers.',
  update: 'Install the latest firmware from the vendor and turn on automatic updates if the device has them.',
  defaults: 'Change every default password to a long unique one.',
} as const;
