/**
 * `minewatch synth campaign -o DIR --seed S [--days N]`: the EVE events of every simulated
 * sensor and telescope of a notification campaign (DIR/<sensor>.eve.json, one event per line,
 * each with minewatch.event_id), the synthetic world's AS/country table (DIR/world.json) and
 * the ground truth (DIR/truth.json, or --truth FILE).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { parseCount } from './options.js';
import { checkOutputs } from './outputs.js';

export async function synthCampaignFiles(f: { output?: string; seed?: string; truth?: string; days?: string; quiet?: boolean }): Promise<void> {
  if (!f.output || f.output === '-') throw new UsageError('synth campaign: -o DIR is the directory to write the sensors\' EVE files into', 'usage.missing', { subject: '--output' });
  const seed = parseCount('--seed', f.seed ?? '1', 0);
  const days = f.days === undefined ? 120 : parseCount('--days', f.days, 70);
  if (days > 730) throw new UsageError('--days: at most 730', 'usage.bad-value', { subject: '--days' });
  checkOutputs([{ option: '--output', path: f.output, dir: true }, { option: '--truth', path: f.truth }]);
  mkdirSync(f.output, { recursive: true });
  const { synthCampaign } = await import('../synth/campaign.js');
  {
    const sim = synthCampaign({ seed, days });
    let events = 0;
    for (const [name, s] of sim.sensors) {
      writeFileAtomic(join(f.output!, `${name}.eve.json`), s.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      events += s.events.length;
    }
    writeFileAtomic(join(f.output!, 'world.json'), `${JSON.stringify({ ases: sim.ases }, null, 2)}\n`);
    const truthPath = f.truth ?? join(f.output!, 'truth.json');
    if (truthPath === '-') process.stdout.write(`${JSON.stringify(sim.truth, null, 2)}\n`);
    else writeFileAtomic(truthPath, `${JSON.stringify(sim.truth, null, 2)}\n`);
    if (!f.quiet) process.stderr.write(`wrote ${sim.sensors.size} sensors' EVE files (${events} events, ${sim.truth.hosts} hosts, baseline ${sim.truth.baseline}, change ${(sim.truth.reduction * 100).toFixed(1)} %) to ${f.output}; ground truth ${truthPath}\n`);
  }
}
