/**
 * The binary state file: round trip (every report figure the same), the content id as an
 * integrity check, lineage through merges, and hostile bytes (truncated, flipped, foreign)
 * always giving an InputError, never a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildReport } from '../../src/telescope/report.js';
import { TelescopeState, portKey } from '../../src/telescope/state.js';
import { darknetConflict, decodeStateFile, encodeStateFile, mergeStateFiles, readStateHeader } from '../../src/telescope/state-file.js';
import { InputError } from '../../src/util/errors.js';
import { createHash } from 'node:crypto';

/** A state with exact and sketched counters, intervals, ports and rows. */
function sample(seed: number, sources: number): TelescopeState {
  const s = new TelescopeState(3600e6, ['198.18.0.0/16']);
  let x = seed >>> 0 || 1;
  const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  s.firstUs = 1e15;
  s.lastUs = 1e15 + 7200e6;
  for (let i = 0; i < sources; i++) {
    const ip = rnd();
    const iv = s.interval(i % 2 === 0 ? 1e15 : 1e15 + 3600e6);
    s.packets++;
    iv.packets++;
    s.sources.add(ip);
    iv.sources.add(ip);
    const k = portKey('tcp', rnd() % 1024);
    const p = s.ports.get(k) ?? { packets: 0, sources: new TelescopeState(1, []).sources };
    p.packets++;
    p.sources!.add(ip);
    s.ports.set(k, p);
    iv.ports.set(k, (iv.ports.get(k) ?? 0) + 1);
    s.heavyTalkers.add(ip % 50);
    if (i % 3 === 0) s.heavyVictims.add(ip % 7, 2);
  }
  s.sourceRows.push({ ip: '1.2.3.4', packets: 5, bytes: 300, first: 1e15, last: 1e15 + 1, class: 'scanner', tag: 't', spoofed: false, country: '??', asn: 0, top_port: 23, ports: 1 });
  return s;
}

const figures = (s: TelescopeState) => {
  const r = buildReport(s);
  return { totals: r.totals, intervals: r.intervals, ports: r.ports, top: r.top_talkers, err: r.unique_error };
};

test('round trip: a decoded state gives the same report; the header names it', () => {
  for (const n of [0, 100, 300_000]) {
    const s = sample(n + 1, n);
    const { bytes, header } = encodeStateFile(s);
    const d = decodeStateFile(bytes, 'x.state');
    assert.deepEqual(figures(d.state), figures(s));
    assert.equal(d.header.id, header.id);
    assert.deepEqual(d.header.lineage, [header.id]);
    assert.equal(d.header.packets, n);
    assert.deepEqual(readStateHeader(bytes, 'x').darknets, ['198.18.0.0/16']);
  }
  // the sketched state stays compact (the 300k-source total counter is a sketch, 2^14 registers)
  assert.ok(!sample(1, 300_000).sources.isExact);
});

test('the id is the content: equal states, equal ids; different states, different ids', () => {
  assert.equal(encodeStateFile(sample(5, 1000)).header.id, encodeStateFile(sample(5, 1000)).header.id);
  assert.notEqual(encodeStateFile(sample(5, 1000)).header.id, encodeStateFile(sample(6, 1000)).header.id);
});

test('merge keeps the lineage and refuses a run seen twice', () => {
  const enc = (s: TelescopeState, name: string, lineage?: string[]) => ({ name, ...decodeStateFile(encodeStateFile(s, lineage).bytes, name) });
  const a = enc(sample(1, 500), 'a');
  const b = enc(sample(2, 500), 'b');
  const c = enc(sample(3, 500), 'c');
  const ab = mergeStateFiles([a, b]);
  assert.deepEqual(ab.lineage, [a.header.id, b.header.id]);
  assert.equal(ab.state.packets, 1000);
  const abFile = enc(ab.state, 'ab', ab.lineage);
  assert.deepEqual(abFile.header.lineage, ab.lineage);
  assert.equal(mergeStateFiles([abFile, c]).state.packets, 1500);
  assert.throws(() => mergeStateFiles([abFile, enc(sample(2, 500), 'b-again')]), (e: Error) => e instanceof InputError && e.code === 'input.state-merged-twice' && /b-again/.test(e.message) && /ab/.test(e.message));
});

