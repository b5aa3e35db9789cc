/**
 * The worker fan-out of source-partitioned detectors (Detector.answers): a frame reaches its
 * destination host's worker only when it may be an answer (SYN-ACK, UDP), and the scan
 * detector still gets the answers to its scanners' probes with 2 and 3 workers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTE_ANSWER_CLASSES, routeFrame } from '../../src/pipeline/packet-pipeline.js';
import { ACK, FrameBuilder, Path, SYN } from '../../src/synth/packet-builder.js';
import { PcapEmitter } from '../../src/synth/emitter.js';
import { PacketClass } from '../../src/events/packet.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { createScanDetector } from '../../src/detect/scan.js';

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);

function route(frame: Uint8Array, n: number): { flow: number; src: number; dst: number } {
  const r = routeFrame(frame, 0, frame.length, 1, n);
  return { flow: r & 0xff, src: (r >>> 8) & 0xff, dst: r >>> 16 };
}

void test('routeFrame: probes go to the workers of their flow and source, answers also to their destination', () => {
  const fb = new FrameBuilder();
  let x = 0x12345678;
  for (const n of [2, 3]) {
    let split = 0;
    for (let i = 0; i < 300; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const a = (0x0a000000 | (x & 0xffffff)) >>> 0;
      const b = (0xc6336400 | (i & 0xff)) >>> 0;
      const out = new Path(MAC_A, MAC_B, a, b);
      const back = out.reverse(64);
      const syn = route(fb.tcp(out, 40000, 22, x, 0, SYN, 64240, null).slice(), n);
      const icmp = route(fb.icmp(out, 8, 0, 1, null).slice(), n);
      const synAck = route(fb.tcp(back, 22, 40000, 7, x + 1, SYN | ACK, 65535, null).slice(), n);
      const ack = route(fb.tcp(back, 22, 40000, 8, x + 1, ACK, 65535, null).slice(), n);
      const udp = route(fb.udp(back, 161, 40000, null).slice(), n);
      const bOwner = route(fb.tcp(back, 22, 40000, 9, 0, SYN, 65535, null).slice(), n).src;
      // a probe names no third worker: its destination byte repeats its source's
      assert.equal(syn.dst, syn.src, 'SYN');
      assert.equal(icmp.dst, icmp.src, 'ICMP echo');
      assert.equal(ack.dst, ack.src, 'ACK');
      // an answer to a's probe reaches a's worker
      assert.equal(synAck.dst, syn.src, 'SYN-ACK');
      assert.equal(udp.dst, syn.src, 'UDP');
      assert.equal(synAck.src, bOwner);
      assert.equal(synAck.flow, syn.flow, 'one flow owner for both directions');
      if (syn.src !== bOwner) split++;
    }
    assert.ok(split > 50, `${n} workers: hosts on different workers in ${split} of 300 pairs`);
  }
  assert.equal(ROUTE_ANSWER_CLASSES, PacketClass.TCP_SYNACK | PacketClass.UDP);
  const scan = createScanDetector();
  assert.equal((scan.answers ?? 0) & ~ROUTE_ANSWER_CLASSES, 0, 'the scan detector reads only answers that are routed');
});

/** A scanner SYNs `targets` hosts on port 22; `answered` of them answer with a SYN-ACK. */
function writeScan(file: string, targets: number, answered: number): void {
  const fb = new FrameBuilder();
  const sink = new PcapEmitter(file);
  let ts = 1_700_000_000_000_000;
  for (let i = 0; i < targets; i++) {
    const out = new Path(MAC_A, MAC_B, 0x0a000001, (0x0a010000 + i + 1) >>> 0);
    sink.emit(ts, fb.tcp(out, 40000 + i, 22, 1000 + i, 0, SYN, 64240, null));
    ts += 1000;
    if (i < answered) sink.emit(ts, fb.tcp(out.reverse(64), 22, 40000 + i, 5000, 1001 + i, SYN | ACK, 65535, null));
    ts += 1000;
  }
  sink.close();
}

void test('scan with 1, 2 and 3 workers: answered probes are no horizontal scan, silent ones are', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-route-'));
  try {
    for (const [answered, expected] of [[40, 0], [0, 1]] as const) {
      const file = join(dir, `scan-${answered}.pcap`);
      writeScan(file, 40, answered);
      for (const workers of [1, 2, 3]) {
        const r = await analyze({ inputs: [file], workers, progress: false, keepAlerts: 100, analyzers: { detect: true, detectors: ['scan'] } });
        const alerts = r.alerts as { src_ip: string; alert: { signature_id: number } }[];
        assert.equal(alerts.length, expected, `${answered} of 40 answered, ${workers} worker(s): ${JSON.stringify(alerts)}`);
        if (expected === 1) {
          assert.equal(alerts[0].src_ip, '10.0.0.1');
          assert.equal(alerts[0].alert.signature_id, 9100600);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
