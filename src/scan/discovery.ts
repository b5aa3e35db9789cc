/**
 * Host discovery beyond TCP connects: the kernel's ARP table (hosts we talked to recently),
 * and on the local link mDNS and SSDP answers (phones, TVs, cameras and printers that
 * firewall every TCP port still answer these). Multicast is sent only when the caller scans
 * its own local subnets; every wait is bounded and every answer list capped.
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { ssdpSearch, SSDP_MULTICAST } from './probes/ssdp-upnp.js';

export interface LinkSighting {
  mac?: string;
  hostname?: string;
  via: Set<string>;
}

/** Parse /proc/net/arp: address → MAC for complete entries. */
export function parseProcArp(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const [ip, , flags, mac] = cols;
    if ((parseInt(flags, 16) & 0x2) === 0 || mac === '00:00:00:00:00:00') continue;
    out.set(ip, mac.toLowerCase());
  }
  return out;
}

export async function readArpTable(path = '/proc/net/arp'): Promise<Map<string, string>> {
  try {
    return parseProcArp(await readFile(path, 'utf8'));
  } catch {
    return new Map(); // not Linux, or no /proc: discovery continues without it
  }
}

const MDNS_ADDR = '224.0.0.251';
const MDNS_PORT = 5353;

/** mDNS query for the DNS-SD service list, asking for unicast answers (QU bit). */
export function mdnsServicesQuery(): Buffer {
  const labels = ['_services', '_dns-sd', '_udp', 'local'];
  const parts: Buffer[] = [Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, 0x00, 0x0c, 0x80, 0x01]));
  return Buffer.concat(parts);
}

/** Read a DNS name with compression; null when malformed. */
export function readDnsName(buf: Buffer, pos: number): { name: string; next: number } | null {
  const labels: string[] = [];
  let next = -1;
  for (let hops = 0; hops < 32; hops++) {
    if (pos >= buf.length) return null;
    const len = buf[pos];
    if (len === 0) {
      return { name: labels.join('.'), next: next < 0 ? pos + 1 : next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) return null;
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1];
      continue;
    }
    if (len > 63 || pos + 1 + len > buf.length) return null;
    labels.push(buf.subarray(pos + 1, pos + 1 + len).toString('latin1'));
    pos += 1 + len;
  }
  return null;
}

/** The first A/AAAA record owner name ending in .local in an mDNS response (the host's name). */
export function mdnsHostname(buf: Buffer): string | null {
  if (buf.length < 12) return null;
  const qd = buf.readUInt16BE(4);
  const rr = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    const n = readDnsName(buf, pos);
    if (!n) return null;
    pos = n.next + 4;
  }
  for (let i = 0; i < Math.min(rr, 64); i++) {
    const n = readDnsName(buf, pos);
    if (!n || n.next + 10 > buf.length) return null;
    const type = buf.readUInt16BE(n.next);
    const rdlen = buf.readUInt16BE(n.next + 8);
    if ((type === 1 || type === 28) && n.name.endsWith('.local')) return n.name;
    pos = n.next + 10 + rdlen;
  }
  return null;
}

export function mdnsDiscover(waitMs: number, maxAnswers = 512): Promise<Map<string, string | null>> {
  return new Promise((resolve) => {
    const found = new Map<string, string | null>();
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    const done = (): void => {
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      resolve(found);
    };
    const timer = setTimeout(done, waitMs);
    sock.on('error', done);
    sock.on('message', (msg, rinfo) => {
      if (found.size >= maxAnswers) return;
      const name = mdnsHostname(msg);
      if (!found.get(rinfo.address)) found.set(rinfo.address, name);
    });
    sock.bind(0, () => {
      sock.send(mdnsServicesQuery(), MDNS_PORT, MDNS_ADDR, (err) => {
        if (err) done();
      });
    });
  });
}

/**
 * Everything the local link tells us about `targets`. ARP is always read (no packets sent);
 * mDNS/SSDP multicast only when `multicast` is true.
 */
export async function discoverLink(targets: ReadonlySet<string>, multicast: boolean, waitMs = 1500): Promise<Map<string, LinkSighting>> {
  const out = new Map<string, LinkSighting>();
  const see = (addr: string, via: string): LinkSighting | null => {
    if (!targets.has(addr)) return null;
    let s = out.get(addr);
    if (!s) out.set(addr, (s = { via: new Set() }));
    s.via.add(via);
    return s;
  };
  for (const [ip, mac] of await readArpTable()) {
    const s = see(ip, 'arp');
    if (s) s.mac = mac;
  }
  if (multicast) {
    const [mdns, ssdp] = await Promise.all([mdnsDiscover(waitMs), ssdpSearch(SSDP_MULTICAST, waitMs)]);
    for (const [ip, name] of mdns) {
      const s = see(ip, 'mdns');
      if (s && name) s.hostname = name;
    }
    for (const a of ssdp) see(a.from, 'ssdp');
  }
  return out;
}
