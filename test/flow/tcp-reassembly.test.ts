import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpFlag, IpProto } from '../../src/events/packet.js';
import { ConsumerVerdict, type StreamConsumer, type ConsumerVerdictValue } from '../../src/events/stream.js';
import type { DirectionValue, FlowView } from '../../src/events/flow.js';
import { FlowEngine, type FlowEngineOptions } from '../../src/flow/engine.js';
import { A, B, packet, symmetricHash, type PacketSpec } from './packets.js';

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

type Event = { kind: 'data'; dir: DirectionValue; bytes: Uint8Array; shared: boolean } | { kind: 'gap'; dir: DirectionValue; length: number } | { kind: 'end' };

/** Records everything it is given; `done` makes it return DONE after that many data calls. */
class Recorder implements StreamConsumer {
  readonly events: Event[] = [];
  dataCalls = 0;
  currentPacketBuffer: ArrayBufferLike | null = null;
  constructor(readonly id: string, private readonly done = Infinity, private readonly accept = true) {}
  accepts(): boolean {
    return this.accept;
  }
  onData(_flow: FlowView, dir: DirectionValue, data: Uint8Array): ConsumerVerdictValue {
    this.dataCalls++;
    this.events.push({ kind: 'data', dir, bytes: data.slice(), shared: data.buffer === this.currentPacketBuffer });
    return this.dataCalls >= this.done ? ConsumerVerdict.DONE : ConsumerVerdict.CONTINUE;
  }
  onGap(_flow: FlowView, dir: DirectionValue, length: number): ConsumerVerdictValue {
    this.events.push({ kind: 'gap', dir, length });
    return ConsumerVerdict.CONTINUE;
  }
  onEnd(): void {
    this.events.push({ kind: 'end' });
  }
  /** Bytes of one direction with gaps as `fill` bytes. */
  stream(dir: DirectionValue, fill = -1): number[] {
    const out: number[] = [];
    for (const e of this.events) {
      if (e.kind === 'data' && e.dir === dir) out.push(...e.bytes);
      if (e.kind === 'gap' && e.dir === dir) for (let i = 0; i < e.length; i++) out.push(fill);
    }
    return out;
  }
  gaps(dir: DirectionValue): number[] {
    return this.events.flatMap((e) => (e.kind === 'gap' && e.dir === dir ? [e.length] : []));
  }
}

const CLIENT: PacketSpec = { src: A, dst: B, sport: 40000, dport: 80 };
const SERVER: PacketSpec = { src: B, dst: A, sport: 80, dport: 40000 };

function conversation(opts: FlowEngineOptions, consumers: StreamConsumer[]) {
  const engine = new FlowEngine({ maxFlows: 64, ...opts, consumers });
  const recorder = consumers.find((c): c is Recorder => c instanceof Recorder);
  const send = (spec: PacketSpec) => {
    const pkt = packet(spec);
    if (recorder) recorder.currentPacketBuffer = pkt.buf.buffer;
    return engine.process(pkt, symmetricHash(pkt));
  };
  /** Client data segment at stream offset `off` relative to ISN+1. */
  const clientData = (isn: number, off: number, bytes: Uint8Array, extra: Partial<PacketSpec> = {}) =>
    send({ ...CLIENT, flags: ACK | PSH, seq: (isn + 1 + off) >>> 0, payload: bytes, ts: 1, ...extra });
  const handshake = (isnC: number, isnS: number) => {
    send({ ...CLIENT, flags: SYN, seq: isnC, ts: 1 });
    send({ ...SERVER, flags: SYN | ACK, seq: isnS, ack: (isnC + 1) >>> 0, ts: 1 });
    send({ ...CLIENT, flags: ACK, seq: (isnC + 1) >>> 0, ack: (isnS + 1) >>> 0, ts: 1 });
  };
  return { engine, send, clientData, handshake };
}

function bytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

