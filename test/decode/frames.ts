/**
 * Test-only frame builder: hand-built Ethernet/VLAN/IPv4/IPv6/TCP/UDP/ICMP frames with
 * exactly the fields a test wants to vary. Checksums are left zero (the decoder ignores them).
 */
import { isIP } from 'node:net';
import { createPacketView, type PacketView } from '../../src/events/packet.js';
import { PacketDecoder } from '../../src/decode/decoder.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function u16(v: number): Uint8Array {
  return bytes(v >> 8, v & 255);
}

export function u32(v: number): Uint8Array {
  return bytes((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

export function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function ip4Bytes(text: string): Uint8Array {
  if (isIP(text) !== 4) throw new Error(`not IPv4: ${text}`);
  return Uint8Array.from(text.split('.').map(Number));
}

/** IPv6 text → 16 bytes via the WHATWG URL parser (an independent implementation). */
export function ip6Bytes(text: string): Uint8Array {
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 255;
  });
  return out;
}

export const MAC_A = '00:11:22:33:44:55';
export const MAC_B = 'aa:bb:cc:dd:ee:ff';

export interface VlanTag { tpid: number; id: number }

export function ethernet(type: number, payload: Uint8Array, opts: { dst?: string; src?: string; vlans?: VlanTag[] } = {}): Uint8Array {
  const tags: Uint8Array[] = [];
  const vlans = opts.vlans ?? [];
  // Each tag is TPID + TCI; the EtherType field of the previous header holds the TPID.
  let firstType = type;
  if (vlans.length > 0) {
    firstType = vlans[0].tpid;
    for (let i = 0; i < vlans.length; i++) {
      const next = i + 1 < vlans.length ? vlans[i + 1].tpid : type;
      tags.push(concat(u16(vlans[i].id & 0xfff), u16(next)));
    }
  }
  return concat(macBytes(opts.dst ?? MAC_B), macBytes(opts.src ?? MAC_A), u16(firstType), ...tags, payload);
}

export interface Ipv4Opts {
  src?: string;
  dst?: string;
  proto: number;
  id?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  options?: Uint8Array;
  /** Override the total-length field. */
  totalLength?: number;
  /** Override IHL (in 32-bit words). */
  ihl?: number;
}

export function ipv4(o: Ipv4Opts, payload: Uint8Array): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0) throw new Error('IPv4 options must be padded to 4 bytes');
  const hlen = 20 + options.length;
  const total = o.totalLength ?? hlen + payload.length;
  const frag = ((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3)) & 0xffff;
  return concat(
    bytes(0x40 | (o.ihl ?? hlen / 4), o.tos ?? 0), u16(total), u16(o.id ?? 0x1234), u16(frag),
    bytes(o.ttl ?? 64, o.proto), u16(0), ip4Bytes(o.src ?? '192.0.2.1'), ip4Bytes(o.dst ?? '198.51.100.2'),
    options, payload,
  );
}

export interface Ipv6Opts {
  src?: string;
  dst?: string;
  nextHeader: number;
  hopLimit?: number;
  trafficClass?: number;
  payloadLength?: number;
}

export function ipv6(o: Ipv6Opts, payload: Uint8Array): Uint8Array {
  const tc = o.trafficClass ?? 0;
  return concat(
    bytes(0x60 | (tc >> 4), (tc & 15) << 4, 0, 0), u16(o.payloadLength ?? payload.length), bytes(o.nextHeader, o.hopLimit ?? 64),
    ip6Bytes(o.src ?? '2001:db8::1'), ip6Bytes(o.dst ?? '2001:db8::2'), payload,
  );
}

/** Generic IPv6 extension header (hop-by-hop, routing, destination options) of totalLen bytes (multiple of 8). */
export function ext6(next: number, totalLen = 8): Uint8Array {
  const h = new Uint8Array(totalLen);
  h[0] = next;
  h[1] = totalLen / 8 - 1;
  if (totalLen >= 8) h[2] = 1; // a PadN option so the bytes look real
  return h;
}

/** Authentication header of totalLen bytes (multiple of 4, ≥ 12). */
export function ah6(next: number, totalLen = 12): Uint8Array {
  const h = new Uint8Array(totalLen);
  h[0] = next;
  h[1] = totalLen / 4 - 2;
  return h;
}

export function frag6(next: number, offset: number, more: boolean, id: number): Uint8Array {
  return concat(bytes(next, 0), u16((offset & 0xfff8) | (more ? 1 : 0)), u32(id));
}

export interface TcpOpts {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: Uint8Array;
  /** Override data offset (32-bit words). */
  dataOffset?: number;
}

export function tcp(o: TcpOpts, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0) throw new Error('TCP options must be padded to 4 bytes');
  const doff = o.dataOffset ?? (20 + options.length) / 4;
  return concat(
    u16(o.sport), u16(o.dport), u32(o.seq ?? 1000), u32(o.ack ?? 0), bytes(doff << 4, o.flags),
    u16(o.window ?? 65535), u16(0), u16(0), options, payload,
  );
}

export function udp(sport: number, dport: number, payload: Uint8Array, lengthOverride?: number): Uint8Array {
  return concat(u16(sport), u16(dport), u16(lengthOverride ?? 8 + payload.length), u16(0), payload);
}

/** ICMP/ICMPv6: type, code, checksum, 4 bytes of rest-of-header, then body. */
export function icmp(type: number, code: number, body: Uint8Array, rest: Uint8Array = new Uint8Array(4)): Uint8Array {
  return concat(bytes(type, code), u16(0), rest, body);
}

/** A typical SYN's options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
export const SYN_OPTIONS = bytes(2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);


/** Decodes one frame placed at a non-zero offset of a larger buffer (offsets must be absolute). */
export function decodeFrame(
  frame: Uint8Array, linkType = 1, decoder = new PacketDecoder(), opts: { capLen?: number; wireLen?: number; tsUs?: number; pkt?: PacketView } = {},
): { pkt: PacketView; decoder: PacketDecoder; base: number } {
  const base = 7;
  const buf = new Uint8Array(base + frame.length + 5);
  buf.set(frame, base);
  const pkt = opts.pkt ?? createPacketView();
  decoder.decode(pkt, buf, base, opts.capLen ?? frame.length, opts.wireLen ?? frame.length, opts.tsUs ?? 1_700_000_000_000_000, linkType, 0);
  return { pkt, decoder, base };
}
