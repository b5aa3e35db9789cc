/** `minewatch synth <kind>`: write a deterministic synthetic capture (and its ground truth). */
import type { Command } from 'commander';
import { UsageError } from '../util/errors.js';
import { parseCount, parseSize } from './options.js';
import { checkOutputs, stdoutClaimed, type OutputTarget } from './outputs.js';

export { parseCount, parseSize };
import { generate, SYNTH_KINDS, type SynthKind, type SynthOptions } from '../synth/index.js';
import { parseDarknetCidr } from '../synth/net.js';

interface SynthFlags {
  output?: string;
  seed?: string;
  size?: string;
  packets?: string;
  truth?: string;
  darknet?: string;
  darknet6?: string;
  hours?: string;
  days?: string;
  sources?: string;
  sweeps?: string;
  duration?: string;
  devices?: string;
  start?: string;
  quiet?: boolean;
}

export function synthOptions(kind: string, f: SynthFlags): { kind: SynthKind; out: string; opts: SynthOptions } {
  if (!(SYNTH_KINDS as readonly string[]).includes(kind)) throw new UsageError(`unknown kind "${kind}": choose one of ${SYNTH_KINDS.join(', ')}`);
  if (!f.output) throw new UsageError('missing -o FILE: where to write the capture');
  const opts: SynthOptions = {};
  if (f.seed !== undefined) {
    const s = parseCount('--seed', f.seed, 0);
    if (s > 0xffffffff) throw new UsageError('--seed must fit in 32 bits');
    opts.seed = s;
  }
  if (f.size !== undefined) {
    if (kind !== 'mixed') throw new UsageError('--size applies to the mixed capture only (use --packets for small and darknet)');
    opts.sizeBytes = parseSize(f.size);
  }
  if (f.packets !== undefined) {
    if (kind === 'sample') throw new UsageError('--packets does not apply to the sample capture (its content is fixed)');
    opts.packets = parseCount('--packets', f.packets);
  }
  if (opts.sizeBytes !== undefined && opts.packets !== undefined) throw new UsageError('give --size or --packets, not both');
  if (f.darknet !== undefined || f.darknet6 !== undefined || f.hours !== undefined) {
    if (kind !== 'darknet') throw new UsageError('--darknet, --darknet6 and --hours apply to the darknet capture only');
  }
  if (f.darknet !== undefined) {
    const c = parseDarknetCidr(f.darknet);
    if (!c || c.version !== 4) throw new UsageError(`--darknet: "${f.darknet}" is not an IPv4 CIDR between /8 and /30 (e.g. 198.18.0.0/16)`);
    opts.darknet = f.darknet;
  }
  if (f.darknet6 !== undefined) {
    const c = parseDarknetCidr(f.darknet6);
    if (!c || c.version !== 6) throw new UsageError(`--darknet6: "${f.darknet6}" is not an IPv6 prefix (e.g. 2001:db8:ffff::/48)`);
    opts.darknet6 = f.darknet6;
  }
  if (f.hours !== undefined) opts.hours = parseCount('--hours', f.hours);
  if (f.days !== undefined && f.sources === undefined) throw new UsageError('--days applies to campaign, and to darknet with --sources');
  if (f.sources !== undefined || f.sweeps !== undefined) {
    if (kind !== 'darknet') throw new UsageError('--sources and --sweeps apply to the darknet capture only');
    if (f.sources === undefined) throw new UsageError('--sweeps needs --sources (the telescope-scale darknet)');
    opts.sources = parseCount('--sources', f.sources, 100);
    if (opts.sources > 50_000_000) throw new UsageError('--sources: at most 50,000,000');
    if (f.sweeps !== undefined) opts.sweeps = parseCount('--sweeps', f.sweeps, 0);
    if (f.days !== undefined) {
      if (f.hours !== undefined) throw new UsageError('give --hours or --days, not both');
      opts.hours = parseCount('--days', f.days, 1) * 24;
    }
  }
  if (f.hours !== undefined && opts.hours !== undefined && opts.hours > 24 * 366) throw new UsageError('--hours: at most one year');
  if (f.duration !== undefined) {
    if (kind !== 'mixed' && kind !== 'sample') throw new UsageError('--duration applies to mixed and sample');
    opts.durationSec = parseCount('--duration', f.duration, 10);
  }
  if (f.devices !== undefined) {
    if (kind !== 'mixed') throw new UsageError('--devices applies to the mixed capture only');
    opts.devices = parseCount('--devices', f.devices, 1);
    if (opts.devices > 250) throw new UsageError('--devices: at most 250 (one /24)');
  }
  if (f.start !== undefined) {
    const ms = Date.parse(f.start);
    if (!Number.isFinite(ms)) throw new UsageError(`--start: "${f.start}" is not an ISO 8601 time (e.g. 2026-01-05T18:00:00Z)`);
    opts.startMs = ms;
  }
  if (f.truth) opts.truthFile = f.truth;
  return { kind: kind as SynthKind, out: f.output, opts };
}

