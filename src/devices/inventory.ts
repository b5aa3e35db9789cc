/**
 * The device inventory: what the traffic says about each MAC address (addresses over time,
 * host names, DHCP fingerprint, mDNS services, SSDP/UPnP strings, user agents, TLS
 * fingerprints, initial TTL, roles such as DHCP server or gateway), kept per MAC and
 * grouped into devices on demand, so that a phone rotating a randomised MAC stays one device.
 *
 * The inventory is plain data: `exportState()` gives JSON that `importState()`/`merge()`
 * read back (persistence, and the merge of worker threads' inventories on the main thread).
 * Exported state is canonical (sorted), so the same observations give the same JSON however
 * they were split across workers. Memory is bounded: at most `maxMacs` MACs (the least
 * recently seen go first) and a few values per list.
 */
import { createHash } from 'node:crypto';
import { cidrContains, cidrContainsIpv4, classifyIp, classifyIpv4, parseCidr, parseIp, type Cidr, type IpClass } from '../util/ip.js';
import { isGroupMac, isLocallyAdministered, lookupVendor } from './oui.js';
import { classify, type Classification, type DeviceRuleSet, type EvidenceInput, type EvidenceLists } from './classify.js';

/** How an address was learned. */
export type AddressSource = 'arp' | 'dhcp' | 'ndp' | 'traffic';
/** What a MAC was seen doing on the segment. */
export type DeviceRole = 'dhcp-server' | 'gateway' | 'ipv6-router' | 'dns-server';

export interface AddressRecord { first: number; last: number; via: AddressSource }

/** Everything seen for one MAC (timestamps in µs). */
export interface MacRecord extends EvidenceLists {
  mac: string;
  first: number;
  last: number;
  ips: Record<string, AddressRecord>;
  clientIds: string[];
  mdnsNames: string[];
  /** Initial-TTL guesses (64, 128, 255) → packets seen. */
  ttl: Record<string, number>;
  roles: DeviceRole[];
}

export interface InventoryState {
  version: 1;
  macs: MacRecord[];
}

/** One device: one or more MACs (a randomised MAC joins the device it shares an identity with). */
export interface Device extends Classification, EvidenceInput {
  /** Stable id: from the device's burned-in MAC, else its strongest identity (client id, mDNS name, host name). */
  id: string;
  /** The MAC seen last. */
  mac: string;
  macs: string[];
  vendor: string;
  /** Every MAC of the device is locally administered (randomised). */
  randomized: boolean;
  /** Best display name: mDNS name, DHCP host name, or ''. */
  name: string;
  ips: string[];
  addresses: (AddressRecord & { ip: string })[];
  first: number;
  last: number;
  clientIds: string[];
  /** Most frequent initial TTL, or 0. */
  ttl: number;
  roles: DeviceRole[];
}

export interface InventoryOptions {
  /** Home networks (CIDRs): addresses inside them are on the local segment. */
  homeNets?: readonly string[];
  maxMacs?: number;
  /** Classification rules (default: the shipped data/devices/rules.json). */
  rules?: DeviceRuleSet;
}

const LIST_CAP = 16;
const IP_CAP = 32;
/** Link-local, private and unique-local space (util/ip's special-purpose table): what a home segment's own addresses are. */
const LOCAL_CLASSES: ReadonlySet<IpClass | null> = new Set<IpClass>(['private', 'link-local', 'unique-local']);
/** Host names too common to identify one device. */
const GENERIC_NAMES = new Set(['android', 'localhost', 'iphone', 'ipad', 'unknown', 'espressif', 'host', 'client', 'device', 'null', '']);

/** True for private, link-local and ULA addresses (a home segment's own), with no inventory at hand. */
export function isLocalAddress(ip: string): boolean {
  return LOCAL_CLASSES.has(classifyIp(ip));
}

export function normalizeMac(mac: string): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  return hex.length === 12 ? hex.replace(/(..)(?!$)/g, '$1:') : '';
}

function cleanName(name: string): string {
  // "black-pearl [b8:27:eb:c7:e9:c9]": the _workstation instance convention appends the MAC
  return name.trim().replace(/\.$/, '').replace(/\.local$/i, '').replace(/\s*\[[0-9a-f:]{17}\]$/i, '').slice(0, 64);
}

