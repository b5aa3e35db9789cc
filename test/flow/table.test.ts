import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IpProto, Layer, TcpFlag, createPacketView, type PacketView } from '../../src/events/packet.js';
import type { FlowEndReason } from '../../src/events/flow.js';
import { FlowTable, type FlowTableOptions } from '../../src/flow/table.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { A, B, fillPacket, packet, symmetricHash, type PacketSpec } from './packets.js';

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

interface Ended { id: number; reason: FlowEndReason; client: string; server: string; pkts: [number, number]; state: string }

function harness(opts: FlowTableOptions = {}) {
  const ended: Ended[] = [];
  const table = new FlowTable({
    ...opts,
    onFlowEnd: (f, reason) => {
      ended.push({ id: f.id, reason, client: `${f.clientIp}:${f.clientPort}`, server: `${f.serverIp}:${f.serverPort}`, pkts: [f.pktsToServer, f.pktsToClient], state: f.state });
    },
  });
  const send = (spec: PacketSpec): FlowRecord | null => {
    const pkt = packet(spec);
    return table.lookup(pkt, symmetricHash(pkt));
  };
  return { table, ended, send };
}

void test('IPv4: both directions find the same record, with per-direction counters', () => {
  const { table, send } = harness();
  const f1 = send({ src: A, dst: B, sport: 40000, dport: 80, flags: SYN, ts: 1, wireLength: 60 });
  assert.ok(f1);
  const id = f1.id;
  assert.equal(f1.lastDir, 0);
  const f2 = send({ src: B, dst: A, sport: 80, dport: 40000, flags: SYN | ACK, ts: 1.1, wireLength: 70 });
  assert.equal(f2, f1);
  assert.equal(f2!.lastDir, 1);
  const f3 = send({ src: A, dst: B, sport: 40000, dport: 80, flags: ACK, ts: 1.2, wireLength: 54 });
  assert.equal(f3, f1);
  assert.equal(f1.id, id);
  assert.equal(table.size, 1);
  assert.equal(f1.clientIp, '10.0.0.1');
  assert.equal(f1.serverIp, '192.168.1.2');
  assert.equal(f1.client4, A);
  assert.equal(f1.clientPort, 40000);
  assert.equal(f1.serverPort, 80);
  assert.deepEqual([f1.pktsToServer, f1.pktsToClient, f1.bytesToServer, f1.bytesToClient], [2, 1, 114, 70]);
  assert.equal(f1.firstTsUs, 1_000_000);
  assert.equal(f1.lastTsUs, 1_200_000);
  assert.equal(f1.handshakeSeen, true);
  assert.equal(f1.state, 'established');
  assert.equal(f1.tcpFlagsToServer, SYN | ACK);
  assert.equal(f1.tcpFlagsToClient, SYN | ACK);
  // A different client port is another flow.
  const other = send({ src: A, dst: B, sport: 40001, dport: 80, flags: SYN, ts: 1.3 });
  assert.notEqual(other, f1);
  assert.equal(table.size, 2);
  assert.equal(table.stats.created, 2);
});

void test('IPv6: matched both ways by full address; same 32-bit fold but different address is another flow', () => {
  const { table, send } = harness();
  const c = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const s = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
  // Same xor-fold as c: swap two words.
  const c2 = Uint8Array.from([0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 1]);
  const f = send({ src6: c, dst6: s, sport: 5000, dport: 443, flags: SYN, ts: 1 })!;
  assert.equal(send({ src6: s, dst6: c, sport: 443, dport: 5000, flags: SYN | ACK, ts: 1 }), f);
  assert.equal(f.lastDir, 1);
  assert.equal(f.ipVersion, 6);
  assert.equal(f.clientIp, '2001:db8::1');
  assert.equal(f.serverIp, '2001:db8::2');
  assert.equal(f.client4, 0);
  const g = send({ src6: c2, dst6: s, sport: 5000, dport: 443, flags: SYN, ts: 1 })!;
  assert.notEqual(g, f);
  assert.equal(g.clientIp, '0:0:2001:db8::1');
  assert.equal(table.size, 2);
});

void test('VLAN separates otherwise identical flows', () => {
  const { table, send } = harness();
  const f0 = send({ flags: SYN, ts: 1 })!;
  const f10 = send({ flags: SYN, ts: 1, vlan: 10 })!;
  assert.notEqual(f0, f10);
  assert.equal(f10.vlan, 10);
  assert.equal(send({ src: B, dst: A, sport: 80, dport: 40000, flags: SYN | ACK, ts: 1, vlan: 10 }), f10);
  assert.equal(f10.pktsToClient, 1);
  assert.equal(f0.pktsToClient, 0);
  assert.equal(table.size, 2);
});