export function register(program: Command): void {
  program
    .command('synth')
    .description('write a deterministic synthetic capture: mixed (home network with mining), small (one-packet flows), darknet (telescope traffic), sample (the demo)')
    .argument('<kind>', `one of ${SYNTH_KINDS.join(', ')}, or campaign (EVE telemetry of a notification campaign into directory -o, with truth.json)`)
    .option('-o, --output <file>', "pcap file to write, or '-' for stdout")
    .option('--seed <n>', 'PRNG seed (same seed ⇒ identical file)', '1')
    .option('--size <bytes>', 'mixed: file size to reach (1GB, 500MB …)')
    .option('--packets <n>', 'mixed: packets to reach; small/darknet: packet count (default 10M)')
    .option('--truth <file>', "write the ground-truth JSON to FILE, or '-' for stdout")
    .option('--darknet <cidr>', 'darknet: IPv4 darknet (default 198.18.0.0/16)')
    .option('--darknet6 <cidr>', 'darknet: IPv6 darknet (default 2001:db8:ffff::/48)')
    .option('--hours <n>', 'darknet: hours of traffic (default 6; 72 with --sources)')
    .option('--sources <n>', 'darknet: distinct sources (up to millions): the streaming telescope-scale generator with full-port sweeps, a diurnal cycle, a 6379 surge and a spoofed flood')
    .option('--sweeps <n>', 'darknet with --sources: full-port sweeps, TCP and UDP (default: about one per 20,000 sources, at most 30 % of the packets)')
    .option('--duration <seconds>', 'mixed/sample: capture time the traffic is spread over')
    .option('--devices <n>', 'mixed: number of home devices (default 20–50)')
    .option('--start <iso>', 'capture start time (default 2026-01-05T18:00:00Z)')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--days <n>', 'campaign: days of telemetry (default 120); darknet with --sources: days of traffic (= --hours 24·n)')
    .action(async (kind: string, flags: SynthFlags & { days?: string }) => {
      if (kind === 'campaign') {
        const { synthCampaignFiles } = await import('./synth-campaign.js');
        await synthCampaignFiles(flags);
        return;
      }
      const { kind: k, out, opts } = synthOptions(kind, flags);
      const outputs: OutputTarget[] = [{ option: '--output', path: out }, { option: '--truth', path: flags.truth }];
      checkOutputs(outputs);
      const t0 = process.hrtime.bigint();
      const r = await generate(k, opts, out);
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      const mb = r.bytes / 1e6;
      // the line goes to stderr when stdout carries the capture or the truth
      if (!flags.quiet) (stdoutClaimed(outputs) ? process.stderr : process.stdout).write(`wrote ${out}: ${r.packets} packets, ${r.bytes} bytes (${mb.toFixed(1)} MB) in ${sec.toFixed(2)} s` +
        `${r.truthFile ? `; ground truth ${r.truthFile}` : ''}\n`);
    });
}
