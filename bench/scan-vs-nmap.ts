/**
 * minewatch scan vs `nmap -sT -sV` on the same private servers on 127.0.0.1 (Redis with and
 * without a password, Mosquitto, nginx with a router admin page, telnetd, OpenSSH), over the
 * default port list plus the servers' ports. Prints open ports and service names found by
 * each tool, and wall times (median of --runs). Only 127.0.0.1 is scanned.
 *
 *   node --import tsx bench/scan-vs-nmap.ts [--runs 3] [--nmap-runs 1]
 *   (nmap -sV needs minutes here: it waits out every probe on services it cannot name)
 *   (compiled: node dist/bench/scan-vs-nmap.js)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DEFAULT_PORTS, scan } from '../src/scan/scanner.js';
import { findBinary, startMosquitto, startNginx, startRedis, startSshd, startTelnetd, type TestServer } from '../test/helpers/servers.js';
import { median } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const ROUTER_PAGE = '<!DOCTYPE html><html><head><title>RouterOS router configuration page</title></head><body><h1>RouterOS v6.40.4</h1><form><input type="password" name="password"></form></body></html>';

interface Seen {
  service: string;
  product: string;
  version: string;
}

export interface ScanBenchResult {
  ports: number[];
  expected: Map<number, string>;
  minewatch: { medianS: number; open: Map<number, Seen> };
  nmap: { medianS: number; open: Map<number, Seen> } | null;
  markdown: string;
}

/** Parse nmap's XML output: open ports with service name, product and version. */
export function parseNmapXml(xml: string): Map<number, Seen> {
  const out = new Map<number, Seen>();
  for (const m of xml.matchAll(/<port protocol="tcp" portid="(\d+)">([\s\S]*?)<\/port>/g)) {
    if (!/<state state="open"/.test(m[2])) continue;
    const svc = /<service ([^>]*)>|<service ([^>]*)\/>/.exec(m[2]);
    const attrs = svc ? (svc[1] ?? svc[2]) : '';
    const attr = (n: string): string => new RegExp(`\\b${n}="([^"]*)"`).exec(attrs)?.[1] ?? '';
    out.set(Number(m[1]), { service: attr('name'), product: attr('product'), version: attr('version') });
  }
  return out;
}

/** A service name counts as right when it names the protocol we started (nmap's aliases included). */
export function sameService(expected: string, named: string): boolean {
  const aliases: Record<string, RegExp> = { http: /^http(-alt|-proxy)?$/, mqtt: /^mqtt$|^mosquitto\b/, redis: /^redis$/, ssh: /^ssh$/, telnet: /^telnet$/ };
  return (aliases[expected] ?? new RegExp(`^${expected}$`)).test(named);
}

export async function runScanBench(runs = 3, nmapRuns = 1): Promise<ScanBenchResult> {
  const servers: Array<[string, TestServer | string]> = [];
  const user = { username: `mwb${randomBytes(3).toString('hex')}`, password: randomBytes(12).toString('base64url') };
  const started = await Promise.all([startRedis(), startRedis({ password: randomBytes(12).toString('base64url') }), startMosquitto(), startNginx(ROUTER_PAGE), startTelnetd(), startSshd(user)]);
  ['redis', 'redis', 'mqtt', 'http', 'telnet', 'ssh'].forEach((svc, i) => servers.push([svc, started[i]]));
  try {
    const expected = new Map<number, string>();
    for (const [svc, s] of servers) if (typeof s !== 'string') expected.set(s.port, svc);
    const ports = [...new Set([...DEFAULT_PORTS, ...expected.keys()])].sort((a, b) => a - b);

    const mwTimes: number[] = [];
    let mwOpen = new Map<number, Seen>();
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await scan({ targets: ['127.0.0.1'], ports, ssdp: false });
      mwTimes.push((performance.now() - t0) / 1000);
      mwOpen = new Map(r.hosts[0].ports.filter((p) => p.proto === 'tcp').map((p) => [p.port, { service: p.service, product: p.product, version: p.version }]));
    }

    let nmap: ScanBenchResult['nmap'] = null;
    const nmapBin = findBinary('nmap');
    if (nmapBin) {
      const times: number[] = [];
      let open = new Map<number, Seen>();
      for (let i = 0; i < nmapRuns; i++) {
        const t0 = performance.now();
        const out = spawnSync(nmapBin, ['-sT', '-sV', '-Pn', '-n', '-p', ports.join(','), '-oX', '-', '127.0.0.1'], { encoding: 'utf8', timeout: 300_000 });
        times.push((performance.now() - t0) / 1000);
        open = parseNmapXml(out.stdout ?? '');
      }
      nmap = { medianS: median(times), open };
    }

    const allOpen = [...new Set([...mwOpen.keys(), ...(nmap?.open.keys() ?? [])])].sort((a, b) => a - b);
    const fmt = (s: Seen | undefined): string => (s ? [s.service, s.product, s.version].filter(Boolean).join(' ') : '—');
    const rows = allOpen.map((p) => `| ${p} | ${expected.get(p) ?? '(machine\'s own)'} | ${fmt(mwOpen.get(p))} | ${nmap ? fmt(nmap.open.get(p)) : 'n/a'} |`);
    const score = (open: Map<number, Seen>): number => [...expected].filter(([p, svc]) => open.has(p) && sameService(svc, open.get(p)!.service)).length;
    const md = [
      `Targets: 127.0.0.1, ${ports.length} TCP ports (the default list plus ${expected.size} private servers); minewatch median of ${runs} runs, nmap median of ${nmapRuns}.`,
      '',
      '| port | server started | minewatch scan | nmap -sT -sV |',
      '|---|---|---|---|',
      ...rows,
      '',
      '| | minewatch scan | nmap -sT -sV |',
      '|---|---|---|',
      `| open ports found | ${mwOpen.size} | ${nmap ? nmap.open.size : 'n/a'} |`,
      `| private servers named correctly | ${score(mwOpen)}/${expected.size} | ${nmap ? `${score(nmap.open)}/${expected.size}` : 'n/a'} |`,
      `| wall time (s) | ${median(mwTimes).toFixed(2)} | ${nmap ? nmap.medianS.toFixed(2) : 'n/a'} |`,
    ].join('\n');
    return { ports, expected, minewatch: { medianS: median(mwTimes), open: mwOpen }, nmap, markdown: md };
  } finally {
    await Promise.all(servers.map(([, s]) => (typeof s === 'string' ? undefined : s.stop())));
  }
}

const invoked = process.argv[1] && /scan-vs-nmap\.(ts|js)$/.test(process.argv[1]);
if (invoked) {
  const { value } = readArgs();
  const runs = Math.max(1, Number(value('--runs', '3')) || 3);
  const nmapRuns = Math.max(1, Number(value('--nmap-runs', '1')) || 1);
  runScanBench(runs, nmapRuns).then(
    (r) => process.stdout.write(`${r.markdown}\n`),
    (err: unknown) => {
      process.stderr.write(`scan bench failed: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
