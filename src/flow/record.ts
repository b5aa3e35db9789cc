/**
 * FlowRecord: the flow table's pooled record behind the FlowView contract.
 *
 * One record per table slot, created the first time the slot is used and reset when the
 * slot is reused, so a flood of short flows allocates nothing once the pool is warm.
 * Address and MAC text is computed lazily (most flows are never printed).
 * A record is only valid until its flow ends: after onFlowEnd returns it is reused.
 */
import type { DirectionValue, FlowStateName, FlowView } from '../events/flow.js';
import { ipv4Text, ipv6Text, macText } from './ip-text.js';
import type { TcpStream } from './tcp-reassembly.js';

/** Raw address bytes owned by the table, indexed by slot. */
export interface FlowAddressStore {
  /** 32 bytes per slot: client IPv6 address, then server IPv6 address. */
  readonly addr6: Uint8Array;
  /** 12 bytes per slot: client MAC, then server MAC. */
  readonly macs: Uint8Array;
}

export class FlowRecord implements FlowView {
  id = 0;
  proto = 0;
  ipVersion = 0;
  /** Outer VLAN id (the FlowView field); the inner id is part of the key too. */
  vlan = 0;
  vlanInner = 0;
  clientPort = 0;
  serverPort = 0;
  client4 = 0;
  server4 = 0;
  firstTsUs = 0;
  lastTsUs = 0;
  pktsToServer = 0;
  pktsToClient = 0;
  /** Frame bytes on the wire (pcap "orig len"), as Suricata's bytes_toserver/toclient. */
  bytesToServer = 0;
  bytesToClient = 0;
  synSeen = false;
  synAckSeen = false;
  handshakeSeen = false;
  finSeen = false;
  rstSeen = false;
  state: FlowStateName = 'new';
  tcpFlagsToServer = 0;
  tcpFlagsToClient = 0;
  lastDir: DirectionValue = 0;
  /** True when the first packet was a SYN or SYN-ACK (not picked up mid-stream). */
  startedWithHandshake = false;
  /** Whether the link layer gave MAC addresses for this flow. */
  hasMac = false;

  // --- TCP reassembly state (owned by tcp-reassembly.ts) ---
  /** ISN of each direction from its SYN / SYN-ACK; valid when the bit (1 << dir) is set in isnKnown. */
  isnToServer = 0;
  isnToClient = 0;
  isnKnown = 0;
  streamToServer: TcpStream | null = null;
  streamToClient: TcpStream | null = null;
  /** Set when no consumer wants this flow any more: no reassembly, no buffering. */
  streamOff = false;

  // --- dispatch state (owned by dispatch.ts) ---
  /** Consumers were asked accepts() for this flow. */
  consumersAsked = false;
  /** Bit i: consumer i accepted this flow. */
  consumersAccepted = 0;
  /** Bit i: consumer i still receives data (accepted, not DONE, did not throw). */
  consumersActive = 0;
  /** A hole before a direction's first delivered byte, held until consumers have been asked. */
  pendingGapToServer = 0;
  pendingGapToClient = 0;

  // --- table bookkeeping ---
  /** Creation order within the table (finish() ends flows in first-seen order). */
  createSeq = 0;

  private userDataMap: Map<string, unknown> | null = null;
  private clientIpText: string | null = null;
  private serverIpText: string | null = null;
  private clientMacText: string | null = null;
  private serverMacText: string | null = null;

  constructor(
    readonly slot: number,
    private readonly addrs: FlowAddressStore,
  ) {}

  get userData(): Map<string, unknown> {
    if (this.userDataMap === null) this.userDataMap = new Map();
    return this.userDataMap;
  }

  get clientIp(): string {
    if (this.clientIpText === null) {
      this.clientIpText = this.ipVersion === 6 ? ipv6Text(this.addrs.addr6, this.slot * 32) : ipv4Text(this.client4);
    }
    return this.clientIpText;
  }

  get serverIp(): string {
    if (this.serverIpText === null) {
      this.serverIpText = this.ipVersion === 6 ? ipv6Text(this.addrs.addr6, this.slot * 32 + 16) : ipv4Text(this.server4);
    }
    return this.serverIpText;
  }

  get clientMac(): string {
    if (!this.hasMac) return '';
    if (this.clientMacText === null) this.clientMacText = macText(this.addrs.macs, this.slot * 12);
    return this.clientMacText;
  }

  get serverMac(): string {
    if (!this.hasMac) return '';
    if (this.serverMacText === null) this.serverMacText = macText(this.addrs.macs, this.slot * 12 + 6);
    return this.serverMacText;
  }

  /** Back to the just-allocated state, ready for the next flow in this slot. */
  reset(): void {
    this.id = 0; this.proto = 0; this.ipVersion = 0; this.vlan = 0; this.vlanInner = 0;
    this.clientPort = 0; this.serverPort = 0; this.client4 = 0; this.server4 = 0;
    this.firstTsUs = 0; this.lastTsUs = 0;
    this.pktsToServer = 0; this.pktsToClient = 0; this.bytesToServer = 0; this.bytesToClient = 0;
    this.synSeen = false; this.synAckSeen = false; this.handshakeSeen = false; this.finSeen = false; this.rstSeen = false;
    this.state = 'new'; this.tcpFlagsToServer = 0; this.tcpFlagsToClient = 0; this.lastDir = 0;
    this.startedWithHandshake = false; this.hasMac = false;
    this.isnToServer = 0; this.isnToClient = 0; this.isnKnown = 0;
    this.streamToServer = null; this.streamToClient = null; this.streamOff = false;
    this.consumersAsked = false; this.consumersAccepted = 0; this.consumersActive = 0;
    this.pendingGapToServer = 0; this.pendingGapToClient = 0;
    this.createSeq = 0;
    this.userDataMap = null;
    this.clientIpText = null; this.serverIpText = null; this.clientMacText = null; this.serverMacText = null;
  }
}