void test('in-order segments are delivered once each, straight from the packet buffer', () => {
  const rec = new Recorder('r');
  const { engine, clientData, handshake, send } = conversation({}, [rec]);
  handshake(1000, 5000);
  const data = bytesOf(3000);
  for (let off = 0; off < 3000; off += 1000) clientData(1000, off, data.subarray(off, off + 1000));
  send({ ...SERVER, flags: ACK | PSH, seq: 5001, ack: 4001, payload: new TextEncoder().encode('HTTP/1.1 200 OK\r\n'), ts: 1 });
  assert.deepEqual(rec.stream(0), [...data]);
  assert.equal(new TextDecoder().decode(Uint8Array.from(rec.stream(1))), 'HTTP/1.1 200 OK\r\n');
  const dataEvents = rec.events.filter((e) => e.kind === 'data');
  assert.equal(dataEvents.length, 4);
  assert.ok(dataEvents.every((e) => e.kind === 'data' && e.shared), 'delivered views share the packet buffer (no copy)');
  const s = engine.stats().reassembly;
  assert.equal(s.bytesDelivered, 3000 + 17);
  assert.equal(s.oooBuffered, 0);
  assert.equal(s.gaps, 0);
  engine.finish();
  assert.deepEqual(rec.events.at(-1), { kind: 'end' });
});

void test('reversed order is buffered and delivered in order when the first segment arrives', () => {
  const rec = new Recorder('r');
  const { engine, clientData, handshake } = conversation({}, [rec]);
  handshake(7, 9);
  const data = bytesOf(5000, 3);
  for (let off = 4000; off >= 0; off -= 1000) clientData(7, off, data.subarray(off, off + 1000));
  assert.deepEqual(rec.stream(0), [...data]);
  const s = engine.stats().reassembly;
  assert.equal(s.oooBuffered, 4);
  assert.equal(s.bufferedBytes, 0);
  assert.equal(s.peakBufferedBytes, 4000);
  assert.equal(s.gaps, 0);
});

void test('sequence numbers wrap around 2^32', () => {
  const rec = new Recorder('r');
  const { clientData, handshake } = conversation({}, [rec]);
  const isn = 0xfffffff0;
  handshake(isn, 1);
  const data = bytesOf(300, 5);
  // Out of order across the wrap: second half first.
  clientData(isn, 100, data.subarray(100, 300));
  clientData(isn, 0, data.subarray(0, 100));
  assert.deepEqual(rec.stream(0), [...data]);
});

void test('mid-stream pickup starts at the first data segment', () => {
  const rec = new Recorder('r');
  const { send } = conversation({}, [rec]);
  send({ ...CLIENT, flags: ACK | PSH, seq: 123456, payload: bytesOf(10, 1), ts: 1 });
  send({ ...CLIENT, flags: ACK | PSH, seq: 123466, payload: bytesOf(10, 2), ts: 1 });
  assert.deepEqual(rec.stream(0), [...bytesOf(10, 1), ...bytesOf(10, 2)]);
});

void test('overlapping retransmission with different bytes: first copy wins, counted as overlap-mismatch', () => {
  const rec = new Recorder('r');
  const { engine, clientData, handshake } = conversation({}, [rec]);
  handshake(0, 0);
  const first = bytesOf(100, 1);
  clientData(0, 100, first); // out of order, buffered
  const evil = bytesOf(150, 2);
  clientData(0, 50, evil); // overlaps [100,200) with different bytes
  clientData(0, 0, bytesOf(50, 3));
  const out = rec.stream(0);
  assert.deepEqual(out.slice(0, 50), [...bytesOf(50, 3)]);
  assert.deepEqual(out.slice(50, 100), [...evil.subarray(0, 50)]);
  assert.deepEqual(out.slice(100, 200), [...first]);
  const s = engine.stats().reassembly;
  assert.equal(s.overlapMismatch, 1);
  assert.equal(s.overlaps, 1);
  // An identical retransmission of buffered data is an overlap, not a mismatch.
  clientData(0, 300, bytesOf(10, 9));
  clientData(0, 300, bytesOf(10, 9));
  assert.equal(engine.stats().reassembly.overlapMismatch, 1);
  assert.equal(engine.stats().reassembly.overlaps, 2);
  // A retransmission of delivered data is counted.
  clientData(0, 0, bytesOf(50, 3));
  assert.equal(engine.stats().reassembly.retransmissions, 1);
});

