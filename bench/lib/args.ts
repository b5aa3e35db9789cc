/** Command-line options of the bench scripts: `--name value` pairs and bare `--flag`s. */

export interface BenchArgs {
  /** The arguments read (by default the script's own, `process.argv.slice(2)`). */
  readonly list: readonly string[];
  /** The word after `name`; `dflt` when `name` is absent or is the last word. */
  value(name: string, dflt: string): string;
  /** The word after `name`; undefined when `name` is absent or is the last word. */
  value(name: string): string | undefined;
  /** Whether `name` is present. */
  flag(name: string): boolean;
}

export function readArgs(list: readonly string[] = process.argv.slice(2)): BenchArgs {
  function value(name: string, dflt: string): string;
  function value(name: string): string | undefined;
  function value(name: string, dflt?: string): string | undefined {
    const i = list.indexOf(name);
    return i >= 0 && i + 1 < list.length ? list[i + 1] : dflt;
  }
  return { list, value, flag: (name) => list.includes(name) };
}
