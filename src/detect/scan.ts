/**
 * Detector `scan`: a host probing many addresses (horizontal) or many ports of one host
 * (vertical) within a time window, ICMP echo sweeps and ARP who-has sweeps of a segment, with
 * the scanner family when its packets carry a known fingerprint:
 * - Mirai: TCP sequence number == destination IPv4 address (32 bits).
 * - masscan: IP ID == low16(dst ^ dport ^ seq) (its SYN-cookie), corroborated by window 1024.
 * - ZMap (older releases): IP ID 54321, corroborated by window 65535 and TTL ≥ 200 (sent with 255).
 * The fingerprints are decode/scanner-fingerprint.ts (shared with the telescope), each on at
 * least two header fields, never one 16-bit field alone. A family is named when ≥ 80 % of at
 * least 10 SYN probes match; when EVERY SYN probe (at least FP_MIN_PROBES) matches one family,
 * FP_HOST_THRESHOLD targets are enough for a horizontal scan (a ZMap sweep of 16 hosts).
 *
 * Probes: TCP SYN without ACK, UDP datagrams (except answers from a port below 1024 to one
 * above), ICMP echo requests, ARP requests for another address. DNS queries (UDP to port 53)
 * to a server that answers from port 53 are the source's resolver, not a probe target; a
 * source querying more than DNS_SERVERS distinct servers is probing them (a DNS scan).
 *
 * Horizontal scans and ARP sweeps need most targets to stay silent (no SYN-ACK, no ARP reply):
 * a P2P node contacting many peers that answer, or a router resolving its clients, is not a
 * scanner. Ping sweeps (≥ pingThreshold echo targets) do not: LAN hosts answer pings.
 *
 * State: per source in typed arrays (a set-associative table of maxSources slots, 8 ways,
 * least recently seen way evicted), nothing allocated per packet or per new source. Distinct
 * targets, ports, ICMP targets, ARP targets and answering hosts are kept exactly in 16 inline
 * entries per slot and set; past that a source gets a UniqueCounter (decode/unique.ts: exact to
 * SPILL_EXACT keys, then a HyperLogLog with SPILL_P, standard error 3.25 %), at most
 * MAX_SPILLED at once; the evidence says which counts are exact. The ports are ranked by
 * probes with a space-saving top-8 per source (counts exact unless `topPortsMaxOvercount` > 0).
 * The first probe of an IPv4 source waits in a direct-mapped table and takes a slot with the
 * second, so a flood of one-packet spoofed sources never evicts real ones.
 *
 * Signatures (9100600+): 0 horizontal scan, 1 vertical scan, 2 Mirai-family scan,
 * 3 masscan scan, 4 ZMap scan, 5 ping sweep, 6 ARP sweep.
 */
import type { DetectorContext, DetectorOf } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { IpProto, Layer, PacketClass, TcpFlag, type PacketView } from '../events/packet.js';
import { ArpOp, arpOperation, arpSenderMacOffset } from '../decode/arp.js';
import { FP_MASSCAN, FP_MIRAI, FP_ZMAP, synFingerprint } from '../decode/scanner-fingerprint.js';
import { UniqueCounter, sketchError } from '../decode/unique.js';
import { Category, SidBase } from './common.js';
import { formatIpv4, formatIpv6 } from '../util/ip.js';
import { formatMac } from '../util/mac.js';

export const SCAN_DETECTOR = 'scan';
const SID = SidBase.scan;

export interface ScanOptions {
  windowUs?: number;
  /** Distinct destination addresses in a window for a horizontal scan (and an ARP sweep). */
  hostThreshold?: number;
  /** Distinct destination ports on one destination in a window for a vertical scan. */
  portThreshold?: number;
  /** Distinct ICMP echo targets in a window for a ping sweep. */
  pingThreshold?: number;
  /** Distinct targets when every SYN probe carries one scanner family's fingerprint. */
  fingerprintHostThreshold?: number;
  maxSources?: number;
  /** Re-report the same source after this long. */
  repeatUs?: number;
}

