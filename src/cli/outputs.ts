/**
 * One way for every command's outputs: `-` means stdout, at most one output may claim stdout,
 * every path is checked before any work starts (so a typo fails in a millisecond, not after a
 * one-hour scan), and files are written atomically (util/atomic-write.ts).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OutputError, UsageError } from '../util/errors.js';

export interface OutputTarget {
  /** The option that names it: '--json', '--csv' … */
  option: string;
  /** The path given, '-' for stdout, undefined when the option was not given. */
  path: string | undefined;
  /** A directory of several files (--csv): never stdout; created (one level) when missing. */
  dir?: boolean;
}

function statOrNull(path: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function checkWritableDir(option: string, path: string, dir: string): void {
  const st = statOrNull(dir);
  if (!st) throw new OutputError('output.no-directory', `${option} ${path}: directory ${dir} does not exist`, { subject: path });
  if (!st.isDirectory()) throw new OutputError('output.no-directory', `${option} ${path}: ${dir} is not a directory`, { subject: path });
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new OutputError('output.not-writable', `${option} ${path}: directory ${dir} is not writable`, { subject: path });
  }
}

/**
 * Checks every given output before any work: UsageError when two claim stdout or one file is
 * named twice, OutputError when a path cannot be written (missing or read-only directory, a
 * directory where a file is expected).
 */
export function checkOutputs(targets: readonly OutputTarget[]): void {
  const given = targets.filter((t): t is OutputTarget & { path: string } => t.path !== undefined);
  const stdout = given.filter((t) => t.path === '-');
  for (const t of given) {
    if (t.path === '') throw new UsageError(`${t.option}: give a file name, or - for stdout`, 'usage.empty-path', { subject: t.option });
  }
  const dirOnStdout = stdout.find((t) => t.dir);
  if (dirOnStdout) throw new UsageError(`${dirOnStdout.option} writes several files: give a directory, not -`, 'usage.stdout-not-allowed', { subject: dirOnStdout.option });
  if (stdout.length > 1) {
    throw new UsageError(`${stdout.map((t) => t.option).join(' and ')} cannot both write to stdout (-): send all but one to a file`, 'usage.stdout-twice', { subject: stdout[1].option });
  }
  const seen = new Map<string, string>();
  for (const t of given) {
    if (t.path === '-') continue;
    const abs = resolve(t.path);
    const other = seen.get(abs);
    if (other) throw new UsageError(`${other} and ${t.option} name the same file ${t.path}`, 'usage.same-output', { subject: t.option });
    seen.set(abs, t.option);
    const st = statOrNull(t.path);
    if (t.dir) {
      if (st) {
        if (!st.isDirectory()) throw new OutputError('output.not-directory', `${t.option} ${t.path}: exists and is not a directory`, { subject: t.path });
        checkWritableDir(t.option, t.path, t.path);
      } else {
        checkWritableDir(t.option, t.path, dirname(abs));
      }
    } else {
      if (st?.isDirectory()) throw new OutputError('output.is-directory', `${t.option} ${t.path}: is a directory, give a file name`, { subject: t.path });
      checkWritableDir(t.option, t.path, dirname(abs));
    }
  }
}

/** True when one of the outputs is stdout: the human-readable text is then left out. */
export function stdoutClaimed(targets: readonly OutputTarget[]): boolean {
  return targets.some((t) => t.path === '-');
}

/** Writes an output: '-' to stdout, a path atomically (temp file + rename). */
export { writeOutputFile as writeOutput } from '../util/atomic-write.js';
