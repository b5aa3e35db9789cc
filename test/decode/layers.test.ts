/** Hand-built frames for every layer and link type. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpProto, Layer, LinkType, TcpFlag } from '../../src/events/packet.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { arpOperation, arpSenderMacOffset, arpTargetMacOffset } from '../../src/decode/arp.js';
import { icmpQuotedOffset } from '../../src/decode/icmp.js';
import { tcpOptionFind, tcpOptionKinds, tcpOptionMss, tcpOptionTimestamp, tcpOptionWindowScale } from '../../src/decode/tcp.js';
import { dstIpString, srcIpString } from '../../src/decode/address.js';
import { formatIpv4 as ip4ToString } from '../../src/util/ip.js';
import { formatMac as macToString } from '../../src/util/mac.js';
import { createPacketView } from '../../src/events/packet.js';
import {
  ah6, bytes, concat, decodeFrame, ethernet, ext6, frag6, icmp, ip4Bytes, ip6Bytes, ipv4, ipv6, MAC_A, MAC_B, SYN_OPTIONS, tcp, u16, u32, udp,
} from './frames.js';

const SYN = tcp({ sport: 40000, dport: 3333, seq: 0xfffffff0, ack: 0, flags: TcpFlag.SYN, window: 64240, options: SYN_OPTIONS });
const HELLO = new TextEncoder().encode('{"method":"login"}');

void test('Ethernet/IPv4/TCP SYN: every field', () => {
  const frame = ethernet(0x0800, ipv4({ src: '192.168.1.10', dst: '178.32.196.217', proto: 6, id: 0xbeef, ttl: 63, tos: 0x28, df: true }, SYN));
  const { pkt, base } = decodeFrame(frame);
  assert.equal(pkt.malformed, '');
  assert.equal(pkt.layers, Layer.L2 | Layer.IP | Layer.L4);
  assert.equal(macToString(pkt.buf, pkt.macSrcOffset), MAC_A);
  assert.equal(macToString(pkt.buf, pkt.macDstOffset), MAC_B);
  assert.equal(pkt.etherType, 0x0800);
  assert.equal(pkt.l3Offset, base + 14);
  assert.equal(pkt.ipVersion, 4);
  assert.equal(srcIpString(pkt), '192.168.1.10');
  assert.equal(dstIpString(pkt), '178.32.196.217');
  assert.equal(pkt.ttl, 63);
  assert.equal(pkt.tos, 0x28);
  assert.equal(pkt.ipId, 0xbeef);
  assert.equal(pkt.dontFragment, true);
  assert.equal(pkt.isFragment, false);
  assert.equal(pkt.ipLength, 20 + 40);
  assert.equal(pkt.proto, IpProto.TCP);
  assert.equal(pkt.l4Offset, base + 34);
  assert.equal(pkt.srcPort, 40000);
  assert.equal(pkt.dstPort, 3333);
  assert.equal(pkt.seq, 0xfffffff0);
  assert.equal(pkt.tcpFlags, TcpFlag.SYN);
  assert.equal(pkt.window, 64240);
  assert.equal(pkt.tcpOptionsOffset, base + 54);
  assert.equal(pkt.tcpOptionsLength, 20);
  assert.equal(pkt.payloadOffset, base + 74);
  assert.equal(pkt.payloadLength, 0);
  assert.equal(tcpOptionMss(pkt), 1460);
  assert.equal(tcpOptionWindowScale(pkt), 7);
  assert.equal(tcpOptionTimestamp(pkt), 1);
  const kinds = new Uint8Array(16);
  const n = tcpOptionKinds(pkt, kinds);
  assert.deepEqual([...kinds.subarray(0, n)], [2, 4, 8, 1, 3]);
  assert.equal(tcpOptionFind(pkt, 5), -1);
});

void test('TCP payload, Ethernet padding stripped by the IP total length', () => {
  const ip = ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: TcpFlag.PSH | TcpFlag.ACK }, bytes(1, 2, 3)));
  const frame = concat(ethernet(0x0800, ip), new Uint8Array(20)); // 20 bytes of trailer/padding
  const { pkt, base } = decodeFrame(frame);
  assert.equal(pkt.malformed, '');
  assert.equal(pkt.payloadOffset, base + 14 + 20 + 20);
  assert.equal(pkt.payloadLength, 3);
  assert.deepEqual([...pkt.buf.subarray(pkt.payloadOffset, pkt.payloadOffset + 3)], [1, 2, 3]);
});

void test('802.1Q and QinQ (802.1ad outer, 802.1Q inner)', () => {
  const inner = ipv4({ proto: 17 }, udp(5353, 5353, HELLO));
  let r = decodeFrame(ethernet(0x0800, inner, { vlans: [{ tpid: 0x8100, id: 100 }] }));
  assert.equal(r.pkt.vlan, 100);
  assert.equal(r.pkt.vlanInner, 0);
  assert.equal(r.pkt.l3Offset, r.base + 18);
  assert.equal(r.pkt.srcPort, 5353);
  r = decodeFrame(ethernet(0x0800, inner, { vlans: [{ tpid: 0x88a8, id: 200 }, { tpid: 0x8100, id: 4095 }] }));
  assert.equal(r.pkt.vlan, 200);
  assert.equal(r.pkt.vlanInner, 4095);
  assert.equal(r.pkt.etherType, 0x0800);
  assert.equal(r.pkt.l3Offset, r.base + 22);
  assert.equal(r.pkt.payloadLength, HELLO.length);
  assert.equal(r.pkt.malformed, '');
  // A third tag is walked (id not kept); a fifth is too many.
  r = decodeFrame(ethernet(0x0800, inner, { vlans: [{ tpid: 0x9100, id: 1 }, { tpid: 0x8100, id: 2 }, { tpid: 0x8100, id: 3 }] }));
  assert.equal(r.pkt.vlan, 1);
  assert.equal(r.pkt.vlanInner, 2);
  assert.equal(r.pkt.proto, IpProto.UDP);
  const five = [1, 2, 3, 4, 5].map((id) => ({ tpid: 0x8100, id }));
  r = decodeFrame(ethernet(0x0800, inner, { vlans: five }));
  assert.equal(r.pkt.malformed, 'vlan.too-many-tags');
  assert.equal(r.pkt.ipVersion, 0);
  // Tag cut short.
  r = decodeFrame(concat(ethernet(0x8100, new Uint8Array(0)), bytes(0, 5)));
  assert.equal(r.pkt.malformed, 'vlan.truncated');
});

void test('Ethernet shorter than its header; other EtherTypes and 802.3 frames carry no L3', () => {
  let r = decodeFrame(new Uint8Array(13));
  assert.equal(r.pkt.malformed, 'ethernet.truncated');
  assert.equal(r.pkt.layers, 0);
  assert.equal(r.decoder.malformed.get('ethernet.truncated'), 1);
  r = decodeFrame(ethernet(0x888e, bytes(1, 0, 0, 5))); // EAPOL
  assert.equal(r.pkt.malformed, '');
  assert.equal(r.pkt.layers, Layer.L2);
  assert.equal(r.pkt.etherType, 0x888e);
  assert.equal(r.pkt.payloadLength, 4);
  assert.equal(r.decoder.stats.nonIp, 1);
  r = decodeFrame(ethernet(38, concat(bytes(0x42, 0x42, 0x03), new Uint8Array(35)))); // STP over 802.3/LLC
  assert.equal(r.pkt.malformed, '');
  assert.equal(r.pkt.ipVersion, 0);
});

void test('ARP request: sender/target addresses, operation, MACs', () => {
  const arp = concat(u16(1), u16(0x0800), bytes(6, 4), u16(1), bytes(0x50, 0xed, 0x3c, 1, 2, 3), ip4Bytes('192.168.1.247'), new Uint8Array(6), ip4Bytes('192.168.1.77'));
  const { pkt, decoder, base } = decodeFrame(concat(ethernet(0x0806, arp, { dst: 'ff:ff:ff:ff:ff:ff' }), new Uint8Array(18)));
  assert.equal(pkt.malformed, '');
  assert.equal(pkt.layers, Layer.L2 | Layer.ARP);
  assert.equal(pkt.l3Offset, base + 14);
  assert.equal(arpOperation(pkt), 1);
  assert.equal(ip4ToString(pkt.src4), '192.168.1.247');
  assert.equal(ip4ToString(pkt.dst4), '192.168.1.77');
  assert.equal(macToString(pkt.buf, arpSenderMacOffset(pkt)), '50:ed:3c:01:02:03');
  assert.equal(macToString(pkt.buf, arpTargetMacOffset(pkt)), '00:00:00:00:00:00');
  assert.equal(pkt.ipVersion, 0);
  assert.equal(decoder.stats.arp, 1);
  const cut = decodeFrame(ethernet(0x0806, arp.subarray(0, 20)));
  assert.equal(cut.pkt.malformed, 'arp.truncated');
  assert.equal(arpSenderMacOffset(cut.pkt), -1);
});

void test('IPv4 options: valid (NOP, router alert) and malformed', () => {
  const routerAlert = bytes(1, 148, 4, 0, 0, 0, 0, 0); // NOP, RA(len 4), EOL + padding
  let r = decodeFrame(ethernet(0x0800, ipv4({ proto: 17, options: routerAlert }, udp(1, 2, HELLO))));
  assert.equal(r.pkt.malformed, '');
  assert.equal(r.pkt.l4Offset, r.base + 14 + 28);
  assert.equal(r.pkt.payloadLength, HELLO.length);
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 17, options: bytes(7, 9, 4, 0) }, udp(1, 2, HELLO)))); // record route claiming 9 bytes in a 4-byte area
  assert.equal(r.pkt.malformed, 'ipv4.bad-option');
  assert.equal(r.pkt.srcPort, 1, 'a bad option does not stop decoding');
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 17, options: bytes(130, 1, 0, 0) }, udp(1, 2, HELLO)))); // length below 2
  assert.equal(r.pkt.malformed, 'ipv4.bad-option');
});

void test('IPv4 header problems: version, IHL, total length, truncation', () => {
  const good = ipv4({ proto: 6 }, SYN);
  const bad = (mut: (b: Uint8Array) => void): string => {
    const copy = good.slice();
    mut(copy);
    return decodeFrame(ethernet(0x0800, copy)).pkt.malformed;
  };
  assert.equal(bad((b) => { b[0] = 0x55; }), 'ipv4.bad-version');
  assert.equal(bad((b) => { b[0] = 0x44; }), 'ipv4.bad-ihl');
  assert.equal(bad((b) => { b[0] = 0x4f; }), 'ipv4.bad-option'); // IHL 15: the TCP header is read as options
  assert.equal(decodeFrame(ethernet(0x0800, good.subarray(0, 40).map((v, i) => (i === 0 ? 0x4f : v)))).pkt.malformed, 'ipv4.truncated');
  assert.equal(bad((b) => { b[2] = 0; b[3] = 19; }), 'ipv4.bad-total-length');
  assert.equal(bad((b) => { b[2] = 0x05; b[3] = 0xdc; }), 'ipv4.truncated'); // claims 1500 bytes
  assert.equal(decodeFrame(ethernet(0x0800, good.subarray(0, 19))).pkt.malformed, 'ipv4.truncated');
});

void test('snaplen-cut frames keep everything that was captured, ports included', () => {
  const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sport: 4444, dport: 80, flags: TcpFlag.ACK }, new Uint8Array(1400)));
  const frame = ethernet(0x0800, ip);
  for (const capLen of [14 + 20 + 40, 14 + 20 + 20, 14 + 20 + 10, 14 + 20 + 4]) {
    const { pkt, decoder } = decodeFrame(frame.subarray(0, capLen), 1, new PacketDecoder(), { wireLen: frame.length });
    assert.equal(pkt.malformed, 'ipv4.truncated', `capLen ${capLen}`);
    assert.equal(pkt.srcPort, 4444);
    assert.equal(pkt.dstPort, 80);
    assert.equal(pkt.ipLength, ip.length);
    assert.equal(pkt.wireLength, frame.length);
    assert.ok(pkt.payloadOffset + pkt.payloadLength <= pkt.frameOffset + capLen);
    assert.equal((pkt.layers & Layer.L4) !== 0, true);
    if (capLen < 14 + 40) assert.equal(decoder.malformed.get('tcp.truncated'), 1);
    if (capLen === 14 + 20 + 40) assert.equal(pkt.payloadLength, 20);
  }
  const { pkt } = decodeFrame(frame.subarray(0, 14 + 20 + 3));
  assert.equal(pkt.srcPort, 0, 'no ports from 3 bytes');
  assert.equal(pkt.layers & Layer.L4, 0);
});

void test('TCP: data offset below 5 and options running past the segment', () => {
  let r = decodeFrame(ethernet(0x0800, ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: 2, dataOffset: 4 }))));
  assert.equal(r.pkt.malformed, 'tcp.bad-data-offset');
  assert.equal(r.pkt.srcPort, 1);
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: 2, dataOffset: 15 }))));
  assert.equal(r.pkt.malformed, 'tcp.truncated');
  assert.equal(r.pkt.tcpOptionsLength, 0);
  // Malformed option list: the walker stops instead of reading past it.
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: 2, options: bytes(1, 2, 9, 5) }))));
  assert.equal(tcpOptionMss(r.pkt), -1);
  const kinds = new Uint8Array(8);
  assert.equal(tcpOptionKinds(r.pkt, kinds), -3);
});

void test('UDP: length field bounds the payload; bad lengths are reported', () => {
  let r = decodeFrame(ethernet(0x0800, ipv4({ proto: 17 }, udp(53, 40000, HELLO))));
  assert.equal(r.pkt.payloadLength, HELLO.length);
  assert.equal(r.decoder.stats.udp, 1);
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 17 }, udp(53, 40000, HELLO, 4))));
  assert.equal(r.pkt.malformed, 'udp.bad-length');
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 17 }, udp(53, 40000, HELLO, 200))));
  assert.equal(r.pkt.malformed, 'udp.truncated');
  assert.equal(r.pkt.payloadLength, HELLO.length);
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 17 }, udp(53, 40000, HELLO, 10))));
  assert.equal(r.pkt.malformed, '');
  assert.equal(r.pkt.payloadLength, 2, 'UDP length shorter than IP payload wins');
});

void test('ICMP echo and ICMP errors with the quoted header', () => {
  let r = decodeFrame(ethernet(0x0800, ipv4({ proto: 1 }, icmp(8, 0, HELLO, bytes(0, 1, 0, 7)))));
  assert.equal(r.pkt.icmpType, 8);
  assert.equal(r.pkt.icmpCode, 0);
  assert.equal(r.pkt.payloadLength, HELLO.length);
  assert.equal(icmpQuotedOffset(r.pkt), -1);
  // Port unreachable quoting a UDP probe from a spoofed source (backscatter).
  const quoted = ipv4({ src: '203.0.113.9', dst: '198.51.100.7', proto: 17, totalLength: 20 + 8 + 100 }, udp(6000, 161, new Uint8Array(0), 108));
  r = decodeFrame(ethernet(0x0800, ipv4({ src: '198.51.100.7', dst: '203.0.113.9', proto: 1 }, icmp(3, 3, quoted))));
  assert.equal(r.pkt.malformed, '');
  const q = icmpQuotedOffset(r.pkt);
  assert.equal(q, r.pkt.l4Offset + 8);
  const inner = createPacketView();
  assert.equal(r.decoder.decodeIcmpQuoted(r.pkt, inner), true);
  assert.equal(ip4ToString(inner.src4), '203.0.113.9');
  assert.equal(inner.proto, IpProto.UDP);
  assert.equal(inner.srcPort, 6000);
  assert.equal(inner.dstPort, 161);
  assert.equal(inner.malformed, 'ipv4.truncated');
  assert.equal(r.decoder.malformed.total(), 0, 'quote truncation is not counted as outer damage');
  assert.equal(r.decoder.quotedMalformed.get('ipv4.truncated'), 1);
  // Time exceeded quoting only the IP header of a TCP packet: no ports, still the addresses.
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 1 }, icmp(11, 0, ipv4({ src: '1.2.3.4', proto: 6, totalLength: 60 }, new Uint8Array(0))))));
  assert.equal(r.decoder.decodeIcmpQuoted(r.pkt, inner), true);
  assert.equal(inner.proto, IpProto.TCP);
  assert.equal(inner.layers & Layer.L4, 0);
  assert.equal(srcIpString(inner), '1.2.3.4');
  // Quote shorter than an IPv4 header: no offset.
  r = decodeFrame(ethernet(0x0800, ipv4({ proto: 1 }, icmp(3, 1, new Uint8Array(12)))));
  assert.equal(icmpQuotedOffset(r.pkt), -1);
  assert.equal(r.decoder.decodeIcmpQuoted(r.pkt, inner), false);
});

void test('IPv6 with a chain of extension headers: hop-by-hop, routing, destination options, AH → TCP', () => {
  const chain = concat(ext6(43, 8), ext6(60, 24), ext6(51, 16), ah6(6, 24), SYN);
  const frame = ethernet(0x86dd, ipv6({ src: '2001:db8::10', dst: 'fe80::1:2', nextHeader: 0, hopLimit: 255, trafficClass: 0xb8 }, chain));
  const { pkt, base } = decodeFrame(frame);
  assert.equal(pkt.malformed, '');
  assert.equal(pkt.ipVersion, 6);
  assert.equal(pkt.proto, IpProto.TCP);
  assert.equal(pkt.ttl, 255);
  assert.equal(pkt.tos, 0xb8);
  assert.equal(pkt.ipLength, 40 + chain.length);
  assert.equal(srcIpString(pkt), '2001:db8::10');
  assert.equal(dstIpString(pkt), 'fe80::1:2');
  assert.equal(pkt.src6Offset, base + 14 + 8);
  assert.equal(pkt.l4Offset, base + 14 + 40 + 8 + 24 + 16 + 24);
  assert.equal(pkt.dstPort, 3333);
  assert.equal(tcpOptionMss(pkt), 1460);
  // src4/dst4 hold the XOR fold of the address words.
  const s = ip6Bytes('2001:db8::10');
  const dv = new DataView(s.buffer);
  assert.equal(pkt.src4, (dv.getUint32(0) ^ dv.getUint32(4) ^ dv.getUint32(8) ^ dv.getUint32(12)) >>> 0);
});

void test('IPv6 chain bounds: too many headers, header cut short, ESP and no-next-header stop', () => {
  let chain = SYN;
  for (let i = 0; i < 9; i++) chain = concat(ext6(i === 0 ? 6 : 60, 8), chain);
  let r = decodeFrame(ethernet(0x86dd, ipv6({ nextHeader: 60 }, chain)));
  assert.equal(r.pkt.malformed, 'ipv6.too-many-ext-headers');
  assert.equal(r.pkt.srcPort, 0);
  r = decodeFrame(ethernet(0x86dd, ipv6({ nextHeader: 0 }, ext6(6, 64).subarray(0, 16))));
  assert.equal(r.pkt.malformed, 'ipv6.truncated-ext-header', 'payload length says 16, the header claims 64');
  r = decodeFrame(ethernet(0x86dd, ipv6({ nextHeader: 0, payloadLength: 8 }, ext6(6, 16).subarray(0, 8))));
  assert.equal(r.pkt.malformed, 'ipv6.truncated-ext-header');
  r = decodeFrame(ethernet(0x86dd, ipv6({ nextHeader: 50 }, new Uint8Array(32))));
  assert.equal(r.pkt.malformed, '');
  assert.equal(r.pkt.proto, IpProto.ESP);
  assert.equal(r.pkt.payloadLength, 32);
  assert.equal(r.decoder.stats.otherIp, 1);
  r = decodeFrame(ethernet(0x86dd, ipv6({ nextHeader: 59 }, new Uint8Array(0))));
  assert.equal(r.pkt.proto, 59);
  assert.equal(r.pkt.malformed, '');
  // Atomic fragment (offset 0, M = 0) is decoded as a whole packet (RFC 6946).
  r = decodeFrame(ethernet(0x86dd, ipv6({ nextHeader: 44 }, concat(frag6(17, 0, false, 77), udp(1, 2, HELLO)))));
  assert.equal(r.pkt.isFragment, false);
  assert.equal(r.pkt.dstPort, 2);
  assert.equal(r.pkt.payloadLength, HELLO.length);
});

void test('ICMPv6 error quotes an IPv6 packet', () => {
  const quoted = ipv6({ src: '2001:db8::99', dst: '2001:db8::1', nextHeader: 17, payloadLength: 500 }, udp(33434, 33435, new Uint8Array(0), 500));
  const r = decodeFrame(ethernet(0x86dd, ipv6({ nextHeader: 58 }, icmp(1, 4, quoted))));
  assert.equal(r.pkt.proto, IpProto.ICMPV6);
  assert.equal(r.pkt.icmpType, 1);
  assert.equal(r.pkt.icmpCode, 4);
  assert.equal(icmpQuotedOffset(r.pkt), r.pkt.l4Offset + 8);
  const inner = createPacketView();
  assert.equal(r.decoder.decodeIcmpQuoted(r.pkt, inner), true);
  assert.equal(srcIpString(inner), '2001:db8::99');
  assert.equal(inner.dstPort, 33435);
  assert.equal(r.decoder.stats.icmpv6, 1);
  const echo = decodeFrame(ethernet(0x86dd, ipv6({ nextHeader: 58 }, icmp(128, 0, HELLO))));
  assert.equal(icmpQuotedOffset(echo.pkt), -1);
});

void test('link types: NULL (both byte orders), LOOP, RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2', () => {
  const v4 = ipv4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 6 }, SYN);
  const v6 = ipv6({ src: '::1', dst: '::1', nextHeader: 17 }, udp(1, 2, HELLO));
  const le = (n: number): Uint8Array => bytes(n & 255, (n >> 8) & 255, 0, 0);
  const cases: [string, number, Uint8Array, number, number][] = [
    ['NULL little-endian AF_INET', LinkType.NULL, concat(le(2), v4), 4, 4],
    ['NULL big-endian AF_INET', LinkType.NULL, concat(u32(2), v4), 4, 4],
    ['NULL AF_INET6 (Darwin 30)', LinkType.NULL, concat(le(30), v6), 6, 4],
    ['NULL AF_INET6 (FreeBSD 28)', LinkType.NULL, concat(le(28), v6), 6, 4],
    ['NULL AF_INET6 (OpenBSD 24)', LinkType.NULL, concat(le(24), v6), 6, 4],
    ['LOOP AF_INET network order', LinkType.LOOP, concat(u32(2), v4), 4, 4],
    ['RAW v4', LinkType.RAW, v4, 4, 0],
    ['RAW v6', LinkType.RAW, v6, 6, 0],
    ['IPV4', LinkType.IPV4, v4, 4, 0],
    ['IPV6', LinkType.IPV6, v6, 6, 0],
    ['LINUX_SLL', LinkType.LINUX_SLL, concat(u16(0), u16(1), u16(6), bytes(0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0), u16(0x0800), v4), 4, 16],
    ['LINUX_SLL2', LinkType.LINUX_SLL2, concat(u16(0x86dd), u16(0), u32(3), u16(1), bytes(4, 6), bytes(0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0), v6), 6, 20],
  ];
  for (const [name, lt, frame, version, l3] of cases) {
    const { pkt, base } = decodeFrame(frame, lt);
    assert.equal(pkt.malformed, '', name);
    assert.equal(pkt.ipVersion, version, name);
    assert.equal(pkt.l3Offset, base + l3, name);
    assert.equal((pkt.layers & Layer.L4) !== 0, true, name);
    assert.equal(pkt.etherType, version === 4 ? 0x0800 : 0x86dd, name);
    if (lt === LinkType.LINUX_SLL || lt === LinkType.LINUX_SLL2) {
      assert.equal(macToString(pkt.buf, pkt.macSrcOffset), MAC_A, name);
      assert.equal(pkt.macDstOffset, -1, name);
    } else {
      assert.equal(pkt.macSrcOffset, -1, name);
    }
  }
  assert.equal(decodeFrame(v6, LinkType.IPV4).pkt.malformed, 'ipv4.bad-version');
  assert.equal(decodeFrame(concat(le(99), v4), LinkType.NULL).pkt.malformed, 'loopback.unknown-family');
  assert.equal(decodeFrame(bytes(0x10, 0), LinkType.RAW).pkt.malformed, 'raw.bad-ip-version');
  assert.equal(decodeFrame(new Uint8Array(10), LinkType.LINUX_SLL).pkt.malformed, 'sll.truncated');
  assert.equal(decodeFrame(new Uint8Array(10), LinkType.LINUX_SLL2).pkt.malformed, 'sll2.truncated');
  const un = decodeFrame(v4, 147);
  assert.equal(un.pkt.malformed, 'linktype.unsupported');
  assert.equal(un.decoder.malformed.get('linktype.unsupported'), 1);
});

void test('PPPoE session carrying IPv4 and IPv6', () => {
  const v4 = ipv4({ proto: 17 }, udp(1, 2, HELLO));
  let r = decodeFrame(concat(ethernet(0x8864, concat(bytes(0x11, 0), u16(0x1234), u16(v4.length + 2), u16(0x0021), v4)), new Uint8Array(6)));
  assert.equal(r.pkt.malformed, '');
  assert.equal(r.pkt.l3Offset, r.base + 14 + 8);
  assert.equal(r.pkt.payloadLength, HELLO.length);
  const v6 = ipv6({ nextHeader: 6 }, SYN);
  r = decodeFrame(ethernet(0x8864, concat(bytes(0x11, 0), u16(1), u16(v6.length + 2), u16(0x0057), v6)));
  assert.equal(r.pkt.ipVersion, 6);
  assert.equal(r.pkt.dstPort, 3333);
  r = decodeFrame(ethernet(0x8864, concat(bytes(0x22, 0), u16(1), u16(10), u16(0x0021))));
  assert.equal(r.pkt.malformed, 'pppoe.bad-version');
});

void test('the view is fully reset between packets', () => {
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  decodeFrame(ethernet(0x0800, ipv4({ proto: 6 }, SYN), { vlans: [{ tpid: 0x8100, id: 9 }] }), 1, decoder, { pkt });
  decodeFrame(ethernet(0x0806, new Uint8Array(4)), 1, decoder, { pkt });
  const fresh = createPacketView();
  for (const k of ['vlan', 'ipVersion', 'srcPort', 'tcpFlags', 'tcpOptionsOffset', 'seq', 'proto', 'ttl', 'l4Offset', 'src4', 'icmpType'] as const) {
    assert.equal(pkt[k], fresh[k], k);
  }
  assert.equal(pkt.malformed, 'arp.truncated');
  assert.equal(decoder.stats.packets, 2);
});

void test('record lengths that point outside the buffer are clamped, not read', () => {
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  const buf = ethernet(0x0800, ipv4({ proto: 6 }, SYN));
  decoder.decode(pkt, buf, 10, 5000, 5000, 0, 1, 0);
  assert.equal(pkt.malformed, 'capture.bad-record-length');
  assert.equal(pkt.capLength, buf.length - 10);
  decoder.decode(pkt, buf, 9999, 10, 10, 0, 1, 0);
  assert.equal(pkt.capLength, 0);
  assert.ok(pkt.payloadOffset <= buf.length);
});

void test('IPv4 total length 0 (TCP segmentation offload on the capturing host) uses the captured length', () => {
  const ip = ipv4({ proto: 6, totalLength: 0 }, tcp({ sport: 1, dport: 443, flags: TcpFlag.ACK }, new Uint8Array(3000)));
  const { pkt } = decodeFrame(ethernet(0x0800, ip));
  assert.equal(pkt.malformed, '');
  assert.equal(pkt.ipLength, ip.length);
  assert.equal(pkt.payloadLength, 3000);
});

void test('decoder stats count every kind once', () => {
  const decoder = new PacketDecoder();
  const frames = [
    ethernet(0x0800, ipv4({ proto: 6 }, SYN)),
    ethernet(0x0800, ipv4({ proto: 17 }, udp(1, 2, HELLO))),
    ethernet(0x0800, ipv4({ proto: 1 }, icmp(8, 0, HELLO))),
    ethernet(0x86dd, ipv6({ nextHeader: 58 }, icmp(128, 0, HELLO))),
    ethernet(0x86dd, ipv6({ nextHeader: 47 }, new Uint8Array(8))),
    ethernet(0x0806, concat(u16(1), u16(0x0800), bytes(6, 4), u16(2), new Uint8Array(20))),
    ethernet(0x88cc, new Uint8Array(30)),
    ethernet(0x0800, ipv4({ proto: 17, mf: true }, new Uint8Array(16))),
    new Uint8Array(5),
  ];
  for (const f of frames) decodeFrame(f, 1, decoder);
  assert.deepEqual(decoder.stats, {
    packets: 9, bytes: frames.reduce((n, f) => n + f.length, 0), ipv4: 4, ipv6: 2, arp: 1, tcp: 1, udp: 1, icmp: 1, icmpv6: 1,
    otherIp: 1, nonIp: 2, fragments: 1, reassembled: 0, malformed: 1,
  });
  assert.deepEqual(decoder.malformed.toJSON(), { 'ethernet.truncated': 1 });
});
