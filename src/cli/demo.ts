/**
 * `minewatch demo` (what `npm start` runs): on a fresh machine with no capture at hand,
 * generate the project's own sample capture (a small home network with miners, a browser
 * miner, a telnet brute force, a Redis exploitation and a scan), analyse it, and print the
 * summary and the alerts.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseIntOption } from './options.js';
import { checkOutputs, stdoutClaimed } from './outputs.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('generate a small sample capture of a home network with miners and attacks, analyse it, print what was found')
    .argument('[capture]', 'analyse this capture instead of generating the sample')
    .option('--dir <dir>', 'where to write the sample capture', join(tmpdir(), 'minewatch-demo'))
    .option('--seed <n>', 'seed of the generated sample', parseIntOption('--seed', 0, 0xffffffff), 1)
    .option('--eve <file>', "also write EVE JSON events to FILE ('-' for stdout)")
    .action(async (capture: string | undefined, o: { dir: string; seed: number; eve?: string }) => {
      const outputs = [{ option: '--eve', path: o.eve }];
      checkOutputs(outputs);
      // with --eve - the events own stdout; the text goes to stderr
      const text = stdoutClaimed(outputs) ? process.stderr : process.stdout;
      const { generate } = await import('../synth/index.js');
      const { analyze } = await import('../pipeline/analyze.js');
      const { formatAlerts, formatSummary } = await import('../pipeline/report-text.js');
      let input = capture;
      if (!input) {
        mkdirSync(o.dir, { recursive: true });
        input = join(o.dir, 'sample.pcap');
        const truthFile = join(o.dir, 'sample-truth.json');
        const r = await generate('sample', { seed: o.seed, truthFile }, input);
        text.write(`generated ${input}: ${r.packets.toLocaleString('en-US')} packets, ${r.bytes.toLocaleString('en-US')} bytes (ground truth: ${truthFile})\n\n`);
      }
      const { summary, alerts } = await analyze({ inputs: [input], workers: 1, eve: o.eve, progress: false });
      text.write(formatSummary(summary));
      text.write(alerts.length > 0 ? formatAlerts(alerts) : '\nno alerts\n');
    });
}
