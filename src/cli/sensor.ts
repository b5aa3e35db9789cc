/**
 * `minewatch sensor --interface IF`: the home sensor daemon (logic: src/pipeline/sensor.ts).
 * Every flag can also be given in `--config FILE` (JSON, the flags' long names in camelCase);
 * flags on the command line win.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { dirname, join } from 'node:path';
import { readConfigText, readJsonConfig } from '../util/config.js';
import type { NotifyOptions } from '../pipeline/notify.js';
import type { SensorOptions } from '../pipeline/sensor.js';
import { UsageError } from '../util/errors.js';
import { parseCidrList, parseIdList, parseIntOption, parseSize } from './options.js';
import { EVE_TYPE_IDS, type EveTypeId } from '../events/eve-format.js';
import { checkOutputs } from './outputs.js';
import { withSendOptions } from './send-options.js';

const ConfigSchema = z.object({
  interface: z.string().min(1).optional(),
  filter: z.string().optional(),
  captureBackend: z.enum(['auto', 'libpcap-batch', 'cap']).optional(),
  read: z.array(z.string()).optional(),
  replayPps: z.number().int().positive().optional(),
  db: z.string().optional(),
  eve: z.string().optional(),
  eveMaxBytes: z.union([z.number().int().min(1000), z.string()]).optional(),
  eveKeep: z.number().int().min(1).max(100).optional(),
  eveTypes: z.string().optional(),
  sensor: z.string().optional(),
  retentionDays: z.number().int().min(1).max(36_500).optional(),
  statsInterval: z.number().int().min(1).max(86_400).optional(),
  metrics: z.string().optional(),
  rules: z.array(z.string()).optional(),
  lists: z.array(z.string()).optional(),
  defaultLists: z.boolean().optional(),
  suppress: z.string().optional(),
  homeNet: z.array(z.string()).optional(),
  maxFlows: z.number().int().min(1000).optional(),
  flowEvents: z.boolean().optional(),
  send: z.string().optional(),
  tokenFile: z.string().optional(),
  outbox: z.string().optional(),
  outboxMaxBytes: z.union([z.number().int().min(1000), z.string()]).optional(),
  notifyLog: z.boolean().optional(),
  webhook: z.string().url().optional(),
  webhookSecretFile: z.string().optional(),
  smtp: z.string().optional(),
  mailFrom: z.string().optional(),
  mailTo: z.array(z.string()).optional(),
  minSeverity: z.number().int().min(1).max(3).optional(),
  quietHours: z.string().optional(),
  digestInterval: z.number().int().min(0).optional(),
  baselineDays: z.number().int().min(1).max(365).optional(),
  blocklistNft: z.string().optional(),
  telemetryKeyFile: z.string().optional(),
  blocklistInterval: z.number().int().min(1).max(86_400).optional(),
  baselines: z.boolean().optional(),
  geoipDb: z.string().optional(),
  geo: z.boolean().optional(),
}).strict();

export type SensorConfig = z.infer<typeof ConfigSchema>;

export function register(program: Command): void {
  withSendOptions(program.command('sensor'))
    .description('run continuously on a live interface: store alerts, incidents, devices and stats locally, append EVE, report health')
    .option('-i, --interface <name>', 'network interface to capture from (libpcap; needs CAP_NET_RAW)')
    .option('-f, --filter <bpf>', 'BPF filter')
    .option('--capture-backend <name>', 'libpcap binding: auto (the native/pcap batch addon when built, else cap), libpcap-batch or cap (default auto; also MINEWATCH_LIVE_BACKEND)')
    .option('--read <captures...>', 'replay capture files through the same path instead of an interface (backfills, tests)')
    .option('--replay-pps <n>', 'with --read: pace the replay at N packets per second', parseIntOption('--replay-pps', 1, 100_000_000))
    .option('--db <url>', 'local store: sqlite:PATH or postgres://… (default: $XDG_DATA_HOME/minewatch/minewatch.db)')
    .option('--eve <file>', 'append EVE JSON events to FILE (flushed within a second; reopened on SIGHUP)')
    .option('--eve-max-bytes <size>', 'rotate the EVE file past this size (FILE.1 … FILE.N; default: never, leave it to logrotate)', (v: string) => parseSize(v, '--eve-max-bytes'))
    .option('--eve-keep <n>', 'rotated EVE files kept (default 5)', parseIntOption('--eve-keep', 1, 100))
    .option('--no-flow-events', 'write only alerts and stats to EVE, not flow events')
    .option('--eve-types <types>', `EVE event types, comma-separated (default flow,alert; known: ${EVE_TYPE_IDS.join(', ')}); stats adds Suricata's counters to the periodic stats event`)
    .option('--sensor <name>', 'sensor name in events and in the store (default: the host name)')
    .option('--retention-days <n>', 'delete stored events and incidents older than N days, hourly (default 30 with --interface; off with --read, whose captures may be old)', parseIntOption('--retention-days', 1, 36_500))
    .option('--stats-interval <seconds>', 'health line and stats event interval (default 60)', parseIntOption('--stats-interval', 1, 86_400))
    .option('--metrics <host:port>', 'serve Prometheus metrics on HOST:PORT/metrics')
    .option('--rules <files...>', 'Suricata-subset rule files to load')
    .option('--lists <files...>', 'extra pool/miner lists')
    .option('--no-default-lists', 'do not load the shipped pool and browser-miner lists')
    .option('--suppress <file>', 'suppression rules (JSON)')
    .option('--home-net <cidrs...>', 'home networks (CIDRs)', parseCidrList('--home-net'))
    .option('--max-flows <n>', 'flow table bound', parseIntOption('--max-flows', 1000, 50_000_000))
    .option('--notify-log', 'print one line per new incident (and digests) to stdout')
    .option('--webhook <url>', 'POST one JSON message per new incident (and digests) to URL, retried with backoff')
    .option('--webhook-secret-file <file>', 'shared secret: sign each webhook body with HMAC-SHA256 (header X-Minewatch-Signature: sha256=HEX)')
    .option('--smtp <url>', 'send e-mail through smtp://[user:pass@]host:port (or smtps://)')
    .option('--mail-from <address>', 'From: of notification mails')
    .option('--mail-to <addresses...>', 'recipients of notification mails')
    .option('--min-severity <n>', 'notify for alerts of this severity or higher (1 high … 3 low; default 2)', parseIntOption('--min-severity', 1, 3))
    .option('--quiet-hours <HH:MM-HH:MM>', 'hold notifications during these local hours (e.g. 22:00-07:00); sent when they end')
    .option('--digest-interval <seconds>', 'digest of repeated alerts of known incidents every N seconds (default 3600; 0 = never)', parseIntOption('--digest-interval', 0, 30 * 86_400))
    .option('--telemetry-key-file <file>', 'with --send: the secret MACs are keyed-hashed with (created on first use; default $XDG_DATA_HOME/minewatch/telemetry.key)')
    .option('--blocklist-nft <file>', 'write the pool addresses seen resolved or reached to FILE as an nftables set (table inet minewatch; apply with nft -f FILE)')
    .option('--blocklist-interval <seconds>', 'rewrite --blocklist-nft every N seconds when it changed (default 300; also on stop)', parseIntOption('--blocklist-interval', 1, 86_400))
    .option('--baseline-days <n>', 'learning window of the device behaviour baselines (default 7 days)', parseIntOption('--baseline-days', 1, 365))
    .option('--no-baselines', 'do not learn device behaviour baselines (no anomaly alerts)')
    .option('--geoip-db <file>', 'MaxMind-format country database for the baselines\' countries (default: the bundled iptoasn country data)')
    .option('--no-geo', 'do not look up the countries of the devices\' destinations')
    .option('-c, --config <file>', 'JSON configuration: every flag above by its camelCase name (flags given here win)')
    .action(async (flags: Record<string, unknown>, cmd: Command) => {
      const file: SensorConfig = flags.config ? readJsonConfig(flags.config as string, ConfigSchema, '--config') : {};
      // a flag from the command line wins over the file; commander's defaults (the --no-… flags) do not
      const o: Record<string, unknown> = { ...file };
      for (const [k, v] of Object.entries(flags)) if (cmd.getOptionValueSource(k) === 'cli' || !(k in o)) o[k] = v;
      for (const k of ['eveMaxBytes', 'outboxMaxBytes'] as const) if (typeof o[k] === 'string') o[k] = parseSize(o[k], `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      // from the command line or the config file alike: one comma-separated list
      if (typeof o.eveTypes === 'string') o.eveTypes = parseIdList('--eve-types', EVE_TYPE_IDS)(o.eveTypes);
      const inputs = o.read as string[] | undefined;
      if (!o.interface && !inputs?.length) throw new UsageError('give --interface IF (or --read CAPTURE… to replay files; see minewatch sensor --help)', 'usage.no-input');
      if (o.interface && inputs?.length) throw new UsageError('give --interface or --read, not both', 'usage.conflict');
      if (o.captureBackend !== undefined && !['auto', 'libpcap-batch', 'cap'].includes(o.captureBackend as string)) {
        throw new UsageError(`--capture-backend must be auto, libpcap-batch or cap (got "${String(o.captureBackend)}")`, 'usage.bad-capture-backend', { subject: '--capture-backend' });
      }
      if (o.replayPps !== undefined && !inputs?.length) throw new UsageError('--replay-pps goes with --read', 'usage.conflict', { subject: '--replay-pps' });
      if (o.eve === '-') throw new UsageError('--eve needs a file for the sensor (it is appended and rotated)', 'usage.eve-stdout', { subject: '--eve' });
      checkOutputs([{ option: '--eve', path: o.eve as string | undefined }]);
      const notify = await notifyOptions(o);
      const { parseListen, serveMetrics } = await import('../pipeline/sensor-metrics.js');
      const listen = o.metrics ? parseListen(o.metrics as string) : null;
      const { openSender, finishSending } = await import('../transport/send.js');
      const sender = openSender(o, 'sensor');
      const { startSensor } = await import('../pipeline/sensor.js');
      const { TelemetrySink, loadTelemetryKey } = await import('../pipeline/telemetry.js');
      const { defaultDatabasePath } = await import('../store/index.js');
      const abort = new AbortController();
      const onStop = () => abort.abort();
      process.once('SIGINT', onStop);
      process.once('SIGTERM', onStop);
      const run = await startSensor({
        interface: o.interface as string | undefined,
        filter: o.filter as string | undefined,
        captureBackend: o.captureBackend as SensorOptions['captureBackend'],
        inputs,
        replayPps: o.replayPps as number | undefined,
        db: o.db as string | undefined,
        sensor: o.sensor as string | undefined,
        eve: o.eve as string | undefined,
        eveMaxBytes: o.eveMaxBytes as number | undefined,
        eveKeep: o.eveKeep as number | undefined,
        flowEvents: o.flowEvents !== false,
        eveTypes: o.eveTypes as EveTypeId[] | undefined,
        retentionDays: (o.retentionDays as number | undefined) ?? (o.interface ? 30 : undefined),
        statsIntervalMs: o.statsInterval !== undefined ? (o.statsInterval as number) * 1000 : undefined,
        analyzers: {
          detect: true,
          rules: o.rules as string[] | undefined,
          lists: o.lists as string[] | undefined,
          defaultLists: o.defaultLists !== false,
          suppress: o.suppress as string | undefined,
          homeNets: o.homeNet as string[] | undefined,
          baselineCountries: o.geo === false ? false : { geoipDb: o.geoipDb as string | undefined },
        },
        blocklistNft: o.blocklistNft as string | undefined,
        blocklistIntervalMs: o.blocklistInterval !== undefined ? (o.blocklistInterval as number) * 1000 : undefined,
        baselines: o.baselines === false ? false : { learnUs: ((o.baselineDays as number | undefined) ?? 7) * 86_400_000_000 },
        flow: o.maxFlows !== undefined ? { maxFlows: o.maxFlows as number } : undefined,
        notify,
        // what leaves the home: alerts, device types and counters, MACs keyed-hashed, private addresses filled in by the collector
        sinks: sender ? [new TelemetrySink(sender, loadTelemetryKey((o.telemetryKeyFile as string | undefined) ?? join(dirname(defaultDatabasePath()), 'telemetry.key')))] : [],
        outboxDepth: sender ? () => sender.stats.outbox.pendingEvents : undefined,
        signal: abort.signal,
      });
      const onHup = () => run.reopenEve();
      process.on('SIGHUP', onHup);
      const metrics = listen ? await serveMetrics(listen, run.health) : null;
      process.stderr.write(`minewatch sensor: started on ${o.interface ?? inputs?.join(', ')}${o.interface ? ` (capture: ${run.health().capture_backend})` : ''}${listen ? `; metrics on http://${listen.host}:${listen.port}/metrics` : ''}\n`);
      try {
        const { health } = await run.done;
        process.stderr.write(`minewatch sensor: stopped after ${health.packets} packets, ${health.alerts} alerts, ${health.events_stored} events stored\n`);
      } finally {
        process.off('SIGINT', onStop);
        process.off('SIGTERM', onStop);
        process.off('SIGHUP', onHup);
        metrics?.close();
        await finishSending(sender, o);
      }
    });
}

/** The notification flags as NotifyOptions, or undefined when none is given. */
async function notifyOptions(o: Record<string, unknown>): Promise<NotifyOptions | undefined> {
  const email = o.smtp as string | undefined;
  if (!o.notifyLog && !o.webhook && !email) {
    for (const k of ['webhookSecretFile', 'mailFrom', 'mailTo', 'minSeverity', 'quietHours', 'digestInterval']) {
      if (o[k] !== undefined) throw new UsageError('notification settings need a channel: --notify-log, --webhook URL or --smtp URL', 'usage.notify-channel');
    }
    return undefined;
  }
  if (email && (!o.mailFrom || !(o.mailTo as string[] | undefined)?.length)) throw new UsageError('--smtp needs --mail-from and --mail-to', 'usage.mail', { subject: '--smtp' });
  if (email && !/^smtps?:\/\//.test(email)) throw new UsageError(`--smtp must be smtp://host:port or smtps://host:port (got "${email}")`, 'usage.smtp', { subject: '--smtp' });
  if (o.quietHours) {
    const { parseQuietHours } = await import('../pipeline/notify.js');
    try {
      parseQuietHours(o.quietHours as string);
    } catch (err) {
      throw new UsageError(`--quiet-hours: ${(err as Error).message}`, 'usage.quiet-hours', { subject: '--quiet-hours' });
    }
  }
  const secret = o.webhookSecretFile ? readConfigText(o.webhookSecretFile as string, '--webhook-secret-file').trim() : undefined;
  return {
    log: o.notifyLog === true,
    ...(o.webhook ? { webhook: { url: o.webhook as string, ...(secret ? { secret } : {}) } } : {}),
    ...(email ? { email: { smtp: email, from: o.mailFrom as string, to: o.mailTo as string[] } } : {}),
    ...(o.minSeverity !== undefined ? { minSeverity: o.minSeverity as number } : {}),
    ...(o.quietHours ? { quietHours: o.quietHours as string } : {}),
    ...(o.digestInterval !== undefined ? { digestMs: (o.digestInterval as number) * 1000 } : {}),
  };
}
