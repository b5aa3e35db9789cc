/**
 * `scan(options)`: the library behind `minewatch scan`. Targets → discovery (TCP connects,
 * ARP table, mDNS/SSDP on the local link) → service identification on open ports →
 * optional default-credential checks → passive checks → findings. Everything sent goes
 * through one global rate limit; concurrency and every wait are bounded; an AbortSignal
 * (Ctrl-C) stops new work and returns what was found so far.
 */
import { CHECKS } from './checks/index.js';
import { Conversation, printableBanner } from './conversation.js';
import { checkHostCredentials } from './credentials.js';
import { discoverLink } from './discovery.js';
import { identifyService } from './identify.js';
import { defaultCredentials } from './knowledge.js';
import { ssdpSearch, SSDP_PORT } from './probes/ssdp-upnp.js';
import { RateLimiter } from './rate-limit.js';
import { expandTargets, localSubnets } from './targets.js';
import type { Finding, HostResult, PortResult, ScanResult, Severity } from './types.js';
import { ReasonCounter } from '../events/counters.js';
import { DEFAULT_PORTS } from './ports.js';

export { DEFAULT_PORTS };

export interface ScanProgress {
  phase: 'discovery' | 'ports' | 'credentials' | 'checks' | 'done';
  done: number;
  total: number;
  openPorts: number;
  findings: number;
}

export interface ScanOptions {
  /** Addresses, CIDRs, ranges, hostnames; empty = the machine's own local subnets. */
  targets: readonly string[];
  ports?: readonly number[];
  /** Simultaneous connections (default 64). */
  concurrency?: number;
  /** Connect and per-read timeout in ms (default 1500). */
  timeoutMs?: number;
  /** Global limit on new connections and credential attempts per second (default 300). */
  rate?: number;
  /** --i-own-these-addresses */
  allowPublic?: boolean;
  checkCredentials?: boolean;
  /** Cap on credential attempts per service port (default: the whole shipped list). */
  maxCredentialAttempts?: number;
  /** Alternative credential list (same format as data/scan/credentials.json). */
  credentialsFile?: string;
  /** mDNS/SSDP multicast on the local link; default: only when scanning our own subnets. */
  linkDiscovery?: boolean;
  /** Unicast SSDP M-SEARCH to each live host (default true); the UDP port is for tests. */
  ssdp?: boolean;
  ssdpPort?: number;
  maxHosts?: number;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  /** Name resolution override (tests). */
  resolve?: (name: string) => Promise<string[]>;
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export async function scan(opts: ScanOptions): Promise<ScanResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 1500;
  const concurrency = Math.max(1, opts.concurrency ?? 64);
  const ports = [...new Set(opts.ports ?? DEFAULT_PORTS)];
  const limiter = new RateLimiter(opts.rate ?? 300);
  const malformed = new ReasonCounter();
  const ownSubnets = opts.targets.length === 0;
  const specs = ownSubnets ? localSubnets() : opts.targets;
  const targets = await expandTargets(specs, { allowPublic: opts.allowPublic ?? false, maxHosts: opts.maxHosts, resolve: opts.resolve });
  // A user's credential list is read before any probe: a bad file fails now, not after the scan.
  const credentialList = opts.checkCredentials && opts.credentialsFile ? defaultCredentials(opts.credentialsFile) : null;

  const hosts = new Map<string, HostResult>();
  for (const t of targets) {
    const h: HostResult = { address: t.address, state: 'down', discoveredBy: [], ports: [], findings: [] };
    if (t.hostname) h.hostname = t.hostname;
    hosts.set(t.address, h);
  }
  let openPorts = 0;
  let findingsCount = 0;
  let credentialAttempts = 0;
  const progress = (phase: ScanProgress['phase'], done: number, total: number): void =>
    opts.onProgress?.({ phase, done, total, openPorts, findings: findingsCount });
  const aborted = (): boolean => opts.signal?.aborted === true;

  const markUp = (h: HostResult, via: string): void => {
    h.state = 'up';
    if (!h.discoveredBy.includes(via)) h.discoveredBy.push(via);
  };

  // 1. The local link: ARP table always, multicast only on our own subnets (or when asked).
  progress('discovery', 0, 1);
  const link = await discoverLink(new Set(hosts.keys()), opts.linkDiscovery ?? ownSubnets, Math.min(timeoutMs, 2000));
  for (const [addr, s] of link) {
    const h = hosts.get(addr)!;
    for (const via of s.via) markUp(h, via);
    if (s.mac) h.mac = s.mac;
    if (s.hostname && !h.hostname) h.hostname = s.hostname;
  }

