/**
 * `darknet` at telescope scale (`minewatch synth darknet --sources N`): up to millions of
 * sources over days, streamed one packet at a time with no object per source. Sources are
 * indices into one address table (a Uint32Array filled through a 32-bit bijection, so
 * addresses are distinct without a set); everything else about a source (TTL, window, ports)
 * is a hash of its index. Populations:
 * - full-port sweepers: each sends exactly one SYN (TCP) or probe (UDP) to every one of the
 *   65,536 ports, in a per-sweeper permuted order, spread over the whole span;
 * - scanner families with their header fingerprints (Mirai seq = destination, masscan IP ID,
 *   ZMap IP ID 54321, Nmap), unknown TCP/UDP scanners (a share to uniformly random ports),
 *   an ICMP sweep;
 * - a Redis/6379 campaign whose sources first appear at the surge start and whose share
 *   ramps up from there;
 * - backscatter from DoS victims (SYN-ACK, RST, ICMP unreachable quoting the spoofed probe);
 * - a spoofed flood: a short window of one-packet sources sharing one fingerprint.
 * Volume follows a diurnal cycle (UTC). Ground truth (per-source packets, per-hour and
 * per-day unique sources, port coverage) is kept in typed arrays: about 10 bytes a source.
 */
import { ACK, FrameBuilder, Path, RST, SYN, writeIp4Header, PROTO_TCP } from './packet-builder.js';
import { PcapEmitter } from './emitter.js';
import { Rng } from './rng.js';
import { parseDarknetCidr } from './net.js';
import { cidrContainsIpv4, formatCidr, formatIpv4, isPublicIpv4 } from '../util/ip.js';
import { isoUs } from './world.js';
import type { DarknetTruthSpan } from './darknet.js';

export interface DarknetScaleOptions {
  seed: number;
  packets: number;
  /** distinct sources to draw (the truth reports how many actually sent) */
  sources: number;
  /** IPv4 darknet CIDR */
  darknet: string;
  hours: number;
  startUs: number;
  /** full-port sweeps (TCP and UDP together); default from the packet budget (≤ 30 % of packets) */
  sweeps?: number;
  /** fraction of the span at which the 6379 campaign starts (default 0.55) */
  surgeAt?: number;
}

/** Populations, in the order of their index ranges in the source table. */
export const SCALE_POPULATIONS = ['sweep', 'mirai', 'masscan', 'zmap', 'nmap', 'unknown-tcp', 'unknown-udp', 'icmp', 'redis', 'backscatter', 'spoofed'] as const;
export type ScalePopulation = (typeof SCALE_POPULATIONS)[number];
const P_SWEEP = 0; const P_MIRAI = 1; const P_MASSCAN = 2; const P_ZMAP = 3; const P_NMAP = 4; const P_UTCP = 5; const P_UUDP = 6;
const P_ICMP = 7; const P_REDIS = 8; const P_BS = 9; const P_SPOOF = 10;

/**
 * Shares of the sources (sweepers are counted apart) and of the packets (sweeps and the
 * spoofed flood apart; the Redis share ramps up from 0 at the surge start). Design values:
 * many Mirai-fingerprinted bots with few packets each, few ZMap/masscan sources with many.
 */
const SOURCE_SHARE = [0, 0.33, 0.04, 0.03, 0.01, 0.30, 0.05, 0.02, 0.04, 0.03, 0.15];
const PACKET_SHARE = [0, 0.22, 0.16, 0.16, 0.02, 0.24, 0.06, 0.03, 0, 0.11, 0];
const REDIS_MAX_SHARE = 0.3;
/** the spoofed flood starts at 35 % of the span; inside it, this share of the packets is spoofed */
const SPOOF_AT = 0.35;
const SPOOF_DENSITY = 0.8;

export const SCALE_FAMILY: Record<ScalePopulation, 'mirai' | 'zmap' | 'masscan' | 'nmap' | 'unknown' | null> = {
  sweep: null, mirai: 'mirai', masscan: 'masscan', zmap: 'zmap', nmap: 'nmap', 'unknown-tcp': 'unknown', 'unknown-udp': 'unknown', icmp: 'unknown',
  redis: 'masscan', backscatter: null, spoofed: 'unknown',
};