function addTo(list: string[], value: string, cap = LIST_CAP): boolean {
  if (value === '' || list.includes(value) || list.length >= cap) return false;
  list.push(value);
  return true;
}

function emptyRecord(mac: string, ts: number): MacRecord {
  return {
    mac, first: ts, last: ts, ips: {}, hostnames: [], dhcpParams: [], vendorClasses: [], clientIds: [],
    mdnsNames: [], mdnsServices: [], mdnsModels: [], ssdp: [], userAgents: [], ja3: [], ja4: [], ttl: {}, roles: [],
  };
}

const LIST_KEYS = ['hostnames', 'dhcpParams', 'vendorClasses', 'clientIds', 'mdnsNames', 'mdnsServices', 'mdnsModels', 'ssdp', 'userAgents', 'ja3', 'ja4', 'roles'] as const;

export function initialTtl(ttl: number): number {
  return ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

export class Inventory {
  private readonly macs = new Map<string, MacRecord>();
  /** Address → MAC, from ARP, DHCP and NDP (the local segment's own answers). */
  private readonly ipToMac = new Map<string, string>();
  /** Set once the segment tied a non-local IPv4 address to a MAC: until then isLocalIpv4 needs no text. */
  private ownsOtherIpv4 = false;
  private readonly homeNets: Cidr[];
  private readonly maxMacs: number;
  private rules: DeviceRuleSet | undefined;
  private changes = 0;
  /** Address → inside the home/local ranges (bounded; the ranges never change). */
  private readonly rangeCache = new Map<string, boolean>();
  private cache: { at: number; devices: Device[]; byMac: Map<string, Device> } | null = null;

  constructor(opts: InventoryOptions = {}) {
    this.homeNets = (opts.homeNets ?? []).map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null);
    this.maxMacs = opts.maxMacs ?? 4096;
    this.rules = opts.rules;
  }

  get size(): number {
    return this.macs.size;
  }

  setRules(rules: DeviceRuleSet): void {
    this.rules = rules;
    this.changes++;
  }

  /** True when the address belongs on the local segment: learned from ARP/DHCP/NDP, in --home-net, or private/link-local. */
  isLocal(ip: string): boolean {
    if (this.ipToMac.has(ip)) return true;
    let v = this.rangeCache.get(ip);
    if (v === undefined) {
      const p = parseIp(ip);
      v = p !== null && (this.homeNets.some((c) => cidrContains(c, p)) || LOCAL_CLASSES.has(classifyIp(ip)));
      if (this.rangeCache.size >= 8192) this.rangeCache.clear();
      this.rangeCache.set(ip, v);
    }
    return v;
  }

  /**
   * isLocal for an IPv4 address as an integer: private and link-local space and --home-net are
   * decided on the integer, so a flood of remote sources makes no address text.
   */
  isLocalIpv4(n: number, text: (n: number) => string): boolean {
    if (LOCAL_CLASSES.has(classifyIpv4(n))) return true;
    for (const c of this.homeNets) if (c.version === 4 && cidrContainsIpv4(c, n)) return true;
    return this.ownsOtherIpv4 && this.ipToMac.has(text(n));
  }

  /** The MAC the segment said owns this address (ARP, DHCP, NDP), if any. */
  macForIp(ip: string): string | undefined {
    return this.ipToMac.get(ip);
  }

  private record(mac: string, ts: number): MacRecord | null {
    // fast path: the pipeline's MAC text is already canonical
    const known = this.macs.get(mac);
    if (known) {
      if (ts > known.last) known.last = ts;
      else if (ts < known.first) known.first = ts;
      return known;
    }
    const m = normalizeMac(mac);
    if (m === '' || isGroupMac(m) || m === '00:00:00:00:00:00') return null;
    let r = this.macs.get(m);
    if (!r) {
      if (this.macs.size >= this.maxMacs) this.evictOldest();
      r = emptyRecord(m, ts);
      this.macs.set(m, r);
      this.changes++;
    }
    if (ts < r.first) r.first = ts;
    if (ts > r.last) r.last = ts;
    return r;
  }

  private evictOldest(): void {
    let oldest: MacRecord | null = null;
    for (const r of this.macs.values()) if (!oldest || r.last < oldest.last) oldest = r;
    if (!oldest) return;
    this.macs.delete(oldest.mac);
    for (const ip of Object.keys(oldest.ips)) if (this.ipToMac.get(ip) === oldest.mac) this.ipToMac.delete(ip);
  }

  private add(r: MacRecord | null, key: (typeof LIST_KEYS)[number], value: string): void {
    if (r && addTo(r[key] as string[], value)) this.changes++;
  }

  /** An address the segment tied to this MAC (ARP sender, DHCP lease, NDP advertisement), or seen in its traffic. */
  observeAddress(mac: string, ip: string, via: AddressSource, tsUs: number): void {
    if (ip === '' || ip === '0.0.0.0' || ip === '::') return;
    const r = this.record(mac, tsUs);
    if (!r) return;
    if (via !== 'traffic') {
      this.ipToMac.set(ip, r.mac);
      if (!this.ownsOtherIpv4 && !ip.includes(':') && !LOCAL_CLASSES.has(classifyIp(ip))) this.ownsOtherIpv4 = true;
    }
    const a = r.ips[ip];
    if (a) {
      if (tsUs < a.first) a.first = tsUs;
      if (tsUs > a.last) a.last = tsUs;
      if (a.via === 'traffic' && via !== 'traffic') a.via = via;
      return;
    }
    if (Object.keys(r.ips).length >= IP_CAP) return;
    r.ips[ip] = { first: tsUs, last: tsUs, via };
    this.changes++;
  }

  /** A DHCP client's request: host name (option 12), client FQDN (81, its host label), option 55 in order, vendor class (60), client id (61). */
  observeDhcpClient(mac: string, f: { hostname: string; parameterList: readonly number[]; vendorClass: string; clientId: string; fqdn?: string }, tsUs: number): void {
    const r = this.record(mac, tsUs);
    if (!r) return;
    this.add(r, 'hostnames', cleanName(f.hostname));
    if (f.fqdn) this.add(r, 'hostnames', cleanName(f.fqdn.split('.', 1)[0]));
    if (f.parameterList.length > 0) this.add(r, 'dhcpParams', f.parameterList.join(','));
    this.add(r, 'vendorClasses', f.vendorClass.slice(0, 80));
    this.add(r, 'clientIds', f.clientId.slice(0, 80).toLowerCase());
  }

  observeHostname(mac: string, name: string, tsUs: number): void {
    this.add(this.record(mac, tsUs), 'hostnames', cleanName(name));
  }

  /** What a device announced over mDNS about itself: host names, service types, instances, model. */
  observeMdns(mac: string, h: { hostnames: readonly string[]; serviceTypes: readonly string[]; instances: readonly string[]; model: string }, tsUs: number): void {
    const r = this.record(mac, tsUs);
    if (!r) return;
    for (const n of h.hostnames) this.add(r, 'mdnsNames', cleanName(n));
    for (const s of h.serviceTypes) this.add(r, 'mdnsServices', s.toLowerCase().replace(/\.local\.?$/, ''));
    for (const i of h.instances) {
      // "Living Room._googlecast._tcp.local": the instance label is a name the owner sees
      const label = i.split('._', 1)[0];
      if (label && label !== i) this.add(r, 'mdnsNames', cleanName(label));
      const type = /(_[^.]+\._(?:tcp|udp))/i.exec(i);
      if (type) this.add(r, 'mdnsServices', type[1].toLowerCase());
    }
    this.add(r, 'mdnsModels', h.model.slice(0, 80));
  }

  /** SSDP/UPnP announcement strings (SERVER, USN/NT/ST device types). */
  observeSsdp(mac: string, strings: readonly string[], tsUs: number): void {
    const r = this.record(mac, tsUs);
    for (const s of strings) this.add(r, 'ssdp', s.slice(0, 160));
  }

  observeUserAgent(mac: string, ua: string, tsUs: number): void {
    this.add(this.record(mac, tsUs), 'userAgents', ua.slice(0, 256));
  }

  observeTls(mac: string, ja3: string, ja4: string, tsUs: number): void {
    const r = this.record(mac, tsUs);
    this.add(r, 'ja3', ja3);
    this.add(r, 'ja4', ja4);
  }

  /** The IP TTL of a packet this MAC originated (counted by the initial TTL it implies). */
  observeTtl(mac: string, ttl: number, tsUs: number): void {
    const r = this.record(mac, tsUs);
    if (!r || ttl <= 0) return;
    const k = String(initialTtl(ttl));
    if (r.ttl[k] === undefined) this.changes++;
    r.ttl[k] = (r.ttl[k] ?? 0) + 1;
  }

  observeRole(mac: string, role: DeviceRole, tsUs: number): void {
    this.add(this.record(mac, tsUs), 'roles', role);
  }

  /** Plain JSON, canonical (sorted), for persistence and for merging across workers. */
  exportState(): InventoryState {
    const macs = [...this.macs.values()].sort((a, b) => (a.mac < b.mac ? -1 : 1)).map((r) => {
      const out = { ...r, ips: Object.fromEntries(Object.entries(r.ips).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { ...v }])), ttl: { ...r.ttl } } as MacRecord;
      for (const k of LIST_KEYS) (out[k] as string[]) = [...r[k]].sort();
      return out;
    });
    return { version: 1, macs };
  }

  /** Adds a state (exported here or by another inventory) to this one. */
  importState(state: InventoryState): void {
    if (!state || state.version !== 1 || !Array.isArray(state.macs)) return;
    for (const m of state.macs) {
      const r = this.record(m.mac, m.first);
      if (!r) continue;
      if (m.last > r.last) r.last = m.last;
      for (const [ip, a] of Object.entries(m.ips ?? {})) {
        this.observeAddress(r.mac, ip, a.via, a.first);
        this.observeAddress(r.mac, ip, a.via, a.last);
      }
      for (const k of LIST_KEYS) {
        const merged = [...new Set([...(r[k] as string[]), ...((m[k] as string[] | undefined) ?? [])])].sort().slice(0, LIST_CAP);
        if (merged.length !== r[k].length) this.changes++;
        (r[k] as string[]) = merged;
      }
      for (const [k, n] of Object.entries(m.ttl ?? {})) r.ttl[k] = (r.ttl[k] ?? 0) + n;
    }
    this.changes++;
  }

  merge(other: Inventory): void {
    this.importState(other.exportState());
  }

  /**
   * The devices, grouped and classified (cached until the next observation that changes
   * something; `fresh`: rebuilt now, so last-seen times that moved without a change are current).
   */
  devices(fresh = false): Device[] {
    if (fresh) this.changes++;
    return this.view().devices;
  }

  /** The device a MAC belongs to. */
  deviceOfMac(mac: string): Device | undefined {
    return this.view().byMac.get(normalizeMac(mac));
  }

  /** The device at a local address (by the segment's own ARP/DHCP/NDP answers, or a given MAC). */
  deviceAt(ip: string, mac?: string): Device | undefined {
    const m = this.ipToMac.get(ip) ?? mac;
    return m ? this.deviceOfMac(m) : undefined;
  }

  private view(): { devices: Device[]; byMac: Map<string, Device> } {
    if (this.cache && this.cache.at === this.changes) return this.cache;
    const devices = groupDevices([...this.macs.values()], this.rules);
    const byMac = new Map<string, Device>();
    for (const d of devices) for (const m of d.macs) byMac.set(m, d);
    this.cache = { at: this.changes, devices, byMac };
    return this.cache;
  }
}

