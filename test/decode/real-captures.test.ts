/**
 * Decodes every packet of the shared captures (darknet, mining, benign, IoT, browser miner) and compares per-file
 * TCP/UDP/ICMP/ARP counts with tshark's. Expected values were produced once with
 *   tshark -r FILE -qz io,stat,0,tcp,udp,icmp,arp
 * tshark counts an ICMP/ICMPv6 error that quotes a TCP (UDP) header under "tcp" ("udp") too, and
 * reassembles IP fragments; the counting below does the same through icmpQuotedOffset /
 * decodeIcmpQuoted and the reassembler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPacketView, IpProto, Layer } from '../../src/events/packet.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { walkCapture } from './pcap-walk.js';

/** [packets, tcp, udp, icmp, arp] from tshark 4.x. */
const TSHARK: Record<string, [number, number, number, number, number]> = {
  'darknet/arp-sweep-lan-256.pcap': [534, 0, 15, 0, 519],
  'darknet/icmp-ping-sweep-lan.pcap': [37, 0, 0, 37, 0],
  'darknet/masscan-tcp-ports-0-1000.pcap': [1005, 1005, 0, 0, 0],
  'darknet/nmap-syn-scan-1000-ports.pcap': [2011, 2011, 0, 0, 0],
  'darknet/spoofed-synflood-37k-sources.pcap': [37841, 37841, 0, 0, 0],
  'darknet/syn-ecn-cwr-flood-random-sources.pcap': [9878, 9878, 0, 0, 0],
  'darknet/syn-synack-flood-60-sources.pcap': [896, 896, 0, 0, 0],
  'darknet/synack-reflection-backscatter-7k-sources.pcap': [8000, 7818, 177, 153, 4],
  'mining/bitcoin-bfgminer-stratum-gbt-getwork.pcap': [188, 188, 0, 0, 0],
  'mining/bitcoin-stratum-midstream-notify.pcap': [111, 85, 26, 0, 0],
  'mining/eth-stratum-proxy-ethermine-4444.pcap': [819, 819, 0, 0, 0],
  'mining/monero-xmrstak-dwarfpool-9050.pcap': [145, 145, 0, 0, 0],
  'mining/zcash-stratum-ewbf-flypool-3333.pcap': [319, 319, 0, 0, 0],
  'mining/cgminer-getwork-gbt-stratum-probe.pcapng': [7163, 7103, 43, 45, 2],
  'mining/cgminer-subscribe-probe-many-pools.pcapng': [1765, 1738, 15, 0, 0],
  'mining/eth-getwork-over-http-80.pcapng': [214, 214, 0, 0, 0],
  'mining/eth-stratum-nanopool-9999.pcapng': [209, 209, 0, 0, 0],
  'mining/mixed-zcash-monero-eth-stratum.pcapng': [673, 673, 0, 0, 0],
  'mining/monero-login-job-nanopool-14444.pcapng': [21, 21, 0, 0, 0],
  'mining/monero-login-submit-suprnova-5222.pcapng': [43, 43, 0, 0, 0],
  'mining/zcash-stratum-nanopool-6666.pcapng': [87, 87, 0, 0, 0],
  'mining/zcash-stratum-suprnova-2142.pcapng': [72, 72, 0, 0, 0],
  'benign/android-alexa-app.pcapng': [3103, 2995, 65, 2, 24],
  'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap': [500, 398, 70, 0, 19],
  'benign/crypto-p2p-bitcoin-node-8333.pcap': [529, 529, 0, 0, 0],
  'benign/crypto-p2p-ethereum-devp2p-30303.pcap': [2000, 1949, 51, 0, 0],
  'benign/crypto-p2p-monero-node-18080.pcap': [60, 60, 0, 0, 0],
  'benign/dhcp-discover-offer-nak-ack.pcap': [9, 0, 9, 0, 0],
  'benign/ethereum-jsonrpc-geth-http.pcap': [10, 10, 0, 0, 0],
  'benign/google-nest-log-sink.pcap': [1000, 759, 15, 0, 226],
  'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap': [500, 403, 77, 5, 10],
  'benign/mdns-ipp-queries.pcap': [24, 0, 18, 0, 0],
  'benign/plex-gdm-m-search-32412.pcap': [19, 0, 19, 0, 0],
  'benign/sonos-speaker.pcapng': [61, 44, 17, 0, 0],
  'benign/ssdp-dial-m-search-chrome-1900.pcap': [4, 0, 4, 0, 0],
  'benign/tplink-smarthome-udp-9999.pcap': [251, 0, 251, 0, 0],
  'benign/tuya-local-discovery-udp.pcap': [98, 0, 98, 0, 0],
  'benign/ws-discovery-probe-3702.pcapng': [14, 0, 14, 0, 0],
  'iot-malware/hide-and-seek-rpi-telnet-scan-p2p.pcap': [2000, 1412, 532, 10, 31],
  'browser-miner/authedmine-browser-tls-websocket.pcap': [1912, 1758, 154, 0, 0],
  'browser-miner/coinhive-stratum-proxy-supportxmr.pcap': [320, 302, 18, 0, 0],
};
const DIRS = ['darknet', 'mining', 'benign', 'iot-malware', 'browser-miner'];

