/**
 * Starts a worker thread from a module next to the caller, whether the caller runs compiled
 * (dist/…/x.js) or from source under tsx (tests: …/x.ts), where the worker must register
 * tsx's loader before importing its TypeScript entry.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';

/**
 * @param callerUrl the caller's import.meta.url
 * @param name the worker module's base name beside the caller, without extension ("worker")
 */
export function startWorker(callerUrl: string, name: string, workerData: unknown, transferList: TransferListItem[] = []): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, callerUrl);
  return fromSource
    ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData, transferList })
    : new Worker(url, { workerData, transferList });
}
