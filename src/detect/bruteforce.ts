/**
 * Detector `bruteforce`: one source repeatedly trying to log in to one service — telnet,
 * SSH, FTP or HTTP basic auth — within a time window. Counts TCP connection attempts to the
 * login ports (onPacket SYNs) and clear-text login attempts (telnet and FTP login_attempt
 * messages, HTTP Authorization: Basic), and quotes the credentials when visible.
 * Credentials from Mirai's public default list are flagged (data/mirai-credentials.ts).
 *
 * Device: the source (an infected device brute-forcing others is what we want to find).
 * Signatures (9100700+): 0 telnet, 1 SSH, 2 FTP, 3 HTTP basic auth, 4 successful telnet
 * login with a Mirai default credential.
 */
import type { AlertInput, DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { IpProto, PacketClass, TcpFlag, type PacketView } from '../events/packet.js';
import { Category, LruMap, SidBase, clip, deviceOf } from './common.js';
import { isMiraiCredential } from './data/mirai-credentials.js';
import { formatIpv4 } from '../util/ip.js';

export const BRUTEFORCE_DETECTOR = 'bruteforce';
const SID = SidBase.bruteforce;

type Service = 'telnet' | 'ssh' | 'ftp' | 'http';
const SERVICE_OFFSET: Record<Service, number> = { telnet: 0, ssh: 1, ftp: 2, http: 3 };
const PORT_SERVICE = new Map<number, Service>([[23, 'telnet'], [2323, 'telnet'], [22, 'ssh'], [2222, 'ssh'], [21, 'ftp']]);
/** 1 where PORT_SERVICE has the port: one typed-array load rejects the other packets. */
const LOGIN_PORT = new Uint8Array(65536);
for (const port of PORT_SERVICE.keys()) LOGIN_PORT[port] = 1;
const MAX_CREDS = 10;

export interface BruteforceOptions {
  windowUs?: number;
  /** Connection attempts to one login service of one host within the window. */
  connectionThreshold?: number;
  /** Clear-text login attempts within the window. */
  attemptThreshold?: number;
  maxPairs?: number;
}

interface PairState {
  service: Service;
  srcIp: string;
  srcMac: string;
  dstIp: string;
  dstPort: number;
  windowStart: number;
  connections: number;
  attempts: number;
  failures: number;
  creds: string[];
  mirai: number;
  success: string;
  lastAlertUs: number;
}

/** Waiting-SYN table of the brute-force detector: 2^16 slots (1.5 MB of typed arrays). */
const SEEN_BITS = 16;
const SEEN_FIRST = 1;
const SEEN_TRACKED = 2;

export function createBruteforceDetector(opts: BruteforceOptions = {}): DetectorOf<'telnet' | 'ftp' | 'http'> {
  const windowUs = opts.windowUs ?? 300_000_000;
  const connThreshold = opts.connectionThreshold ?? 10;
  const attemptThreshold = opts.attemptThreshold ?? 5;
  const pairs = new LruMap<string, PairState>(opts.maxPairs ?? 20000);
  // IPv4 (source, destination, port) triples seen: the first SYN of each, or tracked.
  const seenSrc = new Uint32Array(1 << SEEN_BITS);
  const seenDst = new Uint32Array(1 << SEEN_BITS);
  const seenPort = new Uint16Array(1 << SEEN_BITS);
  const seenTs = new Float64Array(1 << SEEN_BITS);
  const seenState = new Uint8Array(1 << SEEN_BITS);

  function pairFor(service: Service, srcIp: string, srcMac: string, dstIp: string, dstPort: number, tsUs: number): PairState {
    const key = `${service}|${srcIp}|${dstIp}|${dstPort}`;
    let p = pairs.get(key);
    if (!p) {
      p = { service, srcIp, srcMac, dstIp, dstPort, windowStart: tsUs, connections: 0, attempts: 0, failures: 0, creds: [], mirai: 0, success: '', lastAlertUs: -Infinity };
      pairs.set(key, p);
    }
    if (tsUs - p.windowStart > windowUs && tsUs - p.lastAlertUs > windowUs) {
      p.windowStart = tsUs;
      p.connections = p.attempts = p.failures = p.mirai = 0;
      p.creds = [];
    }
    return p;
  }

  function note(p: PairState, user: string, pass: string): void {
    p.attempts++;
    const c = `${clip(user, 40)}:${clip(pass, 40)}`;
    if (p.creds.length < MAX_CREDS && !p.creds.includes(c)) p.creds.push(c);
    if (p.service === 'telnet' && isMiraiCredential(user, pass)) p.mirai++;
  }

  function check(p: PairState, flow: FlowView | null, tsUs: number, ctx: DetectorContext): void {
    if (tsUs - p.lastAlertUs < windowUs) return;
    if (p.connections < connThreshold && p.attempts < attemptThreshold) return;
    p.lastAlertUs = tsUs;
    const what = { telnet: 'telnet', ssh: 'SSH', ftp: 'FTP', http: 'HTTP basic-auth' }[p.service];
    const evidence: Record<string, unknown> = {
      service: p.service, target: `${p.dstIp}:${p.dstPort}`, windowS: Math.round(windowUs / 1e6), connections: p.connections, loginAttempts: p.attempts,
      ...(p.failures ? { failedLogins: p.failures } : {}), ...(p.creds.length ? { credentials: p.creds } : {}),
      ...(p.mirai ? { miraiDefaultCredentials: p.mirai, note: "credentials match Mirai's public default list" } : {}),
      ...(p.success ? { successfulLogin: p.success } : {}),
    };
    const a: AlertInput = {
      detector: BRUTEFORCE_DETECTOR, signatureId: SID + SERVICE_OFFSET[p.service],
      signature: `MINEWATCH BRUTEFORCE ${what} login brute force from ${p.srcIp} to ${p.dstIp}:${p.dstPort}${p.mirai ? ' (Mirai default credentials)' : ''}`,
      category: Category.ADMIN_GAIN, severity: p.mirai || p.success ? 1 : 2, evidence,
      device: p.srcMac ? { mac: p.srcMac, ip: p.srcIp, id: p.srcMac } : { ip: p.srcIp, id: p.srcIp },
      srcIp: p.srcIp, destIp: p.dstIp, destPort: p.dstPort, proto: 'TCP', tsUs,
      dedupKey: `${BRUTEFORCE_DETECTOR}:${p.service}:${p.srcIp}:${p.dstIp}`,
    };
    ctx.emit(flow, a);
  }

  return {
    id: BRUTEFORCE_DETECTOR,
    // clear-text login attempts, and HTTP requests for basic-auth guessing
    protocols: ['telnet', 'ftp', 'http'],
    // Connection attempts; the logins themselves come as telnet and FTP messages.
    packets: PacketClass.TCP_SYN,
    onPacket(pkt: PacketView, flow: FlowView | null, ctx: DetectorContext): void {
      if (pkt.proto !== IpProto.TCP || LOGIN_PORT[pkt.dstPort] === 0 || (pkt.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN) return;
      const service = PORT_SERVICE.get(pkt.dstPort);
      if (service === undefined) return;
      let remembered = 0;
      if (pkt.ipVersion === 4) {
        // A pair's first SYN waits in a typed-array table; its state (strings, an object in
        // the LRU) is made with the second. A flood of one-SYN pairs (random spoofed sources)
        // then allocates nothing per packet. A collision forgets at most one waiting SYN.
        const src = pkt.src4 >>> 0;
        const dst = pkt.dst4 >>> 0;
        const slot = Math.imul(src ^ Math.imul(dst, 0x85ebca6b) ^ pkt.dstPort, 0x9e3779b1) >>> (32 - SEEN_BITS);
        const state = seenState[slot];
        if (state === 0 || seenSrc[slot] !== src || seenDst[slot] !== dst || seenPort[slot] !== pkt.dstPort || pkt.tsUs - seenTs[slot] > windowUs) {
          seenSrc[slot] = src;
          seenDst[slot] = dst;
          seenPort[slot] = pkt.dstPort;
          seenTs[slot] = pkt.tsUs;
          seenState[slot] = SEEN_FIRST;
          return;
        }
        if (state === SEEN_FIRST) remembered = 1;
        seenState[slot] = SEEN_TRACKED;
        seenTs[slot] = pkt.tsUs;
      }
      const srcIp = flow ? flow.clientIp : pkt.ipVersion === 4 ? formatIpv4(pkt.src4) : '';
      const dstIp = flow ? flow.serverIp : pkt.ipVersion === 4 ? formatIpv4(pkt.dst4) : '';
      if (!srcIp || !dstIp) return;
      const p = pairFor(service, srcIp, flow?.clientMac ?? '', dstIp, pkt.dstPort, pkt.tsUs);
      p.connections += 1 + remembered;
      check(p, flow, pkt.tsUs, ctx);
    },
    onMessage(msg: ProtocolMessage<'telnet' | 'ftp' | 'http'>, flow: FlowView, ctx: DetectorContext): void {
      if ((msg.protocol === 'telnet' || msg.protocol === 'ftp') && msg.kind === 'login_attempt') {
        const f = msg.fields;
        const p = pairFor(msg.protocol, flow.clientIp, flow.clientMac, flow.serverIp, flow.serverPort, msg.tsUs);
        note(p, f.username, f.password);
        if (f.success === false) p.failures++;
        if (f.success === true && msg.protocol === 'telnet' && isMiraiCredential(f.username, f.password)) {
          p.success = `${clip(f.username, 40)}:${clip(f.password, 40)}`;
          ctx.emit(flow, {
            detector: BRUTEFORCE_DETECTOR, signatureId: SID + 4,
            signature: `MINEWATCH BRUTEFORCE successful telnet login to ${flow.serverIp} with Mirai default credential ${p.success}`,
            category: Category.ADMIN_GAIN, severity: 1,
            evidence: { username: f.username, password: f.password, attemptsBefore: p.attempts - 1, target: `${flow.serverIp}:${flow.serverPort}`, note: "credential is on Mirai's public default list: the target device is likely compromised" },
            // The device that now needs cleaning is the one logged into.
            device: deviceOf(flow, 1), appProto: 'telnet', dedupKey: `${BRUTEFORCE_DETECTOR}:mirai-success`,
          });
        } else if (f.success === true) p.success = `${clip(f.username, 40)}:${clip(f.password, 40)}`;
        check(p, flow, msg.tsUs, ctx);
        return;
      }
      if (msg.protocol === 'http' && msg.kind === 'request') {
        const auth = msg.fields.headers.find(([k]) => k.toLowerCase() === 'authorization');
        if (!auth || !/^basic\s+/i.test(auth[1])) return;
        const decoded = Buffer.from(auth[1].replace(/^basic\s+/i, '').trim().slice(0, 512), 'base64').toString('latin1');
        const colon = decoded.indexOf(':');
        const p = pairFor('http', flow.clientIp, flow.clientMac, flow.serverIp, flow.serverPort, msg.tsUs);
        note(p, colon >= 0 ? decoded.slice(0, colon) : decoded, colon >= 0 ? decoded.slice(colon + 1) : '');
        check(p, flow, msg.tsUs, ctx);
      }
    },
  };
}
