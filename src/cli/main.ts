#!/usr/bin/env node
/**
 * minewatch command line. One file per command under src/cli/, each exporting
 * `register(program)`; this file only wires them and maps errors to exit codes
 * (util/errors.ts: 2 for anything the user can fix, 1 for internal errors).
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { exitCodeFor, isPipeClosed, UsageError } from '../util/errors.js';
import { formatError } from './errors.js';
import { COMMANDS } from './commands.js';

const require = createRequire(import.meta.url);
// dist/src/cli → ../../../package.json; src/cli (run from source) → ../../package.json
const pkg = (() => {
  try {
    return require('../../../package.json') as { version: string };
  } catch {
    return require('../../package.json') as { version: string };
  }
})();

/** The full name of a (sub)command: "telescope merge". */
function commandPath(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x && x.parent; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}

/**
 * Commander's own errors (unknown option, missing argument, bad choice) as one line and a
 * hint, like every other error: "minewatch: unknown option '--jsn' (Did you mean --json?); see
 * minewatch analyze --help".
 */
function oneLineErrors(c: Command): void {
  const path = commandPath(c);
  c.configureOutput({
    outputError: (str, write) => {
      const text = str.trim().replace(/^error:\s*/, '').split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ');
      write(`minewatch: ${text}; see minewatch${path ? ` ${path}` : ''} --help\n`);
    },
  });
  c.showHelpAfterError(false);
  c.exitOverride();
  for (const sub of c.commands) oneLineErrors(sub);
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('minewatch')
    .description('Find cryptojacking in home and IoT networks: DPI sensor, darknet telescope, exposure scanner')
    .version(pkg.version, '-V, --version')
    .option('--debug', 'print stack traces on errors');

  for (const register of COMMANDS) register(program);
  oneLineErrors(program);

  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are normal exits
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    // the reader of our stdout went away (`| head -1`): nothing more to say
    if (isPipeClosed(err)) return 0;
    const debug = argv.includes('--debug');
    process.stderr.write(`minewatch: ${formatError(err, debug)}\n`);
    return exitCodeFor(err);
  }
}

export { UsageError };

/**
 * `minewatch … | head -1`: once the reader has gone, a write to stdout fails with EPIPE
 * (asynchronously, as an 'error' event). That is the normal end of a pipeline, not a crash:
 * exit quietly with 0 instead of printing a stack trace.
 */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').slice(-3).join('/'));
if (invokedDirectly || process.argv[1]?.endsWith('/minewatch')) {
  exitQuietlyOnClosedPipe();
  main(process.argv).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`minewatch: ${String(err)}\n`);
    process.exitCode = 1;
  });
}