  // 2. TCP connect scan and service identification, host by host.
  // Not gated on abort: probes already in flight finish, so an interrupted port is still named.
  const openConn = async (host: string, port: number, tls?: boolean): Promise<Conversation | null> => {
    await limiter.take();
    const o = await Conversation.open(host, port, timeoutMs, { tls });
    return o.state === 'open' ? o.conversation : null;
  };
  const total = hosts.size * ports.length;
  let done = 0;
  function* tasks(): Generator<[HostResult, number]> {
    for (const h of hosts.values()) for (const p of ports) yield [h, p];
  }
  const queue = tasks();
  const worker = async (): Promise<void> => {
    for (;;) {
      if (aborted()) return;
      const next = queue.next();
      if (next.done) return;
      const [h, port] = next.value;
      await limiter.take();
      const outcome = await Conversation.open(h.address, port, timeoutMs);
      if (outcome.state === 'closed') markUp(h, 'tcp');
      else if (outcome.state === 'open') {
        markUp(h, 'tcp');
        openPorts++;
        let result: PortResult;
        try {
          result = await identifyService(outcome.conversation, {
            host: h.address,
            port,
            timeoutMs,
            bannerWaitMs: Math.min(timeoutMs, 600),
            open: (o) => openConn(h.address, port, o?.tls),
            malformed: (reason) => malformed.add(reason),
          });
        } catch {
          malformed.add('identify.error');
          outcome.conversation.close();
          result = { port, proto: 'tcp', state: 'open', service: 'unknown', product: '', version: '', banner: '' };
        }
        h.ports.push(result);
      }
      progress('ports', ++done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, total)) }, () => worker()));

  // 3. UPnP over UDP: one unicast M-SEARCH per live host.
  if (opts.ssdp !== false && !aborted()) {
    const live = [...hosts.values()].filter((h) => h.state === 'up');
    await runPool(live, concurrency, async (h) => {
      await limiter.take();
      const answers = await ssdpSearch(h.address, Math.min(timeoutMs, 1000), opts.ssdpPort ?? SSDP_PORT, 16);
      const mine = answers.filter((a) => a.from === h.address);
      if (mine.length === 0) return;
      const a = mine[0];
      h.ports.push({
        port: opts.ssdpPort ?? SSDP_PORT,
        proto: 'udp',
        state: 'open',
        service: 'ssdp',
        product: a.server,
        version: '',
        banner: printableBanner(`LOCATION: ${a.location} | SERVER: ${a.server}`),
        details: { location: a.location, server: a.server, st: mine.map((m) => m.st).slice(0, 16), portMapping: mine.some((m) => /WAN(IP|PPP)Connection|InternetGatewayDevice/i.test(m.st)), tr064: mine.some((m) => /dslforum/i.test(m.st)) },
      });
    });
  }

  // 4. Default credentials (opt-in), one host at a time per worker, ports in turn.
  if (opts.checkCredentials && !aborted()) {
    const list = credentialList ?? defaultCredentials();
    const live = [...hosts.values()].filter((h) => h.ports.length > 0);
    let credDone = 0;
    await runPool(live, Math.max(1, Math.min(concurrency, 8)), async (h) => {
      const { findings } = await checkHostCredentials(
        {
          host: h.address,
          timeoutMs,
          open: (port, o) => openConn(h.address, port, o?.tls),
          beforeAttempt: () => limiter.take(),
          counted: () => void credentialAttempts++,
          signal: opts.signal,
        },
        h,
        list,
        opts.maxCredentialAttempts ?? list.length,
      );
      h.findings.push(...findings);
      findingsCount += findings.length;
      progress('credentials', ++credDone, live.length);
    });
  }

  // 5. Passive checks: instant, so they run even after Ctrl-C on what was found so far.
  for (const h of hosts.values()) {
    h.ports.sort((a, b) => (a.proto === b.proto ? a.port - b.port : a.proto < b.proto ? -1 : 1));
    for (const check of CHECKS) {
      try {
        h.findings.push(...check.run(h));
      } catch {
        malformed.add(`check.${check.id}-error`);
      }
    }
    h.findings.sort(compareFindings);
  }
  findingsCount = [...hosts.values()].reduce((n, x) => n + x.findings.length, 0);
  progress('done', 1, 1);

  const finished = Date.now();
  const hostList = [...hosts.values()];
  return {
    hosts: hostList,
    stats: {
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      elapsedMs: finished - started,
      hostsTargeted: hostList.length,
      hostsUp: hostList.filter((h) => h.state === 'up').length,
      portsProbed: done,
      openPorts: hostList.reduce((n, h) => n + h.ports.filter((p) => p.state === 'open').length, 0),
      credentialAttempts,
      interrupted: aborted(),
      malformed: malformed.toJSON(),
    },
  };
}

function compareFindings(a: Finding, b: Finding): number {
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.port ?? 0) - (b.port ?? 0) || a.id.localeCompare(b.id);
}

/** Run `fn` over items with at most `limit` in flight. */
async function runPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < items.length) await fn(items[i++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
}
