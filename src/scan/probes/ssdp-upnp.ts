/**
 * UPnP: SSDP M-SEARCH (UDP 1900) and device descriptions over HTTP. A description listing
 * WANIPConnection/WANPPPConnection lets any LAN program open ports in the router (what
 * botnets use to expose infected devices); urn:dslforum-org services are TR-064, the ISP
 * management interface. Descriptions are fetched only from the scanned host itself: a
 * LOCATION pointing elsewhere is recorded, never followed.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { ServiceIdentity } from '../types.js';
import { httpGet } from './http.js';
import { latin1, withConversation, type ProbeIo, type ServiceProbe } from './probe.js';

export const SSDP_PORT = 1900;
export const SSDP_MULTICAST = '239.255.255.250';

export function mSearch(target: string, st = 'ssdp:all'): Buffer {
  return Buffer.from(`M-SEARCH * HTTP/1.1\r\nHOST: ${target}:${SSDP_PORT}\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ${st}\r\nUSER-AGENT: minewatch-scan UPnP/1.1\r\n\r\n`, 'latin1');
}

export interface SsdpAnswer {
  from: string;
  location: string;
  server: string;
  st: string;
  usn: string;
}

export function parseSsdpAnswer(buf: Buffer, from: string): SsdpAnswer | null {
  const text = latin1(buf, 4096);
  if (!/^HTTP\/1\.[01] 200|^NOTIFY \* HTTP\/1\.[01]/.test(text)) return null;
  const h = (name: string): string => new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(text)?.[1]?.trim() ?? '';
  return { from, location: h('location'), server: h('server'), st: h('st') || h('nt'), usn: h('usn') };
}

/**
 * Send M-SEARCH to `address` (unicast to one host, or the multicast group on the local link)
 * and collect answers for `waitMs`. Answers are bounded in count.
 */
export function ssdpSearch(address: string, waitMs: number, port = SSDP_PORT, maxAnswers = 256): Promise<SsdpAnswer[]> {
  return new Promise((resolve) => {
    const family = isIP(address) === 6 ? 'udp6' : 'udp4';
    const sock = createSocket({ type: family, reuseAddr: false });
    const answers: SsdpAnswer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      resolve(answers);
    };
    const timer = setTimeout(done, waitMs);
    sock.on('error', done);
    sock.on('message', (msg, rinfo) => {
      const a = parseSsdpAnswer(msg, rinfo.address);
      if (a && answers.length < maxAnswers) answers.push(a);
    });
    sock.send(mSearch(address === SSDP_MULTICAST ? SSDP_MULTICAST : address), port, address, (err) => {
      if (err) done();
    });
  });
}

export interface UpnpDescription {
  friendlyName: string;
  manufacturer: string;
  modelName: string;
  modelNumber: string;
  deviceType: string;
  services: string[];
  /** WANIPConnection / WANPPPConnection: programs on the LAN can open ports in the router. */
  portMapping: boolean;
  /** TR-064 (urn:dslforum-org): ISP/LAN management interface. */
  tr064: boolean;
}

export function parseUpnpDescription(xml: string): UpnpDescription | null {
  if (!/<root[\s>]/i.test(xml) || !/urn:(schemas-upnp-org|dslforum-org)/i.test(xml)) return null;
  const tag = (name: string): string => new RegExp(`<${name}>([^<]{0,200})</${name}>`, 'i').exec(xml)?.[1]?.trim() ?? '';
  const services = [...xml.matchAll(/<serviceType>([^<]{1,200})<\/serviceType>/gi)].slice(0, 64).map((m) => m[1].trim());
  return {
    friendlyName: tag('friendlyName'),
    manufacturer: tag('manufacturer'),
    modelName: tag('modelName'),
    modelNumber: tag('modelNumber'),
    deviceType: tag('deviceType'),
    services,
    portMapping: services.some((s) => /WAN(IP|PPP)Connection/i.test(s)),
    tr064: /urn:dslforum-org/i.test(xml),
  };
}

/** Description paths tried on UPnP/TR-064 ports (bounded, in order). */
export const DESCRIPTION_PATHS = ['/rootDesc.xml', '/description.xml', '/tr64desc.xml', '/igddesc.xml', '/gatedesc.xml', '/upnp/IGD.xml', '/DeviceDescription.xml'];

export function describeIdentity(desc: UpnpDescription, path: string, tls: boolean): ServiceIdentity {
  return {
    service: 'upnp',
    product: [desc.manufacturer, desc.modelName].filter(Boolean).join(' ') || 'UPnP device',
    version: desc.modelNumber,
    tls,
    banner: `${path}: ${desc.friendlyName || desc.deviceType}`,
    details: { upnp: true, description: path, ...desc },
  };
}

/** Fetch one description path on the scanned host/port. */
export async function fetchDescription(io: ProbeIo, path: string): Promise<UpnpDescription | null> {
  return withConversation(io, {}, async (conv) => {
    const resp = await httpGet(conv, io.host, path, io.timeoutMs);
    if (!resp || resp.status !== 200) return null;
    return parseUpnpDescription(resp.body);
  });
}

/** A LOCATION URL's path when it points at the scanned host and port; null otherwise. */
export function sameHostPath(location: string, host: string, port: number): string | null {
  try {
    const u = new URL(location);
    const h = u.hostname.replace(/^\[|\]$/g, '');
    const p = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    return h === host && p === port && u.protocol === 'http:' ? `${u.pathname}${u.search}` : null;
  } catch {
    return null;
  }
}

export const upnpProbe: ServiceProbe = {
  id: 'upnp',
  ports: [49152, 49153, 49000, 2869, 5000, 5431, 52869, 37215, 1780],
  hintOnly: true,
  async probe(io): Promise<ServiceIdentity | null> {
    for (const path of DESCRIPTION_PATHS) {
      const desc = await fetchDescription(io, path);
      if (desc) return describeIdentity(desc, path, false);
    }
    return null;
  },
};
