/**
 * The inventory's eyes on the pipeline: a detector-shaped component (it emits no alert) that
 * feeds an Inventory from the rare packets that say who is on the segment — ARP, IPv6
 * neighbour discovery, TCP SYN / SYN-ACK for the initial TTL — and from the parsers'
 * DHCP, mDNS, SSDP, NetBIOS, HTTP and TLS messages. It asks the pipeline for those packet classes
 * only, so TCP data and ACKs (nearly all packets) never reach it.
 *
 * Only traffic from an address on the local segment is attributed to the frame's MAC: a
 * packet from a remote host carries the router's MAC, which then earns the `gateway` role
 * and nothing else.
 */
import type { DetectorContext, DetectorOf } from '../events/detector.js';
import { Direction, type FlowBurst, type FlowEndReason, type FlowView } from '../events/flow.js';
import { IpProto, Layer, PacketClass, TcpFlag, type PacketView } from '../events/packet.js';
import type { ProtocolMessage } from '../events/messages.js';
import { arpSenderMacOffset } from '../decode/index.js';
import { formatIpv4, formatIpv6 } from '../util/ip.js';
import { formatMac } from '../util/mac.js';
import type { Inventory } from './inventory.js';
import type { Anomaly, Baselines, Connection } from './baseline.js';
import { SidBase } from '../detect/common.js';

export const DEVICE_PROTOCOLS = ['dhcp', 'mdns', 'ssdp', 'netbios', 'http', 'tls'] as const;
/** NetBIOS suffixes of a host's own unique names: workstation and file server (the others name domains, browsers, services). */
const NETBIOS_HOST_SUFFIXES: ReadonlySet<number> = new Set([0x00, 0x20]);
export type DeviceProtocol = (typeof DEVICE_PROTOCOLS)[number];

export interface DeviceObserver extends DetectorOf<DeviceProtocol> {
  readonly inventory: Inventory;
  /** Behaviour baselines, when on: learned from the connections of local devices to remote hosts. */
  readonly baselines?: Baselines;
}

const NDP_RS = 133;
const NDP_RA = 134;
const NDP_NS = 135;
const NDP_NA = 136;

/** The sender's MAC and address of a message: the side its direction says sent it. */
function sender(flow: FlowView, dir: number): [string, string] {
  return dir === Direction.TO_SERVER ? [flow.clientMac, flow.clientIp] : [flow.serverMac, flow.serverIp];
}

const TEXT_CACHE = 4096;

const ANOMALY_SIGNATURES = {
  'mining-port': [SidBase.anomaly + 1, 'MINEWATCH ANOMALY device opened a long connection to a new host on a mining port'],
  'upload-jump': [SidBase.anomaly + 2, 'MINEWATCH ANOMALY device uploaded many times its baseline'],
} as const;
const BASELINE_CHECKED = 'baseline.checked';