void test('a first-seen SYN-ACK makes its sender the server; UDP/other first sender is the client', () => {
  const { send } = harness();
  const f = send({ src: B, dst: A, sport: 80, dport: 40000, flags: SYN | ACK, ts: 1 })!;
  assert.equal(f.clientIp, '10.0.0.1');
  assert.equal(f.clientPort, 40000);
  assert.equal(f.serverPort, 80);
  assert.equal(f.lastDir, 1);
  assert.deepEqual([f.pktsToServer, f.pktsToClient], [0, 1]);
  assert.equal(f.synAckSeen, true);
  // Mid-stream: client answers, both sides talked, no client SYN → established, no handshake.
  send({ src: A, dst: B, sport: 40000, dport: 80, flags: ACK, ts: 1.1 });
  assert.equal(f.state, 'established');
  assert.equal(f.handshakeSeen, false);
  const u = send({ src: B, dst: A, sport: 53, dport: 5353, proto: IpProto.UDP, ts: 1 })!;
  assert.equal(u.clientIp, '192.168.1.2');
  assert.equal(u.clientPort, 53);
  assert.equal(u.state, 'new');
  send({ src: A, dst: B, sport: 5353, dport: 53, proto: IpProto.UDP, ts: 1 });
  assert.equal(u.state, 'established');
});

void test('TCP states: FIN both ways or RST closes; a new SYN on a closed flow starts a new flow', () => {
  const { table, ended, send } = harness();
  const f = send({ flags: SYN, ts: 1 })!;
  send({ src: B, dst: A, sport: 80, dport: 40000, flags: SYN | ACK, ts: 1 });
  send({ flags: ACK, ts: 1 });
  assert.equal(f.state, 'established');
  send({ flags: FIN | ACK, ts: 2 });
  assert.equal(f.state, 'established');
  assert.equal(f.finSeen, true);
  send({ src: B, dst: A, sport: 80, dport: 40000, flags: FIN | ACK, ts: 2 });
  assert.equal(f.state, 'closed');
  const firstId = f.id;
  const again = send({ flags: SYN, ts: 3 })!;
  assert.notEqual(again.id, firstId);
  assert.equal(table.stats.tcpReused, 1);
  assert.deepEqual(ended.map((e) => e.reason), ['tcp-closed']);
  const r = send({ sport: 40002, flags: SYN, ts: 3 })!;
  send({ src: B, dst: A, sport: 80, dport: 40002, flags: RST | ACK, ts: 3 });
  assert.equal(r.state, 'closed');
  assert.equal(r.rstSeen, true);
});

void test('packets without an IP layer return null and are counted', () => {
  const { table } = harness();
  const pkt = createPacketView();
  pkt.layers = Layer.L2 | Layer.ARP;
  assert.equal(table.lookup(pkt, 1), null);
  assert.equal(table.stats.noIp, 1);
  assert.equal(table.size, 0);
});

void test('idle timeouts per protocol and TCP state, by packet time', () => {
  const { table, ended, send } = harness({ timeouts: { tcpNew: 60, tcpEstablished: 600, tcpClosed: 10, udpNew: 30, udpEstablished: 300 } });
  // TCP new (SYN only) at t=0, established at t=0, closed at t=0, UDP new and established.
  send({ sport: 1, flags: SYN, ts: 0 });
  send({ sport: 2, flags: SYN, ts: 0 });
  send({ src: B, dst: A, sport: 80, dport: 2, flags: SYN | ACK, ts: 0 });
  send({ sport: 2, flags: ACK, ts: 0 });
  send({ sport: 3, flags: SYN, ts: 0 });
  send({ src: B, dst: A, sport: 80, dport: 3, flags: RST | ACK, ts: 0 });
  send({ sport: 4, proto: IpProto.UDP, ts: 0 });
  send({ sport: 5, proto: IpProto.UDP, ts: 0 });
  send({ src: B, dst: A, sport: 80, dport: 5, proto: IpProto.UDP, ts: 0 });
  assert.equal(table.size, 5);
  const endedPorts = () => ended.map((e) => `${e.client.split(':')[1]}:${e.reason}`);
  table.expire(10e6); // exactly the closed timeout: not yet
  assert.deepEqual(endedPorts(), []);
  table.expire(10e6 + 1);
  assert.deepEqual(endedPorts(), ['3:tcp-closed']);
  table.expire(31e6);
  assert.deepEqual(endedPorts(), ['3:tcp-closed', '4:idle-timeout']);
  table.expire(61e6);
  assert.deepEqual(endedPorts(), ['3:tcp-closed', '4:idle-timeout', '1:idle-timeout']);
  table.expire(301e6);
  assert.deepEqual(endedPorts().slice(3), ['5:idle-timeout']);
  table.expire(599e6);
  assert.equal(table.size, 1);
  table.expire(601e6);
  assert.deepEqual(endedPorts().slice(4), ['2:idle-timeout']);
  assert.equal(table.size, 0);
  assert.deepEqual(table.stats.ended, { 'idle-timeout': 4, 'active-timeout': 0, 'tcp-closed': 1, evicted: 0, shutdown: 0 });
});

