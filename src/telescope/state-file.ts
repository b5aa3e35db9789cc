/**
 * The telescope's mergeable state as a compact, versioned binary file (`--state FILE`), the
 * input of `telescope merge` and the bytes a collector stores and merges.
 *
 * Layout (all integers little-endian):
 *   0  "MWTS"                      magic
 *   4  u16 version (2)             format version; readers refuse newer ones. 2 added the
 *                                  heavy-hitter summaries (talkers, victims); a version-1 file
 *                                  is read with summaries built from its rows
 *   6  u16 0                       reserved
 *   8  u32 H                       header length
 *  12  header, H bytes of JSON     StateHeader: id, lineage, darknets, interval, time range, sizes
 *  12+H body                       raw DEFLATE of: u32 S | S bytes of JSON (the state's structure,
 *                                  each unique counter replaced by its index) | the counters
 *  end-16 checksum                 first 128 bits of the SHA-256 of everything before it
 * A counter: u8 mode (0 exact, 1 sketch) | u8 p | varint limit | exact: varint n and n sorted
 * keys as varint deltas | sketch: 2^p register bytes.
 *
 * The id is the SHA-256 (first 128 bits, hex) of the uncompressed body, so it names the
 * content and checks it: a file whose body does not hash to its id is corrupt. The lineage
 * lists the ids of the runs a state is made of (a run: its own id; a merge: the union of its
 * inputs' lineages), so merging one run twice — directly or inside an earlier merge — is
 * refused instead of doubling every count. The trailing checksum covers the header too (a
 * flipped lineage or time range is as corrupt as a flipped count).
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { InputError } from '../util/errors.js';
import { cidrContains, formatCidr, parseCidr } from '../util/ip.js';
import { UniqueCounter } from './unique.js';
import { TelescopeState, type SerializedState } from './state.js';

export const STATE_MAGIC = 'MWTS';
export const STATE_VERSION = 2;
/** The oldest version this minewatch reads. */
const OLDEST_VERSION = 1;
const PREFIX = 12;
const TRAILER = 16;
const MAX_HEADER = 1 << 20;
/** Counter modes. */
const EXACT = 0;
const SKETCH = 1;

export interface StateHeader {
  /** Content id: first 128 bits of the body's SHA-256, hex. */
  id: string;
  /** Ids of the runs merged into this state (a single run: its own id). */
  lineage: string[];
  darknets: string[];
  interval_us: number;
  first_us: number | null;
  last_us: number | null;
  packets: number;
  /** Uncompressed body bytes (a bound for the reader). */
  body_bytes: number;
  counters: number;
}

/** Encodes a state (trimmed: per-port counters of the PORT_SKETCHES busiest ports, the STATE_SOURCE_ROWS largest source rows); lineage: the runs it is made of (omitted: a fresh run, its lineage is its own id). */
export function encodeStateFile(state: TelescopeState, lineage?: readonly string[]): { bytes: Uint8Array; header: StateHeader } {
  state.trimPortSketches();
  state.trimSourceRows();
  const w = new ByteWriter();
  let counters = 0;
  const struct = state.serialize((u) => {
    writeCounter(w, u);
    return counters++;
  });
  const json = Buffer.from(JSON.stringify(struct), 'utf8');
  const counterBytes = w.bytes();
  const body = Buffer.allocUnsafe(4 + json.length + counterBytes.length);
  body.writeUInt32LE(json.length, 0);
  json.copy(body, 4);
  body.set(counterBytes, 4 + json.length);
  const id = contentId(body);
  const header: StateHeader = {
    id, lineage: lineage === undefined ? [id] : [...lineage], darknets: [...state.darknets], interval_us: state.intervalUs,
    first_us: Number.isFinite(state.firstUs) ? state.firstUs : null, last_us: Number.isFinite(state.lastUs) ? state.lastUs : null,
    packets: state.packets, body_bytes: body.length, counters,
  };
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const z = deflateRawSync(body, { level: 6 });
  const end = PREFIX + h.length + z.length;
  const out = Buffer.allocUnsafe(end + TRAILER);
  out.write(STATE_MAGIC, 0, 'latin1');
  out.writeUInt16LE(STATE_VERSION, 4);
  out.writeUInt16LE(0, 6);
  out.writeUInt32LE(h.length, 8);
  h.copy(out, PREFIX);
  z.copy(out, PREFIX + h.length);
  out.set(digest(out.subarray(0, end)), end);
  return { bytes: out, header };
}

