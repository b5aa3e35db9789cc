/**
 * `minewatch scan [TARGET…]`: parse flags, call the scanner library, print and write reports.
 * Ctrl-C once stops new probes and reports what was found so far; twice exits at once.
 */
import { Presets, SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { UsageError } from '../util/errors.js';
import { withSendOptions } from './send-options.js';
import type { SendFlags } from '../transport/send.js';
import { DEFAULT_PORTS } from '../scan/ports.js';
import type { ScanProgress } from '../scan/scanner.js';
import { parseIntOption, parsePortList } from './options.js';
import { checkOutputs, stdoutClaimed, writeOutput, type OutputTarget } from './outputs.js';

export { parsePortList };

interface ScanFlags extends SendFlags {
  ports?: number[];
  json?: string;
  html?: string;
  report?: string;
  eve?: string;
  quiet?: boolean;
  concurrency: number;
  timeout: number;
  rate: number;
  checkCredentials?: boolean;
  maxCredentialAttempts?: number;
  credentials?: string;
  iOwnTheseAddresses?: boolean;
  maxHosts?: number;
  ssdp: boolean;
  linkDiscovery?: boolean;
  progress: boolean;
  sensor?: string;
}

export function register(program: Command): void {
  withSendOptions(program.command('scan'))
    .description('find exposed services, default passwords and vulnerable firmware on your own network, with fixes')
    .argument('[targets...]', 'addresses, CIDRs (192.168.1.0/24), ranges (192.168.1.10-20) or hostnames; default: this machine\'s local subnets')
    .option('-p, --ports <list>', `TCP ports to scan (default: ${DEFAULT_PORTS.join(',')})`, (v: string) => parsePortList(v))
    .option('--json <file>', "write the results as JSON to FILE, or '-' for stdout")
    .option('--html <file>', "write a self-contained HTML report to FILE, or '-' for stdout")
    .addOption(new Option('--report <file>').hideHelp())
    .option('--eve <file>', "write EVE JSON lines (event_type \"scan\") to FILE, or '-' for stdout")
    .option('--concurrency <n>', 'simultaneous connections', parseIntOption('--concurrency', 1, 4096), 64)
    .option('--timeout <ms>', 'connect and read timeout in milliseconds', parseIntOption('--timeout', 1, 60000), 1500)
    .option('--rate <n>', 'global limit: new connections and login attempts per second', parseIntOption('--rate', 1, 100000), 300)
    .option('--check-credentials', 'try the shipped default/weak password list on telnet, SSH, HTTP Basic, Redis and MQTT (stops at the first success)')
    .option('--max-credential-attempts <n>', 'at most this many attempts per service (default: the whole list)', parseIntOption('--max-credential-attempts', 1, 10000))
    .option('--credentials <file>', 'use this credential list instead of the shipped one (same JSON format)')
    .option('--i-own-these-addresses', 'allow public (internet) addresses: only for networks you own or may test')
    .option('--max-hosts <n>', 'refuse to scan more hosts than this', parseIntOption('--max-hosts', 1, 1 << 20))
    .option('--no-ssdp', 'do not send the unicast SSDP (UPnP) query to live hosts')
    .option('--link-discovery', 'also ask the local link (mDNS, SSDP multicast) when targets are given')
    .option('--no-progress', 'never draw a progress bar')
    .option('-q, --quiet', 'print nothing but errors (use with --json/--html/--eve)')
    .option('--sensor <name>', 'sensor name in EVE events')
    .action(async (targets: string[], flags: ScanFlags) => {
      if (flags.html !== undefined && flags.report !== undefined) throw new UsageError('give --html once (--report is another name for it)', 'usage.conflict', { subject: '--html' });
      const html = flags.html ?? flags.report;
      const outputs: OutputTarget[] = [{ option: '--json', path: flags.json }, { option: '--html', path: html }, { option: '--eve', path: flags.eve }];
      // every output is checked before the first probe: a typo must not cost a whole scan
      checkOutputs(outputs);
      const { openSender, sendEvents, finishSending } = await import('../transport/send.js');
      const sender = openSender(flags, 'scan');
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts++;
        if (interrupts === 1) {
          process.stderr.write('\nstopping: finishing probes in flight, then reporting what was found so far (Ctrl-C again to quit now)\n');
          controller.abort();
        } else {
          process.exit(130);
        }
      };
      process.on('SIGINT', onSigint);
      const bar = flags.progress && !flags.quiet && process.stderr.isTTY
        ? new SingleBar({ format: '{phase} [{bar}] {value}/{total} | open {open} | findings {findings}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic)
        : null;
      let barPhase = '';
      const onProgress = (p: ScanProgress): void => {
        if (!bar) return;
        if (p.phase !== barPhase) {
          if (barPhase) bar.stop();
          barPhase = p.phase;
          if (p.phase !== 'done') bar.start(p.total, p.done, { phase: p.phase.padEnd(11), open: p.openPorts, findings: p.findings });
          return;
        }
        bar.update(p.done, { open: p.openPorts, findings: p.findings });
      };
      try {
        const { scan } = await import('../scan/scanner.js');
        const result = await scan({
          targets,
          ports: flags.ports,
          concurrency: flags.concurrency,
          timeoutMs: flags.timeout,
          rate: flags.rate,
          allowPublic: flags.iOwnTheseAddresses === true,
          checkCredentials: flags.checkCredentials === true,
          maxCredentialAttempts: flags.maxCredentialAttempts,
          credentialsFile: flags.credentials,
          maxHosts: flags.maxHosts,
          ssdp: flags.ssdp,
          linkDiscovery: flags.linkDiscovery ? true : undefined,
          signal: controller.signal,
          onProgress,
        });
        bar?.stop();
        const [{ renderTextReport }, { renderHtmlReport }, { scanEveEvents }] = await Promise.all([
          import('../scan/report-text.js'), import('../scan/report-html.js'), import('../scan/report-eve.js'),
        ]);
        if (!flags.quiet && !stdoutClaimed(outputs)) process.stdout.write(renderTextReport(result));
        const { stats, hosts } = result;
        const eve = flags.eve || flags.send ? scanEveEvents(result, { sensor: flags.sensor }) : [];
        if (flags.json) writeOutput(flags.json, `${JSON.stringify({ hosts, stats }, null, 2)}\n`);
        if (html) writeOutput(html, renderHtmlReport(result));
        if (flags.eve) writeOutput(flags.eve, eve.map((e) => JSON.stringify(e)).join('\n') + '\n');
        sendEvents(sender, eve);
        await finishSending(sender, flags);
        if (stats.interrupted) process.exitCode = 130;
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', onSigint);
      }
    });
}
