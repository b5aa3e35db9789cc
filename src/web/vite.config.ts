/**
 * The dashboard's own build: `vite build --config src/web/vite.config.ts` bundles the
 * single-page app (TypeScript modules, CSS, echarts) into dist/web/. Everything is bundled;
 * nothing is loaded from a CDN at run time. `minewatch server` serves dist/web/ at `/`.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
});
