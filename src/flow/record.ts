/**
 * FlowRecord: the FlowView of one flow-table slot.
 *
 * A thin view: the flow's state lives in the table's slot store (slot-store.ts) and the
 * getters read it there, so the record itself is a few pointers, created the first time
 * its slot is used and kept for every later flow in that slot. Strings (address and MAC
 * text) and userData are created only when someone asks, in a side object dropped when
 * the flow ends.
 * The same record object stands for the flow from its first packet to its end, so
 * consumers and detectors may hold it for the flow's lifetime; after onFlowEnd returns
 * the slot (and this record) is reused for another flow.
 */
import type { DirectionValue, FlowStateName, FlowView } from '../events/flow.js';
import { formatIpv4, formatIpv6 } from '../util/ip.js';
import { formatMac } from '../util/mac.js';
import {
  B_CONSUMERS_ASKED, B_FIN, B_HANDSHAKE, B_HAS_MAC, B_PENDING_GAP, B_RST, B_STARTED_WITH_HANDSHAKE, B_STREAM_OFF,
  B_SYN, B_SYN_ACK, DIR_SHIFT, F_BYTES, F_FIRST_TS, F_LAST_TS, F_PKTS, F_SEQ, I_BITS, I_CLIENT, I_CONSUMERS_ACCEPTED,
  I_CONSUMERS_ACTIVE, I_ISN_TC, I_ISN_TS, I_META, I_PORTS, I_SERVER, I_TCP_FLAGS_TC, I_TCP_FLAGS_TS, I_VLAN,
  ISN_KNOWN_MASK, ISN_KNOWN_SHIFT, SLOT_F64_SHIFT, SLOT_I32_SHIFT, STATE_MASK, type FlowSlotStore,
} from './slot-store.js';
import type { TcpStream } from './tcp-stream.js';

const STATE_NAMES: readonly FlowStateName[] = ['new', 'established', 'closed', 'closed'];
/** MAC bytes unpacked from the slot store for formatting (reused, single-threaded). */
const macScratch = new Uint8Array(12);

/** What only some flows need; allocated on first use, dropped at the flow's end. */
class FlowExtras {
  userData: Map<string, unknown> | null = null;
  clientIpText: string | null = null;
  serverIpText: string | null = null;
  clientMacText: string | null = null;
  serverMacText: string | null = null;
}

export class FlowRecord implements FlowView {
  // --- TCP reassembly state (owned by tcp-reassembly.ts) ---
  streamToServer: TcpStream | null = null;
  streamToClient: TcpStream | null = null;
  private extras: FlowExtras | null = null;
  private readonly i32Base: number;
  private readonly f64Base: number;

  constructor(
    readonly slot: number,
    private readonly store: FlowSlotStore,
  ) {
    this.i32Base = slot << SLOT_I32_SHIFT;
    this.f64Base = slot << SLOT_F64_SHIFT;
  }

  get id(): number {
    return this.store.flowId(this.slot);
  }
  get proto(): number {
    return this.store.i32[this.i32Base + I_META] & 0xff;
  }
  get ipVersion(): number {
    return this.store.i32[this.i32Base + I_META] >>> 8;
  }
  /** Outer VLAN id (the FlowView field); the inner id is part of the key too. */
  get vlan(): number {
    return this.store.i32[this.i32Base + I_VLAN] >>> 12;
  }
  get vlanInner(): number {
    return this.store.i32[this.i32Base + I_VLAN] & 0xfff;
  }
  get clientPort(): number {
    return this.store.i32[this.i32Base + I_PORTS] >>> 16;
  }
  get serverPort(): number {
    return this.store.i32[this.i32Base + I_PORTS] & 0xffff;
  }
  get client4(): number {
    return this.ipVersion === 4 ? this.store.i32[this.i32Base + I_CLIENT] >>> 0 : 0;
  }
  get server4(): number {
    return this.ipVersion === 4 ? this.store.i32[this.i32Base + I_SERVER] >>> 0 : 0;
  }
  get firstTsUs(): number {
    return this.store.f64[this.f64Base + F_FIRST_TS];
  }
  get lastTsUs(): number {
    return this.store.f64[this.f64Base + F_LAST_TS];
  }
  get pktsToServer(): number {
    return this.store.f64[this.f64Base + F_PKTS];
  }
  get pktsToClient(): number {
    return this.store.f64[this.f64Base + F_PKTS + 1];
  }
  /** Frame bytes on the wire (pcap "orig len"), as Suricata's bytes_toserver/toclient. */
  get bytesToServer(): number {
    return this.store.f64[this.f64Base + F_BYTES];
  }
  get bytesToClient(): number {
    return this.store.f64[this.f64Base + F_BYTES + 1];
  }
  get synSeen(): boolean {
    return (this.bits & B_SYN) !== 0;
  }
  get synAckSeen(): boolean {
    return (this.bits & B_SYN_ACK) !== 0;
  }
  get handshakeSeen(): boolean {
    return (this.bits & B_HANDSHAKE) !== 0;
  }
  get finSeen(): boolean {
    return (this.bits & B_FIN) !== 0;
  }
  get rstSeen(): boolean {
    return (this.bits & B_RST) !== 0;
  }
  get state(): FlowStateName {
    return STATE_NAMES[this.bits & STATE_MASK];
  }
  get tcpFlagsToServer(): number {
    return this.store.i32[this.i32Base + I_TCP_FLAGS_TS];
  }
  get tcpFlagsToClient(): number {
    return this.store.i32[this.i32Base + I_TCP_FLAGS_TC];
  }
  get lastDir(): DirectionValue {
    return ((this.bits >>> DIR_SHIFT) & 1) as DirectionValue;
  }
  /** True when the first packet was a SYN or SYN-ACK (not picked up mid-stream). */
  get startedWithHandshake(): boolean {
    return (this.bits & B_STARTED_WITH_HANDSHAKE) !== 0;
  }
  /** Whether the link layer gave MAC addresses for this flow. */
  get hasMac(): boolean {
    return (this.bits & B_HAS_MAC) !== 0;
  }
  /** Creation order within the table (finish() ends flows in first-seen order). */
  get createSeq(): number {
    return this.store.f64[this.f64Base + F_SEQ];
  }

