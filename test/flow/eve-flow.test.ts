import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowEvent } from '../../src/events/eve.js';
import { IpProto, TcpFlag } from '../../src/events/packet.js';
import type { FlowEndReason } from '../../src/events/flow.js';
import { FlowTable } from '../../src/flow/table.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { eveFlowReason, flowToEve } from '../../src/flow/eve-flow.js';
import { flowIdFromSequence } from '../../src/flow/flow-id.js';
import { A, B, packet, symmetricHash, type PacketSpec } from './packets.js';

const { SYN, ACK, FIN, PSH } = TcpFlag;

function run(specs: PacketSpec[]): { flow: FlowRecord; table: FlowTable } {
  const table = new FlowTable({ maxFlows: 16 });
  let flow: FlowRecord | null = null;
  for (const s of specs) {
    const pkt = packet(s);
    flow = table.lookup(pkt, symmetricHash(pkt));
  }
  return { flow: flow!, table };
}

void test('TCP flow record: Suricata field names, client as src, hex flags, validated by the zod schema', () => {
  const c = { src: A, dst: B, sport: 51000, dport: 3333 };
  const s = { src: B, dst: A, sport: 3333, dport: 51000 };
  const { flow } = run([
    { ...c, flags: SYN, ts: 1700000000.123456, wireLength: 74 },
    { ...s, flags: SYN | ACK, ts: 1700000000.2, wireLength: 74 },
    { ...c, flags: ACK, ts: 1700000000.3, wireLength: 66 },
    { ...c, flags: ACK | PSH, ts: 1700000001.0, wireLength: 200 },
    { ...s, flags: ACK | PSH, ts: 1700000002.5, wireLength: 300 },
    { ...c, flags: FIN | ACK, ts: 1700000003.9, wireLength: 66 },
  ]);
  const ev = flowToEve(flow, 'idle-timeout', true);
  assert.deepEqual(FlowEvent.parse(ev), ev);
  assert.equal(ev.event_type, 'flow');
  assert.equal(ev.timestamp, '2023-11-14T22:13:20.123456+0000');
  assert.equal(ev.flow_id, flow.id);
  assert.equal(ev.src_ip, '10.0.0.1');
  assert.equal(ev.src_port, 51000);
  assert.equal(ev.dest_ip, '192.168.1.2');
  assert.equal(ev.dest_port, 3333);
  assert.equal(ev.proto, 'TCP');
  assert.deepEqual(ev.flow, {
    pkts_toserver: 4, pkts_toclient: 2, bytes_toserver: 74 + 66 + 200 + 66, bytes_toclient: 374,
    start: '2023-11-14T22:13:20.123456+0000', end: '2023-11-14T22:13:23.900000+0000', age: 3,
    state: 'established', reason: 'timeout', alerted: true,
  });
  assert.deepEqual(ev.tcp, { tcp_flags: '1b', tcp_flags_ts: '1b', tcp_flags_tc: '1a', syn: true, fin: true, state: 'established' });
  assert.equal(ev.vlan, undefined);
});

void test('UDP and ICMP records: no tcp object; ICMP has no ports; VLAN listed', () => {
  const udp = run([
    { sport: 5353, dport: 53, proto: IpProto.UDP, ts: 10 },
    { src: B, dst: A, sport: 53, dport: 5353, proto: IpProto.UDP, ts: 10.5, vlan: 0 },
  ]).flow;
  const ev = flowToEve(udp, 'shutdown', false);
  FlowEvent.parse(ev);
  assert.equal(ev.proto, 'UDP');
  assert.equal(ev.tcp, undefined);
  assert.equal(ev.flow.state, 'established');
  assert.equal(ev.flow.reason, 'shutdown');
  const icmp = run([{ sport: 0, dport: 0, proto: IpProto.ICMP, ts: 10, vlan: 42 }]).flow;
  const ei = flowToEve(icmp, 'evicted', false);
  FlowEvent.parse(ei);
  assert.equal(ei.proto, 'ICMP');
  assert.equal(ei.src_port, undefined);
  assert.equal(ei.dest_port, undefined);
  assert.deepEqual(ei.vlan, [42]);
  assert.equal(ei.flow.reason, 'forced');
  assert.equal(ei.flow.state, 'new');
});

void test('IPv6 addresses are RFC 5952 text', () => {
  const c6 = Uint8Array.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55]);
  const s6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  const { flow } = run([{ src6: c6, dst6: s6, sport: 1, dport: 2, proto: IpProto.UDP, ts: 1 }]);
  const ev = flowToEve(flow, 'idle-timeout', false);
  FlowEvent.parse(ev);
  assert.equal(ev.src_ip, 'fe80::211:22ff:fe33:4455');
  assert.equal(ev.dest_ip, '2001:db8:1::1:0:1');
});

void test('end reasons map to Suricata flow.reason', () => {
  const cases: [FlowEndReason, string][] = [
    ['idle-timeout', 'timeout'], ['active-timeout', 'timeout'], ['tcp-closed', 'timeout'], ['evicted', 'forced'], ['shutdown', 'shutdown'],
  ];
  for (const [ours, suricata] of cases) assert.equal(eveFlowReason(ours), suricata);
});

void test('flow ids: a bijection onto 52-bit integers (no collisions over 1 M sequence numbers)', () => {
  const seen = new Set<number>();
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < 1_000_000; i++) {
    const id = flowIdFromSequence(i);
    if (id < min) min = id;
    if (id > max) max = id;
    seen.add(id);
  }
  assert.equal(seen.size, 1_000_000);
  assert.ok(min >= 0 && max < 2 ** 52 && Number.isSafeInteger(max));
  // The high half is used too (ids look random, like Suricata's).
  assert.ok(flowIdFromSequence(1) > 2 ** 26);
  // Sequence numbers far apart stay distinct too.
  assert.notEqual(flowIdFromSequence(2 ** 52 - 1), flowIdFromSequence(2 ** 26 - 1));
});
