/**
 * User-facing errors: one clear line, exit code 2; stack traces only with --debug.
 */
import { CaptureError } from '../capture/source.js';
import { MinewatchError } from '../util/errors.js';

/** A mistake the user can fix (bad flag, missing file, unusable input). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError || err instanceof CaptureError) return 2;
  if (err instanceof MinewatchError) return err.kind === 'internal' ? 1 : 2;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR') return 2;
  return 1;
}

export function formatError(err: unknown, debug: boolean): string {
  if (debug && err instanceof Error && err.stack) return err.stack;
  if (err instanceof Error) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' && e.path) return `no such file: ${e.path}`;
    if (e.code === 'EACCES' && e.path) return `permission denied: ${e.path}`;
    return err.message;
  }
  return String(err);
}