export interface DarknetScaleTruth extends DarknetTruthSpan {
  kind: 'darknet-scale';
  darknet: string;
  totals: {
    packets: number;
    bytes: number;
    /** distinct source addresses that sent at least one packet */
    uniqueSources: number;
    byPopulation: Record<ScalePopulation, { packets: number; sources: number }>;
    spoofed: { packets: number; sources: number; window: { start: string; end: string } };
  };
  perHour: { hour: number; start: string; packets: number; uniqueSources: number }[];
  perDay: { day: number; start: string; packets: number; uniqueSources: number }[];
  ports: { tcpPortsHit: number; udpPortsHit: number; top: { proto: 'tcp' | 'udp'; port: number; packets: number }[] };
  sweepers: { ip: string; proto: 'tcp' | 'udp'; fingerprint: 'masscan' | 'zmap' | 'unknown'; packets: number; first: string; last: string }[];
  surge: { port: 6379; start: string; sources: number; packets: number };
  topSources: { ip: string; population: ScalePopulation; packets: number }[];
}

/** lowbias32: a bijection on 32-bit integers (xor-shifts and odd multipliers are invertible). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const LINUX_SYN_OPTS = Uint8Array.of(2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7);
const WIN_SYN_OPTS = Uint8Array.of(2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2);
const MSS_OPT = Uint8Array.of(2, 4, 5, 0xb4);
const POPULAR_TCP = [23, 22, 80, 443, 445, 1433, 3389, 8080, 5900, 3306, 21, 25, 8443, 9200, 27017, 2375, 7547, 5555, 37215, 81, 8000, 8888, 6379, 11211];
const WIN_PORTS = [445, 1433, 3389, 139, 135, 445, 445, 1433];
const UDP_PORTS = [53, 123, 161, 1900, 5060, 11211, 137, 389, 5353, 623];
const BS_SERVICE = [80, 443, 25565, 22, 53, 3074, 27015];

/** The default number of full-port sweeps: at most 30 % of the packets, about one per 20,000 sources, 1–64. */
export function defaultSweeps(packets: number, sources: number): number {
  return Math.max(0, Math.min(Math.floor((0.3 * packets) / 65536), Math.max(1, Math.min(64, Math.round(sources / 20_000)))));
}

