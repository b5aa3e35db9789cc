/**
 * Detector `version-scan`: Nmap's service and version detection (`nmap -sV`, `-A`, NSE), which
 * touches only the few ports it was asked about and so stays below every port threshold of
 * the `scan` detector. Recognised by what Nmap sends, not by any header field:
 * - the first client payload of a connection being byte for byte one of the probes of
 *   nmap-service-probes that no ordinary client sends as its first message — GenericLines
 *   ("\r\n\r\n"), FourOhFourRequest (GET /nice%20ports%2C/Tri%6Eity.txt%2ebak), SIPOptions
 *   (sip:nm), TerminalServerCookie (mstshash=nmap), RPCCheck, DNSVersionBindReqTCP;
 * - an HTTP request with the NSE user agent "Mozilla/5.0 (compatible; Nmap Scripting Engine"
 *   or NSE's probe path /nmaplowercheck….
 * A version scan is reported when one client sends such probes to DISTINCT_PORTS (2) ports of
 * one server within the window, or an NSE request (which names Nmap itself). Nmap's plain
 * GetRequest (GET / HTTP/1.0 with no header) is counted as corroboration only: some
 * monitors send it too.
 *
 * Cost: a length-indexed table rejects almost every data packet with one load (the probes
 * have fixed lengths); state is made only for client/server pairs that sent a probe (LRU,
 * bounded). Flow-partitioned: all flows between two hosts are on one worker.
 *
 * Signature (9101000+): 0 Nmap version scan.
 */