test('darknets: identical or disjoint merge, overlapping do not', () => {
  assert.equal(darknetConflict(['198.18.0.0/16'], ['198.18.0.0/16']), null);
  assert.equal(darknetConflict(['198.18.0.0/17'], ['198.18.128.0/17']), null);
  assert.equal(darknetConflict(['198.18.0.0/16', '2001:db8::/32'], ['2001:db8::/32', '198.18.0.0/16']), null);
  assert.match(darknetConflict(['198.18.0.0/16'], ['198.18.128.0/17']) ?? '', /overlap/);
  assert.match(darknetConflict(['2001:db8::/32'], ['2001:db8:1::/48']) ?? '', /overlap/);
});

test('hostile bytes: truncation, bit flips and random data give an InputError, never a crash', () => {
  const { bytes } = encodeStateFile(sample(9, 2000));
  for (let n = 0; n < bytes.length; n += Math.max(1, bytes.length >> 6)) {
    assert.throws(() => decodeStateFile(bytes.subarray(0, n), 't'), InputError, `truncated at ${n}`);
  }
  fc.assert(fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
    const b = Uint8Array.from(bytes);
    b[at] ^= xor;
    try {
      decodeStateFile(b, 'f');
      return false;
    } catch (e) {
      return e instanceof InputError;
    }
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => {
    const withMagic = Uint8Array.from([0x4d, 0x57, 0x54, 0x53, ...b]);
    for (const x of [b, withMagic]) {
      try { decodeStateFile(x, 'r'); return false; } catch (e) { if (!(e instanceof InputError)) return false; }
    }
    return true;
  }), { numRuns: 300 });
});

/** The same file with another format version in its fixed header (checksum recomputed). */
function withVersion(bytes: Uint8Array, version: number): Uint8Array {
  const b = Buffer.from(bytes);
  b.writeUInt16LE(version, 4);
  createHash('sha256').update(b.subarray(0, b.length - 16)).digest().copy(b, b.length - 16, 0, 16);
  return b;
}

test('versions: 2 carries the heavy-hitter summaries; 1 is read (summaries from its rows); newer ones are refused with a clear line', () => {
  const s = sample(5, 3000);
  const { bytes } = encodeStateFile(s);
  assert.equal(Buffer.from(bytes).readUInt16LE(4), 2);
  const back = decodeStateFile(bytes, 'a.state').state;
  assert.deepEqual(back.heavyTalkers.top(), s.heavyTalkers.top());
  assert.equal(back.heavyTalkers.total, s.heavyTalkers.total);
  assert.deepEqual(back.heavyVictims.top(), s.heavyVictims.top());
  assert.doesNotThrow(() => decodeStateFile(withVersion(bytes, 1), 'old.state'));
  assert.throws(() => decodeStateFile(withVersion(bytes, 3), 'new.state'), (e: unknown) => e instanceof InputError && /new\.state: state format version 3, this minewatch reads versions 1 to 2/.test(e.message));
  // a version-1 state (no summaries): top talkers come from its rows, high by its row floor at most
  const j = s.toJSON();
  j.version = 1;
  delete j.heavy_hitters;
  j.source_rows_floor = 3;
  const v1 = TelescopeState.fromJSON(j);
  assert.deepEqual(v1.heavyTalkers.top(), [{ key: 0x01020304, count: 8, error: 3 }]);
  const r = buildReport(v1);
  assert.equal(r.top_talkers[0].ip, '1.2.3.4');
  assert.equal(r.top_talkers[0].packets_error, 3);
  assert.equal(r.top_talkers_error, 3);
});
