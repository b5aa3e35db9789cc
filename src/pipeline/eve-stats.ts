/**
 * EVE `stats` events with Suricata's counter names (its "stats" section in eve.json), so
 * EveBox, Elastic and jq pipelines built for Suricata read them: uptime,
 * capture.kernel_packets/kernel_drops, decoder.pkts/bytes/invalid/ipv4/ipv6/tcp/udp/icmpv4/
 * icmpv6, flow.total/active/tcp/udp/icmpv4/icmpv6/tcp_reuse, app_layer.flow.<parser> and
 * detect.alert. Counters are cumulative since the start, as Suricata's are.
 *
 * Written every `intervalUs` of packet time (at multiples of it, so every worker of a run
 * writes at the same moments and the main thread can add theirs up: sumStats) and once at
 * the end. Packets are counted by the worker that owns their flow, so the sums are exact.
 */
import type { PacketView } from '../events/packet.js';
import { IpProto } from '../events/packet.js';
import type { FlowEngineStats } from '../flow/index.js';

/** Suricata's default stats interval (stats.interval: 8). */
export const DEFAULT_STATS_INTERVAL_US = 8e6;

const C_IPV4 = 0;
const C_IPV6 = 1;
const C_TCP = 2;
const C_UDP = 3;
const C_ICMPV4 = 4;
const C_ICMPV6 = 5;
const C_FLOW_TCP = 6;
const C_FLOW_UDP = 7;
const C_FLOW_ICMPV4 = 8;
const C_FLOW_ICMPV6 = 9;

/** What the pipeline knows at a stats moment, besides the per-packet counts kept here. */
export interface StatsInput {
  packets: number;
  bytes: number;
  invalid: number;
  drops: number;
  flows: FlowEngineStats;
  activeFlows: number;
  alerts: number;
}

export class EveStats {
  /** Per-packet counters in a typed array (the packet path increments them). */
  private readonly counts = new Float64Array(10);
  private firstUs = -1;
  private nextUs = -Infinity;

  constructor(readonly intervalUs: number = DEFAULT_STATS_INTERVAL_US) {}

  /** True when the packet clock has reached the next stats moment (the first packet starts the clock). */
  due(tsUs: number): boolean {
    if (this.firstUs < 0) {
      this.firstUs = tsUs;
      this.nextUs = (Math.floor(tsUs / this.intervalUs) + 1) * this.intervalUs;
      return false;
    }
    return tsUs >= this.nextUs;
  }

  /** The stats moment that is due (call after due() said so): it also moves to the next one. */
  take(tsUs: number): number {
    const at = this.nextUs;
    this.nextUs = (Math.floor(tsUs / this.intervalUs) + 1) * this.intervalUs;
    return at;
  }

  /** One owned packet; `newFlow` when it started its flow. */
  countPacket(pkt: PacketView, newFlow: boolean): void {
    const c = this.counts;
    if (pkt.ipVersion === 4) c[C_IPV4]++;
    else if (pkt.ipVersion === 6) c[C_IPV6]++;
    else return;
    let k: number;
    switch (pkt.proto) {
      case IpProto.TCP: k = 0; break;
      case IpProto.UDP: k = 1; break;
      case IpProto.ICMP: k = 2; break;
      case IpProto.ICMPV6: k = 3; break;
      default: return;
    }
    c[C_TCP + k]++;
    if (newFlow) c[C_FLOW_TCP + k]++;
  }

  /** The `stats` body at packet time `atUs`. */
  body(atUs: number, s: StatsInput): Record<string, unknown> {
    const c = this.counts;
    const appFlows: Record<string, number> = {};
    for (const [k, v] of Object.entries(s.flows.dispatch.consumers)) {
      const m = /^consumer\.(.+)\.accepted$/.exec(k);
      if (m) appFlows[m[1]] = v;
    }
    return {
      uptime: this.firstUs < 0 ? 0 : Math.max(0, Math.floor((atUs - this.firstUs) / 1e6)),
      capture: { kernel_packets: s.packets, kernel_drops: s.drops },
      decoder: {
        pkts: s.packets, bytes: s.bytes, invalid: s.invalid,
        ipv4: c[C_IPV4], ipv6: c[C_IPV6], tcp: c[C_TCP], udp: c[C_UDP], icmpv4: c[C_ICMPV4], icmpv6: c[C_ICMPV6],
      },
      flow: {
        total: s.flows.flow.created, active: s.activeFlows,
        tcp: c[C_FLOW_TCP], udp: c[C_FLOW_UDP], icmpv4: c[C_FLOW_ICMPV4], icmpv6: c[C_FLOW_ICMPV6],
        tcp_reuse: s.flows.flow.tcpReused,
      },
      app_layer: { flow: appFlows },
      detect: { alert: s.alerts },
    };
  }
}

/**
 * Adds one worker's stats body into another's (counters add up; uptime is the same clock,
 * so the larger is kept).
 */
export function sumStats(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (typeof v === 'number') into[k] = k === 'uptime' ? Math.max(typeof cur === 'number' ? cur : 0, v) : (typeof cur === 'number' ? cur : 0) + v;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      into[k] = sumStats(cur !== null && typeof cur === 'object' ? cur as Record<string, unknown> : {}, v as Record<string, unknown>);
    }
  }
  return into;
}
