/**
 * Per-interval telescope statistics as EVE `telescope` events, for the collector's store
 * (`minewatch telescope --db` or `--send`; the store keeps them in `telescope_intervals`, and
 * `minewatch report trends` reads them): packets, bytes, unique sources (before and after the
 * spoofing/noise filters), source /24s, darknet addresses hit, protocols, the top destination
 * ports and source countries, and the interval's source set as a mergeable sketch, so a report
 * can count unique hosts over a week or a month instead of summing per-interval counts.
 *
 * `telescope.sketch` is base64 of the UTF-8 JSON of a UniqueCounter (unique.ts): the exact
 * key set up to SKETCH_EXACT_LIMIT sources, above it the HyperLogLog registers (2^p bytes).
 */
import { createHash } from 'node:crypto';
import { eveTimestamp } from '../events/eve-format.js';
import { portKeyProto, type TelescopeState } from './state.js';
import { UniqueCounter } from './unique.js';

/** Sources kept exact in a stored interval sketch (16 KB of keys, the size of a p = 14 HLL). */
export const SKETCH_EXACT_LIMIT = 4096;
const TOP = 50;

/** The sketch text an interval event carries (and the store keeps as bytes). */
export function encodeSketch(c: UniqueCounter): string {
  const small = new UniqueCounter(c.p, SKETCH_EXACT_LIMIT);
  small.merge(c);
  return Buffer.from(JSON.stringify(small.toJSON()), 'utf8').toString('base64');
}

/** A stored sketch back as a counter; null when the bytes are not one (never throws). */
export function decodeSketch(bytes: Uint8Array): UniqueCounter | null {
  try {
    const j = JSON.parse(Buffer.from(bytes).toString('utf8')) as { p?: unknown; limit?: unknown };
    if (typeof j.p !== 'number' || typeof j.limit !== 'number' || j.p < 4 || j.p > 18) return null;
    return UniqueCounter.fromJSON(j as Parameters<typeof UniqueCounter.fromJSON>[0]);
  } catch {
    return null;
  }
}

const top = <K>(m: Map<K, number>): [K, number][] => [...m].sort((a, b) => b[1] - a[1] || (String(a[0]) < String(b[0]) ? -1 : 1)).slice(0, TOP);

/** One `telescope` event per interval, oldest first, with a content-derived event id (a re-run stores nothing twice). */
export function intervalEvents(state: TelescopeState, sensor = ''): Record<string, unknown>[] {
  const intervals = [...state.intervals.values()].sort((a, b) => a.start - b.start);
  return intervals.map((s) => {
    const telescope = {
      kind: 'interval',
      start: new Date(s.start / 1000).toISOString(),
      end: new Date((s.start + state.intervalUs) / 1000).toISOString(),
      interval_s: state.intervalUs / 1e6,
      darknets: state.darknets,
      packets: s.packets,
      bytes: s.bytes,
      unique_sources: s.sources.count(),
      sources_filtered: Math.max(0, s.filteredSources.count() - s.burstSources),
      networks_24: s.src24.count(),
      destinations: s.destinations.count(),
      protocols: s.protocols,
      ports: top(s.ports).map(([k, packets]) => ({ proto: portKeyProto(k), port: k & 0xffff, packets })),
      countries: top(s.countries).map(([country, packets]) => ({ country, packets })),
      sketch: encodeSketch(s.sources),
    };
    const id = createHash('sha256').update(`telescope-interval\0${sensor}\0${state.darknets.join(',')}\0${s.start}\0${state.intervalUs}\0${s.packets}\0${s.bytes}`).digest('hex');
    return {
      timestamp: eveTimestamp(s.start),
      event_type: 'telescope',
      telescope,
      minewatch: { event_id: `${id.slice(0, 8)}-${id.slice(8, 12)}-8${id.slice(13, 16)}-a${id.slice(17, 20)}-${id.slice(20, 32)}`, ...(sensor ? { sensor } : {}) },
    };
  });
}
