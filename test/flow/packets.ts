/** Builds decoded PacketViews directly (the flow tests do not depend on src/decode/). */
import { createPacketView, IpProto, Layer, type PacketView } from '../../src/events/packet.js';

export interface PacketSpec {
  src?: number;
  dst?: number;
  /** IPv6 addresses (16 bytes each); when set the packet is IPv6. */
  src6?: Uint8Array;
  dst6?: Uint8Array;
  sport?: number;
  dport?: number;
  proto?: number;
  flags?: number;
  seq?: number;
  ack?: number;
  payload?: Uint8Array;
  /** Seconds (fractional allowed). */
  ts?: number;
  vlan?: number;
  wireLength?: number;
}

export const A = 0x0a000001; // 10.0.0.1
export const B = 0xc0a80102; // 192.168.1.2

/** A fresh PacketView whose buffer holds [src6][dst6] then the payload. */
export function packet(spec: PacketSpec): PacketView {
  const pkt = createPacketView();
  fillPacket(pkt, spec);
  return pkt;
}

/** Refills an existing view (benchmarks and floods reuse one view, like the decoder does). */
export function fillPacket(pkt: PacketView, spec: PacketSpec): void {
  const payload = spec.payload ?? new Uint8Array(0);
  const v6 = spec.src6 !== undefined && spec.dst6 !== undefined;
  const header = v6 ? 32 : 0;
  const buf = new Uint8Array(header + payload.length);
  if (v6) {
    buf.set(spec.src6!, 0);
    buf.set(spec.dst6!, 16);
  }
  buf.set(payload, header);
  pkt.buf = buf;
  pkt.layers = Layer.L2 | Layer.IP | Layer.L4;
  pkt.ipVersion = v6 ? 6 : 4;
  pkt.src4 = v6 ? fold6(spec.src6!) : (spec.src ?? A) >>> 0;
  pkt.dst4 = v6 ? fold6(spec.dst6!) : (spec.dst ?? B) >>> 0;
  pkt.src6Offset = v6 ? 0 : -1;
  pkt.dst6Offset = v6 ? 16 : -1;
  pkt.proto = spec.proto ?? IpProto.TCP;
  pkt.srcPort = spec.sport ?? 40000;
  pkt.dstPort = spec.dport ?? 80;
  pkt.tcpFlags = spec.flags ?? 0;
  pkt.seq = (spec.seq ?? 0) >>> 0;
  pkt.ack = (spec.ack ?? 0) >>> 0;
  pkt.payloadOffset = header;
  pkt.payloadLength = payload.length;
  pkt.tsUs = Math.round((spec.ts ?? 0) * 1e6);
  pkt.vlan = spec.vlan ?? 0;
  pkt.wireLength = spec.wireLength ?? 54 + payload.length;
  pkt.capLength = pkt.wireLength;
}

/** The decoder's IPv6 32-bit fold (xor of the four words). */
export function fold6(a: Uint8Array): number {
  let x = 0;
  for (let i = 0; i < 16; i += 4) x ^= (a[i] << 24) | (a[i + 1] << 16) | (a[i + 2] << 8) | a[i + 3];
  return x >>> 0;
}

function endpointHash(addr: number, port: number): number {
  let h = Math.imul(addr ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35);
}

/** Symmetric flow hash, as the decode stage computes it: equal for both directions. */
export function symmetricHash(pkt: PacketView): number {
  return (endpointHash(pkt.src4, pkt.srcPort) ^ endpointHash(pkt.dst4, pkt.dstPort) ^ pkt.proto) >>> 0;
}
