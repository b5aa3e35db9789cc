/**
 * Sources past the source table (`--max-sources`) are not classified but still count in every
 * unique count: per-port, per-country and per-AS unique sources of a run with 30× more
 * sources than the table holds stay within the sketches' stated error of the exact counts,
 * with one aggregator and with two merged partitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TelescopeAggregator } from '../../src/telescope/aggregator.js';
import { parseCidr } from '../../src/util/ip.js';
import { BatchArrays } from '../../src/capture/source.js';
import { AsnTable, GeoLookup, type CountryDb } from '../../src/telescope/geo.js';
import { buildReport } from '../../src/telescope/report.js';
import { SMALL_P, type TelescopeState } from '../../src/telescope/state.js';
import { sketchError } from '../../src/telescope/unique.js';

const PORTS = [23, 80, 443, 6379];
const COUNTRIES = ['DE', 'US', 'CN', 'BR', 'NL'];
const SOURCES = 60_000;
const MAX_SOURCES = 2_000;
const FRAME = 54;

/** Country by first octet (a stand-in for the mmdb). */
const countryOfOctet = (o: number): string => COUNTRIES[o % COUNTRIES.length];
const asnOfOctet = (o: number): number => 64_500 + (o % 7);
const fakeCountries: CountryDb = { get: (ip: string) => ({ country_code: countryOfOctet(Number(ip.split('.')[0])) }) } as CountryDb;
function fakeAsns(): AsnTable {
  const starts: number[] = [];
  const ends: number[] = [];
  const asns: number[] = [];
  for (let o = 1; o < 224; o++) { starts.push(o * 2 ** 24); ends.push(o * 2 ** 24 + 0xffffff); asns.push(asnOfOctet(o)); }
  return new AsnTable(Uint32Array.from(starts), Uint32Array.from(ends), Uint32Array.from(asns), new Map(asns.map((a) => [a, `AS ${a}`])));
}

interface Truth { ports: Map<number, Set<number>>; countries: Map<string, Set<number>>; asns: Map<number, Set<number>>; packets: number }

/** Source i sends 1–3 SYNs, packet k to PORTS[(i + k) % 4]; writes them into batches. */
function* batches(truth: Truth): Generator<{ buf: Uint8Array; n: number; arrays: BatchArrays }> {
  const arrays = new BatchArrays(4096);
  let buf = new Uint8Array(4096 * FRAME);
  let n = 0;
  let ts = 1.7e15;
  for (let i = 0; i < SOURCES; i++) {
    const octet = 1 + (i % 200);
    const src = ((octet << 24) | (Math.imul(i, 2654435761) & 0xfffffe) | 1) >>> 0;
    for (let k = 0; k <= i % 3; k++) {
      const port = PORTS[(i + k) % PORTS.length];
      const off = n * FRAME;
      const f = buf.subarray(off, off + FRAME);
      f.fill(0);
      f[12] = 0x08; f[14] = 0x45; f[17] = 40; f[22] = 64; f[23] = 6;
      new DataView(f.buffer, f.byteOffset).setUint32(26, src);
      new DataView(f.buffer, f.byteOffset).setUint32(30, ((198 << 24) | (18 << 16) | ((i * 7 + k) & 0xffff)) >>> 0);
      new DataView(f.buffer, f.byteOffset).setUint16(34, 40_000 + (i & 0x3ff));
      new DataView(f.buffer, f.byteOffset).setUint16(36, port);
      f[46] = 0x50; f[47] = 0x02; f[48] = 0x04; // data offset 5, SYN, window 1024
      arrays.offsets[n] = off; arrays.capLens[n] = FRAME; arrays.wireLens[n] = FRAME; arrays.tsUs[n] = ts; arrays.linkTypes[n] = 1;
      ts += 1000;
      n++;
      truth.packets++;
      const add = <K>(m: Map<K, Set<number>>, key: K): void => { let s = m.get(key); if (!s) m.set(key, s = new Set()); s.add(src); };
      add(truth.ports, port);
      add(truth.countries, countryOfOctet(octet));
      add(truth.asns, asnOfOctet(octet));
      if (n === arrays.capacity) { yield { buf, n, arrays }; buf = new Uint8Array(4096 * FRAME); n = 0; }
    }
  }
  if (n > 0) yield { buf, n, arrays };
}

function run(workers: number): { state: TelescopeState; truth: Truth } {
  const truth: Truth = { ports: new Map(), countries: new Map(), asns: new Map(), packets: 0 };
  const geo = new GeoLookup(fakeCountries, fakeAsns());
  const aggs = Array.from({ length: workers }, (_, w) => new TelescopeAggregator({
    darknets: [parseCidr('198.18.0.0/15')!], darknetText: ['198.18.0.0/15'], intervalUs: 3600e6,
    workerIndex: w, workerCount: workers, geo, maxSources: MAX_SOURCES,
  }));
  for (const b of batches(truth)) for (const a of aggs) a.processBatch(b.arrays.batch(b.buf, b.n));
  const state = aggs[0].finish();
  for (const a of aggs.slice(1)) state.merge(a.finish(), 100_000, true);
  return { state, truth };
}

function assertWithin(actual: number, exact: number, what: string): void {
  // three standard errors of the small sketches (1.63 % each): a deterministic input, far from the edge
  const bound = 3 * sketchError(SMALL_P) * exact;
  assert.ok(Math.abs(actual - exact) <= bound, `${what}: ${actual} vs exact ${exact} (allowed ±${bound.toFixed(0)})`);
}

for (const workers of [1, 2]) {
  test(`unique sources per port, country and AS count the sources past --max-sources (${workers} worker${workers > 1 ? 's' : ''})`, () => {
    const { state, truth } = run(workers);
    const report = buildReport(state);
    assert.ok(report.spilled_packets > truth.packets / 2, `most packets come from spilled sources (${report.spilled_packets} of ${truth.packets})`);
    assert.equal(report.totals.packets, truth.packets);
    for (const [port, srcs] of truth.ports) {
      const row = report.ports.find((p) => p.proto === 'tcp' && p.port === port);
      assert.ok(row, `port ${port} reported`);
      assertWithin(row.sources, srcs.size, `tcp/${port} sources`);
    }
    assert.equal(report.countries.reduce((a, c) => a + c.packets, 0), truth.packets, 'every packet has its country');
    for (const [cc, srcs] of truth.countries) {
      const row = report.countries.find((c) => c.country === cc);
      assert.ok(row, `country ${cc} reported`);
      assertWithin(row.sources, srcs.size, `${cc} sources`);
    }
    assert.equal(report.asns.reduce((a, c) => a + c.packets, 0), truth.packets, 'every packet has its AS');
    for (const [asn, srcs] of truth.asns) {
      const row = report.asns.find((c) => c.asn === asn);
      assert.ok(row, `AS ${asn} reported`);
      assertWithin(row.sources, srcs.size, `AS${asn} sources`);
    }
    // the per-interval country packets include the spilled sources too
    const ivCountries = [...state.intervals.values()].reduce((a, iv) => a + [...iv.countries.values()].reduce((x, y) => x + y, 0), 0);
    assert.equal(ivCountries, truth.packets);
  });
}
