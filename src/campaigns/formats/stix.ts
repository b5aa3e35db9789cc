/**
 * STIX 2.1 bundle per recipient: the reporter's `identity`, one `malware` per miner family
 * (`malware_types: ["resource-exploitation"]`, the open-vocabulary term for miners), an
 * `indicator` per pool name, pool address and injected script URL with an `indicates`
 * relationship to the malware, and per infected host an `observed-data` (over its address SCO)
 * and a `sighting` of the malware where the reporter saw it. Every id is deterministic:
 * SDO/SRO ids are UUIDv5 over stable content, SCO ids follow STIX 2.1 §2.9 (UUIDv5 in the
 * STIX namespace over the id-contributing properties). Wallets have no STIX 2.1 cyber
 * observable and are carried in the MISP feed instead.
 */
import { uuidv5, stableKey } from '../ids.js';
import { identityKey } from '../grouping.js';
import type { InfectedHost, PackageContext, PackageFile, RecipientPackage } from '../types.js';
import { describeHost, isIpv4, isIpv6, splitHostPort } from './common.js';

/** STIX 2.1 §2.9: namespace for SCO UUIDv5 ids. */
const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

type StixObject = Record<string, unknown> & { type: string; id: string };

/** STIX timestamps: millisecond precision, Z. */
function stixTime(t: string): string {
  return new Date(Date.parse(t)).toISOString();
}

function scoId(type: string, contributing: Record<string, unknown>): string {
  return `${type}--${uuidv5(stableKey(contributing), STIX_SCO_NAMESPACE)}`;
}

function sdoId(type: string, key: string): string {
  return `${type}--${uuidv5(`stix|${type}|${key}`)}`;
}

