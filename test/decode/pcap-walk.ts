/**
 * Test-only capture walker for classic pcap and pcapng (SHB/IDB/EPB/SPB), just enough to
 * feed real captures to the decoder. The real readers live in src/capture/.
 */
import { readFileSync } from 'node:fs';

export interface WalkedRecord {
  buf: Uint8Array;
  offset: number;
  capLen: number;
  wireLen: number;
  tsUs: number;
  linkType: number;
}

export function walkCapture(path: string): WalkedRecord[] {
  const buf = new Uint8Array(readFileSync(path));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic === 0x0a0d0d0a) return walkPcapng(buf, dv);
  const out: WalkedRecord[] = [];
  let le: boolean;
  let nanos = false;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = false;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = true;
  else throw new Error(`${path}: not a pcap`);
  if (magic === 0xa1b23c4d || magic === 0x4d3cb2a1) nanos = true;
  const linkType = dv.getUint32(20, le) & 0xffff;
  let p = 24;
  while (p + 16 <= buf.length) {
    const sec = dv.getUint32(p, le);
    const frac = dv.getUint32(p + 4, le);
    const capLen = dv.getUint32(p + 8, le);
    const wireLen = dv.getUint32(p + 12, le);
    if (p + 16 + capLen > buf.length) break;
    out.push({ buf, offset: p + 16, capLen, wireLen, tsUs: sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac), linkType });
    p += 16 + capLen;
  }
  return out;
}

function walkPcapng(buf: Uint8Array, dv: DataView): WalkedRecord[] {
  const out: WalkedRecord[] = [];
  let le = true;
  let ifaces: { linkType: number; unitsPerSec: number }[] = [];
  let p = 0;
  while (p + 12 <= buf.length) {
    const type = dv.getUint32(p, le);
    if (type === 0x0a0d0d0a) {
      le = dv.getUint32(p + 8, true) === 0x1a2b3c4d;
      ifaces = [];
    }
    const len = dv.getUint32(p + 4, le);
    if (len < 12 || p + len > buf.length) break;
    if (type === 1) {
      let unitsPerSec = 1e6;
      let o = p + 16;
      while (o + 4 <= p + len - 4) {
        const code = dv.getUint16(o, le);
        const olen = dv.getUint16(o + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const r = buf[o + 4];
          unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
        o += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ linkType: dv.getUint16(p + 8, le), unitsPerSec });
    } else if (type === 6) {
      const iface = ifaces[dv.getUint32(p + 8, le)];
      const ts = dv.getUint32(p + 12, le) * 2 ** 32 + dv.getUint32(p + 16, le);
      const capLen = dv.getUint32(p + 20, le);
      const wireLen = dv.getUint32(p + 24, le);
      out.push({ buf, offset: p + 28, capLen, wireLen, tsUs: Math.floor((ts / iface.unitsPerSec) * 1e6), linkType: iface.linkType });
    } else if (type === 3) {
      const wireLen = dv.getUint32(p + 8, le);
      out.push({ buf, offset: p + 12, capLen: Math.min(wireLen, len - 16), wireLen, tsUs: 0, linkType: ifaces[0].linkType });
    }
    p += len;
  }
  return out;
}
