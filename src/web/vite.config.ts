/**
 * The dashboard's own build: `vite build --config src/web/vite.config.ts` bundles the
 * single-page app (TypeScript modules, CSS, echarts) into dist/web/. Everything is bundled;
 * nothing is loaded from a CDN at run time. `minewatch server` serves dist/web/ at `/`.
 */
import { defineConfig, type Plugin } from 'vite';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../../dist/web', import.meta.url));

/** Writes .br and .gz beside every built file over 1 KiB; the server sends them to browsers that accept them (web.ts). */
function precompress(): Plugin {
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  return {
    name: 'minewatch-precompress',
    apply: 'build',
    closeBundle() {
      for (const f of walk(outDir)) {
        if (!/\.(js|css|html|json|svg)$/.test(f) || statSync(f).size < 1024) continue;
        const data = readFileSync(f);
        writeFileSync(`${f}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(`${f}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [precompress()],
  base: './',
  logLevel: 'warn',
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
});
