/**
 * The flow table's per-flow state: one fixed 128-byte block per slot in a single
 * ArrayBuffer, read through an Int32Array and a Float64Array view of it.
 *
 * Why one block instead of one object (or one typed array per field): a flood of
 * one-packet flows touches a different slot for every packet, so what costs is cache
 * misses and garbage collection, not instructions. A slot's hot fields sit in two adjacent
 * cache lines, and nothing is allocated per flow (when each slot owned a 300-byte record
 * the GC took a quarter of the time). FlowRecord is a thin view (slot number + this store).
 *
 * Block layout (Int32 index slot*32 + I_*, Float64 index slot*16 + F_*):
 *   line 0 (bytes 0–63): key, LRU links, bit flags, TCP flags, last timestamp, creation
 *     sequence: everything that finding, accounting, evicting and ending a flow reads
 *   line 1 (bytes 64–127): first timestamp, packet and byte counters, ISNs, consumer masks
 * Each slot's index hash lives outside the blocks, in a dense array: on a flood, removing
 * the evicted flow's index entry needs that hash first, and reading it from a dense array
 * (16 slots per cache line, in eviction order) instead of the victim's block takes a
 * dependent cache miss off that path. The LRU links stay in line 0: a packet of a long
 * flow moves it to its list's tail, and there they cost no extra cache line.
 * Rarely used state lives outside the blocks too: pending-gap lengths (valid only while
 * their bit is set, so creating a flow never has to clear them), IPv6 addresses and MACs.
 */
import { flowIdFromSequence } from './flow-id.js';

export const SLOT_I32_SHIFT = 5; // 32 Int32 per slot
export const SLOT_F64_SHIFT = 4; // 16 Float64 per slot

// Cache line 0 (Int32 0 is free).
/** proto | ipVersion << 8 */
export const I_META = 1;
/** vlan << 12 | vlanInner */
export const I_VLAN = 2;
/** Client / server IPv4 (the decoder's 32-bit fold for IPv6; the full bytes are compared too). */
export const I_CLIENT = 3;
export const I_SERVER = 4;
/** clientPort << 16 | serverPort */
export const I_PORTS = 5;
export const I_LRU_PREV = 6;
export const I_LRU_NEXT = 7;
/** B_* flags, the state and the timeout class. */
export const I_BITS = 8;
export const I_TCP_FLAGS_TS = 9;
export const I_TCP_FLAGS_TC = 10;

// Cache line 1 (Int32 part): state only TCP reassembly and consumer dispatch use.
export const I_ISN_TS = 26;
export const I_ISN_TC = 27;
export const I_CONSUMERS_ACCEPTED = 28;
export const I_CONSUMERS_ACTIVE = 29;

// Cache line 0 (Float64 part, bytes 48–63).
export const F_LAST_TS = 6;
/** Creation order within the table (1, 2, 3 …); the flow id derives from it. */
export const F_SEQ = 7;

// Cache line 1 (Float64 part, bytes 64–103).
export const F_FIRST_TS = 8;
/** + dir (0 to server, 1 to client) */
export const F_PKTS = 9;
/** + dir */
export const F_BYTES = 11;

// I_BITS layout.
export const STATE_MASK = 3;
export const STATE_NEW = 0;
export const STATE_ESTABLISHED = 1;
export const STATE_CLOSED = 2;
export const DIR_SHIFT = 2;
export const B_DIR_TO_CLIENT = 1 << DIR_SHIFT;
export const CLASS_SHIFT = 3;
export const CLASS_MASK = 7 << CLASS_SHIFT;
export const B_SYN = 1 << 6;
export const B_SYN_ACK = 1 << 7;
export const B_HANDSHAKE = 1 << 8;
export const B_FIN = 1 << 9;
export const B_RST = 1 << 10;
/** The first packet was a SYN or SYN-ACK (not picked up mid-stream). */
export const B_STARTED_WITH_HANDSHAKE = 1 << 11;
export const B_HAS_MAC = 1 << 12;
export const B_STREAM_OFF = 1 << 13;
export const B_CONSUMERS_ASKED = 1 << 14;
/** isnKnown (bit 0 to server, bit 1 to client) */
export const ISN_KNOWN_SHIFT = 15;
export const ISN_KNOWN_MASK = 3 << ISN_KNOWN_SHIFT;
/** + dir: the pending-gap length of that direction is valid (else it is 0). */
export const B_PENDING_GAP = 1 << 17;

export class FlowSlotStore {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  /** The table's spread hash of each slot's key (what its index entry is filed under). */
  readonly hash: Int32Array;
  /** Pending gap length per direction (slot*2 + dir), valid while B_PENDING_GAP << dir is set. */
  readonly pendingGap: Float64Array;
  /** 32 bytes per slot: client IPv6 address, then server IPv6 address. */
  readonly addr6: Uint8Array;
  /**
   * 3 Int32 per slot: the 12 bytes client MAC then server MAC, big-endian, 4 per word
   * (three word stores per new flow instead of twelve byte stores). See macBytes.
   */
  readonly macWords: Int32Array;

  constructor(
    readonly capacity: number,
    private readonly workerIndex: number,
    private readonly workerCount: number,
  ) {
    const buffer = new ArrayBuffer(capacity * 128);
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.hash = new Int32Array(capacity);
    this.pendingGap = new Float64Array(capacity * 2);
    this.addr6 = new Uint8Array(capacity * 32);
    this.macWords = new Int32Array(capacity * 3);
  }

  /** Unpacks the 12 MAC bytes of `slot` (client, then server) into `out`. */
  macBytes(slot: number, out: Uint8Array): void {
    for (let w = 0; w < 3; w++) {
      const v = this.macWords[slot * 3 + w];
      out[4 * w] = v >>> 24;
      out[4 * w + 1] = (v >>> 16) & 0xff;
      out[4 * w + 2] = (v >>> 8) & 0xff;
      out[4 * w + 3] = v & 0xff;
    }
  }

  /** The EVE flow id of the flow in `slot`: unique across workers (see flow-id.ts). */
  flowId(slot: number): number {
    return flowIdFromSequence(this.f64[(slot << SLOT_F64_SHIFT) + F_SEQ] * this.workerCount + this.workerIndex);
  }
}