void test('lookup runs expiry by itself, and a late packet of an idle flow starts a new flow', () => {
  const { table, ended, send } = harness({ expireIntervalUs: 3600e6 });
  const f = send({ proto: IpProto.UDP, ts: 0 })!;
  const firstId = f.id;
  // Expiry will not run again for an hour of packet time, but the hit checks the timeout.
  const g = send({ proto: IpProto.UDP, ts: 31 })!;
  assert.notEqual(g.id, firstId);
  assert.deepEqual(ended.map((e) => e.reason), ['idle-timeout']);
  assert.equal(table.size, 1);
  const { table: t2, ended: e2, send: s2 } = harness();
  s2({ sport: 1, proto: IpProto.UDP, ts: 0 });
  s2({ sport: 2, proto: IpProto.UDP, ts: 40 }); // its lookup expires port 1
  assert.deepEqual(e2.map((e) => e.client), ['10.0.0.1:1']);
  assert.equal(t2.size, 1);
});

void test('active timeout ends a long flow and continues in a new record with the same roles', () => {
  const { table, ended, send } = harness({ activeTimeout: 1800 });
  send({ flags: SYN, ts: 0 });
  send({ src: B, dst: A, sport: 80, dport: 40000, flags: SYN | ACK, ts: 0 });
  send({ flags: ACK, ts: 0 });
  let last: FlowRecord | null = null;
  for (let t = 100; t <= 2000; t += 100) {
    last = send({ src: B, dst: A, sport: 80, dport: 40000, flags: ACK | PSH, ts: t });
  }
  assert.equal(ended.length, 1);
  assert.equal(ended[0].reason, 'active-timeout');
  assert.deepEqual(ended[0].pkts, [2, 18]); // SYN, ACK / SYN-ACK + t=100..1700
  assert.equal(last!.clientIp, '10.0.0.1');
  assert.equal(last!.clientPort, 40000);
  assert.equal(last!.state, 'established');
  assert.deepEqual([last!.pktsToServer, last!.pktsToClient], [0, 3]); // t=1800, 1900, 2000
  assert.equal(last!.firstTsUs, 1800e6);
  assert.equal(table.size, 1);
});

void test('eviction when full takes the oldest-idle flow, through the normal end path, counted exactly', () => {
  const { table, ended, send } = harness({ maxFlows: 3 });
  send({ sport: 1, proto: IpProto.UDP, ts: 1 });
  send({ sport: 2, proto: IpProto.UDP, ts: 2 });
  send({ sport: 3, flags: SYN, ts: 3 }); // another timeout class
  send({ sport: 1, proto: IpProto.UDP, ts: 4 }); // port 1 is now the most recent
  send({ sport: 4, proto: IpProto.UDP, ts: 5 }); // full → evict port 2 (idle since t=2)
  send({ sport: 5, flags: SYN, ts: 6 }); // evict port 3 (t=3)
  send({ sport: 6, proto: IpProto.UDP, ts: 7 }); // evict port 1 (t=4)
  assert.deepEqual(ended.map((e) => `${e.client.split(':')[1]}:${e.reason}`), ['2:evicted', '3:evicted', '1:evicted']);
  assert.equal(table.stats.evicted, 3);
  assert.equal(table.stats.ended.evicted, 3);
  assert.equal(table.stats.created, 6);
  assert.equal(table.stats.active, 3);
  assert.equal(table.stats.peak, 3);
  table.finish();
  assert.deepEqual(ended.slice(3).map((e) => `${e.client.split(':')[1]}:${e.reason}`), ['4:shutdown', '5:shutdown', '6:shutdown']);
  assert.equal(table.size, 0);
});

