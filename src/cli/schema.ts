/** `minewatch schema eve`: print the JSON Schema of the event model, generated from the zod schemas. */
import type { Command } from 'commander';
import { UsageError } from '../util/errors.js';
import { checkOutputs, writeOutput } from './outputs.js';

const SCHEMAS = ['eve'] as const;

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of minewatch data, for other tools and the collector (eve: the event model)')
    .argument('<name>', SCHEMAS.join(', '))
    .option('-o, --output <file>', "write to FILE, or '-' for stdout (the default)", '-')
    .action(async (name: string, o: { output: string }) => {
      if (!(SCHEMAS as readonly string[]).includes(name)) throw new UsageError(`unknown schema "${name}": choose one of ${SCHEMAS.join(', ')}`, 'usage.bad-value', { subject: 'name' });
      checkOutputs([{ option: '--output', path: o.output }]);
      const { eveJsonSchema } = await import('../events/eve.js');
      writeOutput(o.output, `${JSON.stringify(eveJsonSchema(), null, 2)}\n`);
    });
}
