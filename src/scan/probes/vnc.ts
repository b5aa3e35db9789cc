/** VNC (RFB): the server speaks first with "RFB 003.008\n". */
import type { ServiceIdentity } from '../types.js';
import { latin1, type ServiceProbe } from './probe.js';

export function parseRfbBanner(banner: Buffer): ServiceIdentity | null {
  const m = /^RFB (\d{3})\.(\d{3})\n/.exec(latin1(banner, 64));
  if (!m) return null;
  return { service: 'vnc', product: 'VNC', version: `${Number(m[1])}.${Number(m[2])}`, banner: banner.subarray(0, 12) };
}

export const vncProbe: ServiceProbe = {
  id: 'vnc',
  ports: [5900, 5901],
  fromBanner: (banner) => parseRfbBanner(banner),
};
