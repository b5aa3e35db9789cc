/**
 * XARF v4 (xarf-spec v4.2.0): one report per infected host ("one incident = one report"),
 * category `connection`, type `infected_host`, one JSON report per line. Report ids are UUIDv5
 * of campaign + host identity, so a re-sent report keeps its id. `validateXarf` checks a report
 * with Ajv against the vendored schemas (data/schemas/xarf/).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { campaignDataFile } from '../data.js';
import { uuidv5 } from '../ids.js';
import { identityKey } from '../grouping.js';
import type { InfectedHost, PackageContext, PackageFile, RecipientPackage } from '../types.js';
import { describeHost, isIpv4, isIpv6, isoSeconds, splitHostPort } from './common.js';

export const XARF_VERSION = '4.2.0';

/** "Coin Hive!" → "coin-hive" (the tag pattern ^[a-z0-9][a-z0-9_+-]*). */
function tagValue(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_+-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 60) || 'unknown';
}

export function xarfReport(h: InfectedHost, ctx: PackageContext): Record<string, unknown> {
  const evidence = JSON.stringify({
    detector: h.detector,
    signature_id: h.signatureId,
    signature: h.signature,
    host_identity: h.identity,
    device: h.device,
    pool_names: h.evidence.poolNames,
    pool_addresses: h.evidence.poolAddresses,
    wallets: h.evidence.wallets,
    script_urls: h.evidence.scriptUrls,
    notes: h.evidence.notes,
  });
  const payload = Buffer.from(evidence, 'utf8');
  const r: Record<string, unknown> = {
    xarf_version: XARF_VERSION,
    report_id: uuidv5(`xarf|${ctx.campaign}|${identityKey(h)}`),
    timestamp: isoSeconds(h.lastSeen),
    reporter: { org: ctx.reporter.org, contact: ctx.reporter.email, domain: ctx.reporter.domain },
    sender: { org: ctx.reporter.org, contact: ctx.reporter.email, domain: ctx.reporter.domain },
    source_identifier: h.ip,
  };
  if (h.port !== undefined) r.source_port = h.port;
  r.category = 'connection';
  r.type = 'infected_host';
  r.evidence_source = h.detector === 'vulnerable-firmware' ? 'vulnerability_scan' : 'traffic_analysis';
  const pool = h.evidence.poolAddresses.map(splitHostPort).find((p) => isIpv4(p.host) || isIpv6(p.host));
  if (pool) {
    r.destination_ip = pool.host;
    if (pool.port !== undefined) r.destination_port = pool.port;
  }
  r.protocol = 'tcp';
  r.bot_type = 'malicious';
  r.bot_name = h.malware;
  r.malware_family = h.malware.toLowerCase();
  r.first_seen = isoSeconds(h.firstSeen);
  r.last_seen = isoSeconds(h.lastSeen);
  r.description = describeHost(h).slice(0, 1000);
  r.evidence = [{
    content_type: 'application/json',
    description: 'minewatch evidence: detector, mining-pool names and addresses, wallets, injected script URLs',
    payload: payload.toString('base64'),
    hash: `sha256:${createHash('sha256').update(payload).digest('hex')}`,
    size: payload.length,
  }];
  const tags = [`malware:${tagValue(h.malware)}`, `campaign:${tagValue(ctx.campaign)}`, `detector:${tagValue(h.detector)}`];
  if (h.device?.type) tags.push(`device:${tagValue(h.device.type)}`);
  if (h.device?.vendor) tags.push(`vendor:${tagValue(h.device.vendor)}`);
  r.tags = tags;
  return r;
}

export function xarfPackage(pkg: RecipientPackage, ctx: PackageContext, stem: string): PackageFile[] {
  const lines = pkg.hosts.map((h) => JSON.stringify(xarfReport(h, ctx)));
  return [{ path: `${stem}.xarf.jsonl`, content: lines.length ? `${lines.join('\n')}\n` : '', contentType: 'application/x-ndjson' }];
}

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
let validator: Validate | null = null;

/** Validates one report against the vendored XARF v4 schemas; returns the problems (empty = valid). */
export async function validateXarf(report: unknown): Promise<string[]> {
  if (!validator) {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const addFormats = (await import('ajv-formats')).default as unknown as (a: InstanceType<typeof Ajv2020>) => void;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(JSON.parse(readFileSync(campaignDataFile('schemas', 'xarf', 'xarf-core.json'), 'utf8')) as object);
    validator = ajv.compile(JSON.parse(readFileSync(campaignDataFile('schemas', 'xarf', 'types', 'connection-infected-host.json'), 'utf8')) as object) as Validate;
  }
  return validator(report) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
}
