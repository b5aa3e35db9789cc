/** Microsoft SQL Server: a TDS PRELOGIN packet; the VERSION option names the release. */
import type { ServiceIdentity } from '../types.js';
import { withConversation, type ServiceProbe } from './probe.js';

export function buildPrelogin(): Buffer {
  // Tokens: VERSION(6) ENCRYPTION(1) INSTOPT(1) THREADID(4) MARS(1), then 0xff.
  const tokens: Array<[number, number]> = [[0x00, 6], [0x01, 1], [0x02, 1], [0x03, 4], [0x04, 1]];
  let offset = tokens.length * 5 + 1;
  const head: number[] = [];
  for (const [type, len] of tokens) {
    head.push(type, offset >> 8, offset & 0xff, len >> 8, len & 0xff);
    offset += len;
  }
  head.push(0xff);
  const data = Buffer.concat([
    Buffer.from(head),
    Buffer.from([0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), // client version
    Buffer.from([0x02]), // encryption: not supported
    Buffer.from([0x00]), // instance: default
    Buffer.from([0x00, 0x00, 0x00, 0x00]),
    Buffer.from([0x00]),
  ]);
  const header = Buffer.from([0x12, 0x01, 0, 0, 0, 0, 0x01, 0x00]);
  header.writeUInt16BE(header.length + data.length, 2);
  return Buffer.concat([header, data]);
}

const RELEASES: Record<number, string> = { 8: '2000', 9: '2005', 10: '2008', 11: '2012', 12: '2014', 13: '2016', 14: '2017', 15: '2019', 16: '2022', 17: '2025' };

/** Version "major.minor.build" from a PRELOGIN response, or null when not TDS. */
export function parsePreloginResponse(buf: Buffer): { version: string; release: string; encryption: number } | null {
  if (buf.length < 8 + 6 || buf[0] !== 0x04) return null;
  const total = buf.readUInt16BE(2);
  const data = buf.subarray(8, Math.min(total, buf.length));
  let p = 0;
  let version = '';
  let release = '';
  let encryption = -1;
  for (let n = 0; n < 16 && p < data.length && data[p] !== 0xff; n++, p += 5) {
    if (p + 5 > data.length) return null;
    const type = data[p];
    const off = data.readUInt16BE(p + 1);
    const len = data.readUInt16BE(p + 3);
    if (off + len > data.length) return null;
    if (type === 0x00 && len >= 4) {
      const major = data[off];
      version = `${major}.${data[off + 1]}.${data.readUInt16BE(off + 2)}`;
      release = RELEASES[major] ?? '';
    } else if (type === 0x01 && len >= 1) {
      encryption = data[off];
    }
  }
  return version ? { version, release, encryption } : null;
}

export const mssqlProbe: ServiceProbe = {
  id: 'mssql',
  ports: [1433],
  probe: (io) =>
    withConversation(io, {}, async (conv): Promise<ServiceIdentity | null> => {
      conv.write(buildPrelogin());
      const buf = await conv.readUntil((b) => b.length >= 8 && b.length >= b.readUInt16BE(2), io.timeoutMs);
      const r = parsePreloginResponse(buf);
      if (!r) {
        if (buf.length > 0 && buf[0] === 0x04) io.malformed('mssql.bad-prelogin');
        return null;
      }
      return {
        service: 'ms-sql-s',
        product: `Microsoft SQL Server${r.release ? ` ${r.release}` : ''}`,
        version: r.version,
        banner: `TDS PRELOGIN version ${r.version}`,
        details: { encryption: r.encryption },
      };
    }),
};
