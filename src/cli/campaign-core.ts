/**
 * `minewatch campaign create|list|build|import|mark-notified|hosts|report`: the campaign model
 * on the collector's store (src/campaigns/campaign-store.ts). Registered beside `campaign
 * package` (cli/campaign.ts) under the same `campaign` command.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withStore } from './with-store.js';
import type { CampaignDefinitionInput } from '../campaigns/campaign-store.js';
import { InputError, UsageError } from '../util/errors.js';
import { checkOutputs, writeOutput } from './outputs.js';

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));
const ints = (option: string, s: string | undefined) => list(s)?.map((x) => {
  const n = Number(x.replace(/^AS/i, ''));
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option}: "${x}" is not a whole number`, 'usage.bad-value', { subject: option });
  return n;
});
const isoOption = (option: string, s: string | undefined) => {
  if (s === undefined) return undefined;
  if (Number.isNaN(Date.parse(s)) || !/(Z|[+-]\d\d:\d\d)$/.test(s)) throw new UsageError(`${option}: "${s}" is not an ISO 8601 time with a zone (e.g. 2026-02-19T09:00:00Z)`, 'usage.bad-value', { subject: option });
  return s;
};

interface CreateOpts {
  from?: string; to?: string; identity: string; sources?: string; detectors?: string; signatures?: string; findings?: string;
  deviceTypes?: string; deviceVendors?: string; countries?: string; asns?: string; prefixes?: string; notifiedAt?: string;
  controlShare?: string; controlSeed?: string; quietDays?: string; baselineDays?: string; horizonDays?: string; contacts?: string; definition?: string; org?: string;
}

function campaignCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'campaign') ?? program.command('campaign').description('notification campaigns');
}

export function register(program: Command): void {
  const campaign = campaignCommand(program);
  if (!campaign.options.some((o) => o.long === '--db')) campaign.option('--db <url>', 'collector database: postgres://USER@HOST/DB or sqlite:PATH (default: $XDG_DATA_HOME/minewatch/minewatch.db)');

  campaign.command('create <name>')
    .description('define a campaign: a selection of infections over a period, its host-identity rule, control hold-back and contacts')
    .option('--definition <file>', 'the whole definition as JSON (docs/campaigns.md); options below override it')
    .option('--from <time>', 'period start (ISO 8601 with zone)')
    .option('--to <time>', 'period end, exclusive')
    .option('--identity <rule>', 'ip-day (a public address per UTC day) or device-id (the device id a sensor reports)', 'ip-day')
    .option('--sources <list>', 'sensor, telescope, internal-darknet, scanner, external (default all)')
    .option('--detectors <list>', 'detector ids (stratum, darknet-source, …)')
    .option('--signatures <list>', 'signature ids')
    .option('--findings <list>', 'scanner finding ids (vulnerable-firmware, …)')
    .option('--device-types <list>', 'device types')
    .option('--device-vendors <list>', 'device vendors')
    .option('--countries <list>', 'ISO country codes')
    .option('--asns <list>', 'AS numbers')
    .option('--prefixes <list>', 'CIDR prefixes')
    .option('--notified-at <time>', 'when the owners were notified')
    .option('--control-share <x>', 'share of hosts held back from notification as the control group (0–0.9)')
    .option('--control-seed <n>', 'seed of the random hold-back', '1')
    .option('--quiet-days <n>', 'observed days without an infection for a host to count as remediated (default 7)')
    .option('--baseline-days <n>', 'days before notification that define the baseline (default 7)')
    .option('--horizon-days <n>', 'days after notification at which treatment and control are compared (default 30)')
    .option('--contacts <file>', 'the contacts file packages are routed with')
    .option('--org <name>', 'the organisation that owns the campaign (default: the whole collector)')
    .action(async (name: string, o: CreateOpts, cmd: Command) => {
      let def: Record<string, unknown> = {};
      if (o.definition) {
        try {
          def = JSON.parse(readFileSync(o.definition, 'utf8')) as Record<string, unknown>;
        } catch (err) {
          throw new InputError('input.bad-file', `--definition ${o.definition}: ${(err as Error).message}`, { subject: o.definition, cause: err });
        }
      }
      const num = (option: string, s: string | undefined) => (s === undefined ? undefined : Number(s));
      const sel = { ...(def.selection as Record<string, unknown> | undefined) };
      const set = (k: string, v: unknown) => { if (v !== undefined) sel[k] = v; };
      set('sources', list(o.sources));
      set('detectors', list(o.detectors));
      set('signatureIds', ints('--signatures', o.signatures));
      set('findings', list(o.findings));
      set('deviceTypes', list(o.deviceTypes));
      set('deviceVendors', list(o.deviceVendors));
      set('countries', list(o.countries)?.map((c) => c.toUpperCase()));
      set('asns', ints('--asns', o.asns));
      set('prefixes', list(o.prefixes));
      const period = { ...(def.period as Record<string, unknown> | undefined) };
      if (o.from) period.from = isoOption('--from', o.from);
      if (o.to) period.to = isoOption('--to', o.to);
      const rem = { ...(def.remediation as Record<string, unknown> | undefined) };
      if (o.quietDays) rem.quietDays = num('--quiet-days', o.quietDays);
      if (o.baselineDays) rem.baselineDays = num('--baseline-days', o.baselineDays);
      if (o.horizonDays) rem.horizonDays = num('--horizon-days', o.horizonDays);
      const full = {
        ...def, selection: sel, period, remediation: rem,
        identity: cmd.getOptionValueSource('identity') === 'default' && def.identity ? def.identity : o.identity,
        ...(o.notifiedAt ? { notifiedAt: isoOption('--notified-at', o.notifiedAt) } : {}),
        ...(o.controlShare ? { control: { share: Number(o.controlShare), seed: Number(o.controlSeed) } } : {}),
        ...(o.contacts ? { contacts: o.contacts } : {}),
      };
      const { createCampaign } = await import('../campaigns/campaign-store.js');
      const c = await withStore(cmd, async (s) => {
        let orgId: number | null = null;
        if (o.org) {
          const row = await s.db.selectFrom('organisations').select('id').where('name', '=', o.org).executeTakeFirst();
          if (!row) throw new InputError('input.unknown-org', `--org: no organisation "${o.org}"`, { subject: o.org });
          orgId = Number(row.id);
        }
        return createCampaign(s, name, full as unknown as CampaignDefinitionInput, orgId); // validated by createCampaign
      });
      process.stdout.write(`created campaign ${c.name} (id ${c.id}, ${c.definition.identity}, ${c.definition.period.from} – ${c.definition.period.to})\n`);
    });

  campaign.command('list').description('list campaigns').action(async (_o: unknown, cmd: Command) => {
    const { listCampaigns } = await import('../campaigns/campaign-store.js');
    for (const c of await withStore(cmd, (s) => listCampaigns(s))) {
      process.stdout.write(`${c.id}\t${c.name}\t${c.status}\t${c.definition.identity}\t${c.definition.period.from} – ${c.definition.period.to}${c.definition.notifiedAt ? `\tnotified ${c.definition.notifiedAt}` : ''}\n`);
    }
  });

  campaign.command('build <name>').description('(re)build the campaign\'s infected hosts from the stored events and imported evidence')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { getCampaign, buildCampaignHosts } = await import('../campaigns/campaign-store.js');
      const r = await withStore(cmd, async (s) => buildCampaignHosts(s, (await getCampaign(s, name)).id));
      process.stdout.write(`${name}: ${r.hosts} hosts, ${r.hostDays} host-days from ${r.events} events and ${r.external} external rows\n`);
    });

  campaign.command('import <name>').description('import external evidence: a Shadowserver-style CSV report or IntelMQ events (JSON lines or array)')
    .option('--shadowserver <file>', 'Shadowserver-style CSV report')
    .option('--intelmq <file>', 'IntelMQ events')
    .option('--feed <name>', 'feed name (IntelMQ: when an event has no feed.name)')
    .action(async (name: string, o: { shadowserver?: string; intelmq?: string; feed?: string }, cmd: Command) => {
      if (!o.shadowserver === !o.intelmq) throw new UsageError('give exactly one of --shadowserver FILE or --intelmq FILE', 'usage.missing');
      const file = (o.shadowserver ?? o.intelmq)!;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new InputError('input.not-found', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: file, cause: err });
      }
      const { parseShadowserverCsv, parseIntelmqEvents, importEvidence } = await import('../campaigns/evidence-import.js');
      const parsed = o.shadowserver ? parseShadowserverCsv(text, o.feed ?? 'shadowserver') : parseIntelmqEvents(text, o.feed ?? 'intelmq');
      for (const p of parsed.problems.slice(0, 10)) process.stderr.write(`${file}: line ${p.line}: ${p.reason}\n`);
      const { getCampaign, buildCampaignHosts } = await import('../campaigns/campaign-store.js');
      const n = await withStore(cmd, async (s) => {
        const c = await getCampaign(s, name);
        const k = await importEvidence(s, c.id, parsed.rows);
        await buildCampaignHosts(s, c.id);
        return k;
      });
      process.stdout.write(`${name}: ${n} rows imported, ${parsed.problems.length} bad rows skipped; hosts rebuilt\n`);
      if (parsed.problems.length > 0) process.exitCode = 2;
    });

  campaign.command('mark-notified <name>').description('record when the owners were notified (the control group stays held back)')
    .requiredOption('--at <time>', 'notification time (ISO 8601 with zone)')
    .action(async (name: string, o: { at: string }, cmd: Command) => {
      const at = Date.parse(isoOption('--at', o.at)!);
      const { getCampaign, markNotified } = await import('../campaigns/campaign-store.js');
      await withStore(cmd, async (s) => markNotified(s, (await getCampaign(s, name)).id, at));
      process.stdout.write(`${name}: notified at ${new Date(at).toISOString()}\n`);
    });

  campaign.command('hosts <name>').description('the campaign\'s infected hosts as host records (JSON lines, the input of campaign package --hosts); the control group is left out')
    .option('-o, --output <file>', "file, or '-' for stdout", '-')
    .option('--include-control', 'also write the hosts held back from notification (the control group)')
    .action(async (name: string, o: { output: string; includeControl?: boolean }, cmd: Command) => {
      checkOutputs([{ option: '--output', path: o.output }]);
      const { getCampaign, campaignHosts } = await import('../campaigns/campaign-store.js');
      const { hostRecord } = await import('../campaigns/report-text.js');
      const { c, hosts } = await withStore(cmd, async (s) => {
        const c = await getCampaign(s, name);
        return { c, hosts: await campaignHosts(s, c.id) };
      });
      const lines = hosts.filter((h) => o.includeControl || h.group !== 'control').map((h) => hostRecord(h, c.definition.identity)).filter((h) => h !== null).map((h) => JSON.stringify(h));
      writeOutput(o.output, lines.length ? `${lines.join('\n')}\n` : '');
      const held = hosts.filter((h) => h.group === 'control').length;
      if (o.output !== '-') process.stdout.write(`${lines.length} host records in ${o.output} (identity ${c.definition.identity}${held && !o.includeControl ? `; ${held} control hosts held back` : ''})\n`);
    });

  campaign.command('report <name>').description('remediation report: baseline, daily counts, reduction, clean-up shares, Kaplan–Meier median, reinfections, control effect')
    .option('-f, --format <fmt>', 'md or json', 'md')
    .option('-o, --output <file>', "file, or '-' for stdout", '-')
    .option('--asn-db <file>', 'AS range CSV "start,end,asn,org" for AS sizes (default: the bundled @ip-location-db/asn data)')
    .action(async (name: string, o: { format: string; output: string; asnDb?: string }, cmd: Command) => {
      if (o.format !== 'md' && o.format !== 'json') throw new UsageError(`--format must be md or json (got "${o.format}")`, 'usage.bad-value', { subject: '--format' });
      checkOutputs([{ option: '--output', path: o.output }]);
      const { getCampaign, campaignReport } = await import('../campaigns/campaign-store.js');
      const { reportMarkdown } = await import('../campaigns/report-text.js');
      const { asSizeLookup } = await import('../campaigns/as-size.js');
      const asSize = asSizeLookup(o.asnDb);
      const r = await withStore(cmd, async (s) => campaignReport(s, (await getCampaign(s, name)).id, { orgId: null }, undefined, asSize));
      writeOutput(o.output, o.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : reportMarkdown(r));
    });
}
