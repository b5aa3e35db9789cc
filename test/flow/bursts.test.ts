import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IpProto, TcpFlag } from '../../src/events/packet.js';
import type { DirectionValue, FlowBurst, FlowView } from '../../src/events/flow.js';
import { DEFAULT_BURST_GAP_US, PayloadBursts } from '../../src/flow/bursts.js';
import { FlowEngine } from '../../src/flow/engine.js';
import { A, B, packet, symmetricHash, type PacketSpec } from './packets.js';

const { SYN, ACK, PSH, FIN } = TcpFlag;
type Seen = { flow: FlowView; dir: DirectionValue; startUs: number; lastUs: number; bytes: number; segments: number };

function recorder(): { seen: Seen[]; onBurst: (flow: FlowView, b: FlowBurst) => void } {
  const seen: Seen[] = [];
  // the burst object is reused between calls: copy it
  return { seen, onBurst: (flow, b) => { seen.push({ flow, dir: b.dir, startUs: b.startUs, lastUs: b.lastUs, bytes: b.bytes, segments: b.segments }); } };
}

const flowA = { id: 1 } as unknown as FlowView;
const flowB = { id: 2 } as unknown as FlowView;

test('payload bursts: a burst continues in one direction within the gap; the other direction, a longer pause or the end closes it', () => {
  const r = recorder();
  const t = new PayloadBursts(4, r.onBurst);
  const g = DEFAULT_BURST_GAP_US;
  t.add(1, flowA, 0, 1_000_000, 100);
  t.add(1, flowA, 0, 1_000_000 + g - 1, 50); // just inside the gap
  t.add(1, flowA, 1, 1_000_000 + g, 1400); // the other side answers
  t.add(1, flowA, 1, 1_000_000 + g + 10, 1400);
  t.add(1, flowA, 1, 1_000_000 + 3 * g, 20); // a pause as long as the gap
  assert.deepEqual(r.seen.map((b) => [b.dir, b.startUs, b.lastUs, b.bytes, b.segments]), [
    [0, 1_000_000, 1_000_000 + g - 1, 150, 2],
    [1, 1_000_000 + g, 1_000_000 + g + 10, 2800, 2],
  ]);
  t.end(1, flowA);
  assert.deepEqual(r.seen.slice(2).map((b) => [b.dir, b.bytes, b.segments]), [[1, 20, 1]]);
  assert.ok(r.seen.every((b) => b.flow === flowA));
  t.end(1, flowA);
  assert.equal(r.seen.length, 3, 'nothing left open after the end');
  // the slot's next flow starts clean
  t.add(1, flowB, 1, 9_000_000, 7);
  t.end(1, flowB);
  assert.deepEqual(r.seen.slice(3).map((b) => [b.flow, b.dir, b.bytes, b.segments]), [[flowB, 1, 7, 1]]);
});

test('payload bursts: flows in different slots do not touch each other (property: bursts partition each flow\'s segments)', () => {
  const segment = fc.record({ slot: fc.integer({ min: 0, max: 3 }), dir: fc.constantFrom<DirectionValue>(0, 1), dtUs: fc.integer({ min: 0, max: 2 * DEFAULT_BURST_GAP_US }), len: fc.integer({ min: 1, max: 1500 }) });
  fc.assert(fc.property(fc.array(segment, { maxLength: 200 }), (segs) => {
    const flows = [0, 1, 2, 3].map((id) => ({ id }) as unknown as FlowView);
    const r = recorder();
    const t = new PayloadBursts(4, r.onBurst);
    let now = 0;
    // the reference: the same rule written as a fold over each flow's own segments
    const expected: Seen[][] = [[], [], [], []];
    for (const s of segs) {
      now += s.dtUs;
      t.add(s.slot, flows[s.slot], s.dir, now, s.len);
      const list = expected[s.slot];
      const open = list[list.length - 1];
      if (open && open.dir === s.dir && now - open.lastUs < DEFAULT_BURST_GAP_US) {
        open.lastUs = now;
        open.bytes += s.len;
        open.segments++;
      } else list.push({ flow: flows[s.slot], dir: s.dir, startUs: now, lastUs: now, bytes: s.len, segments: 1 });
    }
    for (let slot = 0; slot < 4; slot++) t.end(slot, flows[slot]);
    for (let slot = 0; slot < 4; slot++) assert.deepEqual(r.seen.filter((b) => b.flow === flows[slot]), expected[slot]);
    assert.equal(r.seen.reduce((a, b) => a + b.bytes, 0), segs.reduce((a, s) => a + s.len, 0));
  }));
});

test('flow engine: the bursts of a TCP conversation come in order, all before the flow\'s end; UDP payload and bare ACKs are not bursts', () => {
  const r = recorder();
  const ends: number[] = [];
  const engine = new FlowEngine({ maxFlows: 16, onBurst: (f, b) => r.onBurst(f, b), onFlowEnd: () => ends.push(r.seen.length) });
  const send = (spec: PacketSpec) => {
    const p = packet(spec);
    return engine.process(p, symmetricHash(p));
  };
  const protos: number[] = [];
  const onBurst = r.onBurst;
  r.onBurst = (flow, b) => { protos.push(flow.proto); onBurst(flow, b); };
  const client: PacketSpec = { src: A, dst: B, sport: 40000, dport: 443 };
  const server: PacketSpec = { src: B, dst: A, sport: 443, dport: 40000 };
  const bytes = (n: number) => new Uint8Array(n);
  send({ ...client, flags: SYN, seq: 1, ts: 1 });
  send({ ...server, flags: SYN | ACK, seq: 9, ack: 2, ts: 1.01 });
  send({ ...client, flags: ACK, seq: 2, ack: 10, ts: 1.02 });
  send({ ...client, flags: ACK | PSH, seq: 2, ack: 10, payload: bytes(300), ts: 1.1 });
  send({ ...server, flags: ACK, seq: 10, ack: 302, ts: 1.11 }); // a bare ACK: no payload, no burst
  send({ ...client, flags: ACK | PSH, seq: 302, ack: 10, payload: bytes(200), ts: 1.2 });
  send({ ...server, flags: ACK | PSH, seq: 10, ack: 502, payload: bytes(1400), ts: 1.3 });
  send({ ...server, flags: ACK | PSH, seq: 1410, ack: 502, payload: bytes(1400), ts: 1.31 });
  send({ ...client, flags: ACK | PSH, seq: 502, ack: 2810, payload: bytes(90), ts: 40 });
  // a UDP exchange between the same hosts
  send({ src: A, dst: B, sport: 5000, dport: 53, proto: IpProto.UDP, payload: bytes(40), ts: 41 });
  send({ ...client, flags: FIN | ACK, seq: 592, ack: 2810, ts: 42 });
  send({ ...server, flags: FIN | ACK, seq: 2810, ack: 593, ts: 42.1 });
  engine.finish();
  assert.deepEqual(r.seen.map((b) => [b.dir, b.bytes, b.segments, b.startUs, b.lastUs]), [
    [0, 500, 2, 1_100_000, 1_200_000],
    [1, 2800, 2, 1_300_000, 1_310_000],
    [0, 90, 1, 40_000_000, 40_000_000],
  ]);
  assert.deepEqual(protos, [IpProto.TCP, IpProto.TCP, IpProto.TCP]);
  // both flows ended; the TCP flow's last burst was reported before its end callback
  assert.equal(ends.length, 2);
  assert.ok(ends.every((n) => n === 3));
});