const MIN_FAMILY_PROBES = 10;
const FAMILY_MAJORITY = 0.8;
/** Probes that must all carry one family's fingerprint before the lower host threshold applies. */
const FP_MIN_PROBES = 8;
const ANSWER_GRACE_US = 3_000_000;
/** First-probe table: 2^16 slots (1.25 MB of typed arrays). */
const FIRST_PROBE_BITS = 16;
const P_USED = 1;
const P_ICMP = 2;
const P_SYN = 4;
const P_MIRAI = 8;
const P_MASSCAN = 16;
const P_ZMAP = 32;
const P_ARP = 64;
const P_DNS = 128;
/** Scanner families: name, signature offset, what the fingerprint is. */
const FAMILIES = [
  { name: 'Mirai', offset: 2, what: 'TCP seq == destination address' },
  { name: 'masscan', offset: 3, what: 'IP ID == low16(dst ^ dport ^ seq) and window 1024' },
  { name: 'ZMap', offset: 4, what: 'IP ID 54321, window 65535 and TTL ≥ 200' },
] as const;
const ALL_PROBES = 16;

/** Ways per bucket of the source table. */
const WAYS = 8;
/** The sets kept per source. */
const S_DST = 0;
const S_PORT = 1;
const S_ICMP = 2;
const S_ARP = 3;
const S_ANS = 4;
const SETS = 5;
/** Inline exact entries per set and source. */
const INLINE = 16;
/** Spilled sets: exact up to SPILL_EXACT keys, then HLL with 2^SPILL_P registers. */
const SPILL_EXACT = 1024;
const SPILL_P = 10;
const MAX_SPILLED = 2048;
/** DNS servers per source told apart from probe targets. */
const DNS_SERVERS = 8;
/** Space-saving top ports per source. */
const TOP = 8;
const SAMPLE = 8;
/** Probes between two estimates of a sketch's count. */
const ESTIMATE_EVERY = 4096;

