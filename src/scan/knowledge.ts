/**
 * The shipped knowledge base under data/scan/: firmware vulnerabilities keyed by product and
 * version ranges, default credentials with their sources, and admin-UI fingerprints. Files are
 * validated with zod when loaded so a bad edit fails loudly at start, not mid-scan.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readJsonConfig } from '../util/config.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const VersionRange = z.object({
  /** Inclusive lower bound; omitted = from the first release. */
  from: z.string().optional(),
  /** Exclusive upper bound: the first fixed version. */
  fixed: z.string().optional(),
  /** Inclusive upper bound, when no fix exists on that branch. */
  through: z.string().optional(),
});

export const FirmwareVulnerability = z.object({
  id: z.string(),
  /** Product key as probes report it (matched case-insensitively). */
  product: z.string(),
  cve: z.array(z.string()),
  cvss: z.number().min(0).max(10),
  title: z.string(),
  summary: z.string(),
  affected: z.array(VersionRange).min(1),
  remediation: z.string(),
  source: z.string().url(),
  /** Exploited by coin-mining campaigns (raises the severity). */
  minerCampaigns: z.boolean().default(false),
});
export type FirmwareVulnerability = z.infer<typeof FirmwareVulnerability>;

export const CredentialService = z.enum(['telnet', 'ssh', 'http-basic', 'redis', 'mqtt']);
export type CredentialService = z.infer<typeof CredentialService>;

export const CredentialPair = z.object({
  username: z.string(),
  password: z.string(),
  services: z.array(CredentialService).min(1),
  /** Where the pair is published (Mirai source, vendor manual …). */
  source: z.string(),
});
export type CredentialPair = z.infer<typeof CredentialPair>;

export const AdminUiFingerprint = z.object({
  name: z.string(),
  /** Product key for the vulnerability knowledge base ('MikroTik RouterOS' …). */
  product: z.string(),
  kind: z.enum(['router', 'camera', 'nas', 'iot', 'admin']),
  /** Case-insensitive regex over status line + headers + body start. */
  match: z.string(),
  /** Optional regex whose group 1 is the firmware version. */
  version: z.string().optional(),
});
export type AdminUiFingerprint = z.infer<typeof AdminUiFingerprint>;

function findDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'data', 'scan');
    if (existsSync(join(candidate, 'firmware-vulnerabilities.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('data/scan/ (scanner knowledge base) not found next to the program');
}

let dataDir: string | null = null;
export function scanDataFile(name: string): string {
  dataDir ??= findDataDir();
  return join(dataDir, name);
}

function loadList<T>(file: string, key: string, schema: z.ZodType<T>): T[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const parsed = z.array(schema).safeParse(raw[key]);
  if (!parsed.success) throw new Error(`${file}: invalid ${key}: ${parsed.error.issues[0]?.message ?? 'bad entry'} at ${parsed.error.issues[0]?.path.join('.')}`);
  return parsed.data;
}

let vulns: FirmwareVulnerability[] | null = null;
let creds: CredentialPair[] | null = null;
let adminUis: AdminUiFingerprint[] | null = null;

export function firmwareVulnerabilities(file?: string): FirmwareVulnerability[] {
  if (file) return loadList(file, 'vulnerabilities', FirmwareVulnerability);
  return (vulns ??= loadList(scanDataFile('firmware-vulnerabilities.json'), 'vulnerabilities', FirmwareVulnerability));
}

export function defaultCredentials(file?: string): CredentialPair[] {
  if (file) return readJsonConfig(file, z.object({ credentials: z.array(CredentialPair) }), '--credentials').credentials;
  return (creds ??= loadList(scanDataFile('credentials.json'), 'credentials', CredentialPair));
}

export function adminUiFingerprints(): AdminUiFingerprint[] {
  return (adminUis ??= loadList(scanDataFile('admin-ui-fingerprints.json'), 'fingerprints', AdminUiFingerprint));
}

/** Compare dotted versions numerically ('6.42.7' < '6.42.10'); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-_]/);
  const pb = b.split(/[.\-_]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else {
      // "6.42rc1": numeric prefix first, then a pre-release sorts before the release.
      const mx = /^(\d*)(.*)$/.exec(x)!;
      const my = /^(\d*)(.*)$/.exec(y)!;
      const dx = Number(mx[1] || 0);
      const dy = Number(my[1] || 0);
      if (dx !== dy) return dx < dy ? -1 : 1;
      if (mx[2] !== my[2]) {
        if (mx[2] === '') return 1;
        if (my[2] === '') return -1;
        return mx[2] < my[2] ? -1 : 1;
      }
    }
  }
  return 0;
}

export function versionInRange(version: string, range: z.infer<typeof VersionRange>): boolean {
  if (range.from && compareVersions(version, range.from) < 0) return false;
  if (range.fixed && compareVersions(version, range.fixed) >= 0) return false;
  if (range.through && compareVersions(version, range.through) > 0) return false;
  return true;
}

/** Knowledge-base entries that apply to this product and version. */
export function vulnerabilitiesFor(product: string, version: string, kb = firmwareVulnerabilities()): FirmwareVulnerability[] {
  if (!version) return [];
  const p = product.toLowerCase();
  return kb.filter((v) => p.includes(v.product.toLowerCase()) && v.affected.some((r) => versionInRange(version, r)));
}
