/**
 * The lists configuration file (JSON):
 * {
 *   "includeDefault": true,
 *   "cacheDir": "~/.cache/minewatch/lists",
 *   "lists":   [ { "path": "my-pools.txt", "format": "domains", "kind": "pool", "role": "block" } ],
 *   "sources": [ { "name": "nocoin", "url": "https://…/nocoin.txt", "format": "adblock",
 *                  "kind": "browser-miner", "minEntries": 100, "sha256": "…" } ]
 * }
 * Validated with zod; mistakes come back as one readable message.
 */
import { readJsonConfig } from '../../util/config.js';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { LIST_FORMATS } from './types.js';

const Role = z.enum(['block', 'allow']);
const Format = z.enum(LIST_FORMATS);

export const ListsConfigSchema = z.object({
  includeDefault: z.boolean().optional(),
  cacheDir: z.string().optional(),
  lists: z.array(z.object({
    path: z.string().min(1),
    format: Format.optional(),
    name: z.string().optional(),
    kind: z.string().optional(),
    role: Role.optional(),
  }).strict()).optional(),
  sources: z.array(z.object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-"'),
    url: z.string().regex(/^https?:\/\//i, 'an http:// or https:// URL'),
    format: Format,
    kind: z.string().optional(),
    role: Role.optional(),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex digits').optional(),
    minEntries: z.number().int().nonnegative().optional(),
  }).strict()).optional(),
}).strict();

export type ListsConfig = z.infer<typeof ListsConfigSchema>;

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

/**
 * Read and validate a config file (a ConfigError naming the file and the first problem when it is
 * missing, not JSON or fails the schema); relative list paths are relative to the file.
 */
export function readListsConfig(path: string, option?: string): ListsConfig {
  const cfg = readJsonConfig(path, ListsConfigSchema, option);
  const base = dirname(resolve(path));
  return {
    ...cfg,
    cacheDir: cfg.cacheDir ? resolve(base, expandHome(cfg.cacheDir)) : undefined,
    lists: cfg.lists?.map((l) => ({ ...l, path: resolve(base, expandHome(l.path)) })),
  };
}
