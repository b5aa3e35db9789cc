/**
 * Loading intel: the default lists shipped in data/lists/, plus lists the user configures
 * (files, and cached copies fetched by `minewatch lists update`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListIntel, type ListRole } from './intel.js';
import { detectListFormat, parseList } from './parse.js';
import type { ListFormat } from './types.js';
import { cachedListPath, defaultCacheDir, type ListSourceConfig } from './update.js';
import type { ListsConfig } from './config.js';

/** data/ of the package, found from this file in src/ (tsx) or dist/src/ (compiled). */
export function packageDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'data'))) return join(dir, 'data');
    dir = dirname(dir);
  }
  throw new Error('minewatch data/ directory not found next to package.json');
}

export const DEFAULT_LISTS: readonly { file: string; kind: string; format: ListFormat }[] = [
  { file: 'minewatch-pools.txt', kind: 'pool', format: 'domains' },
  { file: 'minewatch-browser-miners.txt', kind: 'browser-miner', format: 'domains' },
];

export interface ListFileConfig {
  path: string;
  /** Detected from the content when absent. */
  format?: ListFormat;
  /** Provenance name; defaults to the file name. */
  name?: string;
  kind?: string;
  role?: ListRole;
}

export interface IntelConfig {
  /** Load the shipped default lists (default true). */
  includeDefault?: boolean;
  lists?: ListFileConfig[];
  /** Use cached copies of these update sources, when present in cacheDir. */
  sources?: ListSourceConfig[];
  cacheDir?: string;
}

export function loadListFile(intel: ListIntel, cfg: ListFileConfig): void {
  const text = readFileSync(cfg.path, 'utf8');
  const format = cfg.format ?? detectListFormat(text);
  const parsed = parseList(format, text, { name: cfg.name ?? basename(cfg.path), kind: cfg.kind ?? 'unknown' });
  intel.addList(parsed, cfg.role ?? 'block');
}

export function loadDefaultIntel(): ListIntel {
  return loadIntel({ includeDefault: true });
}

/** The IntelConfig of a lists config file (readListsConfig) with the command line's overrides. */
export function intelConfigFrom(cfg: ListsConfig, overrides: { cacheDir?: string; includeDefault?: boolean; extraLists?: string[] } = {}): IntelConfig {
  return {
    includeDefault: overrides.includeDefault ?? cfg.includeDefault ?? true,
    lists: [...(cfg.lists ?? []), ...(overrides.extraLists ?? []).map((p) => ({ path: resolve(p) }))],
    sources: cfg.sources as ListSourceConfig[] | undefined,
    cacheDir: overrides.cacheDir ?? cfg.cacheDir ?? defaultCacheDir(),
  };
}

export function loadIntel(config: IntelConfig): ListIntel {
  const intel = new ListIntel();
  if (config.includeDefault !== false) {
    const dir = join(packageDataDir(), 'lists');
    for (const d of DEFAULT_LISTS) loadListFile(intel, { path: join(dir, d.file), format: d.format, kind: d.kind, name: `minewatch:${d.file}` });
  }
  for (const l of config.lists ?? []) loadListFile(intel, { ...l, path: resolve(l.path) });
  if (config.sources && config.cacheDir) {
    for (const s of config.sources) {
      const p = cachedListPath(config.cacheDir, s.name);
      if (existsSync(p)) loadListFile(intel, { path: p, format: s.format, name: s.name, kind: s.kind ?? 'unknown', role: s.role });
    }
  }
  return intel;
}

/** Well-known pool ports from data/lists/pool-ports.txt: port → note. */
export function loadPoolPorts(): Map<number, string> {
  const out = new Map<number, string>();
  const text = readFileSync(join(packageDataDir(), 'lists', 'pool-ports.txt'), 'utf8');
  for (const line of text.split('\n')) {
    const m = /^(\d{1,5})\t(.*)$/.exec(line.trim());
    if (m && Number(m[1]) <= 65535) out.set(Number(m[1]), m[2]);
  }
  return out;
}
