/**
 * Serves the dashboard (the Vite build in dist/web/, src/web/) at `/`. Only the files the
 * build wrote are routed (no wildcard), so unknown paths, /api/ included, still get the
 * API's JSON 404. The app uses hash routes, so no fallback to index.html is needed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** dist/web next to the running code (dist/src/server/ or dist/bundle/[chunks/]), or null when not built. */
export function findWebRoot(from = dirname(fileURLToPath(import.meta.url))): string | null {
  let d = from;
  for (let i = 0; i < 5; i++) {
    for (const c of [join(d, 'web'), join(d, 'dist', 'web')]) if (existsSync(join(c, 'index.html'))) return c;
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  return null;
}

export async function registerWeb(app: FastifyInstance, root: string): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: ['index.html'],
    // the build writes .br/.gz beside each file (vite.config.ts): sent to browsers that accept them
    preCompressed: true,
    setHeaders: (res, path) => {
      // hashed asset names never change; index.html must be revalidated
      res.header('cache-control', /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
    cacheControl: false,
  });
}
