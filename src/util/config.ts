/**
 * One way to read a JSON configuration file through a schema (zod or anything with
 * `safeParse`): a missing file, text that is not JSON and the first schema problem each become
 * a ConfigError whose one-line message names the option, the file and the problem.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/** The part of a zod schema used here (kept structural so util/ does not load zod). */
export interface ConfigSchema<T> {
  safeParse(input: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/** "--suppress rules.json" or "rules.json". */
function label(path: string, option?: string): string {
  return option ? `${option} ${path}` : path;
}

/** Reads a config file's text; ConfigError `config.not-found` / `config.unreadable`. */
export function readConfigText(path: string, option?: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('config.not-found', `${label(path, option)}: no such file`, { subject: path, cause: err });
    if (code === 'EISDIR') throw new ConfigError('config.unreadable', `${label(path, option)}: is a directory, expected a JSON file`, { subject: path, cause: err });
    throw new ConfigError('config.unreadable', `${label(path, option)}: cannot read (${code ?? (err as Error).message})`, { subject: path, cause: err });
  }
}

/** Parses JSON text; ConfigError `config.not-json` with the parser's own one-line reason. */
export function parseConfigJson(text: string, path: string, option?: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError('config.not-json', `${label(path, option)}: not valid JSON (${firstLine((err as Error).message)})`, { subject: path, cause: err });
  }
}

/** Validates a parsed value; ConfigError `config.invalid` naming the first problem and where. */
export function validateConfig<T>(value: unknown, schema: ConfigSchema<T>, path: string, option?: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  throw new ConfigError('config.invalid', `${label(path, option)}: ${where}: ${firstLine(issue?.message ?? 'invalid')}`, { subject: path });
}

/** Reads, parses and validates a JSON config file in one step. */
export function readJsonConfig<T>(path: string, schema: ConfigSchema<T>, option?: string): T {
  return validateConfig(parseConfigJson(readConfigText(path, option), path, option), schema, path, option);
}

/** A further check on a valid config (e.g. "host is not an address") as the same kind of error. */
export function invalidConfig(path: string, where: string, problem: string, option?: string): ConfigError {
  return new ConfigError('config.invalid', `${label(path, option)}: ${where}: ${problem}`, { subject: path });
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
