import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IpProto, TcpFlag } from '../../src/events/packet.js';
import type { FlowEndReason } from '../../src/events/flow.js';
import { FlowTable } from '../../src/flow/table.js';
import { FlowEngine } from '../../src/flow/engine.js';
import { packet, symmetricHash, type PacketSpec } from './packets.js';

const { SYN, ACK, FIN, RST } = TcpFlag;

interface Op {
  /** Small key space: flows repeat, both directions occur, classes mix. */
  host: number;
  port: number;
  reverse: boolean;
  udp: boolean;
  flags: number;
  /** Packet-time step in ms (large steps make flows idle out). */
  stepMs: number;
  /** Before this packet: warm with the next `warmAhead` hashes (0 = no warm call). */
  warmAhead: number;
  /** Also pass junk hashes to warm (a wrong hash must not matter). */
  junk: number[];
}

const opArb: fc.Arbitrary<Op> = fc.record({
  host: fc.integer({ min: 0, max: 5 }),
  port: fc.integer({ min: 0, max: 3 }),
  reverse: fc.boolean(),
  udp: fc.boolean(),
  flags: fc.constantFrom(SYN, SYN | ACK, ACK, FIN | ACK, RST, 0),
  stepMs: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(40_000)),
  warmAhead: fc.integer({ min: 0, max: 12 }),
  junk: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 4 }),
});

function spec(op: Op, ts: number): PacketSpec {
  const client = 0x0a000001 + op.host;
  const server = 0xc0a80001;
  const cport = 40000 + op.port;
  const sport = op.udp ? 53 : 443;
  return op.reverse
    ? { src: server, dst: client, sport, dport: cport, proto: op.udp ? IpProto.UDP : IpProto.TCP, flags: op.flags, ts }
    : { src: client, dst: server, sport: cport, dport: sport, proto: op.udp ? IpProto.UDP : IpProto.TCP, flags: op.flags, ts };
}

type Trace = (string | number)[];

/** Runs the ops through a table (warming or not) and records everything observable. */
function run(ops: Op[], maxFlows: number, warm: boolean): { trace: Trace; stats: string } {
  const trace: Trace = [];
  const table = new FlowTable({
    maxFlows,
    timeouts: { tcpNew: 30, udpNew: 20, tcpClosed: 5 },
    onFlowEnd: (f, reason: FlowEndReason) => {
      trace.push(`end ${f.id} ${reason} ${f.clientIp}:${f.clientPort}>${f.serverIp}:${f.serverPort} ${f.pktsToServer}/${f.pktsToClient} ${f.state}`);
    },
  });
  const pkts = [];
  let ts = 1000;
  for (const op of ops) {
    ts += op.stepMs / 1000;
    pkts.push(packet(spec(op, ts)));
  }
  const hashes = pkts.map((p) => symmetricHash(p));
  const buf = new Int32Array(32);
  for (let i = 0; i < pkts.length; i++) {
    const op = ops[i];
    if (warm && op.warmAhead > 0) {
      let n = 0;
      for (let j = i; j < Math.min(pkts.length, i + op.warmAhead); j++) buf[n++] = hashes[j];
      for (const h of op.junk) buf[n++] = h;
      table.warm(buf, n);
    }
    const f = table.lookup(pkts[i], hashes[i]);
    trace.push(f === null ? 'null' : `hit ${f.id} ${f.createSeq} ${f.lastDir} ${f.pktsToServer}/${f.pktsToClient} ${f.state}`);
  }
  table.finish();
  return { trace, stats: JSON.stringify(table.stats) };
}

void test('warm() never changes what lookup() returns, which flows end, why, or in which order', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), fc.integer({ min: 1, max: 10 }), (ops, maxFlows) => {
      const plain = run(ops, maxFlows, false);
      const warmed = run(ops, maxFlows, true);
      assert.deepEqual(warmed.trace, plain.trace);
      assert.equal(warmed.stats, plain.stats);
    }),
    { numRuns: 400 },
  );
});

void test('warm() has no effect on an empty or full table, and clamps n to the array', () => {
  const table = new FlowTable({ maxFlows: 4 });
  const before = JSON.stringify(table.stats);
  table.warm(new Int32Array(0), 0);
  table.warm(new Int32Array([1, 2, 3]), 100);
  table.warm(new Int32Array([1, 2, 3]), -5);
  assert.equal(JSON.stringify(table.stats), before);
  assert.equal(table.size, 0);
  // Full table: warm() also loads the next victims' entries, and still changes nothing.
  for (let i = 0; i < 4; i++) {
    const p = packet({ src: 0x0a000001 + i, dst: 0xc0a80001, sport: 1000, dport: 80, flags: SYN, ts: 1 + i });
    table.lookup(p, symmetricHash(p));
  }
  const full = JSON.stringify(table.stats);
  table.warm(new Int32Array([7, 8, 9]), 3);
  assert.equal(JSON.stringify(table.stats), full);
  assert.equal(table.size, 4);
});

void test('FlowEngine.warm passes through; without consumers the end callback still gets every flow', () => {
  const ended: string[] = [];
  const engine = new FlowEngine({ maxFlows: 2, onFlowEnd: (f, reason) => ended.push(`${f.clientPort} ${reason}`) });
  const hashes = new Int32Array(3);
  const pkts = [0, 1, 2].map((i) => packet({ src: 0x0a000001, dst: 0xc0a80001, sport: 1000 + i, dport: 80, flags: SYN, ts: 1 + i }));
  pkts.forEach((p, i) => (hashes[i] = symmetricHash(p)));
  engine.warm(hashes, 3);
  for (let i = 0; i < 3; i++) engine.process(pkts[i], hashes[i]);
  engine.finish();
  assert.deepEqual(ended, ['1000 evicted', '1001 shutdown', '1002 shutdown']);
});
