/** Firmware versions with known, exploited flaws, from data/scan/firmware-vulnerabilities.json. */
import { firmwareVulnerabilities, vulnerabilitiesFor, type FirmwareVulnerability } from '../knowledge.js';
import type { Finding, HostResult, Severity } from '../types.js';
import { ADVICE, type HostCheck } from './check.js';

function severityFor(v: FirmwareVulnerability): Severity {
  if (v.cvss >= 9 || (v.minerCampaigns && v.cvss >= 7)) return 'critical';
  if (v.cvss >= 7) return 'high';
  if (v.cvss >= 4) return 'medium';
  return 'low';
}

/** (product, version, where) sightings on a host: port products plus versions probes found on the side. */
function sightings(host: HostResult): Array<{ product: string; version: string; port: number; via: string }> {
  const out: Array<{ product: string; version: string; port: number; via: string }> = [];
  for (const p of host.ports) {
    if (p.state !== 'open') continue;
    if (p.product && p.version) out.push({ product: p.product, version: p.version, port: p.port, via: p.service });
    const ros = p.details?.routerosVersion;
    if (typeof ros === 'string') out.push({ product: 'MikroTik RouterOS', version: ros, port: p.port, via: p.service });
  }
  return out;
}

export function makeVulnerableFirmwareCheck(kb: () => FirmwareVulnerability[] = firmwareVulnerabilities): HostCheck {
  return {
    id: 'vulnerable-firmware',
    run(host): Finding[] {
      const found = new Map<string, Finding>();
      for (const s of sightings(host)) {
        for (const v of vulnerabilitiesFor(s.product, s.version, kb())) {
          if (found.has(v.id)) continue;
          found.set(v.id, {
            id: 'vulnerable-firmware',
            severity: severityFor(v),
            title: `${v.title} (${v.cve.join(', ')})`,
            port: s.port,
            evidence: `${s.product} ${s.version} seen on ${s.via} port ${s.port}; affected versions: ${v.affected.map((r) => [r.from ? `from ${r.from}` : '', r.fixed ? `before ${r.fixed}` : '', r.through ? `through ${r.through}` : ''].filter(Boolean).join(' ')).join('; ')}. CVSS ${v.cvss}. ${v.summary}`,
            remediation: `${v.remediation} ${ADVICE.separate}`,
            details: { vulnerability: v.id, cve: v.cve, cvss: v.cvss, source: v.source, product: s.product, version: s.version },
          });
        }
      }
      return [...found.values()];
    },
  };
}

export const vulnerableFirmware = makeVulnerableFirmwareCheck();