export function createDeviceObserver(inventory: Inventory, baselines?: Baselines): DeviceObserver {
  const inv = inventory;

  // a MAC's device id and type for a minute of traffic: every flow end must not regroup and
  // reclassify the inventory (it rebuilds after any change), which stalled a live capture
  const deviceCache = new Map<string, { id: string; type: string; untilUs: number }>();
  function deviceFor(mac: string, tsUs: number): { id: string; type: string } | null {
    const c = deviceCache.get(mac);
    if (c && tsUs < c.untilUs) return c;
    const d = inv.deviceOfMac(mac);
    if (!d) return null;
    if (deviceCache.size >= TEXT_CACHE) deviceCache.clear();
    const e = { id: d.id, type: d.type, untilUs: tsUs + 60_000_000 };
    deviceCache.set(mac, e);
    return e;
  }

  /** The connection of a local device to a remote host, as the baselines see it; null otherwise. */
  function connection(flow: FlowView, tsUs: number): Connection | null {
    // unanswered attempts (a scan, a dead host) are not behaviour to learn, and a flood of them costs nothing here
    if (flow.pktsToClient === 0 || flow.clientMac === '' || !inv.isLocal(flow.clientIp) || inv.isLocal(flow.serverIp)) return null;
    const d = deviceFor(flow.clientMac, tsUs);
    if (!d) return null;
    return { tsUs, device: d.id, type: d.type, remote: flow.serverIp, port: flow.serverPort, upBytes: flow.bytesToServer, durationUs: tsUs - flow.firstTsUs };
  }

  function report(a: Anomaly, flow: FlowView, ctx: DetectorContext): void {
    const [sid, signature] = ANOMALY_SIGNATURES[a.cause];
    ctx.emit(flow, {
      detector: 'anomaly', signatureId: sid, signature, category: 'Potentially Bad Traffic', severity: a.severity, tsUs: a.tsUs,
      evidence: { cause: a.cause, baseline: a.baseline, deviation: a.deviation }, dedupKey: `anomaly:${a.cause}`,
      ...(a.remote ? { destIp: a.remote } : {}), ...(a.port ? { destPort: a.port } : {}),
    });
  }
  // SYNs are the one frequent thing it reads: address and MAC text are made once per host
  const ip4Text = new Map<number, string>();
  const macTexts = new Map<number, string>();
  const text4 = (a: number): string => {
    let t = ip4Text.get(a);
    if (t === undefined) {
      if (ip4Text.size >= TEXT_CACHE) ip4Text.clear();
      t = formatIpv4(a);
      ip4Text.set(a, t);
    }
    return t;
  };
  // the last MAC read (a flood comes through one router MAC): its key and text
  let lastMacKey = -1;
  let lastMacText = '';
  const macAt = (buf: Uint8Array, o: number): string => {
    const key = buf[o] * 0x10000000000 + buf[o + 1] * 0x100000000 + ((buf[o + 2] << 24) >>> 0) + (buf[o + 3] << 16) + (buf[o + 4] << 8) + buf[o + 5];
    if (key === lastMacKey) return lastMacText;
    lastMacKey = key;
    let t = macTexts.get(key);
    if (t === undefined) {
      if (macTexts.size >= TEXT_CACHE) macTexts.clear();
      t = formatMac(buf, o);
      macTexts.set(key, t);
    }
    lastMacText = t;
    return t;
  };
  /** The router MAC last seen carrying a remote host's SYN, and when: repeats within a second add nothing. */
  let gatewayMac = '';
  let gatewayUntilUs = -Infinity;

  /** A link-layer address option (type 1 source / 2 target) of an NDP message, or ''. */
  function ndpOption(pkt: PacketView, start: number, want: number): string {
    const buf = pkt.buf;
    const end = pkt.l4Offset + Math.max(0, pkt.ipLength - 40);
    const limit = Math.min(end, pkt.frameOffset + pkt.capLength);
    for (let o = start; o + 8 <= limit;) {
      const len = buf[o + 1] * 8;
      if (len === 0) return '';
      if (buf[o] === want && len >= 8) return formatMac(buf, o + 2);
      o += len;
    }
    return '';
  }

  function onNdp(pkt: PacketView): void {
    if ((pkt.layers & Layer.L4) === 0 || pkt.macSrcOffset < 0) return;
    const t = pkt.icmpType;
    const frameMac = formatMac(pkt.buf, pkt.macSrcOffset);
    const srcIp = formatIpv6(pkt.buf, pkt.src6Offset);
    const avail = pkt.frameOffset + pkt.capLength - pkt.l4Offset;
    if (t === NDP_NA && avail >= 24) {
      const target = formatIpv6(pkt.buf, pkt.l4Offset + 8);
      inv.observeAddress(ndpOption(pkt, pkt.l4Offset + 24, 2) || frameMac, target, 'ndp', pkt.tsUs);
    } else if (t === NDP_NS && avail >= 24) {
      if (srcIp !== '::') inv.observeAddress(ndpOption(pkt, pkt.l4Offset + 24, 1) || frameMac, srcIp, 'ndp', pkt.tsUs);
    } else if (t === NDP_RA && avail >= 16) {
      inv.observeRole(frameMac, 'ipv6-router', pkt.tsUs);
      inv.observeAddress(ndpOption(pkt, pkt.l4Offset + 16, 1) || frameMac, srcIp, 'ndp', pkt.tsUs);
    } else if (t === NDP_RS && srcIp !== '::') {
      inv.observeAddress(frameMac, srcIp, 'ndp', pkt.tsUs);
    }
  }

  return {
    id: 'devices',
    protocols: DEVICE_PROTOCOLS,
    packets: PacketClass.TCP_SYN | PacketClass.TCP_SYNACK | PacketClass.ICMP | PacketClass.OTHER,
    inventory,
    baselines,
    ...(baselines ? {
      // a long-lived connection is judged while it lasts (a miner's may never end), once per flow
      onBurst(flow: FlowView, burst: FlowBurst, ctx: DetectorContext): void {
        if (burst.lastUs - flow.firstTsUs < baselines.longLivedUs || flow.userData.has(BASELINE_CHECKED)) return;
        flow.userData.set(BASELINE_CHECKED, true);
        const c = connection(flow, burst.lastUs);
        const a = c ? baselines.checkLongLived(c) : null;
        if (a) report(a, flow, ctx);
      },
      onFlowEnd(flow: FlowView, _reason: FlowEndReason, ctx: DetectorContext): void {
        const c = connection(flow, flow.lastTsUs);
        if (!c) return;
        for (const a of baselines.observe(c)) report(a, flow, ctx);
      },
    } : {}),

    onPacket(pkt: PacketView, _flow: FlowView | null, _ctx: DetectorContext): void {
      if ((pkt.layers & Layer.ARP) !== 0) {
        const off = arpSenderMacOffset(pkt);
        if (off >= 0 && pkt.src4 !== 0) inv.observeAddress(formatMac(pkt.buf, off), formatIpv4(pkt.src4), 'arp', pkt.tsUs);
        return;
      }
      if (pkt.ipVersion === 0 || pkt.macSrcOffset < 0) return;
      if (pkt.proto === IpProto.ICMPV6) {
        if (pkt.icmpType >= NDP_RS && pkt.icmpType <= NDP_NA) onNdp(pkt);
        return;
      }
      if (pkt.proto !== IpProto.TCP || (pkt.tcpFlags & TcpFlag.SYN) === 0) return;
      // a connection opening or accepted: its TTL tells the sender's stack, if the sender is here
      const v4 = pkt.ipVersion === 4;
      const src = v4 ? '' : formatIpv6(pkt.buf, pkt.src6Offset);
      const mac = macAt(pkt.buf, pkt.macSrcOffset);
      if (v4 ? inv.isLocalIpv4(pkt.src4, text4) : inv.isLocal(src)) {
        inv.observeTtl(mac, pkt.ttl, pkt.tsUs);
        inv.observeAddress(mac, v4 ? text4(pkt.src4) : src, 'traffic', pkt.tsUs);
      } else if (mac !== gatewayMac || pkt.tsUs >= gatewayUntilUs || pkt.tsUs < gatewayUntilUs - 1e6) {
        // the role is recorded once; the device's last-seen time moves at most a second late
        inv.observeRole(mac, 'gateway', pkt.tsUs);
        gatewayMac = mac;
        gatewayUntilUs = pkt.tsUs + 1e6;
      }
    },

    onMessage(msg: ProtocolMessage<DeviceProtocol>, flow: FlowView): void {
      const ts = msg.tsUs;
      switch (msg.protocol) {
        case 'dhcp': {
          const f = msg.fields;
          if (f.op === 1) {
            inv.observeDhcpClient(f.clientMac, f, ts);
            if (f.clientIp !== '' && f.clientIp !== '0.0.0.0') inv.observeAddress(f.clientMac, f.clientIp, 'dhcp', ts);
          } else if (f.op === 2) {
            if (msg.kind === 'ack' && f.yourIp !== '' && f.yourIp !== '0.0.0.0') inv.observeAddress(f.clientMac, f.yourIp, 'dhcp', ts);
            const [mac, ip] = sender(flow, msg.dir);
            inv.observeRole(mac, 'dhcp-server', ts);
            if (inv.isLocal(ip)) inv.observeAddress(mac, ip, 'traffic', ts);
          }
          return;
        }
        case 'mdns': {
          // what a device says about itself is in its responses; questions name what it looks for
          if (msg.kind !== 'response') return;
          const [mac, ip] = sender(flow, msg.dir);
          if (!inv.isLocal(ip)) return;
          inv.observeMdns(mac, msg.fields.hints, ts);
          inv.observeAddress(mac, ip, 'traffic', ts);
          return;
        }
        case 'ssdp': {
          const f = msg.fields;
          const [mac, ip] = sender(flow, msg.dir);
          if (!inv.isLocal(ip)) return;
          if (msg.kind === 'm-search') {
            if (f.userAgent !== '') inv.observeUserAgent(mac, f.userAgent, ts);
          } else {
            inv.observeSsdp(mac, [f.server, f.usn, f.nt, f.st].filter((s) => s !== ''), ts);
          }
          return;
        }
        case 'netbios': {
          // the name a host claims for itself: its registration or refresh, or its positive answer to a query for it
          const f = msg.fields;
          const claims = f.response ? msg.kind === 'query' && f.rcode === 0 && f.address !== '' : msg.kind === 'registration' || msg.kind === 'refresh';
          if (!claims || f.group || !NETBIOS_HOST_SUFFIXES.has(f.suffix) || f.name === '' || f.name.startsWith('*')) return;
          const [mac, ip] = sender(flow, msg.dir);
          if (!inv.isLocal(ip)) return;
          // an answer may come from a name server for another host: only a host answering for its own address counts
          if (f.response && f.address !== ip) return;
          inv.observeHostname(mac, f.name, ts);
          inv.observeAddress(mac, ip, 'traffic', ts);
          return;
        }
        case 'http': {
          if (msg.kind !== 'request' || msg.fields.userAgent === '') return;
          if (inv.isLocal(flow.clientIp)) inv.observeUserAgent(flow.clientMac, msg.fields.userAgent, ts);
          return;
        }
        case 'tls': {
          if (msg.kind !== 'client_hello') return;
          if (inv.isLocal(flow.clientIp)) inv.observeTls(flow.clientMac, msg.fields.ja3Hash, msg.fields.ja4, ts);
          return;
        }
      }
    },
  };
}
