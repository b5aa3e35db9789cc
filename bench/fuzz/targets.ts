/**
 * What the fuzzing harness feeds: every capture reader (through openCapture on a file, so
 * pcap, pcapng and gzip take their real paths), the packet decoder at every link type, every
 * protocol parser's pure entry points, every stream consumer (all the pipeline wires, fed
 * payload streams cut into random segments with gaps) and the whole pipeline (parsers,
 * detectors and the shared ET rules over batches of mutated frames).
 *
 * A target turns a seed into a mutated input (structure-aware where that is cheap: frames
 * stay frames, streams stay direction-tagged chunks) and runs it; anything it throws is a
 * defect, and so is any broken invariant it checks.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync, deflateRawSync, brotliCompressSync } from 'node:zlib';
import { openCapture } from '../../src/capture/open.js';
import { CaptureError, type FrameBatch } from '../../src/capture/source.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { createPacketView, Layer } from '../../src/events/packet.js';
import type { FlowView } from '../../src/events/flow.js';
import type { StreamConsumer } from '../../src/events/stream.js';
import { parseDns } from '../../src/protocols/dns.js';
import { mdnsHints } from '../../src/protocols/mdns.js';
import { parseDhcp } from '../../src/protocols/dhcp.js';
import { parseSsdp } from '../../src/protocols/ssdp.js';
import { parseNetbios } from '../../src/protocols/netbios.js';
import { netbiosRegistration } from '../../src/synth/home.js';
import { parseCertificate, parseClientHello, parseServerHello } from '../../src/protocols/tls.js';
import { parseHttpHead } from '../../src/protocols/http.js';
import { decodeContent } from '../../src/protocols/http-body.js';
import { parseStratumJson, parseSv2Frame } from '../../src/protocols/stratum.js';
import { parseRedisCommand } from '../../src/protocols/redis.js';
import { PacketPipeline } from '../../src/pipeline/packet-pipeline.js';
import { analyzerFactory, createParsers, loadComponentModules, type AnalyzerFactory } from '../../src/pipeline/analyzers.js';
import type { Corpus, SeedFrame, SeedStream } from './corpus.js';
import { mutateBytes, type Rand } from './mutate.js';

/** Every protocol parser of the registry, as the pipeline builds them. */
const COMPONENTS = await loadComponentModules();

export interface Target<I = unknown> {
  name: string;
  /** A fresh mutated input. */
  make(r: Rand): I;
  /** Runs one input; throws on a defect. */
  run(input: I, r: Rand): void | Promise<void>;
  /** Bytes to save when the input is a defect (a JSON or binary rendering). */
  save(input: I): Uint8Array;
  /** Called at the end (and before memory is measured): drop state held across inputs. */
  reset?(): void;
  /** Called between inputs, outside the timing (periodic upkeep); may throw a defect found there. */
  between?(): void;
}

const MAX_INPUT = 256 << 10;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const json = (x: unknown) => Buffer.from(JSON.stringify(x, null, 1));

class Invariant extends Error {}
function check(ok: boolean, what: string): void {
  if (!ok) throw new Invariant(what);
}

// ---------------------------------------------------------------------------------------------
// capture readers

function readerTarget(corpus: Corpus, scratch: string): Target<{ bytes: Uint8Array; chunk: number; gz: boolean }> {
  const files = corpus.files.map((f) => f.bytes);
  return {
    name: 'capture-readers',
    make(r) {
      const seed = r.pick(files);
      const gz = r.chance(0.1);
      const bytes = mutateBytes(seed, r, () => r.pick(files), [], MAX_INPUT);
      // Tiny read chunks only on small inputs: a 64 KB file read 64 bytes at a time is slow by choice, not by input.
      return { bytes, chunk: bytes.length < 8192 ? r.pick([64, 200, 4096]) : r.pick([4096, 65536, 256 << 10]), gz };
    },
    async run(input) {
      writeFileSync(scratch, input.gz ? gzipSync(input.bytes) : input.bytes);
      let src;
      try {
        src = await openCapture([scratch], { chunkBytes: input.chunk });
      } catch (e) {
        if (e instanceof CaptureError) return; // refused at open: the documented outcome
        throw e;
      }
      try {
        let frames = 0;
        for await (const b of src.batches()) {
          for (let i = 0; i < b.count; i++) {
            const o = b.offsets[i];
            const len = b.capLens[i];
            check(o >= 0 && len >= 0 && o + len <= b.buf.length && Number.isFinite(b.tsUs[i]), `frame ${i} outside its batch (${o}+${len} of ${b.buf.length})`);
          }
          frames += b.count;
        }
        check(src.packetCounts.reduce((a, c) => a + c, 0) === frames, 'packet counts differ from frames read');
      } finally {
        await src.close();
      }
    },
    save: (i) => (i.gz ? gzipSync(i.bytes) : i.bytes),
  };
}

