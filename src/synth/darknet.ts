/**
 * `darknet`: what a network telescope receives over several hours — scanner families with
 * their header fingerprints (Mirai, masscan, ZMap, Nmap, unknown), a Redis/6379 surge in the
 * later hours, backscatter from DoS victims (SYN-ACK, RST, ICMP replies and errors quoting
 * the spoofed packet, DNS responses), a spoofed burst (thousands of one-packet sources with
 * one fingerprint), erratic packets, some IPv6, and some packets not to the darknet at all.
 * Packets are built one at a time into the same scratch frame; statistics for the ground
 * truth live in typed arrays.
 */
import { ACK, CWR, ECE, FIN, FrameBuilder, PSH, Path, RST, SYN, URG, writeIp4Header, PROTO_TCP, PROTO_UDP } from './packet-builder.js';
import { PcapEmitter } from './emitter.js';
import { Rng } from './rng.js';
import { parseDarknetCidr, publicIp4 } from './net.js';
import { cidrContainsIpv4, formatCidr, formatIpv4, formatIpv6, parseIpv6, type Cidr } from '../util/ip.js';
import { isoUs } from './world.js';
import { dnsQuery, dnsResponse, QTYPE_A } from './content/dns.js';

export interface DarknetOptions {
  seed: number;
  packets: number;
  /** IPv4 darknet (default 198.18.0.0/16) */
  darknet: string;
  /** IPv6 darknet (default 2001:db8:ffff::/48) */
  darknet6?: string;
  hours: number;
  startUs: number;
}

export type SourceClass = 'scanner' | 'backscatter' | 'other';
export type ScannerFamily = 'mirai' | 'zmap' | 'masscan' | 'nmap' | 'unknown';

export interface SourceTruth {
  ip: string;
  class: SourceClass;
  family?: ScannerFamily;
  spoofed: boolean;
  /** 'redis-6379' for the surge, 'backscatter:<kind>', 'erratic:<kind>' … */
  campaign?: string;
  packets: number;
}

/** What every darknet truth starts with (darknet-scale.ts shares it). */
export interface DarknetTruthSpan {
  seed: number;
  /** first and last packet time (ISO 8601, µs) */
  start: string;
  end: string;
  hours: number;
}

export interface DarknetTruth extends DarknetTruthSpan {
  kind: 'darknet';
  darknets: string[];
  totals: {
    /** every packet in the file, and the file size */
    packets: number;
    bytes: number;
    packetsToDarknet: number;
    packetsNotToDarknet: number;
    /** distinct source addresses of packets to the darknet (IPv4 and IPv6) */
    uniqueSources: number;
    ipv6Packets: number;
    byClass: Record<SourceClass, { packets: number; sources: number }>;
    byFamily: Record<ScannerFamily, { packets: number; sources: number }>;
    spoofed: { packets: number; sources: number; window: { start: string; end: string } };
    erratic: number;
  };
  perHour: { hour: number; start: string; packets: number; uniqueSources: number }[];
  /** packets to the darknet per destination port */
  ports: { tcp: Record<string, number>; udp: Record<string, number> };
  sources: SourceTruth[];
}

const enum Ev {
  Mirai, Masscan, Zmap, Nmap, UnknownTcp, UnknownUdp, IcmpScan, Ipv6Scan, Redis, Backscatter, Erratic, NotDarknet,
}

type BackscatterKind = 'syn-ack' | 'rst' | 'echo-reply' | 'unreachable' | 'time-exceeded' | 'dns-response';

interface Source {
  index: number;
  key: number | string;
  class: SourceClass;
  family?: ScannerFamily;
  spoofed: boolean;
  campaign?: string;
  path: Path;
  sport: number;
  win: number;
  /** initial TTL minus hops: what the telescope sees */
  ttl: number;
  ports: number[];
  windows: boolean;
  bs?: BackscatterKind;
  /** a few targets for vertical scanners */
  targets?: number[];
}

