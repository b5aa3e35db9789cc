/**
 * `minewatch scan [TARGET…]`: parse flags, call the scanner library, print and write reports.
 * Ctrl-C once stops new probes and reports what was found so far; twice exits at once.
 */
import { writeFileSync } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import { withSendOptions } from './send-options.js';
import type { SendFlags } from '../transport/send.js';
import { DEFAULT_PORTS } from '../scan/ports.js';
import type { ScanProgress } from '../scan/scanner.js';

/** "22,80,8000-8010" → sorted unique ports; UsageError on anything else. */
export function parsePortList(spec: string): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] ? Number(m[2]) : lo;
    if (!m || lo < 1 || hi > 65535 || hi < lo) throw new UsageError(`bad port list "${spec}": use e.g. 22,80,8000-8100 (ports 1-65535)`);
    for (let p = lo; p <= hi; p++) out.add(p);
  }
  if (out.size === 0) throw new UsageError('empty port list');
  return [...out].sort((a, b) => a - b);
}

function positiveInt(name: string, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
    return n;
  };
}

interface ScanFlags extends SendFlags {
  ports?: number[];
  json?: string;
  html?: string;
  eve?: string;
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
    .option('-p, --ports <list>', `TCP ports to scan (default: ${DEFAULT_PORTS.join(',')})`, parsePortList)
    .option('--json <file>', 'write the results as JSON')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--eve <file>', 'write EVE JSON lines (event_type "scan") for the collector')
    .option('--concurrency <n>', 'simultaneous connections', positiveInt('concurrency', 4096), 64)
    .option('--timeout <ms>', 'connect and read timeout in milliseconds', positiveInt('timeout', 60000), 1500)
    .option('--rate <n>', 'global limit: new connections and login attempts per second', positiveInt('rate', 100000), 300)
    .option('--check-credentials', 'try the shipped default/weak password list on telnet, SSH, HTTP Basic, Redis and MQTT (stops at the first success)')
    .option('--max-credential-attempts <n>', 'at most this many attempts per service (default: the whole list)', positiveInt('max-credential-attempts', 10000))
    .option('--credentials <file>', 'use this credential list instead of the shipped one (same JSON format)')
    .option('--i-own-these-addresses', 'allow public (internet) addresses: only for networks you own or may test')
    .option('--max-hosts <n>', 'refuse to scan more hosts than this', positiveInt('max-hosts', 1 << 20))
    .option('--no-ssdp', 'do not send the unicast SSDP (UPnP) query to live hosts')
    .option('--link-discovery', 'also ask the local link (mDNS, SSDP multicast) when targets are given')
    .option('--no-progress', 'no progress bar')
    .option('--sensor <name>', 'sensor name in EVE events')
    .action(async (targets: string[], flags: ScanFlags) => {
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
      const bar = flags.progress && process.stderr.isTTY
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
        process.stdout.write(renderTextReport(result));
        const { stats, hosts } = result;
        if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ hosts, stats }, null, 2)}\n`);
        if (flags.html) writeFileSync(flags.html, renderHtmlReport(result));
        if (flags.eve) writeFileSync(flags.eve, scanEveEvents(result, { sensor: flags.sensor }).map((e) => JSON.stringify(e)).join('\n') + '\n');
        sendEvents(sender, scanEveEvents(result, { sensor: flags.sensor }));
        await finishSending(sender, flags);
        if (stats.interrupted) process.exitCode = 130;
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', onSigint);
      }
    });
}
