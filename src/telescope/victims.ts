/**
 * Backscatter victims: replies (SYN-ACK, RST, ICMP errors …) reaching the darknet answer
 * packets spoofed with its addresses, so their senders (or, for ICMP errors, the quoted
 * destinations) are victims of an attack elsewhere. Per victim, in typed arrays: packets,
 * first/last, the majority port, packets per minute and the reply kinds seen.
 */
import { formatIpv4 } from '../util/ip.js';
import { icmpQuotedOffset } from '../decode/icmp.js';
import type { PacketView } from '../events/packet.js';
import { K_ICMP_ERROR, KIND_COUNT, KIND_NAMES } from './fingerprint.js';
import { growArray, U32Index } from './index-table.js';
import { isDosAttack, type VictimRow } from './state.js';

/** Victims tracked at most (beyond: counted as dropped). */
const MAX_VICTIMS = 1 << 20;
/** Victim rows kept in the output (the largest). */
const MAX_VICTIM_ROWS = 10_000;
const MINUTE_US = 60e6;

export class VictimTable {
  /** Victims not tracked because the table was full. */
  dropped = 0;
  private readonly index = new U32Index(1 << 10);
  private n = 0;
  private cap = 0;
  private key = new Uint32Array(0);
  private packets = new Float64Array(0);
  private first = new Float64Array(0);
  private last = new Float64Array(0);
  private portCand = new Int32Array(0);
  private portVotes = new Int32Array(0);
  private minute = new Float64Array(0);
  private minuteCount = new Uint32Array(0);
  private maxPpm = new Uint32Array(0);
  private kinds = new Uint16Array(0);

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
    let v = this.index.get(victim);
    if (v < 0) {
      if (this.n >= MAX_VICTIMS) { this.dropped++; return; }
      if (this.n >= this.cap) this.grow(this.cap * 2);
      v = this.n++;
      this.index.insert(victim, v);
      this.key[v] = victim;
      this.first[v] = ts;
      this.last[v] = ts;
      this.portCand[v] = port;
      this.minute[v] = Math.floor(ts / MINUTE_US);
    }
    this.packets[v]++;
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

  /**
   * Rows only for the largest victims (ICMP errors name a fresh victim each: there can be
   * hundreds of thousands with one packet); order by packets, then address.
   */
  rows(): VictimRow[] {
    const order = Uint32Array.from({ length: this.n }, (_, v) => v)
      .sort((a, b) => this.packets[b] - this.packets[a] || this.key[a] - this.key[b])
      .subarray(0, MAX_VICTIM_ROWS);
    const victims: VictimRow[] = [];
    for (const v of order) {
      const kinds: string[] = [];
      for (let k = 0; k < KIND_COUNT; k++) if ((this.kinds[v] & (1 << k)) !== 0) kinds.push(KIND_NAMES[k]);
      const row: VictimRow = {
        ip: formatIpv4(this.key[v]), packets: this.packets[v], first: this.first[v], last: this.last[v], port: this.portCand[v],
        kinds, max_ppm: this.maxPpm[v], attack: false,
      };
      row.attack = isDosAttack(row);
      victims.push(row);
    }
    return victims;
  }

  private grow(n: number): void {
    n = Math.max(n, 1024);
    this.key = growArray(this.key, n);
    this.packets = growArray(this.packets, n);
    this.first = growArray(this.first, n);
    this.last = growArray(this.last, n);
    this.portCand = growArray(this.portCand, n);
    this.portVotes = growArray(this.portVotes, n);
    this.minute = growArray(this.minute, n);
    this.minuteCount = growArray(this.minuteCount, n);
    this.maxPpm = growArray(this.maxPpm, n);
    this.kinds = growArray(this.kinds, n);
    this.cap = n;
  }
}
