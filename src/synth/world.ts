/**
 * The simulated home network shared by the `mixed` and `sample` scenarios: devices behind a
 * gateway that is also their DNS resolver, Internet services with stable addresses, and the
 * ground-truth flow records every flow writes.
 */
import { FrameBuilder, Path, TcpSession, udpExchange, type FrameSink } from './packet-builder.js';
import { dnsQuery, dnsResponse, QTYPE_A, QTYPE_AAAA, QTYPE_CNAME, type DnsRecord } from './content/dns.js';
import type { TlsClientProfile } from './content/tls.js';
import { USER_AGENTS } from './content/http.js';
import { fnv1a, macFor, serverIp, serverIp6 } from './net.js';
import { formatIpv4, parseIpv4 } from '../util/ip.js';
import { formatMac } from '../util/mac.js';
import type { Rng } from './rng.js';
import type { Scheduler } from './scheduler.js';

export type DeviceKind = 'pc' | 'phone' | 'tablet' | 'tv' | 'camera' | 'nas' | 'console' | 'iot';

export interface Device {
  name: string;
  kind: DeviceKind;
  vendor: string;
  mac: Uint8Array;
  ip: number;
  tlsProfile: TlsClientProfile;
  userAgent: string;
  nextPort: number;
  /** name → expiry time (µs) of the cached answer */
  dnsCache: Map<string, number>;
}

export type FlowLabel =
  | 'dns' | 'web-http' | 'web-tls' | 'video-streaming' | 'chat-websocket' | 'push-notification'
  | 'stratum-v1' | 'xmrig-cryptonote' | 'mining-tls' | 'browser-miner-page' | 'browser-miner-script' | 'browser-miner-websocket'
  | 'telnet-bruteforce' | 'redis-exploitation' | 'port-scan';

export const MINING_LABELS: ReadonlySet<FlowLabel> = new Set(['stratum-v1', 'xmrig-cryptonote', 'mining-tls', 'browser-miner-page', 'browser-miner-script', 'browser-miner-websocket']);
export const ATTACK_LABELS: ReadonlySet<FlowLabel> = new Set(['telnet-bruteforce', 'redis-exploitation', 'port-scan']);

export interface FlowTruth {
  id: number;
  proto: 'tcp' | 'udp';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** ISO 8601 with microseconds, and the same in µs since the epoch */
  start: string;
  startUs: number;
  endUs: number;
  label: FlowLabel;
  /** 'benign' | 'mining' | 'attack' */
  category: 'benign' | 'mining' | 'attack';
  device: string;
  deviceKind: string;
  /** DNS query name, HTTP Host or TLS SNI */
  host?: string;
  sni?: string;
  tls?: boolean;
  pool?: string;
  algorithm?: string;
  agent?: string;
  wallet?: string;
  worker?: string;
  packets: number;
  bytes: number;
  /** free-form facts a detector's evaluation may want (credentials tried, commands …) */
  details?: Record<string, unknown>;
}

