/**
 * `minewatch lists update`: refresh configured list sources over HTTP(S) into a cache dir.
 * Conditional requests (ETag / If-Modified-Since), integrity checks (parses as the declared
 * format, not empty, optional minimum entry count, optional sha256 pin, no shrink over 50 %
 * without force), atomic replace (write temp, rename), and one report line per source. Each
 * source is fetched under its own connect/idle/total timeouts with checked redirects
 * (lists/fetch.ts); a source that fails keeps its cached list and never stops the others.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { guardedFetch } from './fetch.js';
import { parseList } from './parse.js';
import { entryCount, type ListFormat } from './types.js';
import type { ListRole } from './intel.js';

export interface ListSourceConfig {
  /** File-system safe name; also the provenance name in alerts. */
  name: string;
  url: string;
  format: ListFormat;
  kind?: string;
  role?: ListRole;
  /** Expected sha256 (hex) of the body: for pinned snapshots. */
  sha256?: string;
  /** Fail when fewer entries parse. */
  minEntries?: number;
}

export interface UpdateOptions {
  cacheDir: string;
  force?: boolean;
  /** Whole fetch of one source, redirects and body included (default 30 s). */
  timeoutMs?: number;
  /** Until the response headers (default min(10 s, timeoutMs)). */
  connectTimeoutMs?: number;
  /** Longest pause between body bytes (default min(10 s, timeoutMs)). */
  idleTimeoutMs?: number;
  /** Redirect hops followed (default 5). */
  maxRedirects?: number;
  maxBytes?: number;
}

export type UpdateStatus = 'updated' | 'not-modified' | 'failed';

export interface UpdateResult {
  name: string;
  url: string;
  status: UpdateStatus;
  reason?: string;
  entriesBefore: number | null;
  entriesAfter: number | null;
  sha256?: string;
}

interface CacheMeta {
  url: string;
  format: ListFormat;
  etag?: string;
  lastModified?: string;
  sha256: string;
  entries: number;
  fetchedAt: string;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'minewatch', 'lists');
}

export function cachedListPath(cacheDir: string, name: string): string {
  return join(cacheDir, `${name}.list`);
}

function metaPath(cacheDir: string, name: string): string {
  return join(cacheDir, `${name}.meta.json`);
}

function readMeta(cacheDir: string, name: string): CacheMeta | null {
  try {
    return JSON.parse(readFileSync(metaPath(cacheDir, name), 'utf8')) as CacheMeta;
  } catch {
    return null;
  }
}

/**
 * Fetches one source and replaces its cached copy when the new list passes every check.
 * Never throws: any failure (network, timeout, refused redirect, bad content, disk) is a
 * 'failed' result, and the cached list stays as it was.
 */
export async function updateSource(src: ListSourceConfig, opts: UpdateOptions): Promise<UpdateResult> {
  try {
    return await updateSourceUnsafe(src, opts);
  } catch (e) {
    return { name: src.name, url: src.url, status: 'failed', reason: `unexpected error: ${(e as Error).message}`, entriesBefore: null, entriesAfter: null };
  }
}

