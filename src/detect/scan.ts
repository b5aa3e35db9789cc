/**
 * Detector `scan`: a host probing many addresses (horizontal) or many ports of one host
 * (vertical) within a time window, with the scanner family when its packets carry a known
 * fingerprint:
 * - Mirai: TCP sequence number == destination IPv4 address (32 bits).
 * - masscan: IP ID == low16(dst ^ dport ^ seq) (its SYN-cookie), corroborated by window 1024.
 * - ZMap (older releases): IP ID 54321, corroborated by window 65535 and TTL ≥ 200 (sent with 255).
 * The fingerprints are decode/scanner-fingerprint.ts (shared with the telescope).
 * A family is named only when a majority (≥ 80 %, at least 10 probes) of that source's SYN
 * probes match, and never on one 16-bit field alone.
 *
 * Probes: TCP SYN without ACK, UDP datagrams (except answers from a port below 1024 to one
 * above), ICMP echo requests. State is per source,
 * bounded (LRU of sources; capped address/port sets per source), reset per window.
 *
 * Horizontal scans need most targets to stay silent (no SYN-ACK): a P2P node contacting
 * many peers that answer is not a scanner.
 *
 * Signatures (9100600+): 0 horizontal scan, 1 vertical scan, 2 Mirai-family scan,
 * 3 masscan scan, 4 ZMap scan, 5 ping sweep.
 */
import type { DetectorContext, DetectorOf } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { IpProto, PacketClass, TcpFlag, type PacketView } from '../events/packet.js';
import { FP_MASSCAN, FP_MIRAI, FP_ZMAP, synFingerprint } from '../decode/scanner-fingerprint.js';
import { Category, LruMap, SidBase } from './common.js';
import { formatIpv4, formatIpv6 } from '../util/ip.js';
import { formatMac } from '../util/mac.js';

export const SCAN_DETECTOR = 'scan';
const SID = SidBase.scan;

export interface ScanOptions {
  windowUs?: number;
  /** Distinct destination addresses in a window for a horizontal scan. */
  hostThreshold?: number;
  /** Distinct destination ports on one destination in a window for a vertical scan. */
  portThreshold?: number;
  maxSources?: number;
  /** Re-report the same source after this long. */
  repeatUs?: number;
}

const MAX_SET = 512;
const MIN_FAMILY_PROBES = 10;
const FAMILY_MAJORITY = 0.8;
const ANSWER_GRACE_US = 3_000_000;
/** First-probe table: 2^16 slots (1.25 MB of typed arrays). */
const FIRST_PROBE_BITS = 16;
const P_USED = 1;
const P_ICMP = 2;
const P_SYN = 4;
const P_MIRAI = 8;
const P_MASSCAN = 16;
const P_ZMAP = 32;

interface SourceState {
  windowStart: number;
  /** destination key (IPv4 int or IPv6 fold) → count */
  dsts: Set<number>;
  /** (dst, port) pairs folded: distinct ports per busiest destination is approximated by ports on the first dst */
  ports: Set<number>;
  portDst: number;
  icmpDsts: Set<number>;
  /** Destinations that answered a SYN with SYN-ACK (a service was reached). */
  answered: Set<number>;
  /** When a horizontal threshold was crossed: answers (SYN-ACKs) get a moment to arrive. */
  pendingSinceUs: number;
  syn: number;
  mirai: number;
  masscan: number;
  zmap: number;
  probes: number;
  topPorts: Map<number, number>;
  lastAlertUs: number;
  srcIp: string;
  srcMac: string;
  firstDsts: string[];
}