export function isoUs(tsUs: number): string {
  const ms = Math.floor(tsUs / 1000);
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.000Z
  const us = String(Math.floor(tsUs) % 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${us}Z`;
}

export interface WorldOptions {
  rng: Rng;
  sink: FrameSink;
  scheduler: Scheduler;
  deviceCount: number;
  /** the /24 the devices live in (default 192.168.1.0) */
  subnet?: string;
}

const DEVICE_MIX: DeviceKind[] = ['pc', 'pc', 'phone', 'phone', 'phone', 'tablet', 'tv', 'camera', 'camera', 'nas', 'console', 'iot', 'iot', 'iot'];
const PROFILE: Record<DeviceKind, TlsClientProfile[]> = {
  pc: ['chrome', 'firefox', 'chrome'], phone: ['chrome', 'safari'], tablet: ['safari', 'chrome'], tv: ['chrome', 'tls12-iot'],
  camera: ['tls12-iot'], nas: ['openssl'], console: ['openssl', 'chrome'], iot: ['tls12-iot', 'openssl'],
};
const UA: Record<DeviceKind, string> = {
  pc: USER_AGENTS.chrome, phone: USER_AGENTS.android, tablet: USER_AGENTS.safari, tv: USER_AGENTS.tv,
  camera: USER_AGENTS.iot, nas: USER_AGENTS.firefox, console: USER_AGENTS.chrome, iot: USER_AGENTS.iot,
};

export class World {
  readonly rng: Rng;
  readonly sink: FrameSink;
  readonly scheduler: Scheduler;
  readonly fb = new FrameBuilder();
  readonly gatewayMac: Uint8Array;
  readonly gatewayIp: number;
  readonly devices: Device[] = [];
  readonly flows: FlowTruth[] = [];
  /** 1 MB of random bytes: ciphertext and compressed payload are copied from here */
  readonly pool: Buffer;
  /** assembly space for one burst of records before it is segmented */
  readonly scratch = Buffer.alloc(4 << 20);
  private readonly dnsIds: number;
  private dnsId: number;

  constructor(o: WorldOptions) {
    this.rng = o.rng;
    this.sink = o.sink;
    this.scheduler = o.scheduler;
    const subnet = o.subnet ?? '192.168.1.0';
    const base = parseIpv4(subnet);
    this.gatewayIp = (base + 1) >>> 0;
    this.gatewayMac = macFor('router', this.rng).mac;
    this.pool = Buffer.alloc(1 << 20);
    this.rng.fill(this.pool);
    this.dnsIds = this.rng.u32();
    this.dnsId = this.dnsIds & 0xffff;
    const used = new Set<number>();
    for (let i = 0; i < o.deviceCount; i++) {
      const kind = i < DEVICE_MIX.length ? DEVICE_MIX[i] : this.rng.pick(DEVICE_MIX);
      this.addDevice(kind, used, base);
    }
  }

  addDevice(kind: DeviceKind, used: Set<number> | null, base = this.gatewayIp - 1): Device {
    let host = 0;
    do host = this.rng.range(20, 250); while (used?.has(host) || this.devices.some((d) => (d.ip & 255) === host));
    used?.add(host);
    const { mac, vendor } = macFor(kind, this.rng);
    const d: Device = {
      name: `${kind}-${this.devices.length + 1}`, kind, vendor, mac, ip: (base + host) >>> 0,
      tlsProfile: this.rng.pick(PROFILE[kind]), userAgent: UA[kind],
      nextPort: this.rng.range(32768, 59000), dnsCache: new Map(),
    };
    this.devices.push(d);
    return d;
  }

  ephemeralPort(d: Device): number {
    const p = d.nextPort;
    d.nextPort = d.nextPort >= 60999 ? 32768 : d.nextPort + 1;
    return p;
  }

  /** Round-trip time to an Internet server, stable per name (µs). */
  rttFor(name: string): number {
    return 8000 + (fnv1a(name) % 140) * 1000;
  }

  /**
   * Resolves `name` through the gateway (A, and AAAA for phones/PCs) unless cached; emits
   * the UDP exchanges and records them as 'dns' flows. Returns the address and the time the
   * answer arrived.
   */
  resolve(d: Device, name: string, t: number, mining = false): { ip: number; t: number } {
    const ip = serverIp(name, mining);
    const cached = d.dnsCache.get(name);
    if (cached !== undefined && cached > t) return { ip, t };
    const ttl = mining ? 300 : 60 + (fnv1a(name) % 240);
    d.dnsCache.set(name, t + ttl * 1e6);
    const cname = !mining && fnv1a(`cname:${name}`) % 3 === 0 ? `${name.replace(/\./g, '-')}.edge.cdn-${fnv1a(name) % 7}.net` : null;
    const resolverRtt = this.rng.range(800, 30000);
    const types = d.kind === 'pc' || d.kind === 'phone' || d.kind === 'tablet' ? [QTYPE_A, QTYPE_AAAA] : [QTYPE_A];
    let tEnd = t;
    for (const qtype of types) {
      const id = this.dnsId = (this.dnsId + 1 + (this.rng.u32() & 0xff)) & 0xffff;
      const answers: DnsRecord[] = [];
      let owner = name;
      if (cname) {
        answers.push({ type: QTYPE_CNAME, name, ttl, data: cname });
        owner = cname;
      }
      if (qtype === QTYPE_A) answers.push({ type: QTYPE_A, name: owner, ttl, data: Uint8Array.of(ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255) });
      else if (!mining) answers.push({ type: QTYPE_AAAA, name: owner, ttl, data: serverIp6(name) });
      const q = dnsQuery(id, name, qtype);
      const r = dnsResponse(id, name, qtype, answers);
      const sport = this.ephemeralPort(d);
      const c2s = new Path(d.mac, this.gatewayMac, d.ip, this.gatewayIp, 64);
      const s2c = c2s.reverse(64);
      const truth = this.record('udp', d, sport, this.gatewayIp, 53, t, 'dns', { host: name });
      const tr = udpExchange(this.sink, this.fb, c2s, s2c, sport, 53, q, r, t, resolverRtt, truth);
      truth.endUs = tr;
      if (tr > tEnd) tEnd = tr;
      t += this.rng.range(50, 400);
    }
    return { ip, t: tEnd };
  }

  /** A truth record for a flow from `src` to `dst`; `d` is the home device involved. */
  record(proto: 'tcp' | 'udp', d: Device, sport: number, dst: number, dport: number, t: number, label: FlowLabel, extra: Partial<FlowTruth> = {}, src = d.ip): FlowTruth {
    const f: FlowTruth = {
      id: this.flows.length + 1, proto, src: formatIpv4(src), sport, dst: formatIpv4(dst), dport,
      start: isoUs(t), startUs: Math.floor(t), endUs: Math.floor(t), label,
      category: MINING_LABELS.has(label) ? 'mining' : ATTACK_LABELS.has(label) ? 'attack' : 'benign',
      device: formatMac(d.mac), deviceKind: d.kind, packets: 0, bytes: 0, ...extra,
    };
    this.flows.push(f);
    return f;
  }

  /** A TCP session from a device to an Internet server, with its truth record. */
  connect(d: Device, dst: number, dport: number, t: number, label: FlowLabel, extra: Partial<FlowTruth> = {}): { s: TcpSession; truth: FlowTruth } {
    const sport = this.ephemeralPort(d);
    const c2s = new Path(d.mac, this.gatewayMac, d.ip, dst, d.kind === 'pc' && d.tlsProfile === 'chrome' ? 128 : 64);
    c2s.ipId = this.rng.int(65536);
    const s2c = c2s.reverse(64 - this.rng.range(8, 20), this.rng.int(65536));
    const s = new TcpSession(this.sink, this.fb, [c2s, s2c], [sport, dport], [this.rng.u32(), this.rng.u32()]);
    const truth = this.record('tcp', d, sport, dst, dport, t, label, extra);
    return { s, truth };
  }

  /**
   * A TCP session from an Internet host to a home device (an attack arriving through a port
   * forward): the attacker is the TCP client.
   */
  inbound(attacker: number, d: Device, dport: number, t: number, label: FlowLabel, extra: Partial<FlowTruth> = {}, sport = this.rng.range(32768, 60999)): { s: TcpSession; truth: FlowTruth } {
    const c2s = new Path(this.gatewayMac, d.mac, attacker, d.ip, 64 - this.rng.range(10, 20));
    c2s.ipId = this.rng.int(65536);
    const s2c = c2s.reverse(64, this.rng.int(65536));
    const s = new TcpSession(this.sink, this.fb, [c2s, s2c], [sport, dport], [this.rng.u32(), this.rng.u32()], {}, { mss: 1460, win: 227 });
    const truth = this.record('tcp', d, sport, d.ip, dport, t, label, extra, attacker);
    return { s, truth };
  }

  /** Copies the session's counters into its truth record. */
  finish(s: TcpSession, truth: FlowTruth, t: number): void {
    truth.packets = s.packets;
    truth.bytes = s.bytes;
    truth.endUs = Math.floor(t);
  }

  /** True when the run is closing: long-lived flows end at their next wake-up. */
  get stopped(): boolean {
    return this.scheduler.stopping;
  }
}
