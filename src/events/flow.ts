/**
 * The flow contract: what the flow table exposes to protocol parsers and detectors.
 * The flow table (src/flow/) owns the records; everything above reads them through this view.
 */

/** Direction of a packet or stream relative to the flow's initiator. */
export const Direction = { TO_SERVER: 0, TO_CLIENT: 1 } as const;
export type DirectionValue = 0 | 1;

/** Suricata's flow.state values for TCP (and "new"/"established" for others). */
export type FlowStateName = 'new' | 'established' | 'closed';

/** Why a flow left the table. */
export type FlowEndReason = 'idle-timeout' | 'active-timeout' | 'tcp-closed' | 'evicted' | 'shutdown';

export interface FlowView {
  /** Stable 52-bit flow id (fits a double), as EVE's flow_id. */
  readonly id: number;
  readonly proto: number;
  readonly ipVersion: number;
  readonly vlan: number;
  /** Client (initiator) and server addresses as text, computed once per flow. */
  readonly clientIp: string;
  readonly serverIp: string;
  readonly clientPort: number;
  readonly serverPort: number;
  /** IPv4 addresses as integers (0 for IPv6). */
  readonly client4: number;
  readonly server4: number;
  /** Client and server MAC as "aa:bb:cc:dd:ee:ff" when the link had one, else ''. */
  readonly clientMac: string;
  readonly serverMac: string;
  readonly firstTsUs: number;
  readonly lastTsUs: number;
  readonly pktsToServer: number;
  readonly pktsToClient: number;
  readonly bytesToServer: number;
  readonly bytesToClient: number;
  /** TCP: SYN, SYN-ACK and ACK of the handshake all seen. */
  readonly handshakeSeen: boolean;
  readonly synSeen: boolean;
  readonly finSeen: boolean;
  readonly rstSeen: boolean;
  readonly state: FlowStateName;
  /** Bitwise OR of all TCP flags seen in each direction. */
  readonly tcpFlagsToServer: number;
  readonly tcpFlagsToClient: number;
  /** Direction of the packet being processed right now (valid inside onPacket callbacks). */
  readonly lastDir: DirectionValue;
  /**
   * Per-flow scratch space for protocol parsers and detectors, keyed by their id.
   * Created lazily; dropped with the flow. Keeps detector state bounded by the flow table.
   */
  readonly userData: Map<string, unknown>;
}

/**
 * A payload burst: a run of TCP segments carrying payload in one direction of a flow, each
 * within the burst gap (flow/bursts.ts, 0.5 s) of the one before: about one application
 * message (a TLS record train, a JSON line, a page). The flow stage reports each burst once
 * it ends (the other side sends payload, the gap passes, or the flow ends), so a detector
 * that judges a flow by its message sizes and timing is called per message, not per packet.
 * Retransmitted segments count, as they did on the wire. Valid only during the call.
 */
export interface FlowBurst {
  readonly dir: DirectionValue;
  /** Times of the burst's first and last segment (µs). */
  readonly startUs: number;
  readonly lastUs: number;
  /** TCP payload bytes and segments in the burst. */
  readonly bytes: number;
  readonly segments: number;
}