// ---------------------------------------------------------------------------------------------
// decoder

const LINK_TYPES = [1, 0, 12, 101, 113, 276, 228, 229, 108, 14, 999];

export function decoderTarget(corpus: Corpus): Target<SeedFrame> {
  const frames = corpus.frameRuns.flat();
  let decoder = new PacketDecoder();
  const pkt = createPacketView();
  const inner = createPacketView();
  let n = 0;
  return {
    name: 'decoder',
    make(r) {
      const f = r.pick(frames);
      return { linkType: r.chance(0.1) ? r.pick(LINK_TYPES) : f.linkType, tsUs: f.tsUs + r.int(1e6), bytes: mutateBytes(f.bytes, r, () => r.pick(frames).bytes, [], 65535) };
    },
    run(f) {
      // Inside a larger buffer, so a read past the frame would not be caught by bounds alone.
      const buf = new Uint8Array(f.bytes.length + 16).fill(0xab);
      buf.set(f.bytes, 8);
      decoder.decode(pkt, buf, 8, f.bytes.length, f.bytes.length, f.tsUs, f.linkType, 0);
      // A fragment that completes a datagram leaves the view on the reassembly buffer, framed
      // by frameOffset/capLength there (the first 34 M-input run flagged exactly that until
      // this check followed the view instead of the input buffer).
      const start = pkt.frameOffset;
      const end = pkt.frameOffset + pkt.capLength;
      check(pkt.buf === buf || (pkt.layers & Layer.REASSEMBLED) !== 0, 'view moved off the input buffer without reassembly');
      check(start >= 0 && end <= pkt.buf.length, 'frame outside its buffer');
      check(pkt.payloadLength >= 0 && (pkt.payloadOffset === -1 || (pkt.payloadOffset >= start && pkt.payloadOffset + pkt.payloadLength <= end)), 'payload outside the frame');
      check(pkt.l4Offset === -1 || (pkt.l4Offset >= start && pkt.l4Offset <= end), 'l4 offset outside the frame');
      check(pkt.malformed === '' || /^[a-z0-9]+\.[a-z0-9-]+$/.test(pkt.malformed), `malformed reason ${pkt.malformed}`);
      decoder.decodeIcmpQuoted(pkt, inner);
      if (++n % 100_000 === 0) decoder = new PacketDecoder(); // bound fragment state over long runs
    },
    save: (f) => json({ linkType: f.linkType, tsUs: f.tsUs, frame: b64(f.bytes) }),
    reset() { decoder = new PacketDecoder(); },
  };
}

// ---------------------------------------------------------------------------------------------
// parsers (pure entry points)

type ParserInput = { parser: string; bytes: Uint8Array; arg: number };

