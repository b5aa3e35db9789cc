/**
 * How the CLI prints an error: one line (the typed error's message), a stack trace only with
 * --debug. The error classes and the exit-code table are the one model in src/util/errors.ts.
 */
import { fromFsError, MinewatchError } from '../util/errors.js';

export function formatError(err: unknown, debug: boolean): string {
  if (debug && err instanceof Error && err.stack) return err.stack;
  const e = fromFsError(err);
  if (e instanceof MinewatchError) return oneLine(e.message);
  if (e instanceof Error) return oneLine(e.message);
  return oneLine(String(e));
}

function oneLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