void test('a hole is reported as a gap at FIN, and delivery continues after it', () => {
  const rec = new Recorder('r');
  const { engine, clientData, handshake } = conversation({}, [rec]);
  handshake(10, 20);
  clientData(10, 0, bytesOf(100, 1));
  clientData(10, 150, bytesOf(100, 2));
  clientData(10, 250, bytesOf(10, 3), { flags: FIN | ACK });
  assert.deepEqual(rec.gaps(0), [50]);
  assert.deepEqual(rec.stream(0, 0), [...bytesOf(100, 1), ...new Array(50).fill(0), ...bytesOf(100, 2), ...bytesOf(10, 3)]);
  assert.equal(engine.stats().reassembly.gaps, 1);
  assert.equal(engine.stats().reassembly.gapBytes, 50);
});

void test('an ACK for bytes never seen is a gap; the ACK of the FIN is not', () => {
  const rec = new Recorder('r');
  const { engine, clientData, handshake, send } = conversation({}, [rec]);
  handshake(100, 200);
  clientData(100, 0, bytesOf(10, 1));
  // Segment [10,30) lost by the capture; the server acknowledged it.
  send({ ...SERVER, flags: ACK, seq: 201, ack: 100 + 1 + 30, ts: 1 });
  assert.deepEqual(rec.gaps(0), [20]);
  clientData(100, 30, bytesOf(5, 2), { flags: FIN | ACK | PSH });
  send({ ...SERVER, flags: ACK, seq: 201, ack: 100 + 1 + 35 + 1, ts: 1 });
  assert.deepEqual(rec.gaps(0), [20]);
  assert.deepEqual(rec.stream(0, 0), [...bytesOf(10, 1), ...new Array(20).fill(0), ...bytesOf(5, 2)]);
  assert.equal(engine.stats().reassembly.ackGaps, 1);
});

void test('a full out-of-order buffer skips forward with a gap instead of growing', () => {
  const rec = new Recorder('r');
  const { engine, clientData, handshake } = conversation({ maxOooBytesPerDirection: 1000 }, [rec]);
  handshake(0, 0);
  const data = bytesOf(4000, 7);
  // [0,100) is lost; 100..4000 arrive in 100-byte segments.
  for (let off = 100; off < 4000; off += 100) clientData(0, off, data.subarray(off, off + 100));
  const s = engine.stats().reassembly;
  assert.ok(s.peakBufferedBytes <= 1000, `peak ${s.peakBufferedBytes}`);
  assert.equal(s.oooOverflow, 1);
  assert.deepEqual(rec.gaps(0), [100]);
  // Delivery resumed after the gap and kept going in order.
  assert.deepEqual(rec.stream(0, 0).slice(100), [...data.subarray(100)]);
});

void test('the global buffer limit bounds memory across flows', () => {
  const rec = new Recorder('r');
  const engine = new FlowEngine({ consumers: [rec], maxOooBytesTotal: 5000 });
  for (let f = 0; f < 20; f++) {
    for (let off = 100; off < 1100; off += 100) {
      const pkt = packet({ src: A + f, dst: B, sport: 1000 + f, dport: 80, flags: ACK, seq: off, payload: bytesOf(100, off), ts: 1 });
      // Mid-stream pickup at seq 0 needs a first segment at 0: send a 1-byte one first.
      if (off === 100) {
        const first = packet({ src: A + f, dst: B, sport: 1000 + f, dport: 80, flags: ACK, seq: 0, payload: bytesOf(1, 1), ts: 1 });
        engine.process(first, symmetricHash(first));
      }
      engine.process(pkt, symmetricHash(pkt));
    }
  }
  const s = engine.stats().reassembly;
  assert.ok(s.peakBufferedBytes <= 5000, `peak ${s.peakBufferedBytes}`);
  assert.ok(s.oooOverflow > 0);
  engine.finish();
  assert.equal(engine.stats().reassembly.bufferedBytes, 0);
});

