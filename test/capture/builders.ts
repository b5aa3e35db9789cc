/**
 * Small byte-exact builders for capture files the tests need but the shared data lacks:
 * big-endian and nanosecond pcap, pcapng with several interfaces, resolutions, simple
 * packet blocks and skippable blocks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, type FileCaptureSource, type OpenCaptureOptions } from '../../src/capture/open.js';

export interface PcapRecord {
  sec: number;
  /** Microseconds, or nanoseconds for a nanosecond file. */
  sub: number;
  data: Uint8Array;
  wireLen?: number;
}

function u32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

export function pcapHeader(le: boolean, nano: boolean, linkType = 1, snaplen = 65535): Buffer {
  return Buffer.concat([u32(nano ? 0xa1b23c4d : 0xa1b2c3d4, le), u16(2, le), u16(4, le), u32(0, le), u32(0, le), u32(snaplen, le), u32(linkType, le)]);
}

export function pcapRecord(r: PcapRecord, le: boolean): Buffer {
  return Buffer.concat([u32(r.sec, le), u32(r.sub, le), u32(r.data.length, le), u32(r.wireLen ?? r.data.length, le), Buffer.from(r.data)]);
}

export function pcapFile(records: PcapRecord[], opts: { le?: boolean; nano?: boolean; linkType?: number; snaplen?: number } = {}): Buffer {
  const le = opts.le ?? true;
  return Buffer.concat([pcapHeader(le, opts.nano ?? false, opts.linkType, opts.snaplen), ...records.map((r) => pcapRecord(r, le))]);
}

/** Deterministic frame bytes (so tests can check frames arrive intact). */
export function frameBytes(seed: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function pad4(b: Buffer): Buffer {
  const rem = b.length & 3;
  return rem === 0 ? b : Buffer.concat([b, Buffer.alloc(4 - rem)]);
}

export class PcapngBuilder {
  private readonly parts: Buffer[] = [];
  private le = true;

  block(type: number, body: Buffer): this {
    const padded = pad4(body);
    const len = 12 + padded.length;
    this.parts.push(Buffer.concat([u32(type, this.le), u32(len, this.le), padded, u32(len, this.le)]));
    return this;
  }

  shb(le = true): this {
    this.le = le;
    // byte-order magic, version 1.0, section length -1 (unknown)
    return this.block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), u32(0xffffffff, le), u32(0xffffffff, le)]));
  }

  /** tsresol: the raw if_tsresol byte; tsoffset: seconds. */
  idb(linkType: number, snaplen: number, opts: { tsresol?: number; tsoffset?: number; name?: string } = {}): this {
    const options: Buffer[] = [];
    if (opts.name !== undefined) options.push(this.option(2, Buffer.from(opts.name)));
    if (opts.tsresol !== undefined) options.push(this.option(9, Buffer.from([opts.tsresol])));
    if (opts.tsoffset !== undefined) {
      const v = Buffer.alloc(8);
      if (this.le) v.writeBigInt64LE(BigInt(opts.tsoffset));
      else v.writeBigInt64BE(BigInt(opts.tsoffset));
      options.push(this.option(14, v));
    }
    if (options.length > 0) options.push(Buffer.alloc(4));
    return this.block(1, Buffer.concat([u16(linkType, this.le), u16(0, this.le), u32(snaplen, this.le), ...options]));
  }

  private option(code: number, value: Buffer): Buffer {
    return pad4(Buffer.concat([u16(code, this.le), u16(value.length, this.le), value]));
  }

  epb(ifId: number, ticks: bigint, data: Uint8Array, wireLen = data.length): this {
    const hi = Number(ticks >> 32n);
    const lo = Number(ticks & 0xffffffffn);
    return this.block(6, Buffer.concat([u32(ifId, this.le), u32(hi, this.le), u32(lo, this.le), u32(data.length, this.le), u32(wireLen, this.le), Buffer.from(data)]));
  }

  spb(data: Uint8Array, wireLen = data.length): this {
    return this.block(3, Buffer.concat([u32(wireLen, this.le), Buffer.from(data)]));
  }

  /** Name resolution block with one IPv4 record and end-of-records. */
  nrb(): this {
    const name = Buffer.from('pool.example\0');
    const rec = pad4(Buffer.concat([u16(1, this.le), u16(4 + name.length, this.le), Buffer.from([10, 0, 0, 1]), name]));
    return this.block(4, Buffer.concat([rec, u16(0, this.le), u16(0, this.le)]));
  }

  isb(ifId: number): this {
    return this.block(5, Buffer.concat([u32(ifId, this.le), u32(0, this.le), u32(0, this.le)]));
  }

  custom(): this {
    return this.block(0x00000bad, Buffer.concat([u32(32473, this.le), Buffer.from('vendor data')]));
  }

  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A private temp directory, removed by cleanup(). */
export function tempDir(): { dir: string; file: (name: string, bytes?: Uint8Array) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-capture-'));
  return {
    dir,
    file: (name, bytes) => {
      const p = join(dir, name);
      if (bytes) writeFileSync(p, bytes);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ReadFrame {
  tsUs: number;
  capLen: number;
  wireLen: number;
  linkType: number;
  ifIndex: number;
  sourceIndex: number;
  data: Buffer;
}

/** Reads a whole source, copying every frame out of the reused chunk. */
export async function readAll(inputs: string[], opts?: OpenCaptureOptions): Promise<{ source: FileCaptureSource; frames: ReadFrame[] }> {
  const source = await openCapture(inputs, opts);
  const frames: ReadFrame[] = [];
  for await (const b of source.batches()) {
    for (let i = 0; i < b.count; i++) {
      frames.push({
        tsUs: b.tsUs[i], capLen: b.capLens[i], wireLen: b.wireLens[i], linkType: b.linkTypes[i], ifIndex: b.ifIndexes[i],
        sourceIndex: b.sourceIndex, data: Buffer.from(b.buf.subarray(b.offsets[i], b.offsets[i] + b.capLens[i])),
      });
    }
  }
  await source.close();
  return { source, frames };
}
