/**
 * IntelMQ events, one JSON object per line, with IntelMQ's harmonization field names (flat,
 * dotted keys as IntelMQ's file output writes them), one event per infected host:
 * `classification.taxonomy=malicious-code`, `classification.type=infected-system` (the RSIT
 * names IntelMQ 3 uses), `classification.identifier` = `malware.name` = the miner family.
 * What has no harmonization field goes under `extra.*`.
 */
import type { InfectedHost, PackageContext, PackageFile, RecipientPackage } from '../types.js';
import { describeHost, isoUtcOffset } from './common.js';

export function intelmqEvent(h: InfectedHost, ctx: PackageContext): Record<string, string | number | string[]> {
  const e: Record<string, string | number | string[]> = {
    'feed.name': ctx.feedName,
    'feed.provider': ctx.reporter.org,
    'time.source': isoUtcOffset(h.lastSeen),
    'time.observation': isoUtcOffset(ctx.generatedAt),
    'classification.taxonomy': 'malicious-code',
    'classification.type': 'infected-system',
    'classification.identifier': h.malware.toLowerCase(),
    'malware.name': h.malware.toLowerCase(),
    'source.ip': h.ip,
  };
  if (h.port !== undefined) e['source.port'] = h.port;
  if (h.asn !== undefined) e['source.asn'] = h.asn;
  if (h.asName) e['source.as_name'] = h.asName;
  if (h.country) e['source.geolocation.cc'] = h.country;
  e['event_description.text'] = describeHost(h);
  if (h.evidence.scriptUrls.length > 0) e['destination.url'] = h.evidence.scriptUrls[0];
  if (h.evidence.poolNames.length > 0) e['destination.fqdn'] = h.evidence.poolNames[0].toLowerCase();
  e['extra.campaign'] = ctx.campaign;
  e['extra.host_identity'] = h.identity.rule;
  if (h.identity.rule === 'device-id') e['extra.device_id'] = h.identity.deviceId;
  e['extra.first_seen'] = isoUtcOffset(h.firstSeen);
  e['extra.last_seen'] = isoUtcOffset(h.lastSeen);
  e['extra.detector'] = h.detector;
  if (h.signatureId !== undefined) e['extra.signature_id'] = h.signatureId;
  if (h.signature) e['extra.signature'] = h.signature;
  if (h.device?.type) e['extra.device_type'] = h.device.type;
  if (h.device?.vendor) e['extra.device_vendor'] = h.device.vendor;
  if (h.device?.model) e['extra.device_model'] = h.device.model;
  if (h.evidence.poolNames.length > 0) e['extra.pool_names'] = h.evidence.poolNames;
  if (h.evidence.poolAddresses.length > 0) e['extra.pool_addresses'] = h.evidence.poolAddresses;
  if (h.evidence.wallets.length > 0) e['extra.wallets'] = h.evidence.wallets;
  if (h.evidence.scriptUrls.length > 0) e['extra.script_urls'] = h.evidence.scriptUrls;
  return e;
}

export function intelmqPackage(pkg: RecipientPackage, ctx: PackageContext, stem: string): PackageFile[] {
  const lines = pkg.hosts.map((h) => JSON.stringify(intelmqEvent(h, ctx)));
  return [{ path: `${stem}.intelmq.jsonl`, content: lines.length ? `${lines.join('\n')}\n` : '', contentType: 'application/x-ndjson' }];
}