void test('stream depth: nothing buffered or delivered past it, not reported as a gap', () => {
  const rec = new Recorder('r');
  const { engine, clientData, handshake } = conversation({ streamDepth: 1000 }, [rec]);
  handshake(0, 0);
  const data = bytesOf(5000, 4);
  clientData(0, 3000, data.subarray(3000, 4000)); // beyond depth: not buffered
  assert.equal(engine.stats().reassembly.bufferedBytes, 0);
  for (let off = 0; off < 5000; off += 700) clientData(0, off, data.subarray(off, Math.min(5000, off + 700)));
  assert.deepEqual(rec.stream(0), [...data.subarray(0, 1000)]);
  const s = engine.stats().reassembly;
  assert.equal(s.depthReached, 1);
  assert.equal(s.gaps, 0);
  assert.equal(s.bytesBeyondDepth, 1000 + 4000);
});

void test('streamDepth 0 means unlimited', () => {
  const rec = new Recorder('r');
  const { clientData, handshake } = conversation({ streamDepth: 0 }, [rec]);
  handshake(0, 0);
  const data = bytesOf(400_000, 8);
  for (let off = 0; off < data.length; off += 1460) clientData(0, off, data.subarray(off, off + 1460));
  assert.equal(rec.stream(0).length, 400_000);
});

void test('consumer DONE: the flow stops being reassembled, nothing is buffered', () => {
  const rec = new Recorder('r', 1);
  const { engine, clientData, handshake } = conversation({}, [rec]);
  handshake(0, 0);
  clientData(0, 0, bytesOf(100, 1));
  for (let off = 1000; off < 30000; off += 1000) clientData(0, off, bytesOf(1000, off));
  const s = engine.stats();
  assert.equal(s.reassembly.flowsStopped, 1);
  assert.equal(s.reassembly.peakBufferedBytes, 0);
  assert.equal(s.reassembly.segments, 1);
  assert.equal(rec.dataCalls, 1);
  assert.equal(s.dispatch.consumers['consumer.r.done'], 1);
  engine.finish();
  assert.ok(!rec.events.some((e) => e.kind === 'end'), 'a DONE consumer gets no onEnd');
});

void test('no consumer accepts: no reassembly at all', () => {
  const rec = new Recorder('r', Infinity, false);
  const { engine, clientData, handshake } = conversation({}, [rec]);
  handshake(0, 0);
  clientData(0, 500, bytesOf(100, 1));
  clientData(0, 0, bytesOf(100, 1));
  for (let off = 1000; off < 5000; off += 1000) clientData(0, off, bytesOf(1000, off));
  const s = engine.stats();
  assert.equal(s.dispatch.flowsUnwanted, 1);
  assert.equal(s.reassembly.flowsStopped, 1);
  assert.equal(s.reassembly.bufferedBytes, 0);
  assert.equal(rec.dataCalls, 0);
});

