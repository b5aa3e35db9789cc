/**
 * Test helper: payload packets of a capture via tshark (the reference dissector), as
 * (flow, direction, payload) records. Server side = the lower port of the pair.
 */
import { spawnSync } from 'node:child_process';
import type { FlowView } from '../../src/events/flow.js';

export interface CapturePacket {
  flow: FlowView;
  dir: 0 | 1;
  payload: Uint8Array;
  tsUs: number;
  /** DNS query name (queries only) and TLS ClientHello SNI as tshark decoded them. */
  dnsQuery?: string;
  sni?: string;
}

export function tsharkPayloads(file: string): CapturePacket[] | null {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp.len > 0 || udp.length > 8', '-T', 'fields', '-E', 'separator=|',
    '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport',
    '-e', 'tcp.payload', '-e', 'udp.payload', '-e', 'frame.time_epoch',
    '-e', 'dns.flags.response', '-e', 'dns.qry.name', '-e', 'tls.handshake.extensions_server_name'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.error || r.status !== 0) return null;
  const flows = new Map<string, FlowView>();
  const out: CapturePacket[] = [];
  for (const line of r.stdout.split('\n')) {
    const [src, dst, tsp, tdp, usp, udp, tpay, upay, ts, dnsResponse, qname, sni] = line.split('|');
    if (!src || !dst) continue;
    const tcp = !!tsp;
    const sp = Number(tcp ? tsp : usp);
    const dp = Number(tcp ? tdp : udp);
    const hex = (tcp ? tpay : upay)?.replace(/:/g, '') ?? '';
    const toServer = dp < sp || (dp === sp && src < dst);
    const [cIp, sIp, cPort, sPort] = toServer ? [src, dst, sp, dp] : [dst, src, dp, sp];
    const key = `${tcp ? 6 : 17}|${cIp}|${cPort}|${sIp}|${sPort}`;
    let flow = flows.get(key);
    if (!flow) {
      flow = {
        id: flows.size + 1, proto: tcp ? 6 : 17, ipVersion: 4, vlan: 0, clientIp: cIp, serverIp: sIp, clientPort: cPort, serverPort: sPort,
        client4: 0, server4: 0, clientMac: '', serverMac: '', firstTsUs: 0, lastTsUs: 0, pktsToServer: 1, pktsToClient: 1,
        bytesToServer: 0, bytesToClient: 0, handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false, state: 'established',
        tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: 0, userData: new Map(),
      };
      flows.set(key, flow);
    }
    out.push({
      flow, dir: toServer ? 0 : 1, payload: Buffer.from(hex, 'hex'), tsUs: Math.round(Number(ts) * 1e6),
      dnsQuery: dnsResponse === 'False' || dnsResponse === '0' ? qname?.split(',')[0] : undefined,
      sni: sni ? sni.split(',')[0] : undefined,
    });
  }
  return out;
}
