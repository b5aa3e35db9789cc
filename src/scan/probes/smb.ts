/**
 * SMB presence: an SMB2 NEGOTIATE (dialects 2.0.2–3.0.2) names the dialect; when a server
 * ignores it we try an SMB1 "NT LM 0.12" negotiate, because SMB1-only devices are the ones
 * worms like WannaMine (EternalBlue + Monero miner) spread through.
 */
import type { ServiceIdentity } from '../types.js';
import { withConversation, type ServiceProbe } from './probe.js';

const SMB2_DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302];

export function buildSmb2Negotiate(): Buffer {
  const header = Buffer.alloc(64);
  header.write('\xfeSMB', 0, 'latin1');
  header.writeUInt16LE(64, 4); // structure size
  header.writeUInt16LE(0, 12); // command NEGOTIATE
  header.writeUInt16LE(1, 14); // credits requested
  const neg = Buffer.alloc(36 + SMB2_DIALECTS.length * 2);
  neg.writeUInt16LE(36, 0);
  neg.writeUInt16LE(SMB2_DIALECTS.length, 2);
  neg.writeUInt16LE(1, 4); // signing enabled
  for (let i = 0; i < 16; i++) neg[12 + i] = (i * 37 + 11) & 0xff; // client GUID
  SMB2_DIALECTS.forEach((d, i) => neg.writeUInt16LE(d, 36 + i * 2));
  return withNetbios(Buffer.concat([header, neg]));
}

export function buildSmb1Negotiate(): Buffer {
  const header = Buffer.alloc(32);
  header.write('\xffSMB', 0, 'latin1');
  header[4] = 0x72; // NEGOTIATE
  header[9] = 0x18; // flags: canonical paths, case-insensitive
  header.writeUInt16LE(0xc801, 10); // flags2: unicode, NT status, long names
  const dialect = Buffer.from('\x02NT LM 0.12\x00', 'latin1');
  const words = Buffer.from([0x00]); // word count 0
  const byteCount = Buffer.alloc(2);
  byteCount.writeUInt16LE(dialect.length);
  return withNetbios(Buffer.concat([header, words, byteCount, dialect]));
}

function withNetbios(msg: Buffer): Buffer {
  const nb = Buffer.alloc(4);
  nb.writeUInt32BE(msg.length & 0xffffff);
  return Buffer.concat([nb, msg]);
}

const DIALECT_NAMES: Record<number, string> = { 0x0202: '2.0.2', 0x0210: '2.1', 0x0300: '3.0', 0x0302: '3.0.2', 0x0311: '3.1.1', 0x02ff: '2.x' };

/** Parse a negotiate response: SMB2 dialect or SMB1; null when not SMB. */
export function parseSmbNegotiate(buf: Buffer): { smb1: boolean; dialect: string } | null {
  if (buf.length < 8 || buf[0] !== 0x00) return null;
  const magic = buf.subarray(4, 8).toString('latin1');
  if (magic === '\xfeSMB') {
    if (buf.length < 4 + 64 + 6) return { smb1: false, dialect: '2.x' };
    const d = buf.readUInt16LE(4 + 64 + 4);
    return { smb1: false, dialect: DIALECT_NAMES[d] ?? `0x${d.toString(16)}` };
  }
  if (magic === '\xffSMB') return { smb1: true, dialect: 'NT LM 0.12' };
  return null;
}

export const smbProbe: ServiceProbe = {
  id: 'smb',
  ports: [445, 139],
  async probe(io): Promise<ServiceIdentity | null> {
    for (const request of [buildSmb2Negotiate(), buildSmb1Negotiate()]) {
      const got = await withConversation(io, {}, async (conv) => {
        conv.write(request);
        const buf = await conv.readUntil((b) => b.length >= 4 && b.length >= 4 + b.readUInt32BE(0), io.timeoutMs);
        const parsed = parseSmbNegotiate(buf);
        if (!parsed && buf.length > 0 && buf[0] === 0x00 && buf.length >= 8) io.malformed('smb.unknown-reply');
        return parsed;
      });
      if (got) {
        return {
          service: 'smb',
          product: got.smb1 ? 'SMB1 server' : 'SMB2/3 server',
          version: got.dialect,
          banner: `SMB negotiate: ${got.smb1 ? 'SMB1' : `SMB ${got.dialect}`}`,
          details: { smb1: got.smb1, dialect: got.dialect },
        };
      }
    }
    return null;
  },
};