/** Identity keys of a MAC's record: what a randomised MAC can be matched by. */
function identityKeys(r: MacRecord): string[] {
  const keys: string[] = [];
  for (const c of r.clientIds) {
    // a client id of type 1 that is just the (randomised) MAC itself names nothing beyond it
    if (c.replace(/^01/, '') !== r.mac.replace(/:/g, '')) keys.push(`cid:${c}`);
  }
  // a DHCP host name and an mDNS name are one namespace: iOS announces its DHCP name over mDNS
  for (const n of [...r.mdnsNames, ...r.hostnames]) if (!GENERIC_NAMES.has(n.toLowerCase())) keys.push(`name:${n.toLowerCase()}`);
  return [...new Set(keys)];
}

/** Two records may be one device only when their DHCP option 55 lists agree (or one has none). */
function paramsCompatible(a: MacRecord, b: MacRecord): boolean {
  if (a.dhcpParams.length === 0 || b.dhcpParams.length === 0) return true;
  return a.dhcpParams.some((p) => b.dhcpParams.includes(p));
}

function groupDevices(records: MacRecord[], rules: DeviceRuleSet | undefined): Device[] {
  records = [...records].sort((a, b) => (a.mac < b.mac ? -1 : 1));
  const parent = records.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const byKey = new Map<string, number[]>();
  records.forEach((r, i) => {
    for (const k of identityKeys(r)) {
      const list = byKey.get(k) ?? [];
      list.push(i);
      byKey.set(k, list);
    }
  });
  for (const list of byKey.values()) {
    for (let x = 1; x < list.length; x++) {
      const a = records[list[0]];
      const b = records[list[x]];
      // burned-in MACs are distinct devices whatever their names; a randomised one joins its twin
      if (!isLocallyAdministered(a.mac) && !isLocallyAdministered(b.mac)) continue;
      if (!paramsCompatible(a, b)) continue;
      parent[find(list[x])] = find(list[0]);
    }
  }
  const groups = new Map<number, MacRecord[]>();
  records.forEach((r, i) => {
    const g = find(i);
    const list = groups.get(g) ?? [];
    list.push(r);
    groups.set(g, list);
  });
  const out: Device[] = [];
  for (const members of groups.values()) out.push(buildDevice(members, rules));
  out.sort((a, b) => a.first - b.first || (a.id < b.id ? -1 : 1));
  return out;
}

