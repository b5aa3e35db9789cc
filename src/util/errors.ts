/**
 * The one error model. Library code below the CLI throws these typed errors; the CLI (and the
 * server) map the class to an exit code or an HTTP status, never the message text.
 *
 * - `code` is stable and machine-readable (`config.not-json`, `output.not-writable` …): tests
 *   and the API match on it.
 * - `subject` names the file, option, URL or field the error concerns, when there is one.
 * - The message is one line a user can act on: what is wrong and what to do.
 */

/** What kind of problem: the first four are the user's to fix (exit 2), the last is ours (exit 1). */
export type ErrorKind = 'usage' | 'input' | 'config' | 'output' | 'unavailable' | 'internal';

export interface ErrorOptions {
  /** The file, option, URL or field concerned. */
  subject?: string;
  cause?: unknown;
}

export class MinewatchError extends Error {
  readonly kind: ErrorKind;
  /** Stable id, `area.reason-with-dashes`. */
  readonly code: string;
  readonly subject?: string;

  constructor(kind: ErrorKind, code: string, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    if (options.subject !== undefined) this.subject = options.subject;
  }
}

/** A bad flag, argument or combination of them. */
export class UsageError extends MinewatchError {
  constructor(message: string, code = 'usage.invalid', options?: ErrorOptions) {
    super('usage', code, message, options);
  }
}

/** Input data (a capture, an event, a request body) that cannot be used. */
export class InputError extends MinewatchError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super('input', code, message, options);
  }
}

/** A configuration file or value that is missing, not parseable or fails its schema. */
export class ConfigError extends MinewatchError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super('config', code, message, options);
  }
}

/** An output that cannot be written (missing directory, permission, two outputs on stdout). */
export class OutputError extends MinewatchError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super('output', code, message, options);
  }
}

/** A service the user pointed us at (database, NATS, collector) that cannot be reached. */
export class UnavailableError extends MinewatchError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super('unavailable', code, message, options);
  }
}

/** A bug or an impossible state: ours to fix. */
export class InternalError extends MinewatchError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super('internal', code, message, options);
  }
}

/** File-system errors a user can fix (a wrong path, a permission), not bugs. */
const USER_FS_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS', 'ENOSPC', 'EEXIST']);

/** Exit code for a command: 2 for anything the user can fix, 1 for internal errors. */
export function exitCodeFor(err: unknown): 1 | 2 {
  if (err instanceof MinewatchError) return err.kind === 'internal' ? 1 : 2;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && USER_FS_CODES.has(code)) return 2;
  return 1;
}

/** The reader of a pipe went away (`minewatch … | head -1`): not an error, stop quietly. */
export const PIPE_CLOSED = 'output.pipe-closed';

export function isPipeClosed(err: unknown): boolean {
  if (err instanceof MinewatchError) return err.code === PIPE_CLOSED;
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/**
 * A file-system error as a typed error naming the file and what to do; anything else is
 * returned unchanged. `role` says what the file was for ("--suppress", "capture" …).
 */
export function fromFsError(err: unknown, role?: string): unknown {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!e || typeof e.code !== 'string' || err instanceof MinewatchError) return err;
  const path = e.path ?? '';
  const what = role ? `${role} ${path}` : path;
  switch (e.code) {
    case 'ENOENT': return new InputError('input.not-found', `${what}: no such file or directory`, { subject: path, cause: err });
    case 'EACCES': case 'EPERM': return new InputError('input.permission-denied', `${what}: permission denied`, { subject: path, cause: err });
    case 'EISDIR': return new InputError('input.is-directory', `${what}: is a directory, expected a file`, { subject: path, cause: err });
    case 'ENOTDIR': return new InputError('input.not-directory', `${what}: a part of the path is not a directory`, { subject: path, cause: err });
    default: return err;
  }
}