void test('a throwing consumer is contained and counted; the others keep receiving', () => {
  const good = new Recorder('good');
  let calls = 0;
  const bad: StreamConsumer = {
    id: 'bad',
    accepts: () => true,
    onData: () => {
      calls++;
      throw new Error('parser bug');
    },
    onEnd: () => {
      throw new Error('never called');
    },
  };
  const { engine, clientData, handshake } = conversation({}, [bad, good]);
  handshake(0, 0);
  const data = bytesOf(3000, 2);
  for (let off = 0; off < 3000; off += 1000) clientData(0, off, data.subarray(off, off + 1000));
  engine.finish();
  assert.equal(calls, 1);
  assert.deepEqual(good.stream(0), [...data]);
  const c = engine.stats().dispatch.consumers;
  assert.equal(c['consumer.bad.exception'], 1);
  assert.equal(c['consumer.bad.accepted'], 1);
  assert.equal(c['consumer.good.accepted'], 1);
  assert.deepEqual(good.events.at(-1), { kind: 'end' });
});

void test('UDP: one onData per datagram, with direction; accepts sees the first datagram', () => {
  const seen: string[] = [];
  const consumer: StreamConsumer = {
    id: 'dns',
    accepts: (flow, dir, data) => {
      seen.push(`accepts ${dir} ${data.length} ${flow.serverPort}`);
      return flow.serverPort === 53;
    },
    onData: (_f, dir, data) => {
      seen.push(`data ${dir} ${data.length}`);
      return ConsumerVerdict.CONTINUE;
    },
    onEnd: (f) => {
      seen.push(`end ${f.pktsToServer}/${f.pktsToClient}`);
    },
  };
  const engine = new FlowEngine({ consumers: [consumer] });
  const go = (spec: PacketSpec) => {
    const pkt = packet({ proto: IpProto.UDP, ts: 1, ...spec });
    engine.process(pkt, symmetricHash(pkt));
  };
  go({ src: A, dst: B, sport: 5555, dport: 53, payload: bytesOf(30) });
  go({ src: B, dst: A, sport: 53, dport: 5555, payload: bytesOf(80) });
  go({ src: B, dst: A, sport: 53, dport: 5555 }); // empty datagram: nothing to deliver
  go({ src: A, dst: B, sport: 5556, dport: 123, payload: bytesOf(48) }); // rejected
  go({ src: A, dst: B, sport: 5556, dport: 123, payload: bytesOf(48) });
  engine.finish();
  assert.deepEqual(seen, ['accepts 0 30 53', 'data 0 30', 'data 1 80', 'accepts 0 48 123', 'end 1/2']);
});

void test('flow end flushes holes as gaps before onEnd', () => {
  const rec = new Recorder('r');
  const { engine, clientData, handshake } = conversation({}, [rec]);
  handshake(0, 0);
  clientData(0, 0, bytesOf(10, 1));
  clientData(0, 20, bytesOf(10, 2));
  engine.finish();
  assert.deepEqual(rec.events.map((e) => e.kind), ['data', 'gap', 'data', 'end']);
  assert.deepEqual(rec.gaps(0), [10]);
});

void test('RST flushes holes of both directions', () => {
  const rec = new Recorder('r');
  const { clientData, handshake, send } = conversation({}, [rec]);
  handshake(0, 0);
  clientData(0, 0, bytesOf(10, 1));
  clientData(0, 20, bytesOf(10, 2));
  send({ ...SERVER, flags: ACK | PSH, seq: 1, payload: bytesOf(5), ts: 1 });
  send({ ...SERVER, flags: ACK | PSH, seq: 11, payload: bytesOf(5), ts: 1 });
  send({ ...SERVER, flags: RST, seq: 16, ts: 1 });
  assert.deepEqual(rec.gaps(0), [10]);
  assert.deepEqual(rec.gaps(1), [5]);
});

/**
 * Model of the first-wins policy: for each stream position, the byte of the first
 * segment (in arrival order) that covers it; null where no segment does.
 */
function firstWins(total: number, arrivals: { off: number; bytes: Uint8Array }[]): (number | null)[] {
  const out: (number | null)[] = new Array(total).fill(null);
  for (const a of arrivals) for (let i = 0; i < a.bytes.length; i++) if (out[a.off + i] === null) out[a.off + i] = a.bytes[i];
  return out;
}