function parserTarget(corpus: Corpus): Target<ParserInput> {
  const payloads = corpus.streams.flatMap((s) => s.chunks.map((c) => ({ port: s.serverPort, proto: s.proto, data: c.data })));
  const byPort = (...ports: number[]) => {
    const xs = payloads.filter((p) => ports.includes(p.port)).map((p) => p.data);
    return xs.length > 0 ? xs : payloads.map((p) => p.data);
  };
  const textish = payloads.filter((p) => p.data.length > 0 && p.data[0] >= 0x20 && p.data[0] < 0x7f).map((p) => p.data);
  const compressed = textish.slice(0, 64).flatMap((t) => [gzipSync(t), deflateRawSync(t), brotliCompressSync(t)]);
  const seeds: Record<string, Uint8Array[]> = {
    dns: byPort(53, 5353),
    dhcp: byPort(67, 68),
    ssdp: byPort(1900),
    netbios: payloads.some((p) => p.port === 137) ? byPort(137) : [netbiosRegistration('DESKTOP-FUZZ', 0x00, 0xc0a80109), netbiosRegistration('WORKGROUP', 0x00, 0xc0a80109, { group: true, opcode: 8 })],
    tls: byPort(443, 8443, 993, 995, 5223),
    http: textish.length > 0 ? textish : byPort(80),
    stratum: textish.length > 0 ? textish : byPort(3333),
    sv2: byPort(3336, 34255),
    redis: textish.length > 0 ? textish : byPort(6379),
    content: compressed.length > 0 ? compressed : [gzipSync(Buffer.from('x'))],
  };
  const parsers = Object.keys(seeds);
  const dicts: Record<string, Uint8Array[]> = {
    http: ['Content-Length: 99999999999\r\n', 'Host: ', ': ', ' HTTP/1.0\r\n'].map((s) => Buffer.from(s)),
    stratum: ['{"jsonrpc":"2.0",', '"params":[', '"algo":"rx/0"', '\\u0000', '[[[[[[[[', '{"id":null}'].map((s) => Buffer.from(s)),
  };
  return {
    name: 'parsers',
    make(r) {
      const parser = r.pick(parsers);
      const pool = seeds[parser];
      return { parser, bytes: mutateBytes(r.pick(pool), r, () => r.pick(pool), dicts[parser] ?? [], 65535), arg: r.int(64) };
    },
    run({ parser, bytes, arg }) {
      switch (parser) {
        case 'dns': {
          const d = parseDns(bytes, 0, bytes.length, arg & 1 ? 'tcp' : 'udp');
          if (d.ok) mdnsHints(d.value);
          break;
        }
        case 'dhcp': parseDhcp(bytes); break;
        case 'ssdp': parseSsdp(bytes); break;
        case 'netbios': {
          const r = parseNetbios(bytes);
          if (r.ok) check(r.value.name.length <= 15, 'netbios name longer than 15');
          break;
        }
        case 'tls': {
          const start = Math.min(bytes.length, arg % 10);
          parseClientHello(bytes, start, bytes.length);
          parseServerHello(bytes, start, bytes.length);
          parseCertificate(bytes, start, bytes.length);
          break;
        }
        case 'http': {
          const h = parseHttpHead(bytes, 0, bytes.length, 100);
          check(typeof h === 'string' || Array.isArray(h.headers), 'head without headers');
          break;
        }
        case 'stratum': parseStratumJson(Buffer.from(bytes).toString('latin1'), arg % 3 === 0 ? null : arg % 3 === 1 ? 'stratum-v1' : 'ethereum'); break;
        case 'sv2': parseSv2Frame(arg % 32, bytes, 0, bytes.length); break;
        case 'redis': {
          const r = parseRedisCommand(bytes, bytes.length);
          check(!('used' in r) || (r.used > 0 && r.used <= bytes.length), 'redis used out of range');
          break;
        }
        case 'content': {
          const limit = arg % 2 ? 4096 : 65536;
          const d = decodeContent(['gzip', 'deflate', 'br', 'deflate-raw', 'x-gzip', 'identity'][arg % 6], bytes, limit);
          check(d.body.length <= limit, `decoded body over the limit (${d.body.length} > ${limit})`);
          break;
        }
      }
    },
    save: (i) => json({ parser: i.parser, arg: i.arg, bytes: b64(i.bytes) }),
  };
}

// ---------------------------------------------------------------------------------------------
// stream consumers

type StreamInput = SeedStream & { ops: ('data' | 'gap')[] };

const PORTS = [80, 443, 3333, 4444, 14444, 6379, 23, 21, 53, 5353, 1900, 67, 8080, 9999];