export async function generateDarknetScale(opts: DarknetScaleOptions, outFile: string): Promise<{ packets: number; bytes: number; truth: DarknetScaleTruth }> {
  const net = parseDarknetCidr(opts.darknet);
  if (!net || net.version !== 4) throw new Error(`darknet must be an IPv4 CIDR, got ${opts.darknet}`);
  const netSize = net.last4 - net.v4 + 1;
  const N = Math.max(1, Math.floor(opts.packets));
  const H = Math.max(1, Math.floor(opts.hours));
  const rng = new Rng(opts.seed);
  const key = rng.u32();
  const sweeps = Math.min(opts.sweeps ?? defaultSweeps(N, opts.sources), Math.floor(N / 65536));
  const udpSweeps = sweeps >= 2 ? Math.max(1, Math.floor(sweeps / 4)) : 0;
  const sweepPackets = sweeps * 65536;

  // ---- the source table: population p owns indices [lo[p], lo[p] + size[p]) -------------
  const S = Math.max(SCALE_POPULATIONS.length, Math.floor(opts.sources));
  const spoofSize = Math.min(Math.floor(S * SOURCE_SHARE[P_SPOOF]), Math.floor((N - sweepPackets) * 0.2));
  const size = new Int32Array(SCALE_POPULATIONS.length);
  size[P_SWEEP] = sweeps;
  size[P_SPOOF] = spoofSize;
  const rest = S - sweeps - spoofSize;
  const shareSum = SOURCE_SHARE.reduce((a, b, i) => a + (i === P_SPOOF ? 0 : b), 0);
  let given = sweeps + spoofSize;
  for (let p = 1; p < P_SPOOF; p++) { size[p] = Math.max(1, Math.floor((rest * SOURCE_SHARE[p]) / shareSum)); given += size[p]; }
  size[P_UTCP] += Math.max(0, S - given);
  const lo = new Int32Array(SCALE_POPULATIONS.length + 1);
  for (let p = 0; p < SCALE_POPULATIONS.length; p++) lo[p + 1] = lo[p] + size[p];
  const total = lo[SCALE_POPULATIONS.length];
  const addr = new Uint32Array(total);
  for (let i = 0, c = 0; i < total; c++) {
    const a = mix32((c ^ key) >>> 0);
    const o4 = a & 255;
    if (o4 === 0 || o4 === 255 || !isPublicIpv4(a) || cidrContainsIpv4(net, a)) continue;
    addr[i++] = a;
  }
  /** how many of each population have appeared (they appear in index order) */
  const seen = new Int32Array(SCALE_POPULATIONS.length);

  // ---- time plan: diurnal cycle, the surge adds volume ---------------------------------
  const surgeHour = Math.min(H - 1, Math.floor(H * (opts.surgeAt ?? 0.55)));
  const redisShare = (h: number): number => (h < surgeHour ? 0 : Math.min(REDIS_MAX_SHARE, 0.05 * (h - surgeHour + 1)));
  const startHourOfDay = (opts.startUs / 3600e6) % 24;
  const hourW: number[] = [];
  // peak in the (UTC) evening, trough in the morning
  for (let h = 0; h < H; h++) hourW.push((1 + 0.35 * Math.sin((2 * Math.PI * (startHourOfDay + h - 14)) / 24)) * (1 + redisShare(h)));
  const wSum = hourW.reduce((a, b) => a + b, 0);
  const plan = hourW.map((w) => Math.floor((N * w) / wSum));
  plan[H - 1] += N - plan.reduce((a, b) => a + b, 0);
  const spoofFrom = Math.floor(N * SPOOF_AT);
  // a flood: about 80 % of the window's packets (outside the sweeps, which keep their share) are spoofed
  const otherFrac = 1 - sweepPackets / N;
  const spoofTo = Math.min(N, spoofFrom + Math.ceil(spoofSize / SPOOF_DENSITY / Math.max(0.01, otherFrac)));

  // ---- truth counters --------------------------------------------------------------------
  const srcPackets = new Uint32Array(total);
  const srcLastHour = new Int32Array(total).fill(-1);
  const srcLastDay = new Int32Array(total).fill(-1);
  const D = Math.ceil(H / 24);
  const hourPackets = new Float64Array(H); const hourSources = new Float64Array(H);
  const dayPackets = new Float64Array(D); const daySources = new Float64Array(D);
  const tcpPorts = new Float64Array(65536); const udpPorts = new Float64Array(65536);
  const sweepFirst = new Float64Array(sweeps); const sweepLast = new Float64Array(sweeps);
  let surgeStartUs = 0;
  let spoofStartUs = 0; let spoofEndUs = 0;

  const fb = new FrameBuilder();
  const sink = new PcapEmitter(outFile);
  const upstreamMac = Uint8Array.of(0x00, 0x1c, 0x73, rng.int(256), rng.int(256), rng.int(256));
  const sensorMac = Uint8Array.of(0x3c, 0xfd, 0xfe, rng.int(256), rng.int(256), rng.int(256));
  const path = new Path(upstreamMac, sensorMac, 0, net.v4);
  const quote = Buffer.alloc(28);
  const probe = Buffer.from('0600ff06000011be80000000', 'hex');
  const echo = Buffer.alloc(32, 0x61);
  const spoof = { ttl: rng.range(240, 246), win: rng.pick([8192, 16384, 65535]), sport: rng.range(1024, 65535), dport: rng.pick([80, 443, 25565, 3074]), ipId: rng.int(65536) };
  // per-sweeper port permutation: port = (a·k + b) mod 65536 with odd a is a bijection
  const sweepA = Int32Array.from({ length: sweeps }, () => rng.int(32768) * 2 + 1);
  const sweepB = Int32Array.from({ length: sweeps }, () => rng.int(65536));
  const sweepDone = new Int32Array(sweeps);

  // per-population packet weights for the current hour (sweeps and spoof scheduled apart)
  const w = new Float64Array(SCALE_POPULATIONS.length);
  /** Picks a source of population p: a new one at the rate that shows all of them by the end, else a heavy-tailed repeat. */
  const pick = (p: number, left: number): number => {
    const s = seen[p];
    const fresh = size[p] - s;
    if (fresh > 0 && (s === 0 || rng.float() * Math.max(1, left * w[p]) < fresh)) {
      seen[p] = s + 1;
      return lo[p] + s;
    }
    const u = rng.float();
    return lo[p] + Math.floor(s * u * u * u);
  };

  let i = 0;
  let sweepAcc = 0;
  let sweepTurn = 0;
  const hourLen = 3600e6;
  for (let hour = 0; hour < H; hour++) {
    const n = plan[hour];
    const rs = redisShare(hour);
    let wt = 0;
    for (let p = 0; p < w.length; p++) { w[p] = p === P_REDIS ? rs : PACKET_SHARE[p] * (1 - rs); wt += w[p]; }
    for (let p = 0; p < w.length; p++) w[p] /= wt;
    const spacing = hourLen / Math.max(1, n);
    const hourStart = opts.startUs + hour * hourLen;
    const day = Math.floor(hour / 24);
    for (let j = 0; j < n; j++, i++) {
      const t = Math.floor(hourStart + (j + rng.float() * 0.9) * spacing);
      const dst = (net.v4 + rng.int(netSize)) >>> 0;
      path.dst4 = dst;
      path.ipId = rng.int(65536);
      let src: number;
      let frame: Uint8Array;
      sweepAcc += sweepPackets;
      // packets left for the weighted populations (the sweeps and the flood are scheduled apart)
      const left = N - i - (sweepPackets - sweepTurn) - (size[P_SPOOF] - seen[P_SPOOF]);
      if (sweepAcc >= N) {
        sweepAcc -= N;
        // round robin: every sweeper gets exactly 65,536 packets
        const k = sweepTurn++ % sweeps;
        src = lo[P_SWEEP] + k;
        if (sweepDone[k] === 0) sweepFirst[k] = t;
        sweepLast[k] = t;
        const port = (Math.imul(sweepA[k], sweepDone[k]++) + sweepB[k]) & 0xffff;
        const h = mix32(src ^ key);
        path.src4 = addr[src];
        if (k < udpSweeps) {
          path.ttl = 64 - (h & 15);
          frame = fb.udp(path, 40000 + (h & 0xfff), port, probe, 0, probe.length);
          udpPorts[port]++;
        } else {
          const seq = rng.u32();
          if ((k & 1) === 0) { path.ttl = 255 - (h & 15); path.ipId = (dst ^ port ^ seq) & 0xffff; frame = fb.tcp(path, 61000 + (h & 0xff), port, seq, 0, SYN, 1024, null); }
          else { path.ttl = 255 - (h & 15); path.ipId = 54321; frame = fb.tcp(path, 32768 + (h & 0x7fff), port, seq, 0, SYN, 65535, null); }
          tcpPorts[port]++;
        }
      } else if (i >= spoofFrom && i < spoofTo && seen[P_SPOOF] < size[P_SPOOF] && rng.float() * (spoofTo - i) * otherFrac < size[P_SPOOF] - seen[P_SPOOF]) {
        src = lo[P_SPOOF] + seen[P_SPOOF]++;
        path.src4 = addr[src];
        path.ttl = spoof.ttl;
        path.ipId = spoof.ipId;
        frame = fb.tcp(path, spoof.sport, spoof.dport, rng.u32(), 0, SYN, spoof.win, null);
        tcpPorts[spoof.dport]++;
        if (spoofStartUs === 0) spoofStartUs = t;
        spoofEndUs = t;
      } else {
        let x = rng.float();
        let p = 1;
        for (; p < P_SPOOF - 1; p++) { x -= w[p]; if (x < 0) break; }
        src = pick(p, left);
        const h = mix32(src ^ key);
        path.src4 = addr[src];
        switch (p) {
          case P_MIRAI: {
            const port = (h & 7) === 0 ? 2323 : 23;
            path.ttl = 64 - 8 - (h & 15);
            frame = fb.tcp(path, 1024 + (h >>> 16) % 64000, port, dst, 0, SYN, 1 + ((h >>> 8) & 0xfffe), null);
            tcpPorts[port]++;
            break;
          }
          case P_MASSCAN:
          case P_REDIS: {
            const port = p === P_REDIS ? 6379 : rng.chance(0.3) ? 1 + rng.int(65535) : POPULAR_TCP[(h + rng.int(3)) % POPULAR_TCP.length];
            const seq = rng.u32();
            path.ttl = 255 - 5 - (h & 15);
            path.ipId = (dst ^ port ^ seq) & 0xffff;
            frame = fb.tcp(path, 1024 + (h >>> 16) % 64000, port, seq, 0, SYN, 1024, null);
            tcpPorts[port]++;
            if (p === P_REDIS && surgeStartUs === 0) surgeStartUs = t;
            break;
          }
          case P_ZMAP: {
            const port = POPULAR_TCP[h % POPULAR_TCP.length];
            path.ttl = 255 - 3 - (h & 15);
            path.ipId = 54321;
            frame = fb.tcp(path, 32768 + rng.int(28232), port, rng.u32(), 0, SYN, 65535, null);
            tcpPorts[port]++;
            break;
          }
          case P_NMAP: {
            const port = POPULAR_TCP[rng.int(POPULAR_TCP.length)];
            path.ttl = 37 + (h % 22);
            frame = fb.tcp(path, 40000 + (h & 0xfff), port, rng.u32(), 0, SYN, 1024 << (h & 2), null, 0, 0, MSS_OPT);
            tcpPorts[port]++;
            break;
          }
          case P_UUDP: {
            const port = rng.chance(0.2) ? 1 + rng.int(65535) : UDP_PORTS[(h + rng.int(2)) % UDP_PORTS.length];
            path.ttl = 64 - 6 - (h & 15);
            frame = fb.udp(path, 32768 + rng.int(28232), port, probe, 0, probe.length);
            udpPorts[port]++;
            break;
          }
          case P_ICMP:
            path.ttl = 64 - 6 - (h & 15);
            frame = fb.icmp(path, 8, 0, (h << 16) | (i & 0xffff), echo, 0, echo.length);
            break;
          case P_BS: {
            const sport = BS_SERVICE[h % BS_SERVICE.length];
            const dport = 1024 + rng.int(64512);
            path.ttl = [64, 128, 255][h % 3] - 6 - ((h >>> 4) & 15);
            const kind = (h >>> 8) % 5;
            if (kind <= 1) { frame = fb.tcp(path, sport, dport, rng.u32(), rng.u32(), SYN | ACK, 29200, null, 0, 0, MSS_OPT); tcpPorts[dport]++; }
            else if (kind <= 3) { frame = fb.tcp(path, sport, dport, rng.u32(), 0, RST, 0, null); tcpPorts[dport]++; }
            else {
              writeIp4Header(quote, 0, dst, mix32(h), PROTO_TCP, 40, rng.int(65536), 1 + rng.int(30), false);
              quote.writeUInt16BE(dport, 20);
              quote.writeUInt16BE(sport, 22);
              quote.writeUInt32BE(rng.u32(), 24);
              frame = fb.icmp(path, 3, 13, 0, quote, 0, 28);
            }
            break;
          }
          default: {
            // unknown TCP scanners: Windows-ish or Linux-ish stacks; a share to random ports
            const windows = (h & 3) === 0;
            const port = rng.chance(0.25) ? 1 + rng.int(65535) : windows ? WIN_PORTS[rng.int(WIN_PORTS.length)] : POPULAR_TCP[rng.int(POPULAR_TCP.length)];
            path.ttl = (windows ? 128 : 64) - 6 - (h & 15);
            frame = fb.tcp(path, 1024 + rng.int(64000), port, rng.u32(), 0, SYN, windows ? 64240 : 29200, null, 0, 0, windows ? WIN_SYN_OPTS : LINUX_SYN_OPTS);
            tcpPorts[port]++;
          }
        }
      }
      sink.emit(t, frame);
      hourPackets[hour]++;
      dayPackets[day]++;
      srcPackets[src]++;
      if (srcLastHour[src] !== hour) { srcLastHour[src] = hour; hourSources[hour]++; }
      if (srcLastDay[src] !== day) { srcLastDay[src] = day; daySources[day]++; }
    }
  }
  sink.close();

  // ---- truth -----------------------------------------------------------------------------
  const populationOf = (s: number): number => { let p = 0; while (s >= lo[p + 1]) p++; return p; };
  const byPopulation = {} as DarknetScaleTruth['totals']['byPopulation'];
  let unique = 0;
  for (let p = 0; p < SCALE_POPULATIONS.length; p++) {
    let pk = 0; let sc = 0;
    for (let s = lo[p]; s < lo[p + 1]; s++) if (srcPackets[s] > 0) { pk += srcPackets[s]; sc++; }
    byPopulation[SCALE_POPULATIONS[p]] = { packets: pk, sources: sc };
    unique += sc;
  }
  // top 100 sources by packets (ties by address): a bounded insertion list
  const top: number[] = [];
  const better = (a: number, b: number): boolean => srcPackets[a] > srcPackets[b] || (srcPackets[a] === srcPackets[b] && addr[a] < addr[b]);
  for (let s = 0; s < total; s++) {
    if (srcPackets[s] === 0 || (top.length === 100 && !better(s, top[99]))) continue;
    let k = Math.min(top.length, 99);
    top[k] = s;
    while (k > 0 && better(s, top[k - 1])) { top[k] = top[k - 1]; top[k - 1] = s; k--; }
  }
  const portTop: DarknetScaleTruth['ports']['top'] = [];
  let tcpHit = 0; let udpHit = 0;
  for (let q = 0; q < 65536; q++) {
    if (tcpPorts[q] > 0) { tcpHit++; portTop.push({ proto: 'tcp', port: q, packets: tcpPorts[q] }); }
    if (udpPorts[q] > 0) { udpHit++; portTop.push({ proto: 'udp', port: q, packets: udpPorts[q] }); }
  }
  portTop.sort((a, b) => b.packets - a.packets || a.port - b.port || a.proto.localeCompare(b.proto));
  portTop.length = Math.min(portTop.length, 50);
  const truth: DarknetScaleTruth = {
    kind: 'darknet-scale', seed: opts.seed, darknet: formatCidr(net), start: isoUs(opts.startUs), end: isoUs(sink.lastTs), hours: H,
    totals: {
      packets: sink.packets, bytes: sink.bytes, uniqueSources: unique, byPopulation,
      spoofed: { packets: byPopulation.spoofed.packets, sources: byPopulation.spoofed.sources, window: { start: isoUs(spoofStartUs), end: isoUs(spoofEndUs) } },
    },
    perHour: Array.from({ length: H }, (_, h) => ({ hour: h, start: isoUs(opts.startUs + h * hourLen), packets: hourPackets[h], uniqueSources: hourSources[h] })),
    perDay: Array.from({ length: D }, (_, d) => ({ day: d, start: isoUs(opts.startUs + d * 24 * hourLen), packets: dayPackets[d], uniqueSources: daySources[d] })),
    ports: { tcpPortsHit: tcpHit, udpPortsHit: udpHit, top: portTop },
    sweepers: Array.from({ length: sweeps }, (_, k) => ({
      ip: formatIpv4(addr[lo[P_SWEEP] + k]), proto: k < udpSweeps ? 'udp' as const : 'tcp' as const,
      fingerprint: k < udpSweeps ? 'unknown' as const : (k & 1) === 0 ? 'masscan' as const : 'zmap' as const,
      packets: srcPackets[lo[P_SWEEP] + k], first: isoUs(sweepFirst[k]), last: isoUs(sweepLast[k]),
    })),
    surge: { port: 6379, start: isoUs(surgeStartUs), sources: byPopulation.redis.sources, packets: byPopulation.redis.packets },
    topSources: top.map((s) => ({ ip: formatIpv4(addr[s]), population: SCALE_POPULATIONS[populationOf(s)], packets: srcPackets[s] })),
  };
  return { packets: sink.packets, bytes: sink.bytes, truth };
}