const segmentationArb = fc
  .record({
    data: fc.uint8Array({ minLength: 1, maxLength: 2000 }),
    cuts: fc.array(fc.nat(), { maxLength: 60 }),
    isn: fc.oneof(fc.constantFrom(0xffffffff, 0xfffff000, 0xfffffff0, 0), fc.nat({ max: 0xffffffff })),
    seed: fc.integer(),
    dupCount: fc.nat({ max: 20 }),
    dropCount: fc.nat({ max: 4 }),
    depth: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2500 })),
  })
  .map(({ data, cuts, isn, seed, dupCount, dropCount, depth }) => {
    // Segments from sorted cut points.
    const points = [...new Set(cuts.map((c) => c % data.length).filter((c) => c > 0))].sort((a, b) => a - b);
    const bounds = [0, ...points, data.length];
    const segs = bounds.slice(1).map((end, i) => ({ off: bounds[i], bytes: data.subarray(bounds[i], end) }));
    let x = seed | 1;
    const rnd = (n: number) => {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      return (x >>> 0) % n;
    };
    // Drop some segments (never all), add duplicates: exact or altered, with shifted edges.
    const kept = segs.filter(() => rnd(8) >= dropCount);
    if (kept.length === 0) kept.push(segs[rnd(segs.length)]);
    const arrivals = [...kept];
    for (let i = 0; i < dupCount; i++) {
      const s = kept[rnd(kept.length)];
      const from = s.off + rnd(s.bytes.length);
      const to = Math.min(data.length, from + 1 + rnd(200));
      const bytes = data.slice(from, to);
      if (rnd(2) === 0) for (let k = 0; k < bytes.length; k++) bytes[k] ^= 0x5a;
      arrivals.push({ off: from, bytes });
    }
    for (let i = arrivals.length - 1; i > 0; i--) {
      const j = rnd(i + 1);
      [arrivals[i], arrivals[j]] = [arrivals[j], arrivals[i]];
    }
    return { total: data.length, isn, arrivals, depth };
  });

void test('property: any segmentation/permutation/duplication delivers the first-arrived bytes, gaps exactly at holes, within the depth', () => {
  fc.assert(
    fc.property(segmentationArb, ({ total, isn, arrivals, depth }) => {
      const rec = new Recorder('r');
      const { engine, clientData, send } = conversation({ streamDepth: depth, maxOooSegmentsPerDirection: 10_000 }, [rec]);
      send({ ...CLIENT, flags: SYN, seq: isn, ts: 1 });
      for (const a of arrivals) clientData(isn, a.off, a.bytes);
      engine.finish();
      const model = firstWins(total, arrivals);
      // Trailing positions nobody sent are unknowable (no FIN), so the stream ends at the last byte seen.
      let last = model.length;
      while (last > 0 && model[last - 1] === null) last--;
      const limit = depth === 0 ? last : Math.min(last, depth);
      let expected = model.slice(0, limit).map((b) => (b === null ? -1 : b));
      // Consumers are asked with the first byte: a direction with no byte within the depth shows nothing.
      if (expected.every((b) => b === -1)) expected = [];
      assert.deepEqual(rec.stream(0, -1), expected);
      // Each maximal run of missing positions is exactly one gap.
      const expectedGaps: number[] = [];
      for (let i = 0; i < expected.length; ) {
        if (expected[i] !== -1) { i++; continue; }
        let j = i;
        while (j < expected.length && expected[j] === -1) j++;
        expectedGaps.push(j - i);
        i = j;
      }
      assert.deepEqual(rec.gaps(0), expectedGaps);
      assert.equal(engine.stats().reassembly.bufferedBytes, 0);
    }),
    { numRuns: 600 },
  );
});

const NOISE = bytesOf(4000, 77);