/** A string literal in a STIX pattern: ' and \ escaped. */
function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function stixBundle(pkg: RecipientPackage, ctx: PackageContext): Record<string, unknown> {
  const created = stixTime(ctx.generatedAt);
  const common = { spec_version: '2.1', created, modified: created };
  const identity: StixObject = {
    type: 'identity', id: sdoId('identity', `${ctx.reporter.org}|${ctx.reporter.domain}`), ...common,
    name: ctx.reporter.org, identity_class: 'organization', contact_information: ctx.reporter.email,
  };
  const objects: StixObject[] = [identity];
  const by = { created_by_ref: identity.id };
  const malwares = new Map<string, StixObject>();
  const malwareOf = (family: string): StixObject => {
    const key = family.toLowerCase();
    let m = malwares.get(key);
    if (!m) {
      m = { type: 'malware', id: sdoId('malware', key), ...common, ...by, name: key, is_family: true, malware_types: ['resource-exploitation'], description: `${key}: cryptocurrency miner (covert mining on other people's devices)` };
      malwares.set(key, m);
    }
    return m;
  };
  // indicators: key → {pattern, name, valid_from, malware ids}
  const indicators = new Map<string, { pattern: string; name: string; validFrom: number; malware: Set<string> }>();
  const addIndicator = (key: string, pattern: string, name: string, h: InfectedHost, malwareId: string): void => {
    const t = Date.parse(h.firstSeen);
    const i = indicators.get(key);
    if (i) {
      i.validFrom = Math.min(i.validFrom, t);
      i.malware.add(malwareId);
    } else indicators.set(key, { pattern, name, validFrom: t, malware: new Set([malwareId]) });
  };
  const scos = new Map<string, StixObject>();
  const perHost: StixObject[] = [];
  for (const h of pkg.hosts) {
    const m = malwareOf(h.malware);
    for (const n of h.evidence.poolNames) addIndicator(`domain:${n.toLowerCase()}`, `[domain-name:value = ${lit(n.toLowerCase())}]`, `mining pool ${n.toLowerCase()}`, h, m.id);
    for (const a of h.evidence.poolAddresses) {
      const { host, port } = splitHostPort(a);
      if (isIpv4(host) || isIpv6(host)) {
        const t = isIpv4(host) ? 'ipv4-addr' : 'ipv6-addr';
        const p = port !== undefined ? `[network-traffic:dst_ref.type = '${t}' AND network-traffic:dst_ref.value = ${lit(host)} AND network-traffic:dst_port = ${port}]` : `[${t}:value = ${lit(host)}]`;
        addIndicator(`addr:${a}`, p, `mining pool ${a}`, h, m.id);
      } else addIndicator(`domain:${host.toLowerCase()}`, `[domain-name:value = ${lit(host.toLowerCase())}]`, `mining pool ${host.toLowerCase()}`, h, m.id);
    }
    for (const u of h.evidence.scriptUrls) addIndicator(`url:${u}`, `[url:value = ${lit(u)}]`, `injected miner script ${u}`, h, m.id);

    const addrType = isIpv4(h.ip) ? 'ipv4-addr' : 'ipv6-addr';
    const addr: StixObject = { type: addrType, id: scoId(addrType, { value: h.ip }), spec_version: '2.1', value: h.ip };
    scos.set(addr.id, addr);
    const refs = [addr.id];
    if (h.asn !== undefined) {
      const as: StixObject = { type: 'autonomous-system', id: scoId('autonomous-system', { number: h.asn }), spec_version: '2.1', number: h.asn, ...(h.asName ? { name: h.asName } : {}) };
      scos.set(as.id, as);
      refs.push(as.id);
    }
    const key = `${ctx.campaign}|${identityKey(h)}`;
    const od: StixObject = {
      type: 'observed-data', id: sdoId('observed-data', key), ...common, ...by,
      first_observed: stixTime(h.firstSeen), last_observed: stixTime(h.lastSeen), number_observed: 1, object_refs: refs,
    };
    const sighting: StixObject = {
      type: 'sighting', id: sdoId('sighting', key), ...common, ...by,
      description: describeHost(h), first_seen: stixTime(h.firstSeen), last_seen: stixTime(h.lastSeen), count: 1,
      sighting_of_ref: m.id, observed_data_refs: [od.id], where_sighted_refs: [identity.id],
    };
    perHost.push(od, sighting);
  }
  objects.push(...[...malwares.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
  const rels: StixObject[] = [];
  for (const [key, i] of [...indicators.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const ind: StixObject = {
      type: 'indicator', id: sdoId('indicator', key), ...common, ...by,
      name: i.name, indicator_types: ['malicious-activity'], pattern: i.pattern, pattern_type: 'stix', valid_from: stixTime(new Date(i.validFrom).toISOString()),
    };
    objects.push(ind);
    for (const mid of [...i.malware].sort()) rels.push({ type: 'relationship', id: sdoId('relationship', `${ind.id}|indicates|${mid}`), ...common, ...by, relationship_type: 'indicates', source_ref: ind.id, target_ref: mid });
  }
  objects.push(...rels, ...[...scos.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), ...perHost);
  return { type: 'bundle', id: `bundle--${uuidv5(`stix-bundle|${ctx.campaign}|${pkg.recipient.id}`)}`, objects };
}

/**
 * Required properties per type (STIX 2.1 CS02/OS, sections 4.x and 5.x, for the types emitted
 * here) and the common SDO/SRO ones. The OASIS JSON schemas are not vendored (see
 * docs/campaigns.md); this is the spec's structure for what we write.
 */
const REQUIRED: Record<string, string[]> = {
  identity: ['name'],
  malware: ['is_family'],
  indicator: ['pattern', 'pattern_type', 'valid_from'],
  'observed-data': ['first_observed', 'last_observed', 'number_observed', 'object_refs'],
  sighting: ['sighting_of_ref'],
  relationship: ['relationship_type', 'source_ref', 'target_ref'],
  'ipv4-addr': ['value'],
  'ipv6-addr': ['value'],
  'autonomous-system': ['number'],
};
const SCO_TYPES = new Set(['ipv4-addr', 'ipv6-addr', 'autonomous-system', 'domain-name', 'url', 'network-traffic']);
const MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function structureProblems(o: StixObject): string[] {
  const p: string[] = [];
  const req = REQUIRED[o.type];
  if (!req) return [`${o.id}: type ${o.type} is not one minewatch emits`];
  for (const k of req) if (o[k] === undefined) p.push(`${o.id}: missing ${k}`);
  if (!SCO_TYPES.has(o.type)) {
    for (const k of ['created', 'modified']) if (typeof o[k] !== 'string' || !MILLIS.test(o[k] as string)) p.push(`${o.id}: ${k} is not a millisecond UTC timestamp`);
    if (typeof o.created === 'string' && typeof o.modified === 'string' && o.modified < o.created) p.push(`${o.id}: modified before created`);
  }
  if (o.type === 'malware' && o.is_family === true && typeof o.name !== 'string') p.push(`${o.id}: a malware family needs a name`);
  if (o.type === 'indicator' && !(typeof o.pattern === 'string' && /^\[.+\]$/.test(o.pattern))) p.push(`${o.id}: pattern is not a STIX pattern`);
  if (o.type === 'observed-data') {
    const n = o.number_observed;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 999999999) p.push(`${o.id}: number_observed out of range`);
    if (!Array.isArray(o.object_refs) || o.object_refs.length === 0) p.push(`${o.id}: object_refs empty`);
    if (String(o.last_observed) < String(o.first_observed)) p.push(`${o.id}: last_observed before first_observed`);
  }
  if (o.type === 'sighting' && typeof o.first_seen === 'string' && typeof o.last_seen === 'string' && o.last_seen < o.first_seen) p.push(`${o.id}: last_seen before first_seen`);
  return p;
}

/** Checks the JSON schemas cannot make, and the spec's required properties: every *_ref / *_refs names an object in the bundle, ids match their type, no id twice. */
export function checkStixBundle(bundle: unknown): string[] {
  const problems: string[] = [];
  const b = bundle as { type?: unknown; id?: unknown; objects?: unknown };
  if (b?.type !== 'bundle' || typeof b.id !== 'string' || !/^bundle--[0-9a-f-]{36}$/.test(b.id)) problems.push('not a bundle with a bundle--<uuid> id');
  if (!Array.isArray(b?.objects)) return [...problems, 'objects is not an array'];
  const ids = new Set<string>();
  for (const o of b.objects as StixObject[]) {
    if (typeof o?.id !== 'string' || !o.id.startsWith(`${o.type}--`) || !/--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(o.id)) problems.push(`bad id ${String(o?.id)} for type ${String(o?.type)}`);
    if (ids.has(o.id)) problems.push(`id twice: ${o.id}`);
    ids.add(o.id);
    if (o.spec_version !== '2.1') problems.push(`${o.id}: spec_version is not 2.1`);
    problems.push(...structureProblems(o));
  }
  const visit = (owner: string, v: unknown, key: string): void => {
    if (key.endsWith('_ref') && typeof v === 'string' && !ids.has(v)) problems.push(`${owner}: ${key} → ${v} not in bundle`);
    if (key.endsWith('_refs') && Array.isArray(v)) for (const r of v) if (typeof r !== 'string' || !ids.has(r)) problems.push(`${owner}: ${key} → ${String(r)} not in bundle`);
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) visit(owner, x, k);
  };
  for (const o of b.objects as StixObject[]) for (const [k, v] of Object.entries(o)) visit(o.id, v, k);
  return problems;
}

export function stixPackage(pkg: RecipientPackage, ctx: PackageContext, stem: string): PackageFile[] {
  return [{ path: `${stem}.stix.json`, content: `${JSON.stringify(stixBundle(pkg, ctx), null, 2)}\n`, contentType: 'application/stix+json;version=2.1' }];
}
