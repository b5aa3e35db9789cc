/**
 * MISP feed directory (the layout MISP's "feed" fetcher and PyMISP's feed generator use):
 * `manifest.json` (event uuid → event summary), `hashes.csv` (md5 of each attribute value,
 * event uuid) and one `<event-uuid>.json` per event (`{"Event": {…, "Attribute": […]}}`).
 * One event per recipient and miner family; attributes are the indicators only — pool names
 * (`domain`), pool addresses (`ip-dst`), wallets (`xmr` for Monero addresses, `btc` for
 * Bitcoin ones, else `text`), injected script URLs (`url`) and a `text` summary — never the
 * victims' addresses. uuids are UUIDv5, timestamps come from the package context.
 */
import { createHash } from 'node:crypto';
import { uuidv5 } from '../ids.js';
import type { InfectedHost, PackageContext, PackageFile, RecipientPackage } from '../types.js';
import { indicatorsOf, isIpv4, isIpv6, splitHostPort } from './common.js';

export interface MispAttribute {
  uuid: string;
  type: 'domain' | 'ip-dst' | 'btc' | 'xmr' | 'url' | 'text';
  category: 'Network activity' | 'Payload delivery' | 'Financial fraud' | 'Other';
  value: string;
  to_ids: boolean;
  distribution: string;
  timestamp: string;
  comment: string;
}

export function walletType(w: string): 'xmr' | 'btc' | 'text' {
  if (/^[48][1-9A-HJ-NP-Za-km-z]{94}$/.test(w) || /^4[1-9A-HJ-NP-Za-km-z]{105}$/.test(w)) return 'xmr';
  if (/^(bc1[02-9ac-hj-np-z]{11,71}|[13][1-9A-HJ-NP-Za-km-z]{25,34})$/.test(w)) return 'btc';
  return 'text';
}

export function mispEvents(pkg: RecipientPackage, ctx: PackageContext): { uuid: string; event: Record<string, unknown> }[] {
  const families = new Map<string, InfectedHost[]>();
  for (const h of pkg.hosts) {
    const f = h.malware.toLowerCase();
    families.set(f, [...(families.get(f) ?? []), h]);
  }
  const ts = String(Math.floor(Date.parse(ctx.generatedAt) / 1000));
  const orgc = { name: ctx.reporter.org, uuid: uuidv5(`misp-org|${ctx.reporter.org}|${ctx.reporter.domain}`) };
  const out: { uuid: string; event: Record<string, unknown> }[] = [];
  for (const family of [...families.keys()].sort()) {
    const hosts = families.get(family)!;
    const uuid = uuidv5(`misp-event|${ctx.campaign}|${pkg.recipient.id}|${family}`);
    const ind = indicatorsOf(hosts);
    const attrs: MispAttribute[] = [];
    const add = (type: MispAttribute['type'], category: MispAttribute['category'], value: string, toIds: boolean, comment: string): void => {
      attrs.push({ uuid: uuidv5(`misp-attr|${uuid}|${type}|${value}`), type, category, value, to_ids: toIds, distribution: '5', timestamp: ts, comment });
    };
    for (const n of ind.poolNames) add('domain', 'Network activity', n, true, 'mining pool');
    for (const a of ind.poolAddresses) {
      const { host, port } = splitHostPort(a);
      if (isIpv4(host) || isIpv6(host)) add('ip-dst', 'Network activity', host, true, port !== undefined ? `mining pool, port ${port}` : 'mining pool');
      else if (!ind.poolNames.includes(host.toLowerCase())) add('domain', 'Network activity', host.toLowerCase(), true, port !== undefined ? `mining pool, port ${port}` : 'mining pool');
    }
    for (const w of ind.wallets) add(walletType(w), walletType(w) === 'text' ? 'Other' : 'Financial fraud', w, false, 'mining wallet / login');
    for (const u of ind.scriptUrls) add('url', 'Payload delivery', u, true, 'injected browser-miner script');
    const first = hosts.reduce((m, h) => Math.min(m, Date.parse(h.firstSeen)), Infinity);
    add('text', 'Other', `${hosts.length} infected host(s) (identity rule ${pkg.hostIdentityRule}) reported to ${pkg.recipient.name} in campaign ${ctx.campaign}`, false, 'summary');
    // dedupe by uuid (same type+value), keep order
    const seen = new Set<string>();
    const attributes = attrs.filter((a) => !seen.has(a.uuid) && seen.add(a.uuid));
    out.push({
      uuid,
      event: {
        Event: {
          uuid,
          info: `minewatch campaign ${ctx.campaign}: ${family} cryptocurrency miner indicators (${pkg.recipient.name})`,
          date: new Date(first).toISOString().slice(0, 10),
          timestamp: ts,
          publish_timestamp: ts,
          published: true,
          analysis: '2',
          threat_level_id: '3',
          distribution: '0',
          Orgc: orgc,
          Tag: [{ name: 'tlp:amber' }, { name: `misp-galaxy:mitre-attack-pattern="Resource Hijacking - T1496"` }],
          Attribute: attributes,
        },
      },
    });
  }
  return out;
}

export function mispFeed(pkg: RecipientPackage, ctx: PackageContext, dir: string): PackageFile[] {
  const events = mispEvents(pkg, ctx);
  const manifest: Record<string, unknown> = {};
  const hashes: string[] = [];
  const files: PackageFile[] = [];
  for (const { uuid, event } of events) {
    const e = event.Event as Record<string, unknown> & { Attribute: MispAttribute[] };
    manifest[uuid] = { info: e.info, Orgc: e.Orgc, analysis: e.analysis, date: e.date, threat_level_id: e.threat_level_id, timestamp: e.timestamp, Tag: e.Tag };
    for (const a of e.Attribute) hashes.push(`${createHash('md5').update(a.value, 'utf8').digest('hex')},${uuid}`);
    files.push({ path: `${dir}/${uuid}.json`, content: `${JSON.stringify(event, null, 2)}\n`, contentType: 'application/json' });
  }
  return [
    { path: `${dir}/manifest.json`, content: `${JSON.stringify(manifest, null, 2)}\n`, contentType: 'application/json' },
    { path: `${dir}/hashes.csv`, content: hashes.length ? `${hashes.join('\n')}\n` : '', contentType: 'text/csv' },
    ...files,
  ];
}

export function mispPackage(pkg: RecipientPackage, ctx: PackageContext, stem: string): PackageFile[] {
  return mispFeed(pkg, ctx, `${stem}.misp`);
}
