/**
 * Locating ../shared/data. A user's clone does not have it: tests that need it skip with a
 * loud message — except under CI=true, where a missing data set fails the run.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  // Works from test/helpers (tsx) and from dist/test/helpers (compiled).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repository root not found');
}

export const REPO_ROOT = repoRoot();
export const SHARED_DATA = resolve(process.env.MINEWATCH_SHARED_DATA ?? join(REPO_ROOT, '..', 'shared', 'data'));
export const HAVE_SHARED_DATA = existsSync(join(SHARED_DATA, 'SOURCES.md'));

/** Path to a file under shared/data. */
export function sharedFile(rel: string): string {
  return join(SHARED_DATA, rel);
}

/**
 * The `skip` option for a test that needs shared data: false when present; a message when
 * absent (printed loudly); throws under CI=true so CI cannot pass without the data.
 */
export function needSharedData(): false | string {
  if (HAVE_SHARED_DATA) return false;
  const msg = `shared test data not found at ${SHARED_DATA} (set MINEWATCH_SHARED_DATA)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
  console.error(`\n*** SKIPPING: ${msg} ***\n`);
  return msg;
}
