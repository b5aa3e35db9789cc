/**
 * `minewatch campaign package`: notification packages from a JSON-lines file of infected-host
 * records (src/campaigns/types.ts InfectedHost) and a contacts file, one set of files per
 * recipient (national CERT or AS abuse address). Thin: the work is in src/campaigns/.
 * The full campaign commands (selection, remediation, notify) come with the store.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError, UsageError } from '../util/errors.js';
import { checkOutputs } from './outputs.js';

interface PackageOpts {
  hosts: string;
  contacts: string;
  abuseCsv?: string;
  format: string;
  out: string;
  by: string;
  campaign: string;
  feedName?: string;
  generatedAt?: string;
  emails?: string;
}

export function register(program: Command): void {
  const campaign = program.command('campaign').description('notification campaigns: packages for CERTs and network owners');
  campaign.command('package')
    .description('write notification packages per recipient (CERT per country, or abuse address per AS) from host records')
    .requiredOption('--hosts <file>', 'infected-host records, one JSON object per line (see docs/campaigns.md)')
    .requiredOption('--contacts <file>', 'contacts file (JSON: reporter, certs, asAbuse)')
    .option('--abuse-csv <file>', 'add AS abuse contacts from a RIPE/APNIC-style CSV export (contacts file entries win)')
    .option('-f, --format <formats>', 'comma-separated: intelmq, shadowserver, xarf, iodef, stix, misp, or all', 'all')
    .requiredOption('-o, --out <dir>', 'output directory (created when missing)')
    .option('--by <route>', 'route hosts to the CERT of their country (cert) or to the abuse address of their AS (as)', 'cert')
    .option('--campaign <name>', 'campaign name (part of every deterministic id)', 'campaign')
    .option('--feed-name <name>', 'IntelMQ feed.name / Shadowserver public_source (default minewatch-<campaign>)')
    .option('--generated-at <time>', 'generation time written into the packages (default: the latest lastSeen of the input)')
    .option('--emails <dir>', 'also write the notification e-mails (dry run: .eml files, nothing is sent) and a notification log to DIR')
    .action(async (o: PackageOpts) => {
      const { PACKAGE_FORMATS, isPackageFormat } = await import('../campaigns/formats/index.js');
      const formats = o.format.trim() === 'all' ? [...PACKAGE_FORMATS] : o.format.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = formats.filter((f) => !isPackageFormat(f));
      if (unknown.length > 0 || formats.length === 0) throw new UsageError(`--format: unknown ${unknown.join(', ') || '(empty)'}; use ${PACKAGE_FORMATS.join(', ')} or all`, 'usage.bad-value', { subject: '--format' });
      if (o.by !== 'cert' && o.by !== 'as') throw new UsageError(`--by must be cert or as (got "${o.by}")`, 'usage.bad-value', { subject: '--by' });
      if (o.generatedAt !== undefined && (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(o.generatedAt) || Number.isNaN(Date.parse(o.generatedAt)))) {
        throw new UsageError(`--generated-at must be an ISO 8601 time with a zone, e.g. 2019-11-30T00:00:00Z (got "${o.generatedAt}")`, 'usage.bad-value', { subject: '--generated-at' });
      }
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(o.campaign)) throw new UsageError('--campaign: letters, digits, dot, dash and underscore, up to 100', 'usage.bad-value', { subject: '--campaign' });
      checkOutputs([{ option: '--out', path: o.out, dir: true }, { option: '--emails', path: o.emails, dir: true }]);

      const { readContactsFile, Contacts, importAbuseContactsCsv, mergeAsContacts } = await import('../campaigns/contacts.js');
      const { readHostsFile } = await import('../campaigns/hosts.js');
      const { buildPackages, writePackageFiles } = await import('../campaigns/package.js');
      let file = readContactsFile(o.contacts);
      if (o.abuseCsv) {
        let text: string;
        try {
          text = readFileSync(o.abuseCsv, 'utf8');
        } catch (err) {
          throw new InputError('input.not-found', `--abuse-csv ${o.abuseCsv}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: o.abuseCsv, cause: err });
        }
        const imp = importAbuseContactsCsv(text);
        file = mergeAsContacts(file, imp.contacts);
        process.stderr.write(`--abuse-csv: ${imp.contacts.length} AS contacts imported, ${imp.skipped.length} rows skipped${imp.skipped.slice(0, 5).map((s) => `\n  line ${s.line}: ${s.reason}`).join('')}\n`);
      }
      const read = await readHostsFile(o.hosts);
      for (const p of read.problems.slice(0, 10)) process.stderr.write(`--hosts ${o.hosts}: line ${p.line}: ${p.reason}\n`);
      if (read.problems.length > 10) process.stderr.write(`--hosts ${o.hosts}: … ${read.problems.length - 10} more bad lines\n`);
      if (read.hosts.length === 0) throw new InputError('input.no-hosts', `--hosts ${o.hosts}: no valid host records`, { subject: o.hosts });

      const built = buildPackages(read.hosts, new Contacts(file), { campaign: o.campaign, by: o.by, formats: formats as (typeof PACKAGE_FORMATS)[number][], feedName: o.feedName, generatedAt: o.generatedAt });
      let written = 0;
      for (const { pkg, files } of built.packages) {
        written += writePackageFiles(o.out, files).length;
        process.stdout.write(`${pkg.recipient.id} ${pkg.recipient.email}: ${pkg.hosts.length} hosts (${pkg.hostIdentityRule}), ${files.length} files\n`);
      }
      for (const u of built.grouping.unrouted) process.stdout.write(`unrouted (${u.reason}${u.key !== '-' ? ` ${u.key}` : ''}): ${u.hosts} hosts\n`);
      process.stdout.write(`${written} files in ${o.out} (generated-at ${built.context.generatedAt}; ${read.hosts.length} records, ${read.problems.length} bad lines)\n`);

      if (o.emails) {
        const { composeMessage } = await import('../campaigns/email.js');
        const { sendNotifications } = await import('../campaigns/notify.js');
        const { JsonFileNotificationLog } = await import('../campaigns/notification-log.js');
        const messages = built.packages.map(({ pkg, files }) => composeMessage(pkg, files, built.context));
        const res = await sendNotifications(messages, { dryRun: true, outDir: o.emails, log: new JsonFileNotificationLog(join(o.emails, 'notifications.json')) });
        process.stdout.write(`${res.length} e-mails written to ${o.emails} (dry run, nothing sent)\n`);
      }
      // packages were written, but some records were not in them: the user has data to fix
      if (read.problems.length > 0) process.exitCode = 2;
    });
}
