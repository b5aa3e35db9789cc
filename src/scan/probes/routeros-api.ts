/**
 * MikroTik RouterOS API (8728, TLS on 8729): length-prefixed words in sentences. A bare
 * /login returns a challenge (=ret=) only on RouterOS before 6.43 — a version hint that
 * matters because those releases are the CVE-2018-14847 ones.
 */
import type { ServiceIdentity } from '../types.js';
import { withConversation, type ProbeIo, type ServiceProbe } from './probe.js';

export function encodeWord(word: string): Buffer {
  const b = Buffer.from(word, 'utf8');
  if (b.length >= 0x80) throw new RangeError('API word too long for this encoder');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/** Decode the words of the sentences in `buf`; stops at the first incomplete or unsupported length. */
export function decodeWords(buf: Buffer): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < buf.length && words.length < 64) {
    const len = buf[i];
    let n: number;
    let hdr: number;
    if (len < 0x80) {
      n = len;
      hdr = 1;
    } else if ((len & 0xc0) === 0x80 && i + 1 < buf.length) {
      n = ((len & 0x3f) << 8) | buf[i + 1];
      hdr = 2;
    } else {
      break;
    }
    if (i + hdr + n > buf.length) break;
    words.push(buf.subarray(i + hdr, i + hdr + n).toString('latin1'));
    i += hdr + n;
  }
  return words;
}

async function probeApi(io: ProbeIo, tls: boolean): Promise<ServiceIdentity | null> {
  return withConversation(io, { tls }, async (conv) => {
    conv.write(Buffer.concat([encodeWord('/login'), Buffer.from([0])]));
    const buf = await conv.readUntil((b) => decodeWords(b).some((w) => w === '' ), io.timeoutMs);
    const words = decodeWords(buf);
    const reply = words.find((w) => w === '!done' || w === '!trap' || w === '!fatal');
    if (!reply) return null;
    const legacyChallenge = words.some((w) => w.startsWith('=ret='));
    return {
      service: tls ? 'routeros-api-ssl' : 'routeros-api',
      product: 'MikroTik RouterOS API',
      version: '',
      tls,
      banner: words.filter((w) => w !== '').join(' ').slice(0, 200),
      details: { legacyLogin: legacyChallenge, ...(legacyChallenge ? { versionHint: 'before 6.43' } : {}) },
    };
  });
}

export const routerosApiProbe: ServiceProbe = {
  id: 'routeros-api',
  ports: [8728],
  probe: (io) => probeApi(io, false),
};

export const routerosApiSslProbe: ServiceProbe = {
  id: 'routeros-api-ssl',
  ports: [8729],
  hintOnly: true,
  probe: (io) => probeApi(io, true),
};
