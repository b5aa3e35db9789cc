/**
 * EVE `flow` records, with Suricata's field names and conventions: the event timestamp is
 * the flow's start, src is the client, TCP flags are two lowercase hex digits ("1b"),
 * syn/fin/rst appear only when seen, ports only for port-based protocols.
 */
import type { FlowEndReason, FlowView } from '../events/flow.js';
import { eveTimestamp, protoName } from '../events/eve-format.js';
import type { FlowEvent } from '../events/eve.js';
import { IpProto, TcpFlag } from '../events/packet.js';

/** Suricata's flow.reason: timeouts are "timeout", table-pressure evictions "forced". */
export function eveFlowReason(reason: FlowEndReason): 'timeout' | 'forced' | 'shutdown' {
  switch (reason) {
    case 'evicted':
      return 'forced';
    case 'shutdown':
      return 'shutdown';
    default:
      return 'timeout';
  }
}

function hexFlags(flags: number): string {
  return (flags & 0xff).toString(16).padStart(2, '0');
}

function hasPorts(proto: number): boolean {
  return proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP;
}

export function flowToEve(flow: FlowView, reason: FlowEndReason, alerted: boolean): FlowEvent {
  const ports = hasPorts(flow.proto);
  const event: FlowEvent = {
    timestamp: eveTimestamp(flow.firstTsUs),
    flow_id: flow.id,
    event_type: 'flow',
    src_ip: flow.clientIp,
    ...(ports ? { src_port: flow.clientPort } : {}),
    dest_ip: flow.serverIp,
    ...(ports ? { dest_port: flow.serverPort } : {}),
    proto: protoName(flow.proto),
    ...(flow.vlan !== 0 ? { vlan: [flow.vlan] } : {}),
    flow: {
      pkts_toserver: flow.pktsToServer,
      pkts_toclient: flow.pktsToClient,
      bytes_toserver: flow.bytesToServer,
      bytes_toclient: flow.bytesToClient,
      start: eveTimestamp(flow.firstTsUs),
      end: eveTimestamp(flow.lastTsUs),
      // Suricata's age: whole seconds between first and last packet.
      age: Math.max(0, Math.floor(flow.lastTsUs / 1e6) - Math.floor(flow.firstTsUs / 1e6)),
      state: flow.state,
      reason: eveFlowReason(reason),
      alerted,
    },
    minewatch: { end_reason: reason },
  };
  if (flow.proto === IpProto.TCP) {
    const all = flow.tcpFlagsToServer | flow.tcpFlagsToClient;
    event.tcp = {
      tcp_flags: hexFlags(all),
      tcp_flags_ts: hexFlags(flow.tcpFlagsToServer),
      tcp_flags_tc: hexFlags(flow.tcpFlagsToClient),
      ...((all & TcpFlag.SYN) !== 0 ? { syn: true } : {}),
      ...((all & TcpFlag.FIN) !== 0 ? { fin: true } : {}),
      ...((all & TcpFlag.RST) !== 0 ? { rst: true } : {}),
      state: flow.state,
    };
  }
  return event;
}
