/**
 * Starts a worker thread whatever form the program runs in:
 * - bundled (`npm run build` writes dist/bundle/: one file per entry point, which is what
 *   the `minewatch` command runs, plus shared code split into dist/bundle/chunks/ so that a
 *   command loads only what it runs; a few files load in a fraction of the time of ~150
 *   modules, and a worker pays that start-up while the reader is waiting for it): the worker
 *   is the entry bundle `<bundle>.js` in dist/bundle;
 * - compiled module by module (dist/src, what the tests import): `<name>.js` beside the caller;
 * - from source under tsx (tests of src/): `<name>.ts` beside the caller, after registering
 *   tsx's loader in the worker.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';

/** Set to true by the bundler (esbuild --define), absent otherwise. */
declare const MINEWATCH_BUNDLE: boolean | undefined;
/** Where the bundler puts shared chunks, under dist/bundle (package.json "bundle": --chunk-names). */
const BUNDLE_CHUNK_DIR = 'chunks';

/**
 * @param callerUrl the caller's import.meta.url
 * @param name the worker module's base name beside the caller, without extension ("worker")
 * @param bundle the worker's bundle name in dist/bundle ("analyze-worker")
 */
export function startWorker(callerUrl: string, name: string, bundle: string, workerData: unknown, transferList: TransferListItem[] = []): Worker {
  if (typeof MINEWATCH_BUNDLE !== 'undefined' && MINEWATCH_BUNDLE) {
    // In a bundle a module's import.meta.url is the file it was bundled into: an entry
    // bundle in dist/bundle, or a shared chunk in dist/bundle/chunks (BUNDLE_CHUNK_DIR).
    const entryDir = callerUrl.includes(`/${BUNDLE_CHUNK_DIR}/`) ? '../' : './';
    return new Worker(new URL(`${entryDir}${bundle}.js`, callerUrl), { workerData, transferList });
  }
  const fromSource = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, callerUrl);
  return fromSource
    ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData, transferList })
    : new Worker(url, { workerData, transferList });
}

/** What every partition worker posts: its own messages, or its failure. */
export type WorkerFailure = { type: 'error'; message: string; name: string };

/**
 * Settles when a worker thread has delivered its result: `onMessage` handles each message
 * and returns true for the final one (the thread's own teardown then overlaps the caller's
 * work instead of delaying it). Rejects on a posted failure, a thread error, or an exit
 * before the result; `onFailure` runs first (e.g. to stop feeding the other threads).
 */
export function superviseWorker<M extends { type: string }>(
  worker: Worker, label: string, onMessage: (m: M) => boolean, onFailure: () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      onFailure();
      reject(err);
    };
    worker.on('message', (m: M | WorkerFailure) => {
      if (settled) return;
      if (m.type === 'error') {
        const f = m as WorkerFailure;
        fail(Object.assign(new Error(f.message), { name: f.name }));
      } else if (onMessage(m as M)) {
        settled = true;
        resolve();
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${label} exited with code ${code}`)));
  });
}
