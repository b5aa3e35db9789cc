/**
 * Test fixture: reads a classic Ethernet pcap into PacketViews so the flow tests can run
 * on real captures without depending on src/capture or src/decode (built in parallel).
 * Deliberately minimal: Ethernet, 802.1Q, IPv4, IPv6 without extension headers, TCP, UDP.
 */
import { readFileSync } from 'node:fs';
import { createPacketView, IpProto, Layer, type PacketView } from '../../src/events/packet.js';
import { symmetricHash } from './packets.js';

export function* readEthernetPcap(path: string): Generator<{ pkt: PacketView; hash: number }> {
  const file = readFileSync(path);
  const buf = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  if (!le && magic !== 0xd4c3b2a1 && magic !== 0x4d3cb2a1) throw new Error(`${path}: not a classic pcap`);
  if (dv.getUint32(20, le) !== 1) throw new Error(`${path}: not Ethernet`);
  const pkt = createPacketView();
  for (let off = 24; off + 16 <= buf.length; ) {
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const capLen = dv.getUint32(off + 8, le);
    const wireLen = dv.getUint32(off + 12, le);
    const frame = off + 16;
    off = frame + capLen;
    if (off > buf.length) break;
    Object.assign(pkt, createPacketView());
    pkt.buf = buf;
    pkt.frameOffset = frame;
    pkt.capLength = capLen;
    pkt.wireLength = wireLen;
    pkt.tsUs = sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac);
    pkt.macDstOffset = frame;
    pkt.macSrcOffset = frame + 6;
    pkt.layers = Layer.L2;
    let p = frame + 12;
    let etherType = dv.getUint16(p);
    p += 2;
    while (etherType === 0x8100 && p + 4 <= off) {
      if (pkt.vlan === 0) pkt.vlan = dv.getUint16(p) & 0xfff;
      else pkt.vlanInner = dv.getUint16(p) & 0xfff;
      etherType = dv.getUint16(p + 2);
      p += 4;
    }
    pkt.etherType = etherType;
    let l4 = -1;
    let l4End = off;
    if (etherType === 0x0800 && p + 20 <= off) {
      const ihl = (buf[p] & 15) * 4;
      pkt.ipVersion = 4;
      pkt.ipLength = dv.getUint16(p + 2);
      pkt.proto = buf[p + 9];
      pkt.src4 = dv.getUint32(p + 12);
      pkt.dst4 = dv.getUint32(p + 16);
      l4 = p + ihl;
      l4End = Math.min(off, p + pkt.ipLength);
    } else if (etherType === 0x86dd && p + 40 <= off) {
      pkt.ipVersion = 6;
      pkt.proto = buf[p + 6];
      pkt.src6Offset = p + 8;
      pkt.dst6Offset = p + 24;
      pkt.src4 = dv.getUint32(p + 8) ^ dv.getUint32(p + 12) ^ dv.getUint32(p + 16) ^ dv.getUint32(p + 20);
      pkt.dst4 = dv.getUint32(p + 24) ^ dv.getUint32(p + 28) ^ dv.getUint32(p + 32) ^ dv.getUint32(p + 36);
      l4 = p + 40;
      l4End = Math.min(off, l4 + dv.getUint16(p + 4));
    } else {
      continue;
    }
    pkt.layers |= Layer.IP;
    pkt.l3Offset = p;
    pkt.l4Offset = l4;
    if (pkt.proto === IpProto.TCP && l4 + 20 <= l4End) {
      pkt.srcPort = dv.getUint16(l4);
      pkt.dstPort = dv.getUint16(l4 + 2);
      pkt.seq = dv.getUint32(l4 + 4);
      pkt.ack = dv.getUint32(l4 + 8);
      pkt.tcpFlags = buf[l4 + 13];
      pkt.payloadOffset = l4 + (buf[l4 + 12] >> 4) * 4;
      pkt.payloadLength = Math.max(0, l4End - pkt.payloadOffset);
      pkt.layers |= Layer.L4;
    } else if (pkt.proto === IpProto.UDP && l4 + 8 <= l4End) {
      pkt.srcPort = dv.getUint16(l4);
      pkt.dstPort = dv.getUint16(l4 + 2);
      pkt.payloadOffset = l4 + 8;
      pkt.payloadLength = l4End - pkt.payloadOffset;
      pkt.layers |= Layer.L4;
    }
    yield { pkt, hash: symmetricHash(pkt) };
  }
}
