import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchArrays } from '../../src/capture/source.js';
import type { Detector } from '../../src/events/detector.js';
import { PacketClass, packetClassOf, type PacketView } from '../../src/events/packet.js';
import { PacketPipeline } from '../../src/pipeline/packet-pipeline.js';
import { ACK, FIN, FrameBuilder, Path, RST, SYN } from '../../src/synth/packet-builder.js';

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);
const { TCP_SYN, TCP_SYNACK, TCP_DATA, TCP_CONTROL, UDP, ICMP, OTHER } = PacketClass;

/** Frames of every class, each with the class the pipeline must give it. */
function frames(): { frame: Uint8Array; cls: number }[] {
  const fb = new FrameBuilder();
  // (a copy: the builder reuses one buffer, and Buffer.slice would only be a view of it)
  const out = (frame: Uint8Array, cls: number) => ({ frame: new Uint8Array(frame), cls });
  const up = new Path(MAC_A, MAC_B, 0x0a000001, 0x0a000002);
  const down = up.reverse(64);
  const up6 = new Path(MAC_A, MAC_B, Uint8Array.of(0xfd, ...new Array<number>(14).fill(0), 1), Uint8Array.of(0xfd, ...new Array<number>(14).fill(0), 2));
  const data = new TextEncoder().encode('hello');
  const arp = new Uint8Array(42);
  arp.set(MAC_B, 0);
  arp.set(MAC_A, 6);
  arp[12] = 0x08;
  arp[13] = 0x06;
  return [
    out(fb.tcp(up, 40000, 80, 1, 0, SYN, 64240, null), TCP_SYN),
    out(fb.tcp(down, 80, 40000, 9, 2, SYN | ACK, 65160, null), TCP_SYNACK),
    out(fb.tcp(up, 40000, 80, 2, 10, ACK, 502, null), TCP_CONTROL),
    out(fb.tcp(up, 40000, 80, 2, 10, ACK, 502, data, 0, data.length), TCP_DATA),
    out(fb.tcp(down, 80, 40000, 10, 7, FIN | ACK, 502, data, 0, data.length), TCP_DATA),
    out(fb.tcp(up, 40000, 80, 7, 16, RST, 0, null), TCP_CONTROL),
    out(fb.tcp(up, 40001, 22, 1, 0, SYN, 64240, data, 0, data.length), TCP_SYN),
    out(fb.udp(up, 5353, 53, data, 0, data.length), UDP),
    out(fb.icmp(up, 8, 0, 0x00010001, data, 0, data.length), ICMP),
    out(fb.icmp(up6, 128, 0, 0x00010001, data, 0, data.length), ICMP),
    out(arp, OTHER),
  ];
}

function recorder(id: string, packets?: number): Detector & { seen: number[] } {
  const seen: number[] = [];
  return { id, seen, ...(packets !== undefined ? { packets } : {}), onPacket: (pkt: PacketView) => { seen.push(packetClassOf(pkt)); } };
}

void test('packet classes: each detector is called for exactly the classes it asked for, in order', () => {
  const fs = frames();
  const all = recorder('all');
  const probes = recorder('probes', TCP_SYN | UDP | ICMP);
  const data = recorder('data', TCP_DATA);
  const hosts = { ...recorder('hosts', TCP_SYNACK | OTHER), partition: 'source' as const };
  const arrays = new BatchArrays(64);
  const buf = new Uint8Array(fs.reduce((a, f) => a + f.frame.length, 0));
  let off = 0;
  fs.forEach((f, i) => {
    buf.set(f.frame, off);
    arrays.offsets[i] = off;
    arrays.capLens[i] = arrays.wireLens[i] = f.frame.length;
    arrays.tsUs[i] = 1.7e15 + i * 1000;
    arrays.linkTypes[i] = 1;
    off += f.frame.length;
  });
  const pipeline = new PacketPipeline({ sink: () => {}, analyzers: () => ({ consumers: [], detectors: [all, probes, data, hosts], collect() {} }) });
  pipeline.processBatch(arrays.batch(buf, fs.length));
  const expected = fs.map((f) => f.cls);
  assert.deepEqual(all.seen, expected, 'a detector without a mask sees every packet, classified as built');
  assert.deepEqual(probes.seen, expected.filter((c) => (c & (TCP_SYN | UDP | ICMP)) !== 0));
  assert.deepEqual(data.seen, [TCP_DATA, TCP_DATA]);
  assert.deepEqual(hosts.seen, [TCP_SYNACK, OTHER]);
});