const WIN_PORTS = [445, 1433, 3389, 139, 135, 445, 445, 1433];
const LINUX_PORTS = [22, 80, 8080, 443, 5555, 7547, 81, 8443, 37215, 2375, 9200, 8088, 5900, 21, 25, 22, 22, 80];
const SCAN_PORTS = [22, 23, 80, 443, 445, 1433, 3389, 8080, 5900, 6379, 3306, 21, 25, 53, 110, 8443, 9200, 27017, 11211, 5060];
const NMAP_TOP = [80, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53, 135, 3306, 8080, 1723, 111, 995, 993, 5900, 1025, 587, 8888, 199, 1720];
const UDP_PORTS = [53, 123, 161, 1900, 5060, 11211, 137, 389, 5353, 623];
const LINUX_SYN_OPTS = Uint8Array.of(2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7);
const WIN_SYN_OPTS = Uint8Array.of(2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2);
const MSS_OPT = Uint8Array.of(2, 4, 5, 0xb4);

function udpProbe(port: number): Buffer {
  switch (port) {
    case 53: return Buffer.from('12340100000100000000000003697363036f72670000ff0001', 'hex');
    case 123: return Buffer.from('e3000004000100000001000000000000000000000000000000000000000000000000000000000000000000000000000000', 'hex').subarray(0, 48);
    case 161: return Buffer.from('302602010104067075626c6963a0190204' + '71b4c3a1' + '020100020100300b300906052b060102010500', 'hex');
    case 1900: return Buffer.from('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n');
    case 5060: return Buffer.from('OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm;branch=foo\r\nFrom: <sip:nm@nm>;tag=root\r\nTo: <sip:nm2@nm2>\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n');
    case 11211: return Buffer.from('\0\x01\0\0\0\x01\0\0stats\r\n', 'latin1');
    // NetBIOS node status query for "*"
    case 137: return Buffer.from(`e5d80000000100000000000020${Buffer.from('CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').toString('hex')}0000210001`, 'hex');
    // CLDAP rootDSE search (the amplification probe)
    case 389: return Buffer.from('3025020101632004000a01000a0100020100020100010100870b6f626a656374636c6173733000', 'hex');
    case 5353: return dnsQuery(0, '_services._dns-sd._udp.local', 12);
    // RMCP/ASF presence ping (IPMI discovery)
    default: return Buffer.from('0600ff06000011be80000000', 'hex');
  }
}