export function createScanDetector(opts: ScanOptions = {}): DetectorOf<never> {
  const windowUs = opts.windowUs ?? 60_000_000;
  const hostThreshold = opts.hostThreshold ?? 20;
  const portThreshold = opts.portThreshold ?? 30;
  const repeatUs = opts.repeatUs ?? 3600_000_000;
  const sources = new LruMap<string, SourceState>(opts.maxSources ?? 10000);
  // Source key for IPv4 without string building per packet: the integer itself.
  const v4Keys = new LruMap<number, SourceState>(opts.maxSources ?? 10000);

  /** Stand-in packet for end-of-input decisions (only tsUs and proto are read). */
  const lastPkt = { tsUs: 0, proto: IpProto.TCP } as PacketView;

  function stateFor(pkt: PacketView): SourceState {
    let st: SourceState | undefined;
    if (pkt.ipVersion === 4) st = v4Keys.get(pkt.src4);
    else st = sources.get(formatIpv6(pkt.buf, pkt.src6Offset));
    if (st === undefined) {
      const srcIp = pkt.ipVersion === 4 ? formatIpv4(pkt.src4) : formatIpv6(pkt.buf, pkt.src6Offset);
      st = {
        windowStart: pkt.tsUs, dsts: new Set(), ports: new Set(), portDst: -1, icmpDsts: new Set(), answered: new Set(), pendingSinceUs: -1, syn: 0, mirai: 0, masscan: 0, zmap: 0,
        probes: 0, topPorts: new Map(), lastAlertUs: -Infinity, srcIp, srcMac: formatMac(pkt.buf, pkt.macSrcOffset), firstDsts: [],
      };
      if (pkt.ipVersion === 4) v4Keys.set(pkt.src4, st);
      else sources.set(srcIp, st);
    }
    return st;
  }

  // First probes of IPv4 sources not tracked yet (direct-mapped by source; a collision only
  // forgets a first probe).
  const firstSrc = new Uint32Array(1 << FIRST_PROBE_BITS);
  const firstDst = new Uint32Array(1 << FIRST_PROBE_BITS);
  const firstTs = new Float64Array(1 << FIRST_PROBE_BITS);
  const firstPort = new Uint16Array(1 << FIRST_PROBE_BITS);
  const firstBits = new Uint8Array(1 << FIRST_PROBE_BITS);

  /** Counts one probe into a source's state (`pkt` null: a remembered IPv4 first probe). */
  function account(st: SourceState, dst: number, dstPort: number, bits: number, pkt: PacketView | null): void {
    st.probes++;
    // dst is the IPv4 address, or a 32-bit fold of the IPv6 address (see PacketView).
    if ((bits & P_ICMP) !== 0) {
      if (st.icmpDsts.size < MAX_SET) st.icmpDsts.add(dst);
    } else {
      if (st.dsts.size < MAX_SET) {
        const before = st.dsts.size;
        st.dsts.add(dst);
        if (st.dsts.size > before && st.firstDsts.length < 8) st.firstDsts.push(pkt === null || pkt.ipVersion === 4 ? formatIpv4(dst) : formatIpv6(pkt.buf, pkt.dst6Offset));
      }
      if (st.portDst === -1) st.portDst = dst;
      if (dst === st.portDst && st.ports.size < MAX_SET * 4) st.ports.add(dstPort);
      if (st.topPorts.size < 256 || st.topPorts.has(dstPort)) st.topPorts.set(dstPort, (st.topPorts.get(dstPort) ?? 0) + 1);
    }
    if ((bits & P_SYN) !== 0) {
      st.syn++;
      if ((bits & P_MIRAI) !== 0) st.mirai++;
      if ((bits & P_MASSCAN) !== 0) st.masscan++;
      if ((bits & P_ZMAP) !== 0) st.zmap++;
    }
  }

  function reset(st: SourceState, tsUs: number): void {
    st.windowStart = tsUs;
    st.dsts.clear();
    st.ports.clear();
    st.portDst = -1;
    st.icmpDsts.clear();
    st.answered.clear();
    st.pendingSinceUs = -1;
    st.syn = st.mirai = st.masscan = st.zmap = st.probes = 0;
    st.topPorts.clear();
    st.firstDsts.length = 0;
  }

  function family(st: SourceState): { name: string; offset: number; detail: string } | null {
    if (st.syn < MIN_FAMILY_PROBES) return null;
    const frac = (n: number) => n / st.syn;
    if (frac(st.mirai) >= FAMILY_MAJORITY) return { name: 'Mirai', offset: 2, detail: `${st.mirai}/${st.syn} SYNs with TCP seq == destination address` };
    if (frac(st.masscan) >= FAMILY_MAJORITY) return { name: 'masscan', offset: 3, detail: `${st.masscan}/${st.syn} SYNs with IP ID == low16(dst ^ dport ^ seq) and window 1024` };
    if (frac(st.zmap) >= FAMILY_MAJORITY) return { name: 'ZMap', offset: 4, detail: `${st.zmap}/${st.syn} SYNs with IP ID 54321, window 65535 and TTL ≥ 200` };
    return null;
  }

  function maybeAlert(st: SourceState, pkt: PacketView, ctx: DetectorContext, final = false): void {
    if (pkt.tsUs - st.lastAlertUs < repeatUs) return;
    const horizontal = st.dsts.size >= hostThreshold;
    const vertical = st.ports.size >= portThreshold;
    const sweep = st.icmpDsts.size >= hostThreshold;
    if (!horizontal && !vertical && !sweep) return;
    // A peer-to-peer node also contacts many hosts, but most of them answer; a scanner's
    // targets mostly do not (darknet: none do). Vertical scans are answered by RSTs, which
    // do not count as answers here.
    if (horizontal && !vertical && !sweep) {
      if (st.pendingSinceUs < 0) st.pendingSinceUs = pkt.tsUs;
      if (!final && pkt.tsUs - st.pendingSinceUs < ANSWER_GRACE_US) return;
      if (st.answered.size >= st.dsts.size * 0.5) return;
    }
    // Judge the family on enough SYNs: wait until there are MIN_FAMILY_PROBES of them.
    if (st.syn > 0 && st.syn < MIN_FAMILY_PROBES && !sweep) return;
    const fam = family(st);
    st.lastAlertUs = pkt.tsUs;
    const ports = [...st.topPorts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([p, n]) => ({ port: p, probes: n }));
    const kind = horizontal ? 'horizontal' : vertical ? 'vertical' : 'ping sweep';
    const offset = fam ? fam.offset : horizontal ? 0 : vertical ? 1 : 5;
    const windowS = Math.round(windowUs / 1e6);
    ctx.emit(null, {
      detector: SCAN_DETECTOR,
      signatureId: SID + offset,
      signature: fam ? `MINEWATCH SCAN ${fam.name}-family ${kind} scan from ${st.srcIp}` : `MINEWATCH SCAN ${kind} scan from ${st.srcIp}`,
      category: Category.RECON,
      severity: fam?.name === 'Mirai' ? 1 : 2,
      evidence: {
        kind, windowS, distinctHosts: st.dsts.size, distinctPorts: st.ports.size, icmpTargets: st.icmpDsts.size, probes: st.probes,
        synProbes: st.syn, topPorts: ports, sampleTargets: st.firstDsts.slice(0, 8),
        ...(fam ? { family: fam.name, fingerprint: fam.detail } : { fingerprintVotes: { mirai: st.mirai, masscan: st.masscan, zmap: st.zmap } }),
      },
      device: st.srcMac ? { mac: st.srcMac, ip: st.srcIp, id: st.srcMac } : { ip: st.srcIp, id: st.srcIp },
      srcIp: st.srcIp,
      proto: pkt.proto === IpProto.TCP ? 'TCP' : pkt.proto === IpProto.UDP ? 'UDP' : 'ICMP',
      tsUs: pkt.tsUs,
      dedupKey: `${SCAN_DETECTOR}:${st.srcIp}`,
    });
  }

  return {
    id: SCAN_DETECTOR,
    // packets only: no protocol messages
    protocols: [],
    // Probes (SYN, UDP, ICMP echo) and the SYN-ACKs that answer them: never TCP data or ACKs.
    packets: PacketClass.TCP_SYN | PacketClass.TCP_SYNACK | PacketClass.UDP | PacketClass.ICMP,
    onPacket(pkt: PacketView, _flow: FlowView | null, ctx: DetectorContext): void {
      if (pkt.ipVersion === 0 || pkt.malformed !== '') return;
      if (pkt.proto === IpProto.TCP && pkt.ipVersion === 4 && (pkt.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
        const prober = v4Keys.peek(pkt.dst4);
        if (prober && prober.answered.size < MAX_SET) prober.answered.add(pkt.src4);
        return;
      }
      let isProbe = false;
      let isSyn = false;
      let isIcmp = false;
      if (pkt.proto === IpProto.TCP) {
        isSyn = (pkt.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN;
        isProbe = isSyn;
      } else if (pkt.proto === IpProto.UDP) {
        // A datagram from a well-known service port to an ephemeral one is an answer (a
        // resolver answering its clients), judged from the ports alone: this detector is
        // partitioned by source, so the flow (and its direction) may belong to another worker.
        if (pkt.srcPort < 1024 && pkt.dstPort >= 1024) {
          if (pkt.ipVersion === 4) {
            const prober = v4Keys.peek(pkt.dst4);
            if (prober && prober.answered.size < MAX_SET) prober.answered.add(pkt.src4);
          }
          return;
        }
        isProbe = true;
      } else if ((pkt.proto === IpProto.ICMP && pkt.icmpType === 8) || (pkt.proto === IpProto.ICMPV6 && pkt.icmpType === 128)) {
        isProbe = true;
        isIcmp = true;
      }
      if (!isProbe) return;
      // Multicast/broadcast discovery (mDNS, SSDP, DHCP) is not scanning.
      if (pkt.ipVersion === 4 && ((pkt.dst4 >>> 28) === 14 || pkt.dst4 === 0xffffffff || (pkt.dst4 & 0xff) === 0xff)) return;
      if (pkt.ipVersion === 6 && pkt.dst6Offset >= 0 && pkt.buf[pkt.dst6Offset] === 0xff) return;
      let bits = isIcmp ? P_ICMP : 0;
      if (isSyn && pkt.ipVersion === 4) {
        bits |= P_SYN;
        const fp = synFingerprint(pkt);
        if ((fp & FP_MIRAI) !== 0) bits |= P_MIRAI;
        if ((fp & FP_MASSCAN) !== 0) bits |= P_MASSCAN;
        if ((fp & FP_ZMAP) !== 0) bits |= P_ZMAP;
      }
      let st: SourceState;
      if (pkt.ipVersion === 4 && v4Keys.peek(pkt.src4) === undefined) {
        // An IPv4 source gets its state (sets, strings) with its second probe; its first waits
        // in a typed-array table. A flood of one-probe sources (random spoofed SYNs) then
        // allocates nothing per packet: each state lived just long enough to be promoted
        // by the GC, which dominated such floods.
        const src = pkt.src4 >>> 0;
        const slot = Math.imul(src, 0x9e3779b1) >>> (32 - FIRST_PROBE_BITS);
        if (firstBits[slot] === 0 || firstSrc[slot] !== src || pkt.tsUs - firstTs[slot] > windowUs) {
          firstSrc[slot] = src;
          firstTs[slot] = pkt.tsUs;
          firstDst[slot] = pkt.dst4 >>> 0;
          firstPort[slot] = pkt.dstPort;
          firstBits[slot] = bits | P_USED;
          return;
        }
        st = stateFor(pkt);
        st.windowStart = firstTs[slot];
        account(st, firstDst[slot], firstPort[slot], firstBits[slot], null);
        firstBits[slot] = 0;
      } else st = stateFor(pkt);
      if (pkt.tsUs - st.windowStart > windowUs) reset(st, pkt.tsUs);
      account(st, pkt.dst4, pkt.dstPort, bits, pkt);
      lastPkt.tsUs = pkt.tsUs;
      maybeAlert(st, pkt, ctx);
    },
    onFinish(ctx: DetectorContext): void {
      // End of input: decide the horizontal scans still waiting for answers.
      for (const map of [v4Keys, sources] as LruMap<unknown, SourceState>[]) {
        for (const [, st] of map.entries()) {
          if (st.pendingSinceUs >= 0 && st.lastAlertUs < st.windowStart) {
            lastPkt.proto = IpProto.TCP;
            maybeAlert(st, lastPkt, ctx, true);
          }
        }
      }
    },
  };
}