export function createScanDetector(opts: ScanOptions = {}): DetectorOf<never> {
  const windowUs = opts.windowUs ?? 60_000_000;
  const hostThreshold = opts.hostThreshold ?? 20;
  const portThreshold = opts.portThreshold ?? 30;
  const pingThreshold = opts.pingThreshold ?? 16;
  const fpHostThreshold = opts.fingerprintHostThreshold ?? 8;
  const repeatUs = opts.repeatUs ?? 3600_000_000;
  const lowestHostThreshold = Math.min(hostThreshold, fpHostThreshold);
  let cap = WAYS;
  while (cap < (opts.maxSources ?? 10000)) cap *= 2;
  const bucketBits = Math.log2(cap / WAYS);

  // --- per-source slots -----------------------------------------------------------------
  const key = new Uint32Array(cap);
  /** 0 empty, 4 IPv4, 6 IPv6 (key is the 32-bit fold; the address bytes are in src6). */
  const ver = new Uint8Array(cap);
  const lastSeen = new Float64Array(cap);
  const windowStart = new Float64Array(cap);
  const lastAlert = new Float64Array(cap).fill(-Infinity);
  const pendingSince = new Float64Array(cap).fill(-1);
  const probes = new Uint32Array(cap);
  const syn = new Uint32Array(cap);
  const mirai = new Uint32Array(cap);
  const masscan = new Uint32Array(cap);
  const zmap = new Uint32Array(cap);
  const portDst = new Uint32Array(cap);
  const hasPortDst = new Uint8Array(cap);
  const src6 = new Uint8Array(cap * 16);
  const mac = new Uint8Array(cap * 6);
  const hasMac = new Uint8Array(cap);
  // Sets: inline entries, their count, the spilled counter (null while inline), saturation.
  const inline = new Uint32Array(cap * SETS * INLINE);
  const inlineN = new Uint8Array(cap * SETS);
  const spilled: (UniqueCounter | null)[] = new Array<UniqueCounter | null>(cap * SETS).fill(null);
  /** A set that needed a counter when MAX_SPILLED were in use: its count is a lower bound. */
  const saturated = new Uint8Array(cap * SETS);
  let spilledCount = 0;
  const estimate = new Float64Array(cap * SETS);
  const estimateAt = new Uint32Array(cap * SETS);
  // DNS servers queried, and which of them answered (bit i for entry i).
  const dns = new Uint32Array(cap * DNS_SERVERS);
  const dnsN = new Uint8Array(cap);
  const dnsAnswered = new Uint8Array(cap);
  /** 1: the source queried more than DNS_SERVERS servers; its DNS queries are probes. */
  const dnsScan = new Uint8Array(cap);
  // Space-saving top ports.
  const topPort = new Uint16Array(cap * TOP);
  const topCount = new Uint32Array(cap * TOP);
  const topErr = new Uint32Array(cap * TOP);
  const topN = new Uint8Array(cap);
  /** IPv6 destinations of the first targets (IPv4 ones are the inline S_DST entries). */
  const v6Samples: (string[] | undefined)[] = new Array<string[] | undefined>(cap).fill(undefined);

  function bucketOf(k: number): number {
    return bucketBits === 0 ? 0 : (Math.imul(k, 0x9e3779b1) >>> (32 - bucketBits)) * WAYS;
  }

  /** The slot of a source, or -1. */
  function find(k: number, v: number): number {
    const base = bucketOf(k);
    for (let s = base; s < base + WAYS; s++) if (key[s] === k && ver[s] === v) return s;
    return -1;
  }

  /** A slot for a new source: a free way of its bucket, else the least recently seen one. */
  function claim(k: number, v: number, pkt: PacketView, macOffset: number): number {
    const base = bucketOf(k);
    let slot = base;
    for (let s = base; s < base + WAYS; s++) {
      if (ver[s] === 0) { slot = s; break; }
      if (lastSeen[s] < lastSeen[slot]) slot = s;
    }
    key[slot] = k;
    ver[slot] = v;
    lastAlert[slot] = -Infinity;
    reset(slot, pkt.tsUs);
    // Byte loops, not subarray(): no view object per new source.
    const buf = pkt.buf;
    if (v === 6) for (let j = 0; j < 16; j++) src6[slot * 16 + j] = buf[pkt.src6Offset + j];
    if (macOffset >= 0 && macOffset + 6 <= buf.length) {
      for (let j = 0; j < 6; j++) mac[slot * 6 + j] = buf[macOffset + j];
      hasMac[slot] = 1;
    } else hasMac[slot] = 0;
    return slot;
  }

  function reset(slot: number, tsUs: number): void {
    windowStart[slot] = tsUs;
    pendingSince[slot] = -1;
    probes[slot] = syn[slot] = mirai[slot] = masscan[slot] = zmap[slot] = 0;
    hasPortDst[slot] = 0;
    dnsN[slot] = dnsAnswered[slot] = dnsScan[slot] = 0;
    topN[slot] = 0;
    v6Samples[slot] = undefined;
    for (let i = slot * SETS; i < slot * SETS + SETS; i++) {
      inlineN[i] = 0;
      saturated[i] = 0;
      estimateAt[i] = 0;
      if (spilled[i] !== null) { spilled[i] = null; spilledCount--; }
    }
  }

  /** Adds k to set `set` of `slot`. */
  function add(slot: number, set: number, k: number): void {
    const i = slot * SETS + set;
    const c = spilled[i];
    if (c !== null) {
      c.add(k);
      return;
    }
    const n = inlineN[i];
    const base = i * INLINE;
    for (let j = base; j < base + n; j++) if (inline[j] === k) return;
    if (n < INLINE) {
      inline[base + n] = k;
      inlineN[i] = n + 1;
      return;
    }
    if (spilledCount >= MAX_SPILLED) {
      saturated[i] = 1;
      return;
    }
    const u = new UniqueCounter(SPILL_P, SPILL_EXACT);
    u.reserve(INLINE * 2);
    for (let j = base; j < base + INLINE; j++) u.add(inline[j]);
    u.add(k);
    spilled[i] = u;
    spilledCount++;
  }

  function count(slot: number, set: number): number {
    const i = slot * SETS + set;
    const c = spilled[i];
    if (c === null) return inlineN[i];
    if (c.isExact) return c.count();
    // A sketch's estimate reads all its registers: made again only every ESTIMATE_EVERY probes.
    if (estimateAt[i] === 0 || probes[slot] - estimateAt[i] >= ESTIMATE_EVERY || probes[slot] < estimateAt[i]) {
      estimate[i] = c.count();
      estimateAt[i] = Math.max(1, probes[slot]);
    }
    return estimate[i];
  }

  /** 'exact', 'sketch' (HyperLogLog estimate) or 'lower-bound' (no counter was free). */
  function countKind(slot: number, set: number): 'exact' | 'sketch' | 'lower-bound' {
    const i = slot * SETS + set;
    if (saturated[i] === 1) return 'lower-bound';
    const c = spilled[i];
    return c !== null && !c.isExact ? 'sketch' : 'exact';
  }

  function countPort(slot: number, port: number): void {
    const base = slot * TOP;
    const n = topN[slot];
    let min = base;
    for (let j = base; j < base + n; j++) {
      if (topPort[j] === port) { topCount[j]++; return; }
      if (topCount[j] < topCount[min]) min = j;
    }
    if (n < TOP) {
      topPort[base + n] = port;
      topCount[base + n] = 1;
      topErr[base + n] = 0;
      topN[slot] = n + 1;
      return;
    }
    // Space-saving: the least counted port gives its place; its count bounds the error.
    topErr[min] = topCount[min];
    topPort[min] = port;
    topCount[min]++;
  }

  /** A DNS query from slot to server: true when it is a probe (the source is scanning DNS servers). */
  function dnsQuery(slot: number, server: number): boolean {
    if (dnsScan[slot] === 1) return true;
    const base = slot * DNS_SERVERS;
    const n = dnsN[slot];
    for (let j = base; j < base + n; j++) if (dns[j] === server) return false;
    if (n < DNS_SERVERS) {
      dns[base + n] = server;
      dnsN[slot] = n + 1;
      return false;
    }
    // More servers than any resolver configuration: these are probes, the earlier ones too.
    dnsScan[slot] = 1;
    for (let j = base; j < base + n; j++) add(slot, S_DST, dns[j]);
    return true;
  }

  // --- first probes of IPv4 sources not tracked yet ------------------------------------
  // Direct-mapped by source; a collision only forgets a first probe.
  const firstSrc = new Uint32Array(1 << FIRST_PROBE_BITS);
  const firstDst = new Uint32Array(1 << FIRST_PROBE_BITS);
  const firstTs = new Float64Array(1 << FIRST_PROBE_BITS);
  const firstPort = new Uint16Array(1 << FIRST_PROBE_BITS);
  const firstBits = new Uint8Array(1 << FIRST_PROBE_BITS);

  /** Counts one probe into a source's slot (`pkt` null: a remembered IPv4 first probe). */
  function account(slot: number, dst: number, dstPort: number, bits: number, pkt: PacketView | null): void {
    if ((bits & P_DNS) !== 0 && !dnsQuery(slot, dst)) return;
    probes[slot]++;
    // dst is the IPv4 address, or a 32-bit fold of the IPv6 address (see PacketView).
    if ((bits & P_ICMP) !== 0) add(slot, S_ICMP, dst);
    else if ((bits & P_ARP) !== 0) add(slot, S_ARP, dst);
    else {
      if (ver[slot] === 6 && pkt !== null && pkt.dst6Offset >= 0) {
        // IPv6 samples as text (IPv4 ones are the first inline entries, formatted on alert).
        const before = count(slot, S_DST);
        add(slot, S_DST, dst);
        const samples = (v6Samples[slot] ??= []);
        if (count(slot, S_DST) > before && samples.length < SAMPLE) samples.push(formatIpv6(pkt.buf, pkt.dst6Offset));
      } else add(slot, S_DST, dst);
      if (hasPortDst[slot] === 0) { portDst[slot] = dst; hasPortDst[slot] = 1; }
      if (dst === portDst[slot]) add(slot, S_PORT, dstPort);
      countPort(slot, dstPort);
    }
    if ((bits & P_SYN) !== 0) {
      syn[slot]++;
      if ((bits & P_MIRAI) !== 0) mirai[slot]++;
      if ((bits & P_MASSCAN) !== 0) masscan[slot]++;
      if ((bits & P_ZMAP) !== 0) zmap[slot]++;
    }
  }

  /**
   * The family whose fingerprint a majority (≥ 80 % of ≥ 10) of the source's SYNs carry, as
   * FAMILIES index + 1 (0: none), plus ALL_PROBES when every probe (≥ FP_MIN_PROBES) carries it.
   * Allocation-free: it runs for every probe of a source past the first thresholds.
   */
  function familyOf(slot: number): number {
    const n = syn[slot];
    if (n < FP_MIN_PROBES) return 0;
    for (let f = 0; f < FAMILIES.length; f++) {
      const hits = f === 0 ? mirai[slot] : f === 1 ? masscan[slot] : zmap[slot];
      if (hits === n && probes[slot] === n) return (f + 1) | ALL_PROBES;
      if (n >= MIN_FAMILY_PROBES && hits / n >= FAMILY_MAJORITY) return f + 1;
    }
    return 0;
  }

  function sourceIp(slot: number): string {
    return ver[slot] === 6 ? formatIpv6(src6, slot * 16) : formatIpv4(key[slot]);
  }

  function maybeAlert(slot: number, tsUs: number, proto: number, ctx: DetectorContext, final = false): void {
    if (tsUs - lastAlert[slot] < repeatUs) return;
    const hosts = count(slot, S_DST);
    const ports = count(slot, S_PORT);
    const icmp = count(slot, S_ICMP);
    const arpTargets = count(slot, S_ARP);
    // Most probes of most sources stop here.
    if (hosts < lowestHostThreshold && ports < portThreshold && icmp < pingThreshold && arpTargets < hostThreshold) return;
    const fam = familyOf(slot);
    const all = (fam & ALL_PROBES) !== 0;
    const horizontal = hosts >= hostThreshold || (all && hosts >= fpHostThreshold);
    const vertical = ports >= portThreshold;
    const sweep = icmp >= pingThreshold;
    const arp = arpTargets >= hostThreshold;
    if (!horizontal && !vertical && !sweep && !arp) return;
    // A peer-to-peer node also contacts many hosts, but most of them answer; a scanner's
    // targets mostly do not (darknet: none do). Vertical scans are answered by RSTs, which
    // do not count as answers here. A fingerprint on every probe needs no such proof.
    if ((horizontal || arp) && !vertical && !sweep && !all) {
      if (pendingSince[slot] < 0) pendingSince[slot] = tsUs;
      if (!final && tsUs - pendingSince[slot] < ANSWER_GRACE_US) return;
      if (count(slot, S_ANS) >= (horizontal ? hosts : arpTargets) * 0.5) return;
    }
    // Judge the family on enough SYNs: wait until there are MIN_FAMILY_PROBES of them.
    if (syn[slot] > 0 && syn[slot] < MIN_FAMILY_PROBES && !all && !sweep && !arp) return;
    lastAlert[slot] = tsUs;
    emit(slot, fam & ~ALL_PROBES, horizontal ? 'horizontal' : vertical ? 'vertical' : sweep ? 'ping sweep' : 'ARP sweep', tsUs, proto, ctx);
  }

  function emit(slot: number, famIndex: number, kind: string, tsUs: number, proto: number, ctx: DetectorContext): void {
    const f = famIndex > 0 ? FAMILIES[famIndex - 1] : null;
    const hits = famIndex === 1 ? mirai[slot] : famIndex === 2 ? masscan[slot] : zmap[slot];
    const fam = f ? { name: f.name, offset: f.offset, detail: `${hits}/${syn[slot]} SYNs with ${f.what}` } : null;
    // Fresh estimates for the evidence.
    for (let i = slot * SETS; i < slot * SETS + SETS; i++) estimateAt[i] = 0;
    const srcIp = sourceIp(slot);
    const srcMac = hasMac[slot] === 1 ? formatMac(mac, slot * 6) : '';
    const offset = fam ? fam.offset : kind === 'horizontal' ? 0 : kind === 'vertical' ? 1 : kind === 'ping sweep' ? 5 : 6;
    // Top ports by probes (space-saving: a count may include up to topErr probes of ports it replaced).
    const order: number[] = [];
    for (let j = slot * TOP; j < slot * TOP + topN[slot]; j++) order.push(j);
    order.sort((a, b) => topCount[b] - topCount[a] || topPort[a] - topPort[b]);
    const overcount = order.reduce((m, j) => Math.max(m, topErr[j]), 0);
    // The DNS servers that answered are the source's resolvers, not targets.
    const resolvers: string[] = [];
    for (let j = 0; j < dnsN[slot]; j++) if ((dnsAnswered[slot] & (1 << j)) !== 0 && dnsScan[slot] === 0) resolvers.push(formatIpv4(dns[slot * DNS_SERVERS + j]));
    const samples: string[] = [];
    const sampleSet = kind === 'ping sweep' ? S_ICMP : kind === 'ARP sweep' ? S_ARP : S_DST;
    if (ver[slot] === 6 && sampleSet === S_DST) samples.push(...(v6Samples[slot] ?? []));
    else {
      const i = slot * SETS + sampleSet;
      for (let j = 0; j < Math.min(SAMPLE, inlineN[i]); j++) samples.push(formatIpv4(inline[i * INLINE + j]));
    }
    const counted = (set: number) => {
      const kindOf = countKind(slot, set);
      return kindOf === 'exact' ? {} : kindOf === 'sketch' ? { sketchRelativeError: Number(sketchError(SPILL_P).toFixed(4)) } : { lowerBound: true };
    };
    const hostsKind = countKind(slot, S_DST);
    const windowS = Math.round(windowUs / 1e6);
    ctx.emit(null, {
      detector: SCAN_DETECTOR,
      signatureId: SID + offset,
      signature: fam ? `MINEWATCH SCAN ${fam.name}-family ${kind} scan from ${srcIp}` : kind.endsWith('sweep') ? `MINEWATCH SCAN ${kind} from ${srcIp}` : `MINEWATCH SCAN ${kind} scan from ${srcIp}`,
      category: Category.RECON,
      severity: fam?.name === 'Mirai' ? 1 : 2,
      evidence: {
        kind, windowS,
        distinctHosts: count(slot, S_DST), distinctPorts: count(slot, S_PORT), icmpTargets: count(slot, S_ICMP), arpTargets: count(slot, S_ARP),
        answeringHosts: count(slot, S_ANS), probes: probes[slot], synProbes: syn[slot],
        // How the counts were made: exact, or a HyperLogLog estimate with its relative standard error.
        counts: hostsKind === 'exact' && countKind(slot, S_PORT) === 'exact' && countKind(slot, S_ICMP) === 'exact' && countKind(slot, S_ARP) === 'exact'
          ? 'exact'
          : { distinctHosts: { kind: hostsKind, ...counted(S_DST) }, distinctPorts: { kind: countKind(slot, S_PORT), ...counted(S_PORT) }, icmpTargets: { kind: countKind(slot, S_ICMP), ...counted(S_ICMP) }, arpTargets: { kind: countKind(slot, S_ARP), ...counted(S_ARP) } },
        topPorts: order.map((j) => ({ port: topPort[j], probes: topCount[j] })),
        ...(overcount > 0 ? { topPortsMaxOvercount: overcount } : {}),
        sampleTargets: samples,
        ...(samples.length < count(slot, sampleSet) ? { sampleTargetsCut: `first ${samples.length} of ${count(slot, sampleSet)}` } : {}),
        ...(resolvers.length > 0 ? { resolversNotCounted: resolvers } : {}),
        ...(fam ? { family: fam.name, fingerprint: fam.detail } : { fingerprintVotes: { mirai: mirai[slot], masscan: masscan[slot], zmap: zmap[slot] } }),
      },
      device: srcMac ? { mac: srcMac, ip: srcIp, id: srcMac } : { ip: srcIp, id: srcIp },
      srcIp,
      proto: kind === 'ARP sweep' ? 'ARP' : proto === IpProto.TCP ? 'TCP' : proto === IpProto.UDP ? 'UDP' : 'ICMP',
      tsUs,
      dedupKey: `${SCAN_DETECTOR}:${srcIp}`,
    });
  }

  /** The slot of the IPv4 host `k` if it is tracked (answers to its probes). */
  function tracked4(k: number): number {
    return find(k >>> 0, 4);
  }

  function onArp(pkt: PacketView, ctx: DetectorContext): void {
    const op = arpOperation(pkt);
    const sender = pkt.src4 >>> 0;
    const target = pkt.dst4 >>> 0;
    if (op === ArpOp.REPLY) {
      // The target of a request answered: an address in use.
      const s = tracked4(target);
      if (s >= 0) add(s, S_ANS, sender);
      return;
    }
    // ARP probes (sender 0.0.0.0, RFC 5227) and gratuitous ARP are no sweep.
    if (op !== ArpOp.REQUEST || sender === 0 || sender === target || pkt.malformed !== '') return;
    let slot = tracked4(sender);
    if (slot < 0) slot = claim(sender, 4, pkt, arpSenderMacOffset(pkt));
    lastSeen[slot] = pkt.tsUs;
    if (pkt.tsUs - windowStart[slot] > windowUs) reset(slot, pkt.tsUs);
    account(slot, target, 0, P_ARP, null);
    maybeAlert(slot, pkt.tsUs, 0, ctx);
  }

  return {
    id: SCAN_DETECTOR,
    // packets only: no protocol messages
    protocols: [],
    // Probes (SYN, UDP, ICMP echo, ARP requests) and the answers to them (SYN-ACK, UDP from a
    // service port, ARP replies): never TCP data or ACKs.
    packets: PacketClass.TCP_SYN | PacketClass.TCP_SYNACK | PacketClass.UDP | PacketClass.ICMP | PacketClass.OTHER,
    // Of the packets to its hosts from another worker's hosts, only the answers: SYN-ACKs and
    // UDP (from a service port; a UDP probe from another worker's source is counted, never reported).
    answers: PacketClass.TCP_SYNACK | PacketClass.UDP,
    onPacket(pkt: PacketView, _flow: FlowView | null, ctx: DetectorContext): void {
      if (pkt.ipVersion === 0) {
        if ((pkt.layers & Layer.ARP) !== 0) onArp(pkt, ctx);
        return;
      }
      if (pkt.malformed !== '') return;
      if (pkt.proto === IpProto.TCP && pkt.ipVersion === 4 && (pkt.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
        const s = tracked4(pkt.dst4);
        if (s >= 0) add(s, S_ANS, pkt.src4 >>> 0);
        return;
      }
      let bits = 0;
      if (pkt.proto === IpProto.TCP) {
        if ((pkt.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) !== TcpFlag.SYN) return;
        bits = P_SYN;
      } else if (pkt.proto === IpProto.UDP) {
        // A datagram from a well-known service port to an ephemeral one is an answer (a
        // resolver answering its clients), judged from the ports alone: this detector is
        // partitioned by source, so the flow (and its direction) may belong to another worker.
        if (pkt.srcPort < 1024 && pkt.dstPort >= 1024) {
          if (pkt.ipVersion === 4) {
            const s = tracked4(pkt.dst4);
            if (s >= 0) {
              add(s, S_ANS, pkt.src4 >>> 0);
              if (pkt.srcPort === 53) {
                for (let j = 0; j < dnsN[s]; j++) if (dns[s * DNS_SERVERS + j] === pkt.src4 >>> 0) dnsAnswered[s] |= 1 << j;
              }
            }
          }
          return;
        }
        if (pkt.dstPort === 53 && pkt.ipVersion === 4) bits = P_DNS;
      } else if ((pkt.proto === IpProto.ICMP && pkt.icmpType === 8) || (pkt.proto === IpProto.ICMPV6 && pkt.icmpType === 128)) {
        bits = P_ICMP;
      } else return;
      // Multicast/broadcast discovery (mDNS, SSDP, DHCP) is not scanning.
      if (pkt.ipVersion === 4 && ((pkt.dst4 >>> 28) === 14 || pkt.dst4 === 0xffffffff || (pkt.dst4 & 0xff) === 0xff)) return;
      if (pkt.ipVersion === 6 && pkt.dst6Offset >= 0 && pkt.buf[pkt.dst6Offset] === 0xff) return;
      if ((bits & P_SYN) !== 0 && pkt.ipVersion === 4) {
        const fp = synFingerprint(pkt);
        if ((fp & FP_MIRAI) !== 0) bits |= P_MIRAI;
        if ((fp & FP_MASSCAN) !== 0) bits |= P_MASSCAN;
        if ((fp & FP_ZMAP) !== 0) bits |= P_ZMAP;
      }
      const v = pkt.ipVersion === 4 ? 4 : 6;
      const src = pkt.src4 >>> 0;
      let slot = find(src, v);
      if (slot < 0) {
        if (v === 4) {
          // An IPv4 source takes a slot with its second probe; its first waits in a
          // direct-mapped table, so a flood of one-probe sources (random spoofed SYNs) never
          // evicts the sources that matter.
          const f = Math.imul(src, 0x9e3779b1) >>> (32 - FIRST_PROBE_BITS);
          if (firstBits[f] === 0 || firstSrc[f] !== src || pkt.tsUs - firstTs[f] > windowUs) {
            firstSrc[f] = src;
            firstTs[f] = pkt.tsUs;
            firstDst[f] = pkt.dst4 >>> 0;
            firstPort[f] = pkt.dstPort;
            firstBits[f] = bits | P_USED;
            return;
          }
          slot = claim(src, 4, pkt, pkt.macSrcOffset);
          windowStart[slot] = firstTs[f];
          account(slot, firstDst[f], firstPort[f], firstBits[f], null);
          firstBits[f] = 0;
        } else slot = claim(src, 6, pkt, pkt.macSrcOffset);
      }
      lastSeen[slot] = pkt.tsUs;
      if (pkt.tsUs - windowStart[slot] > windowUs) reset(slot, pkt.tsUs);
      account(slot, pkt.dst4 >>> 0, pkt.dstPort, bits, pkt);
      maybeAlert(slot, pkt.tsUs, pkt.proto, ctx);
    },
    onFinish(ctx: DetectorContext): void {
      // End of input: decide the horizontal scans and ARP sweeps still waiting for answers.
      for (let s = 0; s < cap; s++) {
        if (ver[s] !== 0 && pendingSince[s] >= 0 && lastAlert[s] < windowStart[s]) maybeAlert(s, lastSeen[s], IpProto.TCP, ctx, true);
      }
    },
  };
}
