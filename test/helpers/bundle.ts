/**
 * The bundled `minewatch` command (dist/bundle/main.js, package.json "bin") for tests that run
 * it as a user does: its path, and the `skip` option for when it has not been built.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
// dist/test/helpers → dist/bundle; test/helpers (tsx) → dist/bundle of the last build
export const BUNDLE = [resolve(here, '..', '..', 'bundle', 'main.js'), resolve(here, '..', '..', 'dist', 'bundle', 'main.js')].find((p) => existsSync(p));

/** false when the bundle exists; a message (printed) when not; throws under CI=true. */
export function bundleSkip(): string | false {
  if (BUNDLE) return false;
  const m = 'dist/bundle/main.js missing: run `npm run build` first';
  if (process.env.CI === 'true') throw new Error(m);
  console.warn(`SKIP: ${m}`);
  return m;
}
