/**
 * A generated home for the device inventory: a router and devices of every type, each
 * talking as its kind does on a real LAN — DHCP (host name, option 55 in the order its OS
 * sends, option 60, client id), mDNS announcements of its services, SSDP NOTIFYs, HTTP with
 * its user agent, TCP SYNs with its OS's initial TTL — and phones that rotate their
 * randomised MAC between visits. The truth says which MACs are which device and its type.
 */
import { PcapEmitter } from './emitter.js';
import { FrameBuilder, Path, TcpSession } from './packet-builder.js';
import { Rng } from './rng.js';

export interface HomeDeviceTruth {
  type: string;
  /** Every MAC the device used (phones: several randomised ones). */
  macs: string[];
  hostname: string;
}

export interface HomeTruth {
  router: string;
  devices: HomeDeviceTruth[];
}

interface Profile {
  type: string;
  oui: string;
  hostname: string;
  params: number[];
  vendorClass?: string;
  mdns?: { services: string[]; model?: string };
  ssdp?: { server: string; nt: string };
  ua?: string;
  ttl: number;
  randomized?: boolean;
  /** Sends DHCP option 81 (its FQDN) and registers its NetBIOS name, as Windows does. */
  windowsNames?: boolean;
}

const IOS = [1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46];
const ANDROID = [1, 3, 6, 15, 26, 28, 51, 58, 59, 43, 114, 108];
const WIN10 = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252];
const LINUX = [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42];
const MACOS = [1, 121, 3, 6, 15, 119, 252, 95, 44, 46];
const EMBEDDED = [1, 3, 28, 6];

