/**
 * What a home sensor sends to a collector (`sensor --send`): its alerts, device events (types
 * and vendors) and stats counters, with nothing that identifies the home's devices or its
 * private network:
 * - MAC addresses (and the device ids derived from them) are keyed-hashed: HMAC-SHA256 with a
 *   per-sensor secret (a key file created on first use, stable across restarts), so the
 *   collector can count and follow a device but nobody can reverse the hash from the OUI space;
 * - private addresses (RFC 1918, link-local, ULA, loopback …) in `src_ip`, `dest_ip` and the
 *   device's `ip` are removed and listed in `minewatch.fill_public_ip`: the collector puts the
 *   sensor's public address, as it sees the connection, in their place (server ingest route);
 *   anywhere else (evidence text) a private address becomes "private" and a MAC its hash;
 * - device names, host names and classifier reasons (they quote names) are not sent.
 * Flow events stay home.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isPublicIp, parseIp } from '../util/ip.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { ConfigError } from '../util/errors.js';
import type { EventSink } from './eve-writer.js';

/** Event types that leave the sensor. */
const SENT_TYPES: ReadonlySet<string> = new Set(['alert', 'device', 'stats', 'anomaly']);
/** Address fields the collector fills with the sensor's public address. */
export const FILLABLE_FIELDS = ['src_ip', 'dest_ip', 'minewatch.device.ip'] as const;

const MAC_RE = /\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\b/g;
const IPV4_RE = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g;
const IPV6_RE = /(?<![0-9A-Za-z:])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?![0-9A-Za-z:])/g;

/** The sensor's telemetry key: read from `path`, or created there (32 random bytes, mode 0600) on first use. */
export function loadTelemetryKey(path: string): Buffer {
  try {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileAtomic(path, `${randomBytes(32).toString('hex')}\n`);
      chmodSync(path, 0o600);
    }
    const hex = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('not 64 hex digits');
    return Buffer.from(hex, 'hex');
  } catch (err) {
    throw new ConfigError('config.telemetry-key', `telemetry key file ${path}: ${(err as Error).message} (delete it to create a new key; device hashes then change)`, { subject: path });
  }
}

export class Anonymiser {
  constructor(private readonly key: Buffer) {}

  /** A MAC (or a device id) as the collector sees it: `h-` and 24 hex digits of HMAC-SHA256. */
  hash(value: string): string {
    return `h-${createHmac('sha256', this.key).update(value.toLowerCase()).digest('hex').slice(0, 24)}`;
  }

  private text(s: string): string {
    return s
      .replace(MAC_RE, (m) => this.hash(m))
      .replace(IPV4_RE, (ip) => (parseIp(ip) !== null && !isPublicIp(ip) ? 'private' : ip))
      .replace(IPV6_RE, (ip) => (parseIp(ip) !== null && !isPublicIp(ip) ? 'private' : ip));
  }

  private deep(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.text(v);
    if (depth > 12 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.deep(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = this.deep(x, depth + 1);
    return out;
  }

  /** The event as it may leave the sensor (a copy), or null when it stays home. */
  event(event: Record<string, unknown>): Record<string, unknown> | null {
    if (!SENT_TYPES.has(String(event.event_type))) return null;
    const e = structuredClone(event);
    const fill: string[] = [];
    for (const f of ['src_ip', 'dest_ip'] as const) {
      if (typeof e[f] === 'string' && !isPublicIp(e[f])) {
        delete e[f];
        fill.push(f);
      }
    }
    const mw = (e.minewatch ?? {}) as Record<string, unknown>;
    const dev = mw.device as Record<string, unknown> | undefined;
    if (dev) {
      if (typeof dev.mac === 'string') dev.mac = this.hash(dev.mac);
      if (typeof dev.id === 'string') dev.id = this.hash(dev.id);
      delete dev.name;
      if (typeof dev.ip === 'string' && !isPublicIp(dev.ip)) {
        delete dev.ip;
        fill.push('minewatch.device.ip');
      }
    }
    const inv = mw.inventory as Record<string, unknown> | undefined;
    if (inv) {
      if (Array.isArray(inv.macs)) inv.macs = inv.macs.map((m) => this.hash(String(m)));
      if (Array.isArray(inv.replaces)) inv.replaces = inv.replaces.map((id) => this.hash(String(id)));
      if (Array.isArray(inv.ips)) inv.ips = inv.ips.filter((ip) => typeof ip === 'string' && isPublicIp(ip));
      inv.hostnames = [];
      inv.reasons = [];
    }
    // what is left (evidence, stats): no MAC, no private address in any text
    e.minewatch = { ...(this.deep(mw, 0) as Record<string, unknown>), ...(fill.length > 0 ? { fill_public_ip: fill } : {}) };
    for (const [k, v] of Object.entries(e)) if (k !== 'minewatch') e[k] = this.deep(v, 0);
    return e;
  }
}

/** An output that hands the anonymised copy of each event that may leave to `next` (the sender). */
export class TelemetrySink implements EventSink {
  private readonly anon: Anonymiser;
  sent = 0;
  kept = 0;

  constructor(private readonly next: EventSink, key: Buffer) {
    this.anon = new Anonymiser(key);
  }

  write(event: object): void {
    const e = this.anon.event(event as Record<string, unknown>);
    if (e === null) { this.kept++; return; }
    this.sent++;
    this.next.write(e);
  }

  close(): void {
    this.next.close();
  }
}
