/** RDP: an X.224 Connection Request with an RDP negotiation request; a Connection Confirm answers. */
import type { ServiceIdentity } from '../types.js';
import { withConversation, type ServiceProbe } from './probe.js';

// TPKT(3,0,len 19) X.224 CR, RDP_NEG_REQ requesting TLS | CredSSP.
export const RDP_CONNECTION_REQUEST = Buffer.from('030000130ee000000000000100080003000000', 'hex');

export function parseRdpConfirm(buf: Buffer): { protocol: number } | null {
  if (buf.length < 11 || buf[0] !== 0x03 || buf[1] !== 0x00 || (buf[5] & 0xf0) !== 0xd0) return null;
  // RDP_NEG_RSP (type 2) carries the selected protocol; absent for legacy RDP security.
  const protocol = buf.length >= 19 && buf[11] === 0x02 ? buf.readUInt32LE(15) : 0;
  return { protocol };
}

export const rdpProbe: ServiceProbe = {
  id: 'rdp',
  ports: [3389],
  probe: (io) =>
    withConversation(io, {}, async (conv): Promise<ServiceIdentity | null> => {
      conv.write(RDP_CONNECTION_REQUEST);
      const buf = await conv.readUntil((b) => b.length >= 4 && b.length >= b.readUInt16BE(2), io.timeoutMs);
      const r = parseRdpConfirm(buf);
      if (!r) return null;
      const security = r.protocol === 0 ? 'standard RDP security' : r.protocol === 1 ? 'TLS' : r.protocol === 2 || r.protocol === 3 ? 'CredSSP (NLA)' : `protocol ${r.protocol}`;
      return { service: 'ms-wbt-server', product: 'Remote Desktop (RDP)', version: '', banner: `X.224 connection confirm, ${security}`, details: { security } };
    }),
};