/** True when the bytes start like a binary state file. */
export function isStateFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && Buffer.from(bytes.buffer, bytes.byteOffset, 4).toString('latin1') === STATE_MAGIC;
}

/** Reads only the header (checks magic, version and framing, not the body). */
export function readStateHeader(bytes: Uint8Array, name: string): StateHeader {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isStateFile(b)) throw bad(name, 'not a minewatch telescope state file (no MWTS magic)', 'input.not-state');
  if (b.length < PREFIX) throw bad(name, `truncated (${b.length} bytes, the fixed header alone is ${PREFIX})`);
  const version = b.readUInt16LE(4);
  if (version < OLDEST_VERSION || version > STATE_VERSION) throw bad(name, `state format version ${version}, this minewatch reads versions ${OLDEST_VERSION} to ${STATE_VERSION}: merge it with a matching minewatch`, 'input.state-version');
  const hl = b.readUInt32LE(8);
  if (hl > MAX_HEADER || PREFIX + hl + TRAILER > b.length) throw bad(name, `truncated or corrupt (header of ${hl} bytes in a ${b.length}-byte file)`);
  if (!digest(b.subarray(0, b.length - TRAILER)).equals(b.subarray(b.length - TRAILER))) throw bad(name, 'truncated or corrupt (checksum mismatch)');
  let h: unknown;
  try {
    h = JSON.parse(b.toString('utf8', PREFIX, PREFIX + hl));
  } catch {
    throw bad(name, 'corrupt header (not JSON)');
  }
  if (!isHeader(h)) throw bad(name, 'corrupt header (fields missing or of the wrong type)');
  return h;
}

/** Decodes a state file; InputError (exit 2) naming the file for anything truncated, corrupt or foreign. */
export function decodeStateFile(bytes: Uint8Array, name: string): { state: TelescopeState; header: StateHeader } {
  const header = readStateHeader(bytes, name);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hl = b.readUInt32LE(8);
  let body: Buffer;
  try {
    body = inflateRawSync(b.subarray(PREFIX + hl, b.length - TRAILER), { maxOutputLength: Math.max(1, header.body_bytes) });
  } catch {
    throw bad(name, 'truncated or corrupt (the body does not decompress)');
  }
  if (body.length !== header.body_bytes || contentId(body) !== header.id) throw bad(name, 'corrupt (the body does not match the id in its header)');
  try {
    const sl = body.readUInt32LE(0);
    const struct = JSON.parse(body.toString('utf8', 4, 4 + sl)) as SerializedState<number>;
    const r = new ByteReader(body, 4 + sl);
    const counters: UniqueCounter[] = [];
    for (let i = 0; i < header.counters; i++) counters.push(readCounter(r));
    if (r.pos !== body.length) throw new Error('trailing bytes');
    const state = TelescopeState.deserialize(struct, (i) => {
      const c = counters[i];
      if (c === undefined) throw new Error(`counter ${i} missing`);
      return c;
    });
    return { state, header };
  } catch (e) {
    throw bad(name, `corrupt body (${(e as Error).message})`);
  }
}

export interface StateInput {
  name: string;
  state: TelescopeState;
  header: StateHeader;
}

/**
 * Merges decoded states after checking they can be merged: the same interval length, darknets
 * either identical (one sensor, different times) or disjoint (sensors on different ranges),
 * and no run in two inputs' lineages. Returns the merged state and its lineage.
 */
export function mergeStateFiles(inputs: StateInput[], maxRows = 100_000): { state: TelescopeState; lineage: string[] } {
  if (inputs.length === 0) throw new InputError('input.nothing-to-merge', 'nothing to merge');
  const seen = new Map<string, string>();
  const first = inputs[0];
  for (const inp of inputs) {
    if (inp.header.interval_us !== first.header.interval_us) {
      throw new InputError('input.state-interval-mismatch', `${inp.name}: interval ${inp.header.interval_us / 1e6} s, but ${first.name} has ${first.header.interval_us / 1e6} s: intervals of different lengths cannot be added (rerun with the same --interval)`, { subject: inp.name });
    }
    for (const id of inp.header.lineage) {
      const other = seen.get(id);
      if (other !== undefined) {
        throw new InputError('input.state-merged-twice', `${inp.name}: run ${id} is already in ${other}: merging it again would count its packets twice`, { subject: inp.name });
      }
      seen.set(id, inp.name);
    }
  }
  for (let i = 0; i < inputs.length; i++) {
    for (let j = 0; j < i; j++) {
      const why = darknetConflict(inputs[j].header.darknets, inputs[i].header.darknets);
      if (why !== null) throw new InputError('input.state-darknet-mismatch', `${inputs[i].name} and ${inputs[j].name}: ${why}`, { subject: inputs[i].name });
    }
  }
  const state = first.state;
  for (const inp of inputs.slice(1)) state.merge(inp.state, maxRows);
  return { state, lineage: [...seen.keys()] };
}