void test('finish() ends flows in first-seen order regardless of activity and class', () => {
  const { ended, send, table } = harness();
  send({ sport: 1, proto: IpProto.UDP, ts: 1 });
  send({ sport: 2, flags: SYN, ts: 2 });
  send({ sport: 3, proto: IpProto.ICMP, ts: 3 });
  send({ sport: 1, proto: IpProto.UDP, ts: 4 });
  send({ sport: 2, flags: ACK, ts: 5 });
  table.finish();
  assert.deepEqual(ended.map((e) => e.client.split(':')[1]), ['1', '2', '3']);
  assert.ok(ended.every((e) => e.reason === 'shutdown'));
});

void test('flow ids are unique, non-negative 52-bit integers; workers never collide', () => {
  const ids = new Set<number>();
  for (const workerIndex of [0, 1]) {
    const table = new FlowTable({ maxFlows: 1000, workerIndex, workerCount: 2 });
    const pkt = createPacketView();
    for (let i = 0; i < 5000; i++) {
      fillPacket(pkt, { src: i, proto: IpProto.UDP, ts: i / 1000 });
      const f = table.lookup(pkt, symmetricHash(pkt))!;
      assert.ok(Number.isSafeInteger(f.id) && f.id >= 0 && f.id < 2 ** 52);
      ids.add(f.id);
    }
  }
  assert.equal(ids.size, 10000);
});

void test('user data is per flow and dropped when the record is reused', () => {
  const { send } = harness({ maxFlows: 1 });
  const f = send({ sport: 1, proto: IpProto.UDP, ts: 1 })!;
  f.userData.set('dns', { q: 1 });
  const g = send({ sport: 2, proto: IpProto.UDP, ts: 2 })!;
  assert.equal(g, f); // same pooled record …
  assert.equal(g.userData.size, 0); // … fresh state
  assert.equal(g.clientPort, 2);
});

function exactGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

