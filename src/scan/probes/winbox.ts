/**
 * MikroTik Winbox (8291): the legacy "list" file request. RouterOS 6.28–6.42 answer with the
 * package list, which carries the RouterOS version; newer ones answer with an M2 message.
 * Request bytes as published in Tenable's RouterOS research (8291_scanner).
 */
import type { ServiceIdentity } from '../types.js';
import { latin1, withConversation, type ServiceProbe } from './probe.js';

export const WINBOX_LIST_REQUEST = Buffer.from('12026c6973740000000000000000008000000000', 'hex');

export function parseWinboxReply(buf: Buffer): ServiceIdentity | null {
  if (buf.length < 6) return null;
  const text = latin1(buf, 65536);
  // Framed M2 message: [len][0x01][0x00][len]"M2"… (nmap's winbox signatures), or a list reply.
  const m2 = buf[1] === 0x01 && buf.subarray(4, 6).toString('latin1') === 'M2';
  const list = buf[1] === 0x02 && text.slice(2, 6) === 'list';
  const versioned = /version: "(\d+\.\d+(?:\.\d+)?)"/.exec(text);
  if (!m2 && !list && !versioned) return null;
  return {
    service: 'winbox',
    product: 'MikroTik RouterOS',
    version: versioned?.[1] ?? '',
    banner: buf.subarray(0, 32),
    details: { listReadable: Boolean(versioned) },
  };
}

export const winboxProbe: ServiceProbe = {
  id: 'winbox',
  ports: [8291],
  probe: (io) =>
    withConversation(io, {}, async (conv) => {
      conv.write(WINBOX_LIST_REQUEST);
      const buf = await conv.readUntil((b) => /version: "[\d.]+"/.test(latin1(b)) || (b.length >= 6 && b[1] === 0x01), io.timeoutMs);
      return parseWinboxReply(buf);
    }),
};