void test('every capture in the shared data is covered by the expected table', { skip: needSharedData() }, () => {
  const files = DIRS.flatMap((d) => readdirSync(sharedFile(d)).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => `${d}/${f}`));
  assert.deepEqual(files.sort(), Object.keys(TSHARK).sort());
});

for (const [rel, [packets, tcp, udp, icmp, arp]] of Object.entries(TSHARK)) {
  void test(`decode counts match tshark: ${rel}`, { skip: needSharedData() }, () => {
    const records = walkCapture(join(sharedFile(''), rel));
    assert.equal(records.length, packets);
    const decoder = new PacketDecoder();
    const pkt = createPacketView();
    const inner = createPacketView();
    const got = { tcp: 0, udp: 0, icmp: 0, arp: 0 };
    for (const r of records) {
      decoder.decode(pkt, r.buf, r.offset, r.capLen, r.wireLen, r.tsUs, r.linkType, 0);
      assert.ok(pkt.payloadOffset >= 0 && pkt.payloadOffset + pkt.payloadLength <= pkt.buf.length);
      if ((pkt.layers & Layer.ARP) !== 0) got.arp++;
      if (pkt.isFragment || (pkt.layers & Layer.IP) === 0) continue;
      if (pkt.proto === IpProto.TCP) got.tcp++;
      else if (pkt.proto === IpProto.UDP) got.udp++;
      else if (pkt.proto === IpProto.ICMP || pkt.proto === IpProto.ICMPV6) {
        if (pkt.proto === IpProto.ICMP) got.icmp++;
        if (decoder.decodeIcmpQuoted(pkt, inner) && (inner.layers & Layer.L4) !== 0) {
          if (inner.proto === IpProto.TCP) got.tcp++;
          else if (inner.proto === IpProto.UDP) got.udp++;
        }
      }
    }
    assert.deepEqual(got, { tcp, udp, icmp, arp });
    assert.equal(decoder.stats.packets, packets);
    // These are clean captures: nothing should be counted malformed by the outer decode
    // except what the capture itself cut (snaplen) — none of these files is cut.
    assert.deepEqual(decoder.malformed.toJSON(), {});
  });
}

void test('backscatter capture: the SNMP datagram split in two fragments is reassembled', { skip: needSharedData() }, () => {
  const records = walkCapture(sharedFile('darknet/synack-reflection-backscatter-7k-sources.pcap'));
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  let reassembledSeen = 0;
  for (const r of records) {
    decoder.decode(pkt, r.buf, r.offset, r.capLen, r.wireLen, r.tsUs, r.linkType, 0);
    if ((pkt.layers & Layer.REASSEMBLED) !== 0) {
      reassembledSeen++;
      assert.equal(pkt.proto, IpProto.UDP);
      assert.equal(pkt.srcPort, 161); // SNMP response backscatter
      // 1466-byte first frame (1432 payload bytes after IP) + 179*8 offset: total UDP = 1432 + 206.
      assert.equal(pkt.ipLength, 20 + 179 * 8 + (240 - 14 - 20));
      assert.equal(pkt.payloadLength, pkt.ipLength - 20 - 8);
    }
  }
  assert.equal(reassembledSeen, 1);
  assert.equal(decoder.fragmentStats.reassembled, 1);
  assert.equal(decoder.stats.fragments, 1);
});
