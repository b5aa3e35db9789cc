/**
 * `minewatch analyze <capture|dir>...` / `--interface IF`: run the sensor pipeline and print
 * a summary (and alerts). Thin: parses options, calls analyze(), prints.
 */
import { Option, type Command } from 'commander';
import type { AnalyzeOptions } from '../pipeline/analyze.js';
import type { EncryptionHandling } from '../rules/detector.js';
import { DETECTOR_IDS, PARSER_IDS } from '../pipeline/components.js';
import { UsageError } from '../util/errors.js';
import { EVE_TYPE_IDS, type EveTypeId } from '../events/eve-format.js';
import { parseCidrList, parseIdList, parseIntOption, parseWorkers } from './options.js';
import { checkOutputs, stdoutClaimed, writeOutput, type OutputTarget } from './outputs.js';
import { withSendOptions } from './send-options.js';

export function register(program: Command): void {
  withSendOptions(program.command('analyze'))
    .description('analyse captures (pcap, pcapng, gzip, directories) or a live interface: flows, protocols, miners, attacks')
    .argument('[captures...]', 'capture files or directories')
    .option('-i, --interface <name>', 'capture live from a network interface (libpcap) until interrupted')
    .option('-f, --filter <bpf>', 'BPF filter for live capture')
    .option('--eve <file>', "write EVE JSON events (flow, alert …) to FILE, or '-' for stdout")
    .option('--eve-types <types>', `EVE event types, comma-separated (default flow,alert; known: ${EVE_TYPE_IDS.join(', ')})`, parseIdList('--eve-types', EVE_TYPE_IDS))
    .option('--json <file>', "write the summary as one JSON object to FILE, or '-' for stdout")
    .option('--devices <file>', "write the device inventory (JSON) to FILE, or '-' for stdout")
    .option('--device-rules <files...>', 'extra device classification rules (JSON; see docs/devices.md)')
    .option('-w, --workers <n|auto>', 'worker threads (1 = single-threaded)', parseWorkers(), 'auto')
    .option('--rules <files...>', 'Suricata-subset rule files to load (e.g. ET Open emerging-coinminer.rules)')
    .addOption(new Option('--encryption-handling <mode>', "raw-content rules on TLS flows after the handshake: 'default' stops them (as Suricata's default does), 'full' scans every packet").choices(['default', 'full'] satisfies EncryptionHandling[]).default('default'))
    .option('--lists <files...>', 'extra pool/miner lists (domains, hosts, adblock, CIDRs; format detected)')
    .option('--lists-config <file>', 'lists configuration (JSON; see minewatch lists --help)')
    .addOption(new Option('-c, --config <file>').hideHelp())
    .option('--no-default-lists', 'do not load the shipped pool and browser-miner lists')
    .option('--suppress <file>', 'suppression rules (JSON {"rules":[…]}): my own miner, not-a-pool exceptions')
    .option('--home-net <cidrs...>', 'home networks (CIDRs): alerts say whether the device is inside them', parseCidrList('--home-net'))
    .option('--probe', 'actively confirm suspected pools by speaking Stratum to them (contacts remote hosts; off by default)')
    .option('--no-detect', 'run only the packet spine (decode, flows, reassembly): no parsers or detectors')
    .option('--detectors <ids>', `built-in detectors to run, comma-separated, or none (default all: ${DETECTOR_IDS.join(', ')})`, parseIdList('--detectors', DETECTOR_IDS))
    .option('--parsers <ids>', `protocol parsers to run, comma-separated, or none (default all: ${PARSER_IDS.join(', ')})`, parseIdList('--parsers', PARSER_IDS))
    .option('--max-flows <n>', 'flow table bound (oldest idle flows are evicted beyond it)', parseIntOption('--max-flows', 1000, 50_000_000))
    .option('--stream-depth <bytes>', 'bytes reassembled per direction of a TCP flow (0 = unlimited)', parseIntOption('--stream-depth', 0, 1 << 30))
    .option('--sensor <name>', 'sensor name recorded in events (and in the store with --db)')
    .option('--db <url>', 'also store alerts, incidents and devices in the local store (sqlite:PATH or postgres://…), as minewatch sensor does')
    .option('--no-progress', 'never draw a progress bar')
    .option('-q, --quiet', 'print nothing but errors (use with --json/--eve)')
    .action(async (captures: string[], o: Record<string, unknown>) => {
      if (!o.interface && captures.length === 0) throw new UsageError('give at least one capture file or directory, or --interface IF (see minewatch analyze --help)', 'usage.no-input');
      if (o.interface && captures.length > 0) throw new UsageError('give capture files or --interface, not both', 'usage.conflict');
      const outputs: OutputTarget[] = [{ option: '--eve', path: o.eve as string | undefined }, { option: '--json', path: o.json as string | undefined }, { option: '--devices', path: o.devices as string | undefined }];
      checkOutputs(outputs);
      const workers = o.workers as number | 'auto';
      // the transport and the store (database drivers, password hashing) load only when asked for:
      // they cost a plain analyze 0.1 s of start-up
      const sendFlags = ['send', 'tokenFile', 'outbox', 'outboxMaxBytes', 'sendTimeout'].some((k) => o[k] !== undefined);
      const send = sendFlags ? await import('../transport/send.js') : null;
      const sender = send ? send.openSender(o, 'analyze') : null;
      const store = o.db !== undefined ? await (await import('../pipeline/sensor-store.js')).openAnalyzeStore(o.db as string, o.sensor as string | undefined) : null;
      const { TeeSink } = await import('../pipeline/eve-writer.js');
      const sinks = [sender, store].filter((x) => x !== null);
      const opts: AnalyzeOptions = {
        sink: sinks.length === 0 ? undefined : sinks.length === 1 ? sinks[0] : new TeeSink(sinks),
        inputs: captures,
        interface: o.interface as string | undefined,
        filter: o.filter as string | undefined,
        workers,
        eve: o.eve as string | undefined,
        eveTypes: o.eveTypes as EveTypeId[] | undefined,
        progress: o.progress !== false && !o.quiet,
        analyzers: {
          detect: o.detect !== false,
          rules: o.rules as string[] | undefined,
          encryptionHandling: o.encryptionHandling as EncryptionHandling,
          lists: o.lists as string[] | undefined,
          listsConfig: (o.listsConfig ?? o.config) as string | undefined,
          defaultLists: o.defaultLists !== false,
          suppress: o.suppress as string | undefined,
          homeNets: o.homeNet as string[] | undefined,
          deviceRules: o.deviceRules as string[] | undefined,
          probe: o.probe === true,
          detectors: o.detectors as string[] | undefined,
          parsers: o.parsers as string[] | undefined,
        },
        flow: {
          ...(o.maxFlows !== undefined ? { maxFlows: o.maxFlows as number } : {}),
          ...(o.streamDepth !== undefined ? { streamDepth: o.streamDepth as number } : {}),
        },
        sensor: o.sensor as string | undefined,
      };
      // loaded here, not at startup, so other commands and --help stay fast
      const { analyze } = await import('../pipeline/analyze.js');
      const { formatSummary, formatAlerts } = await import('../pipeline/report-text.js');
      let result: Awaited<ReturnType<typeof analyze>>;
      try {
        result = await analyze(opts);
        // the merged inventory into the store, as the sensor writes it: one `device` event per device
        if (store && result.devices) {
          const { deviceEvent } = await import('../devices/device-events.js');
          for (const d of result.devices) store.write(deviceEvent(d, o.sensor as string | undefined));
        }
      } finally {
        await store?.finish();
      }
      const { summary, alerts, devices, deviceAlerts } = result;
      if (send) await send.finishSending(sender, o);
      if (store && !o.quiet) process.stderr.write(`minewatch: stored ${store.stats.stored} events in ${o.db} (${store.stats.duplicates} already there)\n`);
      if (summary.rules && !o.quiet) {
        const { formatRulesLoad } = await import('../pipeline/preflight.js');
        for (const line of formatRulesLoad(summary.rules)) process.stderr.write(`minewatch: rules: ${line}\n`);
      }
      if (o.json) writeOutput(o.json as string, JSON.stringify(summary, null, 2) + '\n');
      if (o.devices) writeOutput(o.devices as string, JSON.stringify({ devices: (devices ?? []).map((d) => ({ ...d, alerts: deviceAlerts?.get(d.id) ?? 0 })) }, null, 2) + '\n');
      if (!o.quiet && !stdoutClaimed(outputs)) {
        process.stdout.write(formatSummary(summary));
        if (devices && devices.length > 0) {
          const { formatDevices } = await import('../devices/index.js');
          process.stdout.write(formatDevices(devices, deviceAlerts).join('\n') + '\n');
        }
        if (alerts.length > 0) process.stdout.write(formatAlerts(alerts));
      }
    });
}
