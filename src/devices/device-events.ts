/**
 * EVE `device` events from the inventory: one when a device is first seen, and one whenever
 * what the owner sees of it changes (type, vendor, names, addresses, MACs). The store's
 * devices table is built from these events (store/events.ts), so a live sensor, `analyze --db`
 * and the collector read the same inventory.
 *
 * A device whose description did not change gets a new event only when its last-seen time
 * moved by `refreshUs` (default one hour) or at `flush`, so a busy home does not write an
 * event per device per interval. Memory: one small signature per device the inventory holds
 * (the inventory itself is bounded by its MAC cap); devices the inventory dropped are forgotten.
 */
import { eveTimestamp } from '../events/eve-format.js';
import type { Device } from './inventory.js';

/** The `minewatch.inventory` part of a device event: what the device listing shows. */
export interface DeviceEventBody {
  macs: string[];
  ips: string[];
  hostnames: string[];
  randomized: boolean;
  score: number;
  reasons: string[];
  first_seen: string;
  last_seen: string;
  /** Ids this device was announced under before (a randomised MAC joined its device): the store merges their rows into this one. */
  replaces?: string[];
}

export interface DeviceEventOptions {
  sensor?: string;
  /** Re-announce an unchanged device when its last-seen time moved this much (µs, default 1 h). */
  refreshUs?: number;
}

const HOUR_US = 3_600_000_000;

/** The address shown for a device: the most recently seen IPv4 address, else the most recent one. */
export function primaryAddress(d: Device): string {
  let best: { ip: string; last: number; v4: boolean } | null = null;
  for (const a of d.addresses) {
    const v4 = !a.ip.includes(':');
    if (!best || (v4 && !best.v4) || (v4 === best.v4 && a.last > best.last)) best = { ip: a.ip, last: a.last, v4 };
  }
  return best?.ip ?? '';
}

/** One EVE `device` event describing a device as it is now (timestamp: its last-seen time). */
export function deviceEvent(d: Device, sensor?: string, replaces: readonly string[] = []): Record<string, unknown> {
  const ip = primaryAddress(d);
  const body: DeviceEventBody = {
    macs: d.macs, ips: d.ips.slice(0, 16), hostnames: d.hostnames.slice(0, 16), randomized: d.randomized,
    score: d.score, reasons: d.reasons.slice(0, 8), first_seen: eveTimestamp(d.first), last_seen: eveTimestamp(d.last),
    ...(replaces.length > 0 ? { replaces: [...replaces] } : {}),
  };
  return {
    timestamp: eveTimestamp(d.last),
    event_type: 'device',
    ...(ip ? { src_ip: ip } : {}),
    minewatch: {
      ...(sensor ? { sensor } : {}),
      device: { id: d.id, mac: d.mac, ...(ip ? { ip } : {}), vendor: d.vendor, type: d.type, ...(d.name ? { name: d.name } : {}) },
      inventory: body,
    },
  };
}

/** What makes a device event worth writing again. */
function signature(d: Device): string {
  return JSON.stringify([d.type, d.vendor, d.name, d.mac, d.macs, d.ips, d.hostnames, d.first]);
}

/** Remembers what was announced per device and yields events for what is new or changed. */
export class DeviceEventTracker {
  private readonly seen = new Map<string, { sig: string; last: number }>();
  /** MAC → the device id it was last announced under. */
  private readonly idOfMac = new Map<string, string>();
  private readonly refreshUs: number;
  /** Events produced so far. */
  emitted = 0;

  constructor(private readonly opts: DeviceEventOptions = {}) {
    this.refreshUs = opts.refreshUs ?? HOUR_US;
  }

  /**
   * Events for the devices first seen or changed since the last call (`all`: also every device
   * whose last-seen time moved at all, for the final flush).
   */
  changes(devices: readonly Device[], all = false): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const present = new Set<string>();
    for (const d of devices) present.add(d.id);
    for (const d of devices) {
      const sig = signature(d);
      const prev = this.seen.get(d.id);
      // a MAC announced under another id that no longer exists: that device became this one
      const replaces = [...new Set(d.macs.map((m) => this.idOfMac.get(m)).filter((id): id is string => id !== undefined && id !== d.id && !present.has(id)))].sort();
      const moved = prev ? d.last - prev.last : Infinity;
      if (prev && prev.sig === sig && replaces.length === 0 && !(moved >= this.refreshUs || (all && moved > 0))) continue;
      this.seen.set(d.id, { sig, last: d.last });
      for (const m of d.macs) this.idOfMac.set(m, d.id);
      out.push(deviceEvent(d, this.opts.sensor, replaces));
    }
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id);
    for (const [m, id] of this.idOfMac) if (!present.has(id) && !this.seen.has(id)) this.idOfMac.delete(m);
    this.emitted += out.length;
    return out;
  }
}
