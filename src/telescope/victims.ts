/**
 * Backscatter victims: replies (SYN-ACK, RST, ICMP errors …) reaching the darknet answer
 * packets spoofed with its addresses, so their senders (or, for ICMP errors, the quoted
 * destinations) are victims of an attack elsewhere. Per victim, in typed arrays: packets,
 * first/last, the majority port, packets per minute and the reply kinds seen, in a bounded
 * Space-Saving table (MAX_VICTIMS).
 */
import { formatIpv4 } from '../util/ip.js';
import { icmpQuotedOffset } from '../decode/icmp.js';
import type { PacketView } from '../events/packet.js';
import { K_ICMP_ERROR, KIND_COUNT, KIND_NAMES } from './fingerprint.js';
import { HEAVY_K, SpaceSaving } from './heavy-hitters.js';
import { isDosAttack, type VictimRow } from './state.js';

/**
 * Victims tracked at most per aggregator: the table is a Space-Saving summary (heavy-hitters.ts)
 * with the attributes beside it, so past this many a new victim takes the slot of the one with
 * fewest packets and inherits its count as overestimate (bounded memory, stated error: N/k).
 */
export const MAX_VICTIMS = 1 << 16;
/** Victim rows kept in the output (the largest). */
const MAX_VICTIM_ROWS = 10_000;
const MINUTE_US = 60e6;

export class VictimTable {
  private readonly hh = new SpaceSaving(MAX_VICTIMS);
  /** Victims whose slot went to a newer one (their packets stay in the newer one's overestimate). */
  evicted = 0;
  private readonly first = new Float64Array(MAX_VICTIMS);
  private readonly last = new Float64Array(MAX_VICTIMS);
  private readonly portCand = new Int32Array(MAX_VICTIMS);
  private readonly portVotes = new Int32Array(MAX_VICTIMS);
  private readonly minute = new Float64Array(MAX_VICTIMS);
  private readonly minuteCount = new Uint32Array(MAX_VICTIMS);
  private readonly maxPpm = new Uint32Array(MAX_VICTIMS);
  private readonly kinds = new Uint16Array(MAX_VICTIMS);

  /** One reply packet (kind: a response kind) of an IPv4 source at time ts. */
  add(pkt: PacketView, kind: number, ts: number): void {
    let victim = pkt.src4;
    let port = pkt.proto === 6 || pkt.proto === 17 ? pkt.srcPort : 0;
    if (kind === K_ICMP_ERROR) {
      // the error quotes the (spoofed) packet that provoked it: its destination is the victim
      const q = icmpQuotedOffset(pkt);
      if (q < 0) return;
      const buf = pkt.buf;
      victim = ((buf[q + 16] << 24) | (buf[q + 17] << 16) | (buf[q + 18] << 8) | buf[q + 19]) >>> 0;
      const ihl = (buf[q] & 15) * 4;
      const end = pkt.payloadOffset + pkt.payloadLength;
      const qp = buf[q + 9];
      port = (qp === 6 || qp === 17) && q + ihl + 4 <= end ? (buf[q + ihl + 2] << 8) | buf[q + ihl + 3] : 0;
    }
    const hh = this.hh;
    const full = hh.size === hh.k;
    const v = hh.add(victim);
    if (hh.replaced) {
      if (full) this.evicted++;
      this.first[v] = ts;
      this.last[v] = ts;
      this.portCand[v] = port;
      this.portVotes[v] = 0;
      this.minute[v] = Math.floor(ts / MINUTE_US);
      this.minuteCount[v] = 0;
      this.maxPpm[v] = 0;
      this.kinds[v] = 0;
    }
    if (ts > this.last[v]) this.last[v] = ts;
    if (ts < this.first[v]) this.first[v] = ts;
    if (this.portCand[v] === port) this.portVotes[v]++;
    else if (this.portVotes[v] === 0) { this.portCand[v] = port; this.portVotes[v] = 1; }
    else this.portVotes[v]--;
    const minute = Math.floor(ts / MINUTE_US);
    if (minute === this.minute[v]) this.minuteCount[v]++;
    else { this.minute[v] = minute; this.minuteCount[v] = 1; }
    if (this.minuteCount[v] > this.maxPpm[v]) this.maxPpm[v] = this.minuteCount[v];
    this.kinds[v] |= 1 << kind;
  }

  /** The victims' summary cut to HEAVY_K (the state's, merged by `telescope merge`). */
  summary(): SpaceSaving {
    return SpaceSaving.of(HEAVY_K, this.hh.top(HEAVY_K), this.hh.total);
  }

  /**
   * Rows only for the largest victims (ICMP errors name a fresh victim each: there can be
   * hundreds of thousands with one packet); order by packets, then address. A row's packets
   * are high by at most its `error` (a victim that took an evicted one's slot).
   */
  rows(): VictimRow[] {
    const victims: VictimRow[] = [];
    for (const e of this.hh.top(MAX_VICTIM_ROWS)) {
      const v = this.hh.slotOf(e.key);
      const kinds: string[] = [];
      for (let k = 0; k < KIND_COUNT; k++) if ((this.kinds[v] & (1 << k)) !== 0) kinds.push(KIND_NAMES[k]);
      const row: VictimRow = {
        ip: formatIpv4(e.key), packets: e.count, error: e.error, first: this.first[v], last: this.last[v], port: this.portCand[v],
        kinds, max_ppm: this.maxPpm[v], attack: false,
      };
      row.attack = isDosAttack(row);
      victims.push(row);
    }
    return victims;
  }
}