  // --- TCP reassembly state (owned by tcp-reassembly.ts) ---
  /** ISN of each direction from its SYN / SYN-ACK; valid when the bit (1 << dir) is set in isnKnown. */
  get isnToServer(): number {
    return this.store.i32[this.i32Base + I_ISN_TS] >>> 0;
  }
  set isnToServer(v: number) {
    this.store.i32[this.i32Base + I_ISN_TS] = v;
  }
  get isnToClient(): number {
    return this.store.i32[this.i32Base + I_ISN_TC] >>> 0;
  }
  set isnToClient(v: number) {
    this.store.i32[this.i32Base + I_ISN_TC] = v;
  }
  get isnKnown(): number {
    return (this.bits & ISN_KNOWN_MASK) >>> ISN_KNOWN_SHIFT;
  }
  set isnKnown(v: number) {
    this.bits = (this.bits & ~ISN_KNOWN_MASK) | ((v & 3) << ISN_KNOWN_SHIFT);
  }
  /** Set when no consumer wants this flow any more: no reassembly, no buffering. */
  get streamOff(): boolean {
    return (this.bits & B_STREAM_OFF) !== 0;
  }
  set streamOff(v: boolean) {
    this.setBit(B_STREAM_OFF, v);
  }

  // --- dispatch state (owned by dispatch.ts) ---
  /** Consumers were asked accepts() for this flow. */
  get consumersAsked(): boolean {
    return (this.bits & B_CONSUMERS_ASKED) !== 0;
  }
  set consumersAsked(v: boolean) {
    this.setBit(B_CONSUMERS_ASKED, v);
  }
  /** Bit i: consumer i accepted this flow. */
  get consumersAccepted(): number {
    return this.store.i32[this.i32Base + I_CONSUMERS_ACCEPTED];
  }
  set consumersAccepted(v: number) {
    this.store.i32[this.i32Base + I_CONSUMERS_ACCEPTED] = v;
  }
  /** Bit i: consumer i still receives data (accepted, not DONE, did not throw). */
  get consumersActive(): number {
    return this.store.i32[this.i32Base + I_CONSUMERS_ACTIVE];
  }
  set consumersActive(v: number) {
    this.store.i32[this.i32Base + I_CONSUMERS_ACTIVE] = v;
  }
  /** A hole before a direction's first delivered byte, held until consumers have been asked. */
  get pendingGapToServer(): number {
    return this.pendingGap(0);
  }
  set pendingGapToServer(v: number) {
    this.setPendingGap(0, v);
  }
  get pendingGapToClient(): number {
    return this.pendingGap(1);
  }
  set pendingGapToClient(v: number) {
    this.setPendingGap(1, v);
  }

  get userData(): Map<string, unknown> {
    const x = this.extrasNow();
    if (x.userData === null) x.userData = new Map();
    return x.userData;
  }

  get clientIp(): string {
    const x = this.extrasNow();
    if (x.clientIpText === null) {
      x.clientIpText = this.ipVersion === 6 ? formatIpv6(this.store.addr6, this.slot * 32) : formatIpv4(this.client4);
    }
    return x.clientIpText;
  }

  get serverIp(): string {
    const x = this.extrasNow();
    if (x.serverIpText === null) {
      x.serverIpText = this.ipVersion === 6 ? formatIpv6(this.store.addr6, this.slot * 32 + 16) : formatIpv4(this.server4);
    }
    return x.serverIpText;
  }

  get clientMac(): string {
    if (!this.hasMac) return '';
    const x = this.extrasNow();
    if (x.clientMacText === null) {
      this.store.macBytes(this.slot, macScratch);
      x.clientMacText = formatMac(macScratch, 0);
    }
    return x.clientMacText;
  }

  get serverMac(): string {
    if (!this.hasMac) return '';
    const x = this.extrasNow();
    if (x.serverMacText === null) {
      this.store.macBytes(this.slot, macScratch);
      x.serverMacText = formatMac(macScratch, 6);
    }
    return x.serverMacText;
  }

  /** Called by the table when the flow has ended: drops what belonged to that flow. */
  release(): void {
    if (this.extras !== null) this.extras = null;
    if (this.streamToServer !== null) this.streamToServer = null;
    if (this.streamToClient !== null) this.streamToClient = null;
  }

  private get bits(): number {
    return this.store.i32[this.i32Base + I_BITS];
  }
  private set bits(v: number) {
    this.store.i32[this.i32Base + I_BITS] = v;
  }

  private setBit(bit: number, on: boolean): void {
    this.bits = on ? this.bits | bit : this.bits & ~bit;
  }

  private pendingGap(dir: DirectionValue): number {
    return (this.bits & (B_PENDING_GAP << dir)) !== 0 ? this.store.pendingGap[this.slot * 2 + dir] : 0;
  }

  private setPendingGap(dir: DirectionValue, v: number): void {
    this.store.pendingGap[this.slot * 2 + dir] = v;
    this.bits |= B_PENDING_GAP << dir;
  }

  private extrasNow(): FlowExtras {
    if (this.extras === null) this.extras = new FlowExtras();
    return this.extras;
  }
}
