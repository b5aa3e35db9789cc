#!/usr/bin/env node
/**
 * minewatch command line. One file per command under src/cli/, each exporting
 * `register(program)`; this file only wires them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { UsageError, exitCodeFor, formatError } from './errors.js';
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

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('minewatch')
    .description('Find cryptojacking in home and IoT networks: DPI sensor, darknet telescope, exposure scanner')
    .version(pkg.version, '-V, --version')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .showHelpAfterError();

  for (const register of COMMANDS) register(program);
  for (const c of program.commands) c.exitOverride();

  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are normal exits
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    const debug = argv.includes('--debug');
    process.stderr.write(`minewatch: ${formatError(err, debug)}\n`);
    return exitCodeFor(err);
  }
}

export { UsageError };

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').slice(-3).join('/'));
if (invokedDirectly || process.argv[1]?.endsWith('/minewatch')) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`minewatch: ${String(err)}\n`);
    process.exitCode = 1;
  });
}
