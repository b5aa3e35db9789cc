/**
 * An Nmap-style SYN scan of one home device from the Internet: window 1024, MSS option,
 * fixed source port; open ports answer SYN-ACK (and get a RST), closed ones RST-ACK.
 */
import { ACK, Path, RST, SYN } from '../packet-builder.js';
import { formatIpv4 } from '../../util/ip.js';
import type { FlowTask } from '../scheduler.js';
import type { Device, World } from '../world.js';
import { after, sleep } from './common.js';

// The IoT/admin/miner port list exposure scanners sweep (as minewatch scan's default list does)
export const SCAN_PORTS = [21, 22, 23, 25, 53, 80, 110, 139, 143, 443, 445, 554, 1433, 1883, 2323, 2375, 3306, 3389, 5000, 5555, 5900, 6379, 7547, 8000, 8080, 8081, 8291, 8443, 8728, 8888, 9000, 37215];
const NMAP_MSS = Uint8Array.of(2, 4, 5, 0xb4);

export function* portScan(w: World, scanner: number, d: Device, t: number, openPorts: number[]): FlowTask {
  const out = new Path(w.gatewayMac, d.mac, scanner, d.ip, 64 - w.rng.range(10, 20));
  const back = out.reverse(64, w.rng.int(65536));
  const sport = w.rng.range(40000, 65000);
  const ports = SCAN_PORTS.slice();
  for (let i = ports.length - 1; i > 0; i--) {
    const j = w.rng.int(i + 1);
    [ports[i], ports[j]] = [ports[j], ports[i]];
  }
  for (const dport of ports) {
    if (w.stopped) break;
    const seq = w.rng.u32();
    out.ipId = w.rng.int(65536);
    const truth = w.record('tcp', d, sport, d.ip, dport, t, 'port-scan', { details: { open: openPorts.includes(dport), scanner: formatIpv4(scanner) } }, scanner);
    let f = w.fb.tcp(out, sport, dport, seq, 0, SYN, 1024, null, 0, 0, NMAP_MSS);
    w.sink.emit(t, f);
    truth.packets++; truth.bytes += f.length;
    const tr = t + w.rng.range(100, 400);
    if (openPorts.includes(dport)) {
      const isn = w.rng.u32();
      f = w.fb.tcp(back, dport, sport, isn, (seq + 1) >>> 0, SYN | ACK, 29200, null, 0, 0, NMAP_MSS);
      w.sink.emit(tr, f);
      truth.packets++; truth.bytes += f.length;
      // the scanner's kernel resets the half-open connection one WAN round trip later
      const trst = yield* after(tr, w.rng.range(30_000, 120_000));
      f = w.fb.tcp(out, sport, dport, (seq + 1) >>> 0, 0, RST, 0, null, 0, 0);
      w.sink.emit(trst, f);
      t = trst;
    } else {
      f = w.fb.tcp(back, dport, sport, 0, (seq + 1) >>> 0, RST | ACK, 0, null, 0, 0);
      w.sink.emit(tr, f);
    }
    truth.packets++; truth.bytes += f.length;
    truth.endUs = Math.floor(tr);
    t = yield* sleep(t, w.rng.range(500, 3000));
  }
}
