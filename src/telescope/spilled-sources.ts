/**
 * Sources past the source table (`--max-sources`): not classified, but still counted in every
 * unique count, so per-country and per-AS unique sources (and packets) stay right however
 * many sources there are. Country and AS of a spilled source come from the geo lookup through
 * a small direct-mapped cache (a spilled source usually sends more than one packet), so the
 * lookup costs one hash and compare per packet after the first.
 */
import type { PacketView } from '../events/packet.js';
import { mix32, type UniqueCounter } from './unique.js';
import { smallCounter } from './state.js';

/** Cache entries (a power of two). */
const CACHE_SIZE = 1 << 16;
const CACHE_MASK = CACHE_SIZE - 1;
/** Cache tag (0: empty): an IPv4 key or an IPv6 fold. */
const TAG_V4 = 1;
const TAG_V6 = 2;

/** Country index and AS number of a packet's source (the aggregator's geo attribution). */
export interface SourceAttribution {
  countryIndex(pkt: PacketView): number;
  asn(pkt: PacketView): number;
}

export class SpilledSources {
  /** Per country index: packets and unique sources of spilled sources. */
  readonly countryPackets: Float64Array;
  readonly countrySources: (UniqueCounter | undefined)[];
  /** Per AS number (0 = unrouted is not kept). */
  readonly asns = new Map<number, { packets: number; sources: UniqueCounter }>();
  private readonly tags = new Uint8Array(CACHE_SIZE);
  private readonly keys = new Uint32Array(CACHE_SIZE);
  private readonly countries = new Int32Array(CACHE_SIZE);
  private readonly asnOf = new Uint32Array(CACHE_SIZE);

  constructor(maxCountries: number, private readonly attribution: SourceAttribution) {
    this.countryPackets = new Float64Array(maxCountries);
    this.countrySources = new Array<UniqueCounter | undefined>(maxCountries);
  }

  /** One packet of a spilled source (key: IPv4 address or IPv6 fold); returns its country index. */
  add(pkt: PacketView, key: number, v6: boolean): number {
    const tag = v6 ? TAG_V6 : TAG_V4;
    const i = mix32(key) & CACHE_MASK;
    if (this.tags[i] !== tag || this.keys[i] !== key) {
      this.tags[i] = tag;
      this.keys[i] = key;
      this.countries[i] = this.attribution.countryIndex(pkt);
      this.asnOf[i] = this.attribution.asn(pkt);
    }
    const c = this.countries[i];
    this.countryPackets[c]++;
    let u = this.countrySources[c];
    if (u === undefined) this.countrySources[c] = u = smallCounter();
    u.add(key);
    const asn = this.asnOf[i];
    if (asn !== 0) {
      let a = this.asns.get(asn);
      if (a === undefined) this.asns.set(asn, a = { packets: 0, sources: smallCounter() });
      a.packets++;
      a.sources.add(key);
    }
    return c;
  }
}
