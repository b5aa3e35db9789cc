/**
 * Internal darknet: an ARP request for an unused internal address is a host touching it
 * (sweeps of the local segment show up here before any IP packet is sent). Bounded map:
 * ARP is rare next to IP traffic.
 */
import { arpOperation } from '../decode/arp.js';
import { formatIpv4 } from '../util/ip.js';
import type { AlertEvent } from '../events/eve.js';
import type { PacketView } from '../events/packet.js';
import { arpSweepAlert } from './alerts.js';

const MAX_ARP_SENDERS = 65_536;
const MAX_ARP_TARGETS = 4096;
/** Distinct unused addresses an ARP sender must ask for before it is alerted. */
const MIN_ARP_TARGETS = 4;
const ARP_REQUEST = 1;

export class ArpSweeps {
  private readonly senders = new Map<number, { requests: number; targets: Set<number>; first: number; last: number }>();

  /** dnBase/dnMask: the IPv4 darknets (unused ranges) as base and mask. */
  constructor(private readonly dnBase: Uint32Array, private readonly dnMask: Uint32Array) {}

  /** An ARP packet seen on the segment (pkt decoded with the ARP layer). */
  onArp(pkt: PacketView): void {
    if (arpOperation(pkt) !== ARP_REQUEST) return;
    const target = pkt.dst4;
    let inside = false;
    for (let k = 0; k < this.dnBase.length; k++) if (((target & this.dnMask[k]) >>> 0) === this.dnBase[k]) { inside = true; break; }
    if (!inside) return;
    let a = this.senders.get(pkt.src4);
    if (a === undefined) {
      if (this.senders.size >= MAX_ARP_SENDERS) return;
      a = { requests: 0, targets: new Set(), first: pkt.tsUs, last: pkt.tsUs };
      this.senders.set(pkt.src4, a);
    }
    a.requests++;
    if (a.targets.size < MAX_ARP_TARGETS) a.targets.add(target);
    if (pkt.tsUs > a.last) a.last = pkt.tsUs;
    if (pkt.tsUs < a.first) a.first = pkt.tsUs;
  }

  /** Alerts for the senders that asked for enough unused addresses. */
  alerts(sensor: string | undefined): AlertEvent[] {
    const out: AlertEvent[] = [];
    for (const [sender, a] of this.senders) {
      // one or two requests for a gone address are stale ARP caches; a sweep asks for many
      if (a.targets.size < MIN_ARP_TARGETS) continue;
      out.push(arpSweepAlert(formatIpv4(sender), a.first, a.last, a.requests, a.targets.size, sensor));
    }
    return out;
  }
}
