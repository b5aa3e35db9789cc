/**
 * Seed corpus of the fuzzing harness: the shared captures (../shared/data, when present) and a
 * generated mixed home network (src/synth), read once into capture files, frames, and
 * per-flow payload streams (what the parsers and stream consumers see).
 */
import { existsSync, readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openCapture } from '../../src/capture/open.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { createPacketView } from '../../src/events/packet.js';
import { generate } from '../../src/synth/index.js';

export interface SeedFrame { linkType: number; tsUs: number; bytes: Uint8Array }
export interface SeedChunk { dir: 0 | 1; data: Uint8Array }
export interface SeedStream { proto: number; clientPort: number; serverPort: number; chunks: SeedChunk[] }

export interface Corpus {
  /** Whole capture files (small ones, and gzip copies of a few). */
  files: { name: string; bytes: Uint8Array }[];
  /** Runs of consecutive frames, per capture. */
  frameRuns: SeedFrame[][];
  streams: SeedStream[];
  /** Where the seeds came from, for the report. */
  sources: string[];
}

const MAX_FILE_BYTES = 3 << 20;
const MAX_FRAMES_PER_FILE = 4000;
const MAX_STREAM_BYTES = 128 << 10;
const MAX_STREAM_CHUNKS = 256;

function captureFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name) && statSync(p).size <= MAX_FILE_BYTES) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

async function readFrames(path: string): Promise<SeedFrame[]> {
  const frames: SeedFrame[] = [];
  const src = await openCapture([path]);
  try {
    for await (const b of src.batches()) {
      for (let i = 0; i < b.count && frames.length < MAX_FRAMES_PER_FILE; i++) {
        frames.push({ linkType: b.linkTypes[i], tsUs: b.tsUs[i], bytes: b.buf.slice(b.offsets[i], b.offsets[i] + b.capLens[i]) });
      }
      if (frames.length >= MAX_FRAMES_PER_FILE) break;
    }
  } finally {
    await src.close();
  }
  return frames;
}

/** Payload streams by flow (capture order, no reassembly: seeds need not be exact). */
function streamsOf(frames: SeedFrame[]): SeedStream[] {
  const decoder = new PacketDecoder();
  const pkt = createPacketView();
  const flows = new Map<string, SeedStream & { client: string; bytes: number }>();
  for (const f of frames) {
    decoder.decode(pkt, f.bytes, 0, f.bytes.length, f.bytes.length, f.tsUs, f.linkType, 0);
    if ((pkt.proto !== 6 && pkt.proto !== 17) || pkt.payloadLength <= 0 || pkt.malformed !== '') continue;
    const a = `${pkt.src4}:${pkt.srcPort}`;
    const b = `${pkt.dst4}:${pkt.dstPort}`;
    const key = `${pkt.proto}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
    let s = flows.get(key);
    if (!s) {
      s = { proto: pkt.proto, clientPort: pkt.srcPort, serverPort: pkt.dstPort, chunks: [], client: a, bytes: 0 };
      flows.set(key, s);
    }
    if (s.chunks.length >= MAX_STREAM_CHUNKS || s.bytes >= MAX_STREAM_BYTES) continue;
    const data = pkt.buf.slice(pkt.payloadOffset, pkt.payloadOffset + pkt.payloadLength);
    s.chunks.push({ dir: a === s.client ? 0 : 1, data });
    s.bytes += data.length;
  }
  return [...flows.values()].map(({ proto, clientPort, serverPort, chunks }) => ({ proto, clientPort, serverPort, chunks }));
}

export async function loadCorpus(opts: { sharedDir?: string; synthBytes?: number; seed?: number }): Promise<Corpus> {
  const paths: string[] = [];
  const sources: string[] = [];
  if (opts.sharedDir && existsSync(opts.sharedDir)) {
    const found = captureFiles(opts.sharedDir);
    paths.push(...found);
    sources.push(`${found.length} shared captures`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'mw-fuzz-seed-'));
  try {
    if ((opts.synthBytes ?? 0) > 0) {
      const p = join(tmp, 'synth-mixed.pcap');
      await generate('mixed', { seed: opts.seed ?? 1, sizeBytes: opts.synthBytes }, p);
      paths.push(p);
      sources.push(`generated mixed traffic (${((opts.synthBytes ?? 0) / 1e6).toFixed(1)} MB)`);
    }
    const files: Corpus['files'] = [];
    const frameRuns: SeedFrame[][] = [];
    const streams: SeedStream[] = [];
    for (const p of paths) {
      const bytes = readFileSync(p);
      // Readers get the first 64 KB of each file (enough structure, fast to re-read).
      const head = bytes.subarray(0, 64 << 10);
      files.push({ name: p, bytes: head });
      if (files.length % 4 === 0) files.push({ name: `${p}.gz`, bytes: gzipSync(head) });
      let frames: SeedFrame[];
      try {
        frames = await readFrames(p);
      } catch {
        continue;
      }
      for (let i = 0; i < frames.length; i += 64) frameRuns.push(frames.slice(i, i + 64));
      streams.push(...streamsOf(frames));
    }
    return { files, frameRuns, streams, sources };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