let flowIds = 1;
function flowFor(s: SeedStream): FlowView {
  return {
    id: flowIds++, proto: s.proto, ipVersion: 4, vlan: 0, clientIp: '192.168.1.10', serverIp: '203.0.113.5', clientPort: s.clientPort, serverPort: s.serverPort,
    client4: 0xc0a8010a, server4: 0xcb007105, clientMac: '02:00:00:00:00:01', serverMac: '02:00:00:00:00:02', firstTsUs: 1.7e15, lastTsUs: 1.7e15,
    pktsToServer: 0, pktsToClient: 0, bytesToServer: 0, bytesToClient: 0, handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false,
    state: 'established', tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: 0, userData: new Map(),
  };
}

function mutateStream(s: SeedStream, r: Rand, all: SeedStream[]): StreamInput {
  let chunks = s.chunks.map((c) => ({ ...c }));
  const steps = 1 + r.int(4);
  for (let i = 0; i < steps; i++) {
    const k = r.int(Math.max(1, chunks.length));
    switch (r.int(7)) {
      case 0: case 1: case 2:
        if (chunks.length) chunks[k].data = mutateBytes(chunks[k].data, r, () => r.pick(r.pick(all).chunks.length ? r.pick(all).chunks : s.chunks)?.data ?? new Uint8Array(0), [], MAX_INPUT);
        break;
      case 3: if (chunks.length && chunks[k].data.length > 1) { // split a segment
        const c = chunks[k];
        const at = 1 + r.int(c.data.length - 1);
        chunks.splice(k, 1, { dir: c.dir, data: c.data.subarray(0, at) }, { dir: c.dir, data: c.data.subarray(at) });
      } break;
      case 4: if (chunks.length) chunks.splice(k, 0, { ...chunks[k] }); break; // duplicate
      case 5: if (chunks.length > 1) chunks.splice(k, 1); break; // drop
      default: if (chunks.length) chunks[k] = { ...chunks[k], dir: (1 - chunks[k].dir) as 0 | 1 };
    }
  }
  if (chunks.length > 2 * 256) chunks = chunks.slice(0, 512);
  const ops = chunks.map(() => (r.chance(0.03) ? 'gap' as const : 'data' as const));
  return { proto: s.proto, clientPort: s.clientPort, serverPort: r.chance(0.2) ? r.pick(PORTS) : s.serverPort, chunks, ops };
}

function consumerTarget(corpus: Corpus): Target<StreamInput> {
  const streams = corpus.streams.filter((s) => s.chunks.length > 0);
  // Messages are counted so a consumer that stops emitting altogether would show in a debugger.
  const counts = { messages: 0 };
  const sink = () => { counts.messages++; };
  // Fresh consumers now and then: their per-flow state lives in flow.userData, counters grow.
  let consumers: StreamConsumer[] = [];
  let n = 0;
  const fresh = () => { consumers = createParsers(COMPONENTS, sink); };
  fresh();
  return {
    name: 'stream-consumers',
    make: (r) => mutateStream(r.pick(streams), r, streams),
    run(s) {
      if (++n % 50_000 === 0) fresh();
      const flow = flowFor(s);
      const first = s.chunks[0];
      const taking = consumers.filter((c) => c.accepts(flow, first.dir, first.data));
      // Consumers that decline still see every byte (as a forced one would): bounds must hold anyway.
      const all = taking.length > 0 && taking.length < consumers.length && s.ops.length % 2 ? taking : consumers;
      let t = 1.7e15;
      for (let i = 0; i < s.chunks.length; i++) {
        const c = s.chunks[i];
        t += 1000;
        for (const con of all) {
          if (s.ops[i] === 'gap') con.onGap?.(flow, c.dir, c.data.length || 1);
          else con.onData(flow, c.dir, c.data, t);
        }
      }
      for (const con of all) con.onEnd?.(flow);
    },
    save: (s) => json({ proto: s.proto, clientPort: s.clientPort, serverPort: s.serverPort, chunks: s.chunks.map((c, i) => ({ dir: c.dir, gap: s.ops[i] === 'gap', data: b64(c.data) })) }),
    reset() { fresh(); counts.messages = 0; },
  };
}