function union(members: MacRecord[], key: (typeof LIST_KEYS)[number]): string[] {
  return [...new Set(members.flatMap((m) => m[key] as string[]))].sort();
}

function buildDevice(members: MacRecord[], rules: DeviceRuleSet | undefined): Device {
  const macs = members.map((m) => m.mac).sort();
  const burned = macs.filter((m) => !isLocallyAdministered(m));
  const latest = members.reduce((a, b) => (b.last > a.last ? b : a));
  const keys = [...new Set(members.flatMap(identityKeys))].sort((a, b) => keyRank(a) - keyRank(b) || (a < b ? -1 : 1));
  const anchor = burned[0] ?? keys[0] ?? macs[0];
  const id = `dev-${createHash('sha256').update(anchor).digest('hex').slice(0, 12)}`;
  const addresses = members.flatMap((m) => Object.entries(m.ips).map(([ip, a]) => ({ ip, ...a }))).sort((a, b) => a.first - b.first || (a.ip < b.ip ? -1 : 1));
  const ttlCounts = new Map<number, number>();
  for (const m of members) for (const [k, n] of Object.entries(m.ttl)) ttlCounts.set(Number(k), (ttlCounts.get(Number(k)) ?? 0) + n);
  let ttl = 0;
  let best = 0;
  for (const [k, n] of [...ttlCounts].sort((a, b) => a[0] - b[0])) if (n > best) { best = n; ttl = k; }
  const hostnames = union(members, 'hostnames');
  const mdnsNames = union(members, 'mdnsNames');
  const vendor = burned.length > 0 ? lookupVendor(burned[0]) : '';
  const base = {
    id, mac: latest.mac, macs, vendor, randomized: burned.length === 0,
    name: mdnsNames.find((n) => !GENERIC_NAMES.has(n.toLowerCase())) ?? hostnames[0] ?? '',
    hostnames: [...new Set([...hostnames, ...mdnsNames])].sort(),
    ips: [...new Set(addresses.map((a) => a.ip))],
    addresses,
    first: Math.min(...members.map((m) => m.first)),
    last: Math.max(...members.map((m) => m.last)),
    dhcpParams: union(members, 'dhcpParams'),
    vendorClasses: union(members, 'vendorClasses'),
    clientIds: union(members, 'clientIds'),
    mdnsServices: union(members, 'mdnsServices'),
    mdnsModels: union(members, 'mdnsModels'),
    ssdp: union(members, 'ssdp'),
    userAgents: union(members, 'userAgents'),
    ja3: union(members, 'ja3'),
    ja4: union(members, 'ja4'),
    ttl,
    roles: union(members, 'roles') as DeviceRole[],
  };
  return { ...base, ...classify(base, rules) };
}

function keyRank(k: string): number {
  return k.startsWith('cid:') ? 0 : 1;
}
