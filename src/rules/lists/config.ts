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
import { readFileSync } from 'node:fs';
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

export class ListsConfigError extends Error {}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

/** Read and validate a config file; relative list paths are relative to the file. */
export function readListsConfig(path: string): ListsConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code) throw err;
    throw new ListsConfigError(`${path}: not valid JSON (${err.message})`);
  }
  const parsed = ListsConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ListsConfigError(`${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const base = dirname(resolve(path));
  const cfg = parsed.data;
  return {
    ...cfg,
    cacheDir: cfg.cacheDir ? resolve(base, expandHome(cfg.cacheDir)) : undefined,
    lists: cfg.lists?.map((l) => ({ ...l, path: resolve(base, expandHome(l.path)) })),
  };
}
