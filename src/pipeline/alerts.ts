/**
 * Turns a detector's AlertInput into an EVE alert event: fills timestamp, tuple, flow_id,
 * sensor and device, bounds the evidence, and collapses repeats of the same finding in
 * the same flow (a Stratum session would otherwise alert on every share).
 */
import type { AlertEvent } from '../events/eve.js';
import { eveTimestamp, limitEvidence, protoName } from '../events/eve-format.js';
import type { AlertInput } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { isLocalAddress } from '../devices/inventory.js';

export interface AlertBuilderOptions {
  sensor?: string;
  /** Max distinct dedup keys remembered (bounded memory under alert floods). */
  maxDedupKeys?: number;
}

export class AlertBuilder {
  private readonly seen = new Set<string>();
  private readonly maxKeys: number;
  /** Alerts collapsed as repeats, by detector. */
  readonly repeats = new Map<string, number>();

  constructor(private readonly opts: AlertBuilderOptions = {}) {
    this.maxKeys = opts.maxDedupKeys ?? 200_000;
  }

  /** Returns null when the alert repeats one already emitted for the same flow and key. */
  build(flow: FlowView | null, a: AlertInput, nowUs: number): AlertEvent | null {
    const key = `${a.detector}|${a.signatureId}|${flow ? flow.id : `${a.srcIp}>${a.destIp}`}|${a.dedupKey ?? ''}`;
    if (this.seen.has(key)) {
      this.repeats.set(a.detector, (this.repeats.get(a.detector) ?? 0) + 1);
      return null;
    }
    if (this.seen.size >= this.maxKeys) this.seen.clear(); // bounded: worst case a repeat alert after a flood
    this.seen.add(key);

    const tsUs = a.tsUs ?? nowUs;
    const event: AlertEvent = {
      timestamp: eveTimestamp(tsUs),
      event_type: 'alert',
      ...(flow ? { flow_id: flow.id } : {}),
      src_ip: a.srcIp ?? flow?.clientIp,
      src_port: a.srcPort ?? flow?.clientPort,
      dest_ip: a.destIp ?? flow?.serverIp,
      dest_port: a.destPort ?? flow?.serverPort,
      proto: a.proto ?? (flow ? protoName(flow.proto) : undefined),
      ...(flow && flow.vlan ? { vlan: [flow.vlan] } : {}),
      ...(a.appProto ? { app_proto: a.appProto } : {}),
      alert: {
        action: 'allowed',
        gid: 1,
        signature_id: a.signatureId,
        rev: a.rev ?? 1,
        signature: a.signature,
        category: a.category,
        severity: a.severity,
        ...(a.metadata ? { metadata: a.metadata } : {}),
      },
      minewatch: {
        detector: a.detector,
        ...(a.device ? { device: a.device } : flow ? { device: deviceOf(flow) } : {}),
        evidence: limitEvidence(a.evidence),
        ...(this.opts.sensor ? { sensor: this.opts.sensor } : {}),
      },
    };
    // drop undefined tuple fields so the JSON stays clean
    for (const k of ['src_ip', 'src_port', 'dest_ip', 'dest_port', 'proto'] as const) {
      if (event[k] === undefined) delete event[k];
    }
    return event;
  }
}

/**
 * The client side of a flow is the device by default; detectors override when the miner is the
 * server. The frame's MAC is the device's only when the address is a local one: a remote
 * host's packets carry the router's MAC (the device inventory, when it runs, refines this).
 */
function deviceOf(flow: FlowView): { ip: string; mac?: string } {
  return flow.clientMac && isLocalAddress(flow.clientIp) ? { ip: flow.clientIp, mac: flow.clientMac } : { ip: flow.clientIp };
}