import type { DetectorContext, DetectorOf, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { IpProto, PacketClass, type PacketView } from '../events/packet.js';
import { Category, LruMap, SidBase } from './common.js';

export const VERSION_SCAN_DETECTOR = 'version-scan';
const SID = SidBase['version-scan'];
const DISTINCT_PORTS = 2;
const NSE_UA = 'Nmap Scripting Engine';

/** Nmap probes (nmap-service-probes) no ordinary client opens a connection with. */
const DISTINCT_PROBES: readonly [string, string][] = [
  ['GenericLines', '\r\n\r\n'],
  ['FourOhFourRequest', 'GET /nice%20ports%2C/Tri%6Eity.txt%2ebak HTTP/1.0\r\n\r\n'],
  ['SIPOptions', 'OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/TCP nm;branch=foo\r\nFrom: <sip:nm@nm>;tag=root\r\nTo: <sip:nm2@nm2>\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\nContact: <sip:nm@nm>\r\nAccept: application/sdp\r\n\r\n'],
  ['TerminalServerCookie', '\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00Cookie: mstshash=nmap\r\n\x01\x00\x08\x00\x03\x00\x00\x00'],
  ['RPCCheck', '\x80\x00\x00\x28\x72\xfe\x1d\x13\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01\x86\xa0\x01\x97\x7c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'],
  ['DNSVersionBindReqTCP', '\x00\x1e\x00\x06\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x04bind\x00\x00\x10\x00\x03'],
];
/** Sent by Nmap, and by some monitors: corroboration, not evidence on its own. */
const GENERIC_PROBES: readonly [string, string][] = [
  ['GetRequest', 'GET / HTTP/1.0\r\n\r\n'],
  ['HTTPOptions', 'OPTIONS / HTTP/1.0\r\n\r\n'],
  ['RTSPRequest', 'OPTIONS / RTSP/1.0\r\n\r\n'],
  ['Help', 'HELP\r\n'],
];

interface Probe { name: string; bytes: Uint8Array; distinct: boolean }
/** Probes by payload length: the one load that rejects ordinary packets. */
const BY_LENGTH = new Map<number, Probe[]>();
const MAX_LEN = Math.max(...[...DISTINCT_PROBES, ...GENERIC_PROBES].map(([, s]) => s.length));
const HAS_LENGTH = new Uint8Array(MAX_LEN + 1);
for (const [list, distinct] of [[DISTINCT_PROBES, true], [GENERIC_PROBES, false]] as const) {
  for (const [name, s] of list) {
    const p: Probe = { name, bytes: Uint8Array.from(s, (c) => c.charCodeAt(0)), distinct };
    BY_LENGTH.set(s.length, [...(BY_LENGTH.get(s.length) ?? []), p]);
    HAS_LENGTH[s.length] = 1;
  }
}

export interface VersionScanOptions {
  windowUs?: number;
  maxPairs?: number;
}

interface PairState {
  windowStart: number;
  /** port → probe names seen there */
  ports: Map<number, Set<string>>;
  distinctPorts: Set<number>;
  nse: number;
  nseSample: string;
  lastAlertUs: number;
}

/** The Nmap probe a client's first payload is, or null. */
export function nmapProbe(buf: Uint8Array, off: number, len: number): Probe | null {
  if (len > MAX_LEN || HAS_LENGTH[len] === 0) return null;
  for (const p of BY_LENGTH.get(len)!) {
    let j = 0;
    while (j < len && buf[off + j] === p.bytes[j]) j++;
    if (j === len) return p;
  }
  return null;
}

export function createVersionScanDetector(opts: VersionScanOptions = {}): DetectorOf<'http'> {
  const windowUs = opts.windowUs ?? 300_000_000;
  const pairs = new LruMap<string, PairState>(opts.maxPairs ?? 4096);

  function pairOf(flow: FlowView, tsUs: number): PairState {
    const key = `${flow.clientIp}|${flow.serverIp}`;
    let st = pairs.get(key);
    if (st === undefined || tsUs - st.windowStart > windowUs) {
      st = { windowStart: tsUs, ports: new Map(), distinctPorts: new Set(), nse: 0, nseSample: '', lastAlertUs: st?.lastAlertUs ?? -Infinity };
      pairs.set(key, st);
    }
    return st;
  }

  function note(flow: FlowView, st: PairState, probe: string, distinct: boolean): void {
    let names = st.ports.get(flow.serverPort);
    if (names === undefined) {
      if (st.ports.size >= 64) return;
      names = new Set();
      st.ports.set(flow.serverPort, names);
    }
    if (names.size < 16) names.add(probe);
    if (distinct) st.distinctPorts.add(flow.serverPort);
  }

  function check(flow: FlowView, st: PairState, tsUs: number, ctx: DetectorContext): void {
    if (tsUs - st.lastAlertUs < windowUs) return;
    if (st.distinctPorts.size < DISTINCT_PORTS && st.nse === 0) return;
    st.lastAlertUs = tsUs;
    const ports = [...st.ports.entries()].sort((a, b) => a[0] - b[0]).map(([port, names]) => ({ port, probes: [...names] }));
    ctx.emit(flow, {
      detector: VERSION_SCAN_DETECTOR, signatureId: SID,
      signature: `MINEWATCH SCAN Nmap version scan from ${flow.clientIp} to ${flow.serverIp}`,
      category: Category.RECON, severity: 2,
      evidence: {
        kind: 'version scan', target: flow.serverIp, ports, portsWithNmapOnlyProbes: st.distinctPorts.size,
        ...(st.nse > 0 ? { nseRequests: st.nse, nseSample: st.nseSample } : {}),
        note: 'probe strings of nmap-service-probes (or the Nmap Scripting Engine user agent) as the first bytes of connections',
      },
      device: flow.clientMac ? { mac: flow.clientMac, ip: flow.clientIp, id: flow.clientMac } : { ip: flow.clientIp, id: flow.clientIp },
      dedupKey: `${VERSION_SCAN_DETECTOR}:${flow.clientIp}:${flow.serverIp}`,
    });
  }

  return {
    id: VERSION_SCAN_DETECTOR,
    // NSE's HTTP requests
    protocols: ['http'],
    packets: PacketClass.TCP_DATA,
    onPacket(pkt: PacketView, flow: FlowView | null, ctx: DetectorContext): void {
      const len = pkt.payloadLength;
      // The client's first payload: its third packet after SYN and ACK (the counters include
      // this packet), so a lone "\r\n\r\n" ending a request mid-stream is not a probe.
      if (len > MAX_LEN || HAS_LENGTH[len] === 0 || flow === null || pkt.proto !== IpProto.TCP || flow.lastDir !== 0 || flow.pktsToServer > 3) return;
      const probe = nmapProbe(pkt.buf, pkt.payloadOffset, len);
      if (probe === null) return;
      const st = pairOf(flow, pkt.tsUs);
      note(flow, st, probe.name, probe.distinct);
      check(flow, st, pkt.tsUs, ctx);
    },
    onMessage(msg: ProtocolMessage<'http'>, flow: FlowView, ctx: DetectorContext): void {
      if (msg.kind !== 'request') return;
      const f = msg.fields;
      const nse = f.userAgent.includes(NSE_UA);
      if (!nse && !f.uri.startsWith('/nmaplowercheck')) return;
      const st = pairOf(flow, msg.tsUs);
      st.nse++;
      if (st.nseSample === '') st.nseSample = `${f.method} ${f.uri.slice(0, 80)} (User-Agent: ${f.userAgent.slice(0, 100)})`;
      note(flow, st, nse ? 'NSE user agent' : 'NSE /nmaplowercheck', true);
      check(flow, st, msg.tsUs, ctx);
    },
  };
}
