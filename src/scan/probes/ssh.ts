/** SSH: the server speaks first with "SSH-protoversion-softwareversion comments\r\n" (RFC 4253 §4.2). */
import type { ServiceIdentity } from '../types.js';
import { latin1, type ServiceProbe } from './probe.js';

const SSH_BANNER = /^SSH-(\d+\.\d+)-([^\s\r\n]+)(?:[ \t]+([^\r\n]*))?\r?\n/;

export function parseSshBanner(banner: Buffer): ServiceIdentity | null {
  const m = SSH_BANNER.exec(latin1(banner, 512));
  if (!m) return null;
  const software = m[2];
  let product = software;
  let version = '';
  let details: Record<string, unknown> = { protocol: m[1] };
  let sm: RegExpExecArray | null;
  if ((sm = /^OpenSSH_([\w.]+?)(?:_Mikrotik_v([\d.]+))?$/.exec(software))) {
    product = 'OpenSSH';
    version = sm[1];
    if (sm[2]) details = { ...details, routerosVersion: sm[2] };
  } else if ((sm = /^dropbear_?([\w.]*)$/i.exec(software))) {
    product = 'Dropbear sshd';
    version = sm[1];
  } else if (software === 'ROSSSH') {
    product = 'MikroTik RouterOS sshd';
  } else if ((sm = /^([A-Za-z][\w-]*?)[_-]v?(\d[\w.]*)$/.exec(software))) {
    product = sm[1];
    version = sm[2];
  }
  if (m[3]) details = { ...details, comment: m[3] };
  return { service: 'ssh', product, version, banner: banner.subarray(0, banner.indexOf(0x0a) + 1 || 256), details };
}

export const sshProbe: ServiceProbe = {
  id: 'ssh',
  ports: [22, 2222, 22222],
  fromBanner: (banner) => parseSshBanner(banner),
};