async function updateSourceUnsafe(src: ListSourceConfig, opts: UpdateOptions): Promise<UpdateResult> {
  const result: UpdateResult = { name: src.name, url: src.url, status: 'failed', entriesBefore: null, entriesAfter: null };
  const fail = (reason: string): UpdateResult => ({
    ...result, status: 'failed', reason: result.entriesBefore !== null ? `${reason}; cached list kept (${result.entriesBefore} entries)` : reason,
  });
  if (!SAFE_NAME.test(src.name)) return fail('source name must be letters, digits, ".", "_" or "-"');
  if (!/^https?:\/\//i.test(src.url)) return fail('only http:// and https:// URLs are supported');
  mkdirSync(opts.cacheDir, { recursive: true });
  const meta = readMeta(opts.cacheDir, src.name);
  const cached = existsSync(cachedListPath(opts.cacheDir, src.name));
  const usable = meta && cached && meta.url === src.url && meta.format === src.format;
  result.entriesBefore = usable ? meta.entries : null;

  const headers: Record<string, string> = { 'user-agent': 'minewatch-lists-update' };
  if (usable && !opts.force) {
    if (meta.etag) headers['if-none-match'] = meta.etag;
    if (meta.lastModified) headers['if-modified-since'] = meta.lastModified;
  }
  const total = opts.timeoutMs ?? 30_000;
  const res = await guardedFetch(src.url, {
    headers, totalTimeoutMs: total, connectTimeoutMs: opts.connectTimeoutMs ?? Math.min(10_000, total),
    idleTimeoutMs: opts.idleTimeoutMs ?? Math.min(10_000, total), maxRedirects: opts.maxRedirects ?? 5, maxBytes: opts.maxBytes ?? 32 * 1024 * 1024,
  });
  if (!res.ok) return fail(res.url !== src.url ? `${res.reason} (at ${res.url})` : res.reason);
  if (res.status === 304 && usable) {
    return { ...result, status: 'not-modified', entriesAfter: meta.entries, sha256: meta.sha256 };
  }
  if (res.status < 200 || res.status >= 300) return fail(`HTTP ${res.status}`);
  const body = res.body;
  const header = (name: string): string | undefined => {
    const v = res.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (src.sha256 && src.sha256.toLowerCase() !== sha256) return fail(`sha256 mismatch: expected ${src.sha256.toLowerCase()}, got ${sha256}`);
  const text = Buffer.from(body).toString('utf8');
  // Captive portals and moved pages answer 200 with HTML; no list format starts like that.
  if (/^\s*(<!doctype html|<html|<\?xml)/i.test(text)) return fail(`got an HTML/XML page, not a ${src.format} list`);
  const parsed = parseList(src.format, text, { name: src.name, kind: src.kind ?? 'unknown' });
  const entries = entryCount(parsed);
  const structural = parsed.skipped.get('comment') + parsed.skipped.get('blank') + parsed.skipped.get('header');
  const candidates = parsed.lines - structural;
  if (entries === 0) return fail(`no entries parse as ${src.format}`);
  if (candidates > 0 && parsed.acceptedLines < candidates * 0.5) {
    return fail(`does not look like ${src.format}: only ${parsed.acceptedLines} of ${candidates} lines parsed`);
  }
  // Adblock syntax accepts almost any line as a URL pattern: require its header or host rules.
  if (src.format === 'adblock' && !text.startsWith('[Adblock') && parsed.domains.length + parsed.ips.length + parsed.allowDomains.length === 0) {
    return fail('does not look like adblock: no [Adblock] header and no ||host^ rules');
  }
  if (src.minEntries !== undefined && entries < src.minEntries) return fail(`${entries} entries, fewer than the minimum ${src.minEntries}`);
  if (result.entriesBefore !== null && entries < result.entriesBefore * 0.5 && !opts.force) {
    return { ...fail(`shrunk from ${result.entriesBefore} to ${entries} entries (more than 50 %); re-run with --force to accept`), entriesAfter: entries };
  }
  writeFileAtomic(cachedListPath(opts.cacheDir, src.name), body);
  const newMeta: CacheMeta = {
    url: src.url, format: src.format, sha256, entries, fetchedAt: new Date().toISOString(),
    etag: header('etag'), lastModified: header('last-modified'),
  };
  writeFileAtomic(metaPath(opts.cacheDir, src.name), JSON.stringify(newMeta, null, 2));
  if (usable && meta.sha256 === sha256) return { ...result, status: 'not-modified', entriesAfter: entries, sha256 };
  return { ...result, status: 'updated', entriesAfter: entries, sha256 };
}

/** Update all sources one after another (lists are few; sequential keeps load polite). */
export async function updateLists(sources: readonly ListSourceConfig[], opts: UpdateOptions): Promise<UpdateResult[]> {
  const out: UpdateResult[] = [];
  for (const s of sources) out.push(await updateSource(s, opts));
  return out;
}

export function formatUpdateReport(results: readonly UpdateResult[]): string {
  const lines = results.map((r) => {
    const counts = `${r.entriesBefore ?? '-'} → ${r.entriesAfter ?? '-'} entries`;
    return `${r.name}: ${r.status}${r.reason ? `: ${r.reason}` : ''} (${counts})`;
  });
  const failed = results.filter((r) => r.status === 'failed').length;
  lines.push(`${results.length} sources: ${results.length - failed} ok, ${failed} failed`);
  return lines.join('\n');
}
