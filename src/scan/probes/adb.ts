/**
 * Android Debug Bridge over TCP (5555): a CNXN handshake. A device that answers CNXN (not
 * AUTH) gives anyone a root-capable shell — how the ADB.Miner worm spread Monero mining to
 * Android TVs and set-top boxes in 2018.
 */
import type { ServiceIdentity } from '../types.js';
import { latin1, withConversation, type ServiceProbe } from './probe.js';

const A_CNXN = 0x4e584e43;
const A_AUTH = 0x48545541;

export function buildAdbConnect(): Buffer {
  const payload = Buffer.from('host::minewatch\0', 'latin1');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(A_CNXN, 0);
  header.writeUInt32LE(0x01000000, 4); // protocol version
  header.writeUInt32LE(256 * 1024, 8); // max payload
  header.writeUInt32LE(payload.length, 12);
  let sum = 0;
  for (const byte of payload) sum += byte;
  header.writeUInt32LE(sum >>> 0, 16);
  header.writeUInt32LE((A_CNXN ^ 0xffffffff) >>> 0, 20);
  return Buffer.concat([header, payload]);
}

/** 'open' (CNXN: no authorisation), 'auth' (AUTH challenge), or null when not ADB. */
export function parseAdbReply(buf: Buffer): { state: 'open' | 'auth'; banner: string } | null {
  if (buf.length < 24) return null;
  const cmd = buf.readUInt32LE(0);
  if (buf.readUInt32LE(20) !== (cmd ^ 0xffffffff) >>> 0) return null;
  if (cmd === A_CNXN) return { state: 'open', banner: latin1(buf.subarray(24, 24 + Math.min(buf.readUInt32LE(12), 512))) };
  if (cmd === A_AUTH) return { state: 'auth', banner: '' };
  return null;
}

export const adbProbe: ServiceProbe = {
  id: 'adb',
  ports: [5555],
  probe: (io) =>
    withConversation(io, {}, async (conv): Promise<ServiceIdentity | null> => {
      conv.write(buildAdbConnect());
      const buf = await conv.readUntil((b) => b.length >= 24 && b.length >= 24 + b.readUInt32LE(12), io.timeoutMs);
      const r = parseAdbReply(buf);
      if (!r) return null;
      const model = /ro\.product\.model=([^;]*)/.exec(r.banner)?.[1] ?? '';
      return {
        service: 'adb',
        product: model ? `Android (${model})` : 'Android Debug Bridge',
        version: '',
        banner: r.state === 'open' ? r.banner.slice(0, 200) : 'AUTH required',
        details: { authRequired: r.state === 'auth' },
      };
    }),
};