// ---------------------------------------------------------------------------------------------
// whole pipeline

function pipelineTarget(corpus: Corpus, factory: AnalyzerFactory): Target<SeedFrame[]> {
  const runs = corpus.frameRuns.filter((r) => r.length > 0);
  let pipeline: PacketPipeline | null = null;
  let inputs = 0;
  let t0 = 1.7e15;
  const arrays = {
    offsets: new Int32Array(4096), capLens: new Int32Array(4096), wireLens: new Int32Array(4096), tsUs: new Float64Array(4096),
    linkTypes: new Uint16Array(4096), ifIndexes: new Uint16Array(4096),
  };
  const make = () => new PacketPipeline({ sink: () => {}, analyzers: factory, flowEvents: true });
  const finish = () => {
    if (!pipeline) return;
    pipeline.finish();
    const s = pipeline.summary();
    pipeline = null;
    const bad = [...Object.keys(s.malformed), ...Object.keys(s.stream)].filter((k) => /exception/.test(k) && ((s.malformed[k] ?? 0) + (s.stream[k] ?? 0)) > 0);
    check(bad.length === 0, `the pipeline caught exceptions: ${bad.join(', ')}`);
  };
  return {
    name: 'pipeline',
    make(r) {
      let frames = r.pick(runs).map((f) => ({ ...f }));
      const steps = 1 + r.int(6);
      for (let i = 0; i < steps; i++) {
        const k = r.int(frames.length);
        switch (r.int(6)) {
          case 0: case 1: case 2: frames[k].bytes = mutateBytes(frames[k].bytes, r, () => r.pick(r.pick(runs)).bytes, [], 65535); break;
          case 3: frames.splice(k, 0, { ...frames[k] }); break;
          case 4: if (frames.length > 1) frames.splice(k, 1); break;
          default: frames[k].tsUs += r.chance(0.5) ? -r.int(1e9) : r.int(1e10); // clock jumps
        }
      }
      if (frames.length > 256) frames = frames.slice(0, 256);
      return frames;
    },
    run(frames) {
      if (!pipeline) pipeline = make();
      let size = 0;
      for (const f of frames) size += f.bytes.length;
      const buf = new Uint8Array(size);
      let o = 0;
      // Inputs follow one another in time so flows and timeouts carry over between them.
      const base = frames[0].tsUs;
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i];
        buf.set(f.bytes, o);
        arrays.offsets[i] = o;
        arrays.capLens[i] = f.bytes.length;
        arrays.wireLens[i] = f.bytes.length;
        arrays.tsUs[i] = t0 + Math.max(0, f.tsUs - base);
        arrays.linkTypes[i] = f.linkType;
        arrays.ifIndexes[i] = 0;
        o += f.bytes.length;
      }
      t0 = arrays.tsUs[frames.length - 1] + 1000;
      const batch: FrameBatch = { buf, count: frames.length, ...arrays, sourceIndex: 0 };
      pipeline.processBatch(batch);
    },
    // Every 2,000 inputs the pipeline finishes (flushing flows to parsers and detectors) and
    // its summary is checked for exceptions it caught.
    between() { if (++inputs % 2000 === 0) finish(); },
    save: (frames) => json(frames.map((f) => ({ linkType: f.linkType, tsUs: f.tsUs, frame: b64(f.bytes) }))),
    reset: finish,
  };
}

export interface TargetOptions {
  /** Rule files for the pipeline (e.g. the shared ET Open rules). */
  rules?: string[];
  /** A scratch file path for the capture readers. */
  scratch: string;
}

export async function createTargets(corpus: Corpus, opts: TargetOptions): Promise<Target[]> {
  const factory = await analyzerFactory({ detect: true, rules: opts.rules });
  return [
    readerTarget(corpus, opts.scratch),
    decoderTarget(corpus),
    parserTarget(corpus),
    consumerTarget(corpus),
    pipelineTarget(corpus, factory),
  ] as Target[];
}