/** Why two darknet lists cannot be merged, or null (identical sets, or no address in common). */
export function darknetConflict(a: readonly string[], b: readonly string[]): string | null {
  const norm = (l: readonly string[]): string[] => l.map((t) => { const c = parseCidr(t); return c === null ? t : formatCidr(c); }).sort();
  const x = norm(a);
  const y = norm(b);
  if (x.length === y.length && x.every((v, i) => v === y[i])) return null;
  for (const ta of x) {
    for (const tb of y) {
      const ca = parseCidr(ta);
      const cb = parseCidr(tb);
      if (ca === null || cb === null || ca.version !== cb.version) continue;
      if (cidrContains(ca, tb.split('/')[0]) || cidrContains(cb, ta.split('/')[0])) {
        return `darknets overlap (${ta} and ${tb}) but are not the same set (${x.join(',')} vs ${y.join(',')}): the shared addresses would be counted twice; merge states of the same darknets or of disjoint ones`;
      }
    }
  }
  return null;
}

function contentId(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

function digest(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest().subarray(0, TRAILER);
}

function bad(name: string, what: string, code = 'input.bad-state'): InputError {
  return new InputError(code, `${name}: ${what}`, { subject: name });
}

function isHeader(h: unknown): h is StateHeader {
  if (h === null || typeof h !== 'object') return false;
  const o = h as Record<string, unknown>;
  const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  const numOrNull = (v: unknown): boolean => v === null || isNum(v);
  return typeof o.id === 'string' && Array.isArray(o.lineage) && o.lineage.every((x) => typeof x === 'string')
    && Array.isArray(o.darknets) && o.darknets.every((x) => typeof x === 'string') && isNum(o.interval_us) && (o.interval_us as number) > 0
    && numOrNull(o.first_us) && numOrNull(o.last_us) && isNum(o.packets) && isNum(o.body_bytes) && (o.body_bytes as number) >= 4
    && (o.body_bytes as number) <= 2 ** 31 && isNum(o.counters) && (o.counters as number) >= 0;
}

function writeCounter(w: ByteWriter, u: UniqueCounter): void {
  const regs = u.sketchRegisters();
  w.byte(regs === null ? EXACT : SKETCH);
  w.byte(u.p);
  w.varint(u.limit);
  if (regs !== null) {
    w.raw(regs);
    return;
  }
  const keys = u.sortedKeys()!;
  w.varint(keys.length);
  let prev = 0;
  for (let i = 0; i < keys.length; i++) {
    w.varint(keys[i] - prev);
    prev = keys[i];
  }
}

function readCounter(r: ByteReader): UniqueCounter {
  const mode = r.byte();
  const p = r.byte();
  const limit = r.varint();
  if (p < 4 || p > 18) throw new Error(`sketch precision ${p} out of range`);
  if (mode === SKETCH) return UniqueCounter.fromParts(p, limit, null, r.raw(1 << p));
  if (mode !== EXACT) throw new Error(`unknown counter mode ${mode}`);
  const n = r.varint();
  if (n > r.remaining()) throw new Error(`exact set of ${n} keys in ${r.remaining()} bytes`);
  const keys = new Uint32Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    prev += r.varint();
    if (prev > 0xffffffff) throw new Error('key out of range');
    keys[i] = prev;
  }
  return UniqueCounter.fromParts(p, limit, keys, null);
}

class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private n = 0;

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.n++] = v;
  }

  /** Unsigned LEB128 (values up to 2^32 - 1). */
  varint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.n++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.n++] = v;
  }

  raw(a: Uint8Array): void {
    this.ensure(a.length);
    this.buf.set(a, this.n);
    this.n += a.length;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }

  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let len = this.buf.length * 2;
    while (len < this.n + k) len *= 2;
    const b = new Uint8Array(len);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
}

class ByteReader {
  constructor(private readonly buf: Uint8Array, public pos: number) {}

  remaining(): number {
    return this.buf.length - this.pos;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('unexpected end');
    return this.buf[this.pos++];
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw new Error('varint too long');
  }

  raw(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new Error('unexpected end');
    const a = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return a;
  }
}