export async function generateDarknet(opts: DarknetOptions, outFile: string): Promise<{ packets: number; bytes: number; truth: DarknetTruth }> {
  const net4 = parseDarknetCidr(opts.darknet);
  if (!net4 || net4.version !== 4) throw new Error(`darknet must be an IPv4 CIDR, got ${opts.darknet}`);
  const net6 = parseDarknetCidr(opts.darknet6 ?? '2001:db8:ffff::/48');
  if (!net6 || net6.version !== 6) throw new Error(`darknet6 must be an IPv6 CIDR, got ${opts.darknet6}`);
  const net4Size = net4.last4 - net4.v4 + 1;
  const rng = new Rng(opts.seed);
  const fb = new FrameBuilder();
  const sink = new PcapEmitter(outFile);
  const N = Math.max(1, Math.floor(opts.packets));
  const H = Math.max(1, Math.floor(opts.hours));
  const upstreamMac = Uint8Array.of(0x00, 0x1c, 0x73, rng.int(256), rng.int(256), rng.int(256)); // Arista
  const sensorMac = Uint8Array.of(0x3c, 0xfd, 0xfe, rng.int(256), rng.int(256), rng.int(256)); // Intel NIC
  const randomDark = (): number => (net4.v4 + rng.int(net4Size)) >>> 0;

  // ---- source populations --------------------------------------------------------------
  const sources: Source[] = [];
  const taken = new Set<number | string>();
  const newSource = (key: number | string, cls: SourceClass, family: ScannerFamily | undefined, extra: Partial<Source> = {}): Source => {
    taken.add(key);
    const path = typeof key === 'number'
      ? new Path(upstreamMac, sensorMac, key, net4.v4)
      : new Path(upstreamMac, sensorMac, parseIpv6(key)!, net6.bytes.slice());
    const s: Source = {
      index: sources.length, key, class: cls, family, spoofed: false, path, sport: rng.range(1024, 65535),
      win: 1024, ttl: 64 - rng.range(6, 24), ports: [], windows: false, ...extra,
    };
    s.path.ttl = s.ttl;
    sources.push(s);
    return s;
  };
  const freshIp = (): number => {
    for (;;) {
      const a = publicIp4(rng);
      if (!taken.has(a) && !cidrContainsIpv4(net4, a)) return a;
    }
  };
  const scale = (lo: number, per: number, hi: number): number => Math.max(lo, Math.min(hi, Math.floor(N / per)));

  const mirai = Array.from({ length: scale(20, 2500, 4000) }, () =>
    newSource(freshIp(), 'scanner', 'mirai', { win: rng.range(1, 65535), ttl: 64 - rng.range(8, 28) }));
  const masscan = Array.from({ length: scale(4, 150_000, 60) }, () => {
    const n = rng.range(1, 8);
    return newSource(freshIp(), 'scanner', 'masscan', { win: 1024, ttl: 255 - rng.range(5, 25), ports: Array.from({ length: n }, () => rng.pick(SCAN_PORTS)) });
  });
  const zmap = Array.from({ length: scale(3, 250_000, 40) }, () =>
    newSource(freshIp(), 'scanner', 'zmap', { win: 65535, ttl: 255 - rng.range(3, 20), ports: [rng.pick(SCAN_PORTS)] }));
  const nmap = Array.from({ length: scale(2, 500_000, 20) }, () =>
    newSource(freshIp(), 'scanner', 'nmap', { win: rng.pick([1024, 2048, 3072, 4096]), targets: Array.from({ length: rng.range(1, 4) }, randomDark) }));
  const unknownTcp = Array.from({ length: scale(10, 10_000, 1500) }, () => {
    const windows = rng.chance(0.35);
    return newSource(freshIp(), 'scanner', 'unknown', {
      windows, win: windows ? rng.pick([8192, 64240, 65535]) : rng.pick([29200, 64240, 65535, 14600]),
      ttl: (windows ? 128 : 64) - rng.range(6, 24), ports: windows ? WIN_PORTS : LINUX_PORTS,
    });
  });
  const unknownUdp = Array.from({ length: scale(4, 40_000, 300) }, () => newSource(freshIp(), 'scanner', 'unknown', { ports: [rng.pick(UDP_PORTS)] }));
  const icmpScan = Array.from({ length: scale(3, 80_000, 200) }, () => newSource(freshIp(), 'scanner', 'unknown', { campaign: 'icmp-sweep' }));
  const v6 = Array.from({ length: scale(2, 200_000, 40) }, () => {
    let key: string;
    do key = formatIpv6(Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0x0a, rng.int(256), rng.int(256), rng.int(256), 0, 0, 0, 0, rng.int(256), rng.int(256), rng.int(256), rng.int(256)));
    while (taken.has(key));
    return newSource(key, 'scanner', 'unknown', { win: 64800, ttl: 64 - rng.range(8, 20), ports: [22, 23, 80, 443, 8080] });
  });
  const redis = Array.from({ length: scale(4, 15_000, 800) }, () => {
    const isMasscan = rng.chance(0.7);
    return newSource(freshIp(), 'scanner', isMasscan ? 'masscan' : 'unknown', {
      campaign: 'redis-6379', win: isMasscan ? 1024 : 29200, ttl: (isMasscan ? 255 : 64) - rng.range(6, 24), ports: [6379],
    });
  });
  const bsKinds: BackscatterKind[] = ['syn-ack', 'syn-ack', 'syn-ack', 'rst', 'rst', 'echo-reply', 'unreachable', 'time-exceeded', 'dns-response'];
  const backscatter = Array.from({ length: scale(9, 50_000, 300) }, (_, i) => {
    const bs = bsKinds[i % bsKinds.length];
    return newSource(freshIp(), 'backscatter', undefined, {
      bs, campaign: `backscatter:${bs}`, sport: bs === 'dns-response' ? 53 : rng.pick([80, 443, 25565, 22, 53, 3074, 27015]),
      win: rng.pick([65535, 29200, 14600, 28960]), ttl: rng.pick([64, 128, 255]) - rng.range(6, 24),
    });
  });
  const erraticKinds = ['src-network-address', 'src-broadcast-address', 'port-zero', 'high-ttl', 'syn-fin', 'syn-rst', 'null-flags', 'xmas'] as const;
  const erratic = Array.from({ length: scale(8, 100_000, 100) }, (_, i) => {
    const kind = erraticKinds[i % erraticKinds.length];
    let ip = freshIp();
    if (kind === 'src-network-address') ip = (ip & 0xffffff00) >>> 0;
    if (kind === 'src-broadcast-address') ip = (ip | 0xff) >>> 0;
    while (taken.has(ip)) ip = (ip ^ 0x100) >>> 0;
    return newSource(ip, 'other', undefined, { campaign: `erratic:${kind}`, ttl: kind === 'high-ttl' ? rng.range(200, 255) : 64 - rng.range(6, 24), win: rng.pick([0, 1024, 65535, 512]) });
  });
  // sources that only appear once the spoofed burst starts / src == dst packets: created lazily
  const spoofFingerprint = { ttl: rng.range(240, 246), win: rng.pick([8192, 16384, 65535]), sport: rng.range(1024, 65535), dport: rng.pick([80, 25565, 443, 3074]), ipId: rng.int(65536) };

  // ---- time plan -----------------------------------------------------------------------
  const hourWeights: number[] = [];
  const redisStart = Math.floor(H * 0.6);
  for (let h = 0; h < H; h++) hourWeights.push(1 + 0.25 * Math.sin((2 * Math.PI * h) / 24 + 1.3) + (h >= redisStart && H > 1 ? 0.15 * (h - redisStart + 1) : 0));
  const wSum = hourWeights.reduce((a, b) => a + b, 0);
  const perHourPlan = hourWeights.map((x) => Math.floor((N * x) / wSum));
  perHourPlan[H - 1] += N - perHourPlan.reduce((a, b) => a + b, 0);

  const baseWeights = [0.30, 0.12, 0.10, 0.03, 0.22, 0.06, 0.03, 0.012, 0, 0.08, 0.004, 0.01];
  const weightsForHour = (h: number): number[] => {
    const w = baseWeights.slice();
    if (h >= redisStart && H > 1) w[Ev.Redis] = Math.min(0.35, 0.06 * (h - redisStart + 1));
    else if (H === 1) w[Ev.Redis] = 0.02;
    return w;
  };

  const spoofHour = Math.floor(H / 2);
  const spoofWanted = Math.max(50, Math.min(20000, Math.floor(N / 100)));
  const spoofWindowLen = Math.min(perHourPlan[spoofHour], Math.max(spoofWanted, Math.floor(perHourPlan[spoofHour] * (180 / 3600))));
  const spoofWindowStart = Math.floor((perHourPlan[spoofHour] - spoofWindowLen) / 2);
  let spoofLeft = Math.min(spoofWanted, spoofWindowLen);

  // ---- statistics ----------------------------------------------------------------------
  let srcPackets = new Float64Array(sources.length + spoofLeft + 4096);
  let srcLastHour = new Int32Array(srcPackets.length).fill(-1);
  const ensure = (n: number): void => {
    if (n < srcPackets.length) return;
    const p = new Float64Array(srcPackets.length * 2); p.set(srcPackets); srcPackets = p;
    const l = new Int32Array(srcPackets.length).fill(-1); l.set(srcLastHour); srcLastHour = l;
  };
  const tcpPorts = new Float64Array(65536);
  const udpPorts = new Float64Array(65536);
  const hourPackets = new Float64Array(H);
  const hourSources = new Float64Array(H);
  let toDark = 0;
  let notDark = 0;
  let v6Packets = 0;
  let erraticPackets = 0;
  let spoofStartUs = 0;
  let spoofEndUs = 0;

  const quote = Buffer.alloc(28);
  const dnsAnswers = [
    dnsResponse(0x1234, 'isc.org', 255, [{ type: QTYPE_A, name: 'isc.org', ttl: 300, data: Uint8Array.of(149, 20, 1, 66) }]),
    dnsResponse(0xbeef, 'example.com', QTYPE_A, [{ type: QTYPE_A, name: 'example.com', ttl: 3600, data: Uint8Array.of(93, 184, 216, 34) }]),
  ];
  const udpProbes = new Map<number, Buffer>(UDP_PORTS.map((p) => [p, udpProbe(p)]));
  const echoData = Buffer.alloc(56);
  for (let i = 0; i < 56; i++) echoData[i] = i + 0x10;

  let hour = 0;
  const hourLen = 3600e6;
  let frame: Uint8Array;
  for (hour = 0; hour < H; hour++) {
    const n = perHourPlan[hour];
    const ws = weightsForHour(hour);
    let wTotal = 0;
    for (const x of ws) wTotal += x;
    const spacing = hourLen / Math.max(1, n);
    const hourStart = opts.startUs + hour * hourLen;
    for (let j = 0; j < n; j++) {
      const t = Math.floor(hourStart + (j + rng.float() * 0.9) * spacing);
      let src: Source;
      let dst = randomDark();
      let toDarknet = true;
      let ev: number;
      if (hour === spoofHour && j >= spoofWindowStart && j < spoofWindowStart + spoofWindowLen && spoofLeft > 0 &&
          rng.float() * (spoofWindowStart + spoofWindowLen - j) < spoofLeft) {
        // the spoofed burst: a new source for every packet, one shared fingerprint
        spoofLeft--;
        const key = freshIp();
        src = newSource(key, 'scanner', 'unknown', { campaign: 'spoofed-burst', ttl: spoofFingerprint.ttl, win: spoofFingerprint.win, sport: spoofFingerprint.sport });
        src.spoofed = true;
        ensure(sources.length);
        src.path.dst4 = dst;
        src.path.ipId = spoofFingerprint.ipId;
        frame = fb.tcp(src.path, spoofFingerprint.sport, spoofFingerprint.dport, rng.u32(), 0, SYN, spoofFingerprint.win, null);
        tcpPorts[spoofFingerprint.dport]++;
        if (spoofStartUs === 0) spoofStartUs = t;
        spoofEndUs = t;
        ev = -1;
      } else {
        ev = rng.weighted(ws, wTotal);
        if (ev === Ev.NotDarknet) {
          // a scanner's packet to a neighbouring (routed, used) address: the sensor must ignore it
          toDarknet = false;
          ev = rng.chance(0.5) ? Ev.Mirai : Ev.UnknownTcp;
          do dst = rng.chance(0.5) ? (net4.v4 + net4Size + rng.int(net4Size)) >>> 0 : publicIp4(rng); while (cidrContainsIpv4(net4, dst));
        }
        src = sources[0];
        frame = fb.buf; // placeholder, set below
        switch (ev as Ev) {
          case Ev.Mirai: {
            src = mirai[rng.int(mirai.length)];
            const dport = rng.chance(0.9) ? 23 : 2323;
            src.path.dst4 = dst;
            src.path.ipId = rng.int(65536);
            frame = fb.tcp(src.path, src.sport, dport, dst, 0, SYN, src.win, null);
            if (toDarknet) tcpPorts[dport]++;
            break;
          }
          case Ev.Masscan:
          case Ev.Redis: {
            src = ev === Ev.Redis ? redis[rng.int(redis.length)] : masscan[rng.int(masscan.length)];
            const dport = src.ports[rng.int(src.ports.length)];
            const seq = rng.u32();
            src.path.dst4 = dst;
            if (src.family === 'masscan') {
              src.path.ipId = (dst ^ dport ^ seq) & 0xffff;
              frame = fb.tcp(src.path, src.sport, dport, seq, 0, SYN, 1024, null);
            } else {
              src.path.ipId = rng.int(65536);
              frame = fb.tcp(src.path, rng.range(32768, 60999), dport, seq, 0, SYN, src.win, null, 0, 0, LINUX_SYN_OPTS);
            }
            tcpPorts[dport]++;
            break;
          }
          case Ev.Zmap: {
            src = zmap[rng.int(zmap.length)];
            src.path.dst4 = dst;
            src.path.ipId = 54321;
            frame = fb.tcp(src.path, rng.range(32768, 61000), src.ports[0], rng.u32(), 0, SYN, 65535, null);
            tcpPorts[src.ports[0]]++;
            break;
          }
          case Ev.Nmap: {
            src = nmap[rng.int(nmap.length)];
            const targets = src.targets ?? [dst];
            dst = targets[rng.int(targets.length)];
            const dport = NMAP_TOP[rng.int(NMAP_TOP.length)];
            src.path.dst4 = dst;
            src.path.ipId = rng.int(65536);
            src.path.ttl = rng.range(37, 59);
            frame = fb.tcp(src.path, src.sport, dport, rng.u32(), 0, SYN, src.win, null, 0, 0, MSS_OPT);
            tcpPorts[dport]++;
            break;
          }
          case Ev.UnknownTcp: {
            src = unknownTcp[rng.int(unknownTcp.length)];
            const dport = src.ports[rng.int(src.ports.length)];
            src.path.dst4 = dst;
            src.path.ipId = rng.int(65536);
            frame = fb.tcp(src.path, rng.range(1024, 65535), dport, rng.u32(), 0, SYN, src.win, null, 0, 0, src.windows ? WIN_SYN_OPTS : LINUX_SYN_OPTS);
            if (toDarknet) tcpPorts[dport]++;
            break;
          }
          case Ev.UnknownUdp: {
            src = unknownUdp[rng.int(unknownUdp.length)];
            const dport = src.ports[0];
            const probe = udpProbes.get(dport) as Buffer;
            src.path.dst4 = dst;
            src.path.ipId = rng.int(65536);
            frame = fb.udp(src.path, rng.range(32768, 60999), dport, probe, 0, probe.length);
            udpPorts[dport]++;
            break;
          }
          case Ev.IcmpScan: {
            src = icmpScan[rng.int(icmpScan.length)];
            src.path.dst4 = dst;
            src.path.ipId = rng.int(65536);
            frame = fb.icmp(src.path, 8, 0, ((src.sport & 0xffff) << 16) | (j & 0xffff), echoData, 0, 32);
            break;
          }
          case Ev.Ipv6Scan: {
            src = v6[rng.int(v6.length)];
            randomHostBits(src.path.dst6 as Uint8Array, net6, rng);
            const dport = src.ports[rng.int(src.ports.length)];
            frame = fb.tcp(src.path, rng.range(32768, 60999), dport, rng.u32(), 0, SYN, src.win, null, 0, 0, LINUX_SYN_OPTS);
            tcpPorts[dport]++;
            v6Packets++;
            break;
          }
          case Ev.Backscatter: {
            src = backscatter[rng.int(backscatter.length)];
            src.path.dst4 = dst;
            src.path.ipId = rng.int(65536);
            const dport = rng.range(1024, 65535);
            switch (src.bs) {
              case 'syn-ack':
                frame = fb.tcp(src.path, src.sport, dport, rng.u32(), rng.u32(), SYN | ACK, src.win, null, 0, 0, MSS_OPT);
                tcpPorts[dport]++;
                break;
              case 'rst':
                frame = fb.tcp(src.path, src.sport, dport, rng.u32(), rng.chance(0.5) ? rng.u32() : 0, rng.chance(0.5) ? RST | ACK : RST, 0, null);
                tcpPorts[dport]++;
                break;
              case 'echo-reply':
                frame = fb.icmp(src.path, 0, 0, rng.u32(), echoData, 0, 56);
                break;
              case 'unreachable':
              case 'time-exceeded': {
                // quote the spoofed packet: from the darknet address to the victim's target
                const innerProto = rng.chance(0.5) ? PROTO_UDP : PROTO_TCP;
                writeIp4Header(quote, 0, dst, publicIp4(rng), innerProto, innerProto === PROTO_UDP ? 40 : 40, rng.int(65536), rng.range(1, 30), false);
                quote.writeUInt16BE(rng.range(1024, 65535), 20);
                quote.writeUInt16BE(rng.pick([53, 80, 123, 443]), 22);
                quote.writeUInt32BE(innerProto === PROTO_UDP ? (20 << 16) : rng.u32(), 24);
                frame = src.bs === 'unreachable'
                  ? fb.icmp(src.path, 3, rng.pick([1, 3, 13]), 0, quote, 0, 28)
                  : fb.icmp(src.path, 11, 0, 0, quote, 0, 28);
                break;
              }
              default: {
                const r = dnsAnswers[rng.int(dnsAnswers.length)];
                frame = fb.udp(src.path, 53, dport, r, 0, r.length);
                udpPorts[dport]++;
              }
            }
            break;
          }
          case Ev.Erratic:
          default: {
            src = erratic[rng.int(erratic.length)];
            const kind = src.campaign as string;
            erraticPackets++;
            if (rng.chance(0.15)) {
              // land attack: source equals destination, a fresh darknet "source" each time
              // (bounded tries: a tiny darknet runs out of fresh addresses)
              let key = randomDark();
              for (let k = 0; k < 8 && taken.has(key); k++) key = randomDark();
              if (!taken.has(key)) {
                src = newSource(key, 'other', undefined, { campaign: 'erratic:src-equals-dst', ttl: 64 - rng.range(6, 24) });
                ensure(sources.length);
                dst = key;
              }
            }
            src.path.dst4 = dst;
            src.path.ipId = rng.int(65536);
            let flags = SYN;
            let sport = rng.range(1024, 65535);
            let dport = rng.pick(SCAN_PORTS);
            if (kind === 'erratic:port-zero') { if (rng.chance(0.5)) dport = 0; else sport = 0; }
            else if (kind === 'erratic:syn-fin') flags = SYN | FIN;
            else if (kind === 'erratic:syn-rst') flags = SYN | RST;
            else if (kind === 'erratic:null-flags') flags = 0;
            else if (kind === 'erratic:xmas') flags = FIN | PSH | URG;
            else if (rng.chance(0.2)) flags = SYN | ECE | CWR;
            frame = fb.tcp(src.path, sport, dport, rng.u32(), 0, flags, src.win, null);
            tcpPorts[dport]++;
            break;
          }
        }
      }
      sink.emit(t, frame);
      if (!toDarknet) {
        notDark++;
        continue;
      }
      toDark++;
      hourPackets[hour]++;
      const si = src.index;
      srcPackets[si]++;
      if (srcLastHour[si] !== hour) {
        srcLastHour[si] = hour;
        hourSources[hour]++;
      }
    }
  }
  sink.close();

  // ---- truth -----------------------------------------------------------------------------
  const srcTruth: SourceTruth[] = [];
  const byClass: DarknetTruth['totals']['byClass'] = { scanner: { packets: 0, sources: 0 }, backscatter: { packets: 0, sources: 0 }, other: { packets: 0, sources: 0 } };
  const byFamily: DarknetTruth['totals']['byFamily'] = { mirai: { packets: 0, sources: 0 }, zmap: { packets: 0, sources: 0 }, masscan: { packets: 0, sources: 0 }, nmap: { packets: 0, sources: 0 }, unknown: { packets: 0, sources: 0 } };
  let spoofPackets = 0;
  let spoofSources = 0;
  for (const s of sources) {
    const p = srcPackets[s.index];
    if (p === 0) continue;
    const ip = typeof s.key === 'number' ? formatIpv4(s.key) : s.key;
    srcTruth.push({ ip, class: s.class, ...(s.family ? { family: s.family } : {}), spoofed: s.spoofed, ...(s.campaign ? { campaign: s.campaign } : {}), packets: p });
    byClass[s.class].packets += p;
    byClass[s.class].sources++;
    if (s.family) { byFamily[s.family].packets += p; byFamily[s.family].sources++; }
    if (s.spoofed) { spoofPackets += p; spoofSources++; }
  }
  const portMap = (a: Float64Array): Record<string, number> => {
    const o: Record<string, number> = {};
    for (let p = 0; p < a.length; p++) if (a[p] > 0) o[String(p)] = a[p];
    return o;
  };
  const truth: DarknetTruth = {
    kind: 'darknet', seed: opts.seed, darknets: [formatCidr(net4), formatCidr(net6)], start: isoUs(opts.startUs), end: isoUs(sink.lastTs), hours: H,
    totals: {
      packets: sink.packets, bytes: sink.bytes, packetsToDarknet: toDark, packetsNotToDarknet: notDark, uniqueSources: srcTruth.length,
      ipv6Packets: v6Packets, byClass, byFamily,
      spoofed: { packets: spoofPackets, sources: spoofSources, window: { start: isoUs(spoofStartUs), end: isoUs(spoofEndUs) } },
      erratic: erraticPackets,
    },
    perHour: Array.from({ length: H }, (_, h) => ({ hour: h, start: isoUs(opts.startUs + h * hourLen), packets: hourPackets[h], uniqueSources: hourSources[h] })),
    ports: { tcp: portMap(tcpPorts), udp: portMap(udpPorts) },
    sources: srcTruth,
  };
  return { packets: sink.packets, bytes: sink.bytes, truth };
}

/** Randomises the host part of `a` inside the IPv6 prefix (in place). */
function randomHostBits(a: Uint8Array, net: Cidr, rng: Rng): void {
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, net.prefix - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    a[i] = (net.bytes[i] & mask) | (rng.int(256) & ~mask & 0xff);
  }
}