/** Device profiles, by public conventions (OUI owners from the IEEE registry). */
const PROFILES: Profile[] = [
  { type: 'phone', oui: '02', hostname: 'Annas-iPhone', params: IOS, mdns: { services: ['_apple-mobdev2._tcp'] }, ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', ttl: 64, randomized: true },
  { type: 'phone', oui: '02', hostname: 'Galaxy-S23', params: ANDROID, vendorClass: 'android-dhcp-14', ua: 'Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36', ttl: 64, randomized: true },
  { type: 'phone', oui: '02', hostname: 'Pixel-8', params: ANDROID, vendorClass: 'android-dhcp-14', ttl: 64, randomized: true },
  { type: 'tablet', oui: '02', hostname: 'Toms-iPad', params: IOS, ua: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', ttl: 64, randomized: true },
  { type: 'pc', oui: 'd8bbc1', hostname: 'DESKTOP-7QK2M1N', params: WIN10, vendorClass: 'MSFT 5.0', ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36', ttl: 128, windowsNames: true },
  { type: 'laptop', oui: 'a45e60', hostname: 'Annas-MacBook-Air', params: MACOS, mdns: { services: ['_companion-link._tcp'] }, ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', ttl: 64 },
  { type: 'ip-camera', oui: 'bcad28', hostname: 'IPC-frontdoor', params: EMBEDDED, ssdp: { server: 'Linux/3.10 UPnP/1.0 Hikvision-Webs/1.0', nt: 'urn:schemas-upnp-org:device:Basic:1' }, ttl: 64 },
  { type: 'nas', oui: '0011322', hostname: 'DiskStation', params: LINUX, mdns: { services: ['_smb._tcp', '_adisk._tcp', '_afpovertcp._tcp'], model: 'DS920+' }, ssdp: { server: 'Synology/DSM/192.168.1.20', nt: 'upnp:rootdevice' }, ttl: 64 },
  { type: 'smart-tv', oui: 'b0a737', hostname: 'Roku-Ultra', params: EMBEDDED, ssdp: { server: 'Roku/12.5.0 UPnP/1.0 Roku/12.5.0', nt: 'urn:dial-multiscreen-org:service:dial:1' }, ttl: 64 },
  { type: 'smart-tv', oui: '00e04c', hostname: 'LivingRoom', params: LINUX, mdns: { services: ['_googlecast._tcp'], model: 'Chromecast' }, ttl: 64 },
  { type: 'game-console', oui: '98b6e9', hostname: 'Nintendo-Switch', params: EMBEDDED, ttl: 64 },
  { type: 'printer', oui: '3c2af4', hostname: 'BRN3C2AF4123456', params: EMBEDDED, mdns: { services: ['_ipp._tcp', '_pdl-datastream._tcp', '_printer._tcp'], model: 'Brother HL-L2350DW' }, ttl: 255 },
  { type: 'smart-speaker', oui: '5ccb99', hostname: 'Sonos-Kitchen', params: EMBEDDED, mdns: { services: ['_sonos._tcp', '_spotify-connect._tcp', '_raop._tcp'] }, ttl: 64 },
  { type: 'iot', oui: 'a4cf12', hostname: 'ESP_3A1F2C', params: EMBEDDED, ttl: 255 },
  { type: 'iot', oui: 'd8f15b', hostname: 'Smart-Plug-7E', params: EMBEDDED, ua: 'ESP8266HTTPClient', ttl: 255 },
];

function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

function makeMac(prefix: string, rng: Rng): string {
  if (prefix === '02') {
    // randomised: locally administered, unicast
    const first = ((rng.int(64) << 2) | 0x02) & 0xfe;
    return [first, rng.int(256), rng.int(256), rng.int(256), rng.int(256), rng.int(256)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  }
  const hex = (prefix + rng.hex(6)).slice(0, 12);
  return hex.replace(/(..)(?!$)/g, '$1:');
}

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** A BOOTP/DHCP message (RFC 2131/2132). */
export function dhcpMessage(op: 1 | 2, type: number, xid: number, mac: Uint8Array, yiaddr: number, opts: [number, Uint8Array][]): Uint8Array {
  const body = Buffer.alloc(240);
  body[0] = op; body[1] = 1; body[2] = 6;
  body.writeUInt32BE(xid, 4);
  body.writeUInt32BE(yiaddr, 16);
  body.set(mac, 28);
  body.writeUInt32BE(0x63825363, 236);
  const parts: Buffer[] = [body, Buffer.from([53, 1, type])];
  for (const [code, v] of opts) parts.push(Buffer.from([code, v.length]), Buffer.from(v));
  parts.push(Buffer.from([255]));
  return Buffer.concat(parts);
}

/** DHCP option 81's body (RFC 4702): flags (E: wire-format name, S: the server updates the A record), rcodes, the name. */
export function clientFqdnOption(fqdn: string, wire = true): Uint8Array {
  return Buffer.concat([Buffer.from([wire ? 0x05 : 0x01, 0, 0]), wire ? name(fqdn) : Buffer.from(fqdn)]);
}

/** A NetBIOS name in first-level encoding (RFC 1001 14.1): 15 characters padded with spaces, the suffix, as 32 letters. */
function netbiosName(text: string, suffix: number): Buffer {
  const raw = Buffer.alloc(16, 0x20);
  raw.write(text.toUpperCase().slice(0, 15), 'latin1');
  raw[15] = suffix;
  const out = Buffer.alloc(34);
  out[0] = 32;
  for (let i = 0; i < 16; i++) {
    out[1 + 2 * i] = 0x41 + (raw[i] >> 4);
    out[2 + 2 * i] = 0x41 + (raw[i] & 0x0f);
  }
  return out; // out[33] = 0: no scope
}

/** A NetBIOS name registration request (RFC 1002 4.2.2), broadcast: the question and the NB record with the address. */
export function netbiosRegistration(text: string, suffix: number, addr: number, opts: { group?: boolean; id?: number; opcode?: number } = {}): Uint8Array {
  const hdr = Buffer.alloc(12);
  hdr.writeUInt16BE(opts.id ?? 0x1234, 0);
  hdr.writeUInt16BE(((opts.opcode ?? 5) << 11) | 0x0110, 2); // RD, B (broadcast)
  hdr.writeUInt16BE(1, 4);
  hdr.writeUInt16BE(1, 10);
  const q = Buffer.from([0, 0x20, 0, 1]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // the question's name
  rr.writeUInt16BE(0x20, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(300_000, 6);
  rr.writeUInt16BE(6, 10);
  rr.writeUInt16BE(opts.group ? 0x8000 : 0, 12);
  const a = Buffer.alloc(4);
  a.writeUInt32BE(addr, 0);
  return Buffer.concat([hdr, netbiosName(text, suffix), q, rr.subarray(0, 14), a]);
}

function name(labels: string): Buffer {
  const parts = labels.split('.').filter((l) => l !== '');
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l)])), Buffer.from([0])]);
}

function rr(owner: string, type: number, data: Buffer, cls = 0x8001): Buffer {
  const h = Buffer.alloc(10);
  h.writeUInt16BE(type, 0); h.writeUInt16BE(cls, 2); h.writeUInt32BE(120, 4); h.writeUInt16BE(data.length, 8);
  return Buffer.concat([name(owner), h, data]);
}

/** An mDNS response announcing a host's services (PTR, SRV, TXT, A). */
export function mdnsAnnouncement(host: string, instance: string, services: string[], model: string, addr: number): Uint8Array {
  const answers: Buffer[] = [];
  for (const s of services) {
    const inst = `${instance}.${s}.local`;
    answers.push(rr(`${s}.local`, 12, name(inst), 1));
    const srv = Buffer.alloc(6);
    srv.writeUInt16BE(0, 0); srv.writeUInt16BE(0, 2); srv.writeUInt16BE(631, 4);
    answers.push(rr(inst, 33, Buffer.concat([srv, name(`${host}.local`)])));
    const txt = model ? Buffer.concat([Buffer.from([Buffer.byteLength(`md=${model}`)]), Buffer.from(`md=${model}`)]) : Buffer.from([0]);
    answers.push(rr(inst, 16, txt));
  }
  const a = Buffer.alloc(4);
  a.writeUInt32BE(addr, 0);
  answers.push(rr(`${host}.local`, 1, a));
  const hdr = Buffer.alloc(12);
  hdr.writeUInt16BE(0x8400, 2);
  hdr.writeUInt16BE(answers.length, 6);
  return Buffer.concat([hdr, ...answers]);
}

export interface HomeOptions {
  seed?: number;
  /** How many times each phone comes back with a new randomised MAC (default 2). */
  rotations?: number;
  startMs?: number;
}

/** Writes the home's capture to `outFile` and returns who is who. */
export async function generateHome(opts: HomeOptions, outFile: string): Promise<{ packets: number; truth: HomeTruth }> {
  const rng = new Rng(opts.seed ?? 18);
  const rotations = opts.rotations ?? 2;
  const out = new PcapEmitter(outFile);
  const fb = new FrameBuilder();
  const routerMac = makeMac('e48d8c', rng); // MikroTik
  const router = macBytes(routerMac);
  const routerIp = ip4(192, 168, 88, 1);
  const bcast = macBytes('ff:ff:ff:ff:ff:ff');
  const mdnsMac = macBytes('01:00:5e:00:00:fb');
  const ssdpMac = macBytes('01:00:5e:7f:ff:fa');
  let t = (opts.startMs ?? Date.UTC(2026, 0, 5, 18)) * 1000;
  let nextHost = 20;
  const truth: HomeTruth = { router: routerMac, devices: [] };
  const remote = ip4(203, 0, 113, 80);

  const visit = (p: Profile, macText: string, truthEntry: HomeDeviceTruth, visitNo: number) => {
    const mac = macBytes(macText);
    const ip = ip4(192, 168, 88, nextHost++);
    const xid = rng.int(0x7fffffff);
    const opts: [number, Uint8Array][] = [
      [61, Uint8Array.from([1, ...mac])],
      [12, Buffer.from(p.hostname)],
      [55, Uint8Array.from(p.params)],
      ...(p.vendorClass ? [[60, Buffer.from(p.vendorClass)] as [number, Uint8Array]] : []),
      ...(p.windowsNames ? [[81, clientFqdnOption(`${p.hostname}.home.arpa`)] as [number, Uint8Array]] : []),
    ];
    const up = new Path(mac, bcast, 0, 0xffffffff, 64);
    const down = new Path(router, bcast, routerIp, 0xffffffff, 64);
    const send = (path: Path, sport: number, dport: number, payload: Uint8Array) => {
      out.emit(t, fb.udp(path, sport, dport, payload, 0, payload.length));
      t += 2000 + rng.int(5000);
    };
    send(up, 68, 67, dhcpMessage(1, 1, xid, mac, 0, opts));
    send(down, 67, 68, dhcpMessage(2, 2, xid, mac, ip, [[54, Uint8Array.from([192, 168, 88, 1])], [51, Uint8Array.from([0, 0, 0x0e, 0x10])]]));
    send(up, 68, 67, dhcpMessage(1, 3, xid, mac, 0, [...opts, [50, Uint8Array.from([192, 168, 88, ip & 0xff])]]));
    send(down, 67, 68, dhcpMessage(2, 5, xid, mac, ip, [[54, Uint8Array.from([192, 168, 88, 1])], [51, Uint8Array.from([0, 0, 0x0e, 0x10])]]));
    if (p.windowsNames) {
      const nb = netbiosRegistration(p.hostname, 0x00, ip);
      send(new Path(mac, bcast, ip, ip4(192, 168, 88, 255), 128), 137, 137, nb);
    }
    if (p.mdns) {
      const m = mdnsAnnouncement(p.hostname, p.hostname.replace(/-/g, ' '), p.mdns.services, p.mdns.model ?? '', ip);
      send(new Path(mac, mdnsMac, ip, ip4(224, 0, 0, 251), 255), 5353, 5353, m);
    }
    if (p.ssdp) {
      const n = Buffer.from(`NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: http://${(ip >>> 24)}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:49152/desc.xml\r\nNT: ${p.ssdp.nt}\r\nNTS: ssdp:alive\r\nSERVER: ${p.ssdp.server}\r\nUSN: uuid:${rng.hex(16)}::${p.ssdp.nt}\r\n\r\n`);
      send(new Path(mac, ssdpMac, ip, ip4(239, 255, 255, 250), 4), 1900, 1900, n);
    }
    // a connection out to the Internet: the SYN carries the OS's initial TTL; the reply comes through the router
    const c2s = new Path(mac, router, ip, remote, p.ttl);
    const s2c = new Path(router, mac, remote, ip, 52);
    const s = new TcpSession(out, fb, [c2s, s2c], [40000 + rng.int(20000), 80], [rng.int(0xffffffff), rng.int(0xffffffff)]);
    t = s.handshake(t, 20_000);
    if (p.ua) {
      const req = Buffer.from(`GET /check?v=${visitNo} HTTP/1.1\r\nHost: example.net\r\nUser-Agent: ${p.ua}\r\nAccept: */*\r\n\r\n`);
      t = s.send(0, req, 0, req.length, t + 1000);
      const res = Buffer.from('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n');
      t = s.send(1, res, 0, res.length, t + 20_000);
    }
    t = s.close(0, t + 1000, 20_000) + 5_000_000;
    truthEntry.macs.push(macText);
  };

  for (const p of PROFILES) {
    const entry: HomeDeviceTruth = { type: p.type, macs: [], hostname: p.hostname };
    truth.devices.push(entry);
    visit(p, makeMac(p.oui, rng), entry, 0);
  }
  // phones and tablets come back later with a new randomised MAC (per-network rotation)
  for (let r = 1; r <= rotations; r++) {
    for (const [i, p] of PROFILES.entries()) {
      if (p.randomized) visit(p, makeMac('02', rng), truth.devices[i], r);
    }
  }
  out.close();
  return { packets: out.packets, truth };
}
