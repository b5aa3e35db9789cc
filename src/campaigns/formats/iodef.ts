/**
 * IODEF v2 (RFC 7970) XML, built with xmlbuilder2: one IODEF-Document per recipient with one
 * Incident per infected host (purpose "reporting", TLP-like restriction "need-to-know").
 * EventData/Flow carries the infected host (System category "source") and the endpoints it
 * used: mining pools (addresses, or DomainData for names) and injected script URLs
 * (System category "target"); wallets and device facts go into AdditionalData.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { uuidv5 } from '../ids.js';
import { identityKey } from '../grouping.js';
import type { InfectedHost, PackageContext, PackageFile, RecipientPackage } from '../types.js';
import { describeHost, isIpv4, isIpv6, isoSeconds, splitHostPort } from './common.js';

export const IODEF_NS = 'urn:ietf:params:xml:ns:iodef-2.0';

/**
 * Text for an element: characters XML 1.0 cannot carry (controls, lone surrogates) become
 * U+FFFD, and every & is escaped here, because xmlbuilder2 passes "&name;" through as an
 * entity reference (a wallet string "&a;a" made the document ill-formed; found by the
 * property test).
 */
export function xmlText(s: string): string {
  return s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD').replace(/&/g, '&amp;');
}

function address(node: XMLBuilder, ip: string): void {
  node.ele(IODEF_NS, 'Address', { category: isIpv4(ip) ? 'ipv4-addr' : 'ipv6-addr' }).txt(xmlText(ip));
}

function incident(doc: XMLBuilder, h: InfectedHost, ctx: PackageContext): void {
  const inc = doc.ele(IODEF_NS, 'Incident', { purpose: 'reporting', restriction: 'need-to-know' });
  inc.ele(IODEF_NS, 'IncidentID', { name: ctx.reporter.domain }).txt(xmlText(uuidv5(`iodef|${ctx.campaign}|${identityKey(h)}`)));
  inc.ele(IODEF_NS, 'DetectTime').txt(xmlText(isoSeconds(h.firstSeen)));
  inc.ele(IODEF_NS, 'StartTime').txt(xmlText(isoSeconds(h.firstSeen)));
  inc.ele(IODEF_NS, 'GenerationTime').txt(xmlText(isoSeconds(ctx.generatedAt)));
  inc.ele(IODEF_NS, 'Description').txt(xmlText(`Campaign ${ctx.campaign}: ${describeHost(h)}`));
  const assessment = inc.ele(IODEF_NS, 'Assessment');
  assessment.ele(IODEF_NS, 'SystemImpact', { type: 'takeover-system', completion: 'succeeded', severity: 'medium' })
    .ele(IODEF_NS, 'Description').txt(xmlText('Device runs or serves a cryptocurrency miner (resource exploitation)'));
  inc.ele(IODEF_NS, 'Method').ele(IODEF_NS, 'Description').txt(xmlText(`${h.malware} cryptocurrency miner${h.signature ? ` (${h.signature})` : ''}`));
  const contact = inc.ele(IODEF_NS, 'Contact', { role: 'creator', type: 'organization' });
  contact.ele(IODEF_NS, 'ContactName').txt(xmlText(ctx.reporter.org));
  contact.ele(IODEF_NS, 'Email').ele(IODEF_NS, 'EmailTo').txt(xmlText(ctx.reporter.email));

  const ev = inc.ele(IODEF_NS, 'EventData');
  ev.ele(IODEF_NS, 'DetectTime').txt(xmlText(isoSeconds(h.firstSeen)));
  ev.ele(IODEF_NS, 'StartTime').txt(xmlText(isoSeconds(h.firstSeen)));
  const flow = ev.ele(IODEF_NS, 'Flow');
  const src = flow.ele(IODEF_NS, 'System', { category: 'source' });
  const node = src.ele(IODEF_NS, 'Node');
  address(node, h.ip);
  if (h.asn !== undefined) node.ele(IODEF_NS, 'Address', { category: 'asn' }).txt(xmlText(String(h.asn)));
  if (h.port !== undefined) src.ele(IODEF_NS, 'Service', { 'ip-protocol': '6' }).ele(IODEF_NS, 'Port').txt(xmlText(String(h.port)));
  if (h.device?.type || h.device?.vendor) src.ele(IODEF_NS, 'Description').txt(xmlText(`device: ${[h.device.vendor, h.device.model, h.device.type].filter(Boolean).join(' ')}`));
  const names = new Set(h.evidence.poolNames.map((n) => n.toLowerCase()));
  for (const a of h.evidence.poolAddresses) {
    const { host, port } = splitHostPort(a);
    const sys = flow.ele(IODEF_NS, 'System', { category: 'target' });
    const n = sys.ele(IODEF_NS, 'Node');
    if (isIpv4(host) || isIpv6(host)) address(n, host);
    else {
      n.ele(IODEF_NS, 'DomainData', { 'system-status': 'unknown', 'domain-status': 'unknown' }).ele(IODEF_NS, 'Name').txt(xmlText(host.toLowerCase()));
      names.delete(host.toLowerCase());
    }
    if (port !== undefined) sys.ele(IODEF_NS, 'Service', { 'ip-protocol': '6' }).ele(IODEF_NS, 'Port').txt(xmlText(String(port)));
    sys.ele(IODEF_NS, 'Description').txt(xmlText('mining pool'));
  }
  for (const name of [...names].sort()) {
    const sys = flow.ele(IODEF_NS, 'System', { category: 'target' });
    sys.ele(IODEF_NS, 'Node').ele(IODEF_NS, 'DomainData', { 'system-status': 'unknown', 'domain-status': 'unknown' }).ele(IODEF_NS, 'Name').txt(xmlText(name));
    sys.ele(IODEF_NS, 'Description').txt(xmlText('mining pool'));
  }
  for (const url of h.evidence.scriptUrls) {
    const sys = flow.ele(IODEF_NS, 'System', { category: 'target' });
    sys.ele(IODEF_NS, 'Node').ele(IODEF_NS, 'Address', { category: 'site-uri' }).txt(xmlText(url));
    sys.ele(IODEF_NS, 'Description').txt(xmlText('injected browser-miner script'));
  }
  for (const w of h.evidence.wallets) ev.ele(IODEF_NS, 'AdditionalData', { dtype: 'string', meaning: 'mining wallet' }).txt(xmlText(w));
  ev.ele(IODEF_NS, 'AdditionalData', { dtype: 'string', meaning: 'host identity rule' }).txt(xmlText(h.identity.rule === 'ip-day' ? `ip-day ${h.identity.ip} ${h.identity.day}` : `device-id ${h.identity.deviceId}`));
  ev.ele(IODEF_NS, 'AdditionalData', { dtype: 'string', meaning: 'detector' }).txt(xmlText(h.detector));
  if (h.country) ev.ele(IODEF_NS, 'AdditionalData', { dtype: 'string', meaning: 'country' }).txt(xmlText(h.country));
}

export function iodefDocument(hosts: readonly InfectedHost[], ctx: PackageContext): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele(IODEF_NS, 'IODEF-Document', { version: '2.00', 'xml:lang': 'en' });
  for (const h of hosts) incident(doc, h, ctx);
  return `${doc.end({ prettyPrint: true })}\n`;
}

export function iodefPackage(pkg: RecipientPackage, ctx: PackageContext, stem: string): PackageFile[] {
  return [{ path: `${stem}.iodef.xml`, content: iodefDocument(pkg.hosts, ctx), contentType: 'application/xml' }];
}