void test('property: random segment soup never throws and keeps buffers within their limits', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ seq: fc.nat({ max: 0xffffffff }), len: fc.nat({ max: 3000 }), flags: fc.nat({ max: 255 }), ack: fc.nat({ max: 0xffffffff }), toServer: fc.boolean() }), { maxLength: 200 }),
      (segs) => {
        const rec = new Recorder('r');
        const { engine, send } = conversation({ maxOooBytesPerDirection: 8000, maxOooBytesTotal: 12000 }, [rec]);
        for (const s of segs) send({ ...(s.toServer ? CLIENT : SERVER), flags: s.flags, seq: s.seq, ack: s.ack, payload: NOISE.subarray(s.seq % 1000, (s.seq % 1000) + s.len), ts: 1 });
        const st = engine.stats().reassembly;
        assert.ok(st.peakBufferedBytes <= 12000);
        engine.finish();
        assert.equal(engine.stats().reassembly.bufferedBytes, 0);
      },
    ),
    { numRuns: 200 },
  );
});

void test('accepts() that throws counts as an exception and a rejection; onGap DONE stops that consumer', () => {
  const picky: StreamConsumer = {
    id: 'picky',
    accepts: () => {
      throw new Error('bad accepts');
    },
    onData: () => ConsumerVerdict.CONTINUE,
  };
  let afterGap = 0;
  const gapQuitter: StreamConsumer = {
    id: 'quitter',
    accepts: () => true,
    onData: () => {
      afterGap++;
      return ConsumerVerdict.CONTINUE;
    },
    onGap: () => ConsumerVerdict.DONE,
  };
  const rec = new Recorder('r');
  const { engine, clientData, handshake } = conversation({}, [picky, gapQuitter, rec]);
  handshake(0, 0);
  clientData(0, 0, bytesOf(10, 1));
  clientData(0, 20, bytesOf(10, 2), { flags: FIN | ACK });
  clientData(0, 30, bytesOf(10, 3));
  const c = engine.stats().dispatch.consumers;
  assert.deepEqual(c, {
    'consumer.picky.exception': 1,
    'consumer.quitter.accepted': 1,
    'consumer.quitter.done': 1,
    'consumer.r.accepted': 1,
  });
  assert.equal(afterGap, 1); // only the bytes before the gap
  assert.deepEqual(rec.gaps(0), [10]);
  assert.equal(rec.stream(0).length, 40);
});

void test('property: with tiny out-of-order buffers, delivered bytes are still first-arrived bytes and every hole is a gap', () => {
  fc.assert(
    fc.property(
      segmentationArb,
      fc.integer({ min: 1, max: 600 }),
      fc.integer({ min: 1, max: 8 }),
      ({ total, isn, arrivals, depth }, maxBytes, maxSegments) => {
        const rec = new Recorder('r');
        const { engine, clientData, send } = conversation(
          { streamDepth: depth, maxOooBytesPerDirection: maxBytes, maxOooSegmentsPerDirection: maxSegments },
          [rec],
        );
        send({ ...CLIENT, flags: SYN, seq: isn, ts: 1 });
        for (const a of arrivals) clientData(isn, a.off, a.bytes);
        engine.finish();
        const model = firstWins(total, arrivals);
        let last = model.length;
        while (last > 0 && model[last - 1] === null) last--;
        const limit = depth === 0 ? last : Math.min(last, depth);
        const got = rec.stream(0, -1);
        if (got.length === 0) {
          assert.ok(model.slice(0, limit).every((b) => b === null));
          return;
        }
        // Skipping forward may give up on bytes that arrive late, never on bytes it holds.
        assert.equal(got.length, limit);
        for (let i = 0; i < limit; i++) {
          if (model[i] === null) assert.equal(got[i], -1, `position ${i} had no data`);
          else if (got[i] !== -1) assert.equal(got[i], model[i], `position ${i}`);
        }
        const st = engine.stats().reassembly;
        assert.ok(st.peakBufferedBytes <= maxBytes);
        assert.equal(st.bufferedBytes, 0);
      },
    ),
    { numRuns: 400 },
  );
});
