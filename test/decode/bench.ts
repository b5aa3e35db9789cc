/**
 * Decode throughput. Run: node --import tsx test/decode/bench.ts [synCount]
 * (the integrator's bench/run.ts can import benchDecodeSyn / benchDecodeRecords).
 * Single-threaded; numbers are packets/s of PacketDecoder.decode alone.
 */
import { readdirSync } from 'node:fs';
import { createPacketView } from '../../src/events/packet.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { HAVE_SHARED_DATA, sharedFile } from '../helpers/shared-data.js';
import { walkCapture, type WalkedRecord } from './pcap-walk.js';

export const SYN_FRAME_LEN = 54; // Ethernet 14 + IPv4 20 + TCP 20

/** count back-to-back Ethernet/IPv4/TCP SYN frames with varying addresses and ports. */
export function generateSynFrames(count: number): Uint8Array {
  const buf = new Uint8Array(count * SYN_FRAME_LEN);
  let x = 0x12345678;
  for (let i = 0; i < count; i++) {
    const o = i * SYN_FRAME_LEN;
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    buf.set([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x08, 0x00], o);
    buf.set([0x45, 0, 0, 40, x & 255, (x >> 8) & 255, 0, 0, 242, 6, 0, 0], o + 14);
    buf[o + 26] = x >>> 24; buf[o + 27] = (x >>> 16) & 255; buf[o + 28] = (x >>> 8) & 255; buf[o + 29] = x & 255;
    buf[o + 30] = 10; buf[o + 31] = 10; buf[o + 32] = 10; buf[o + 33] = 10;
    buf[o + 34] = (x >>> 8) & 255; buf[o + 35] = x & 255; buf[o + 36] = 0x63; buf[o + 37] = 0xdd;
    buf[o + 46] = 0x50; buf[o + 47] = 0x02; buf[o + 48] = 0x04; buf[o + 49] = 0x00;
  }
  return buf;
}

/**
 * seconds is CPU time of this thread's process (user + system), not wall time: the build
 * machines are shared, and CPU time measures the decoder rather than its neighbours.
 */
export interface BenchResult { packets: number; seconds: number; packetsPerSecond: number; mbPerSecond: number }

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function benchDecodeSyn(count: number, buf = generateSynFrames(count)): BenchResult {
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  const t0 = cpuSeconds();
  for (let i = 0; i < count; i++) {
    decoder.decode(pkt, buf, i * SYN_FRAME_LEN, SYN_FRAME_LEN, SYN_FRAME_LEN, i, 1, 0);
  }
  const seconds = cpuSeconds() - t0;
  if (decoder.stats.tcp !== count) throw new Error(`expected ${count} TCP, decoded ${decoder.stats.tcp}`);
  return { packets: count, seconds, packetsPerSecond: count / seconds, mbPerSecond: (count * SYN_FRAME_LEN) / seconds / 1e6 };
}

/** Decodes the records `rounds` times (fragment reassembly on, as in the pipeline). */
export function benchDecodeRecords(records: WalkedRecord[], rounds: number): BenchResult {
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  let bytes = 0;
  const t0 = cpuSeconds();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      decoder.decode(pkt, r.buf, r.offset, r.capLen, r.wireLen, r.tsUs + round * 1e9, r.linkType, 0);
      bytes += r.capLen;
    }
  }
  const seconds = cpuSeconds() - t0;
  const packets = records.length * rounds;
  return { packets, seconds, packetsPerSecond: packets / seconds, mbPerSecond: bytes / seconds / 1e6 };
}

/** All records of the shared darknet/, mining/, benign/, iot-malware/, browser-miner/ captures. */
export function sharedCaptureRecords(): WalkedRecord[] {
  const out: WalkedRecord[] = [];
  for (const dir of ['darknet', 'mining', 'benign', 'iot-malware', 'browser-miner']) {
    for (const f of readdirSync(sharedFile(dir))) if (/\.pcap(ng)?$/.test(f)) out.push(...walkCapture(sharedFile(`${dir}/${f}`)));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 10_000_000);
  const buf = generateSynFrames(count);
  const syn: number[] = [];
  for (let i = 0; i < 7; i++) syn.push(benchDecodeSyn(count, buf).packetsPerSecond);
  console.log(`SYN frames (${count}, ${SYN_FRAME_LEN} B): median ${(median(syn) / 1e6).toFixed(1)} Mpkt/s, best ${(Math.max(...syn) / 1e6).toFixed(1)}  runs ${syn.map((x) => (x / 1e6).toFixed(1)).join(' ')}`);
  if (HAVE_SHARED_DATA) {
    const records = sharedCaptureRecords();
    const rounds = Math.max(1, Math.round(2_000_000 / records.length));
    const mixed: BenchResult[] = [];
    for (let i = 0; i < 5; i++) mixed.push(benchDecodeRecords(records, rounds));
    const m = median(mixed.map((r) => r.packetsPerSecond));
    const mb = median(mixed.map((r) => r.mbPerSecond));
    console.log(`shared captures (${records.length} records × ${rounds}): median ${(m / 1e6).toFixed(1)} Mpkt/s, ${mb.toFixed(0)} MB/s`);
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
