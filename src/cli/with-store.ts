/** Runs `fn` on the collector store named by the command's `--db` option (or the default database), closing it after. */
import type { Command } from 'commander';
import type { Store } from '../store/open.js';

export async function withStore<T>(cmd: Command, fn: (store: Store) => Promise<T>): Promise<T> {
  const { openStore, parseDatabaseUrl } = await import('../store/open.js');
  const db = (cmd.optsWithGlobals() as { db?: string }).db;
  const store = await openStore(parseDatabaseUrl(db));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