void test('SYN flood: 3 M one-packet flows into 100 000 slots keep the heap bounded and count every eviction', () => {
  const gc = exactGc();
  let ends = 0;
  const table = new FlowTable({ maxFlows: 100_000, onFlowEnd: () => { ends++; } });
  const pkt: PacketView = createPacketView();
  fillPacket(pkt, { flags: SYN, dport: 25565, ts: 0 });
  // Random spoofed sources (xorshift), one SYN each, 1 µs apart.
  let x = 0x12345678;
  const flood = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      pkt.src4 = x >>> 0;
      pkt.srcPort = 1024 + (i & 0xefff);
      pkt.tsUs = 1e12 + i;
      table.lookup(pkt, symmetricHash(pkt));
    }
  };
  flood(0, 200_000); // warm: every slot has its record
  gc();
  const before = process.memoryUsage().heapUsed;
  flood(200_000, 3_000_000);
  gc();
  const growth = process.memoryUsage().heapUsed - before;
  assert.equal(table.stats.created, 3_000_000);
  assert.equal(table.size, 100_000);
  assert.equal(table.stats.evicted, 2_900_000);
  assert.equal(table.stats.ended.evicted, 2_900_000);
  assert.equal(ends, 2_900_000);
  assert.ok(growth < 8 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(1)} MiB`);
});

void test('a reused slot starts clean: no counters, flags, ISNs, consumer masks or pending gaps of the previous flow', () => {
  const { table, send } = harness({ maxFlows: 1 });
  const first = send({ src: A, dst: B, sport: 1000, dport: 80, flags: SYN, seq: 77, ts: 1 })!;
  send({ src: B, dst: A, sport: 80, dport: 1000, flags: SYN | ACK, ts: 1.1 });
  first.isnToServer = 0xfffffff0;
  first.isnKnown = 3;
  first.consumersAsked = true;
  first.consumersAccepted = 5;
  first.consumersActive = 4;
  first.pendingGapToServer = 1e10;
  first.streamOff = true;
  first.userData.set('x', 1);
  assert.equal(first.isnToServer, 0xfffffff0);
  assert.equal(first.pendingGapToServer, 1e10);
  assert.equal(first.clientIp, '10.0.0.1');
  // The table is full: this UDP flow evicts the TCP one and takes its slot (and view object).
  const second = send({ src: B, dst: A, sport: 53, dport: 5353, proto: IpProto.UDP, ts: 2, wireLength: 90 })!;
  assert.equal(second, first);
  assert.equal(table.stats.evicted, 1);
  assert.deepEqual(
    [second.proto, second.clientIp, second.clientPort, second.serverIp, second.serverPort, second.pktsToServer, second.pktsToClient, second.bytesToServer],
    [IpProto.UDP, '192.168.1.2', 53, '10.0.0.1', 5353, 1, 0, 90],
  );
  assert.deepEqual(
    [second.synSeen, second.synAckSeen, second.tcpFlagsToServer, second.tcpFlagsToClient, second.startedWithHandshake, second.state],
    [false, false, 0, 0, false, 'new'],
  );
  assert.deepEqual(
    [second.isnKnown, second.consumersAsked, second.consumersAccepted, second.consumersActive, second.pendingGapToServer, second.pendingGapToClient, second.streamOff],
    [0, false, 0, 0, 0, 0, false],
  );
  assert.equal(second.userData.size, 0);
  assert.equal(second.firstTsUs, 2e6);
});

void test('finish() keeps first-seen order when the LRU lists are not in creation order (the sorting path)', () => {
  const { table, ended, send } = harness();
  const ports = [1, 2, 3, 4, 5, 6, 7, 8];
  for (const p of ports) send({ src: A, dst: B, sport: 1000 + p, dport: 80, proto: IpProto.UDP, ts: p });
  // Touch them in reverse order: the UDP list is now in reverse creation order.
  const idByPort = new Map<number, number>();
  for (const p of [...ports].reverse()) idByPort.set(p, send({ src: A, dst: B, sport: 1000 + p, dport: 80, proto: IpProto.UDP, ts: 10 + (9 - p) })!.id);
  table.finish();
  assert.deepEqual(ended.map((e) => e.id), ports.map((p) => idByPort.get(p)));
  assert.ok(ended.every((e) => e.reason === 'shutdown' && e.pkts[0] === 2));
  assert.equal(table.size, 0);
});

void test('finish(): when an end callback throws, the flows not yet ended stay in the table and are still found', () => {
  let calls = 0;
  const endedPorts: number[] = [];
  const table = new FlowTable({
    onFlowEnd: (f) => {
      if (++calls === 3) throw new Error('detector bug');
      endedPorts.push(f.clientPort);
    },
  });
  const send = (sport: number, ts: number) => {
    const pkt = packet({ src: A, dst: B, sport, dport: 80, proto: IpProto.UDP, ts });
    return table.lookup(pkt, symmetricHash(pkt));
  };
  for (let p = 1; p <= 6; p++) send(p, p);
  assert.throws(() => table.finish(), /detector bug/);
  assert.deepEqual(endedPorts, [1, 2]);
  assert.equal(table.size, 3);
  // Flows 4..6 are found again (a hit, not a new flow).
  for (let p = 4; p <= 6; p++) assert.equal(send(p, 10 + p)!.pktsToServer, 2);
  assert.equal(table.stats.created, 6);
  table.finish();
  assert.deepEqual(endedPorts, [1, 2, 4, 5, 6]);
  assert.equal(table.size, 0);
});

void test('MAC addresses: client and server by role, also when the first packet comes from the server', () => {
  const table = new FlowTable({ maxFlows: 4 });
  const frame = new Uint8Array([0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0xf0, 0x0d, 0xfe, 0xed, 0xfa, 0xce]);
  const withMacs = (spec: PacketSpec, dstFirst: boolean): PacketView => {
    const pkt = packet(spec);
    pkt.buf = frame;
    pkt.macDstOffset = dstFirst ? 0 : 6;
    pkt.macSrcOffset = dstFirst ? 6 : 0;
    return pkt;
  };
  // Client A sends: src MAC f0:0d:…, dst MAC 00:1b:…
  const p1 = withMacs({ src: A, dst: B, sport: 40000, dport: 80, flags: SYN, ts: 1 }, true);
  const f1 = table.lookup(p1, symmetricHash(p1))!;
  assert.equal(f1.hasMac, true);
  assert.equal(f1.clientMac, 'f0:0d:fe:ed:fa:ce');
  assert.equal(f1.serverMac, '00:1b:21:aa:bb:cc');
  // First seen: a SYN-ACK from the server; its source MAC is the server's.
  const p2 = withMacs({ src: B, dst: A, sport: 80, dport: 40001, flags: SYN | ACK, ts: 2 }, true);
  const f2 = table.lookup(p2, symmetricHash(p2))!;
  assert.equal(f2.serverMac, 'f0:0d:fe:ed:fa:ce');
  assert.equal(f2.clientMac, '00:1b:21:aa:bb:cc');
  // No link layer: no MACs.
  const p3 = packet({ src: A, dst: B, sport: 40002, dport: 80, flags: SYN, ts: 3 });
  const f3 = table.lookup(p3, symmetricHash(p3))!;
  assert.equal(f3.hasMac, false);
  assert.equal(f3.clientMac, '');
});
