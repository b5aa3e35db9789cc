/** DNS messages (RFC 1035): queries and responses with A, AAAA and CNAME answers, name compression. */

export const QTYPE_A = 1;
export const QTYPE_CNAME = 5;
export const QTYPE_AAAA = 28;

export interface DnsRecord {
  type: number;
  /** owner name of the record */
  name: string;
  ttl: number;
  /** 4 bytes (A), 16 bytes (AAAA) or a name (CNAME) */
  data: Uint8Array | string;
}

class NameWriter {
  readonly bytes: number[] = [];
  private readonly offsets = new Map<string, number>();

  name(n: string): void {
    const labels = n.replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.offsets.get(suffix);
      if (at !== undefined) {
        this.bytes.push(0xc0 | (at >>> 8), at & 0xff);
        return;
      }
      if (this.bytes.length < 0x3fff) this.offsets.set(suffix, this.bytes.length);
      const l = Buffer.from(labels[i], 'ascii');
      this.bytes.push(l.length, ...l);
    }
    this.bytes.push(0);
  }

  u16(v: number): void {
    this.bytes.push((v >>> 8) & 255, v & 255);
  }

  u32(v: number): void {
    this.bytes.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  }
}

function header(w: NameWriter, id: number, flags: number, qd: number, an: number): void {
  w.u16(id);
  w.u16(flags);
  w.u16(qd);
  w.u16(an);
  w.u16(0);
  w.u16(0);
}

/** A recursive query for one name. */
export function dnsQuery(id: number, name: string, qtype: number): Buffer {
  const w = new NameWriter();
  header(w, id, 0x0100, 1, 0);
  w.name(name);
  w.u16(qtype);
  w.u16(1);
  return Buffer.from(w.bytes);
}

/** The resolver's answer; rcode 3 (NXDOMAIN) when answers is empty and nx is set. */
export function dnsResponse(id: number, name: string, qtype: number, answers: DnsRecord[], nx = false): Buffer {
  const w = new NameWriter();
  header(w, id, 0x8180 | (nx ? 3 : 0), 1, answers.length);
  w.name(name);
  w.u16(qtype);
  w.u16(1);
  for (const a of answers) {
    w.name(a.name);
    w.u16(a.type);
    w.u16(1);
    w.u32(a.ttl);
    if (typeof a.data === 'string') {
      const lenAt = w.bytes.length;
      w.u16(0);
      w.name(a.data);
      const len = w.bytes.length - lenAt - 2;
      w.bytes[lenAt] = len >>> 8;
      w.bytes[lenAt + 1] = len & 255;
    } else {
      w.u16(a.data.length);
      w.bytes.push(...a.data);
    }
  }
  return Buffer.from(w.bytes);
}
