/** FTP: "220 …" greeting; MikroTik's names the RouterOS version ("MikroTik 6.40.4"). */
import type { ServiceIdentity } from '../types.js';
import { latin1, type ServiceProbe } from './probe.js';

export function parseFtpGreeting(banner: Buffer): ServiceIdentity | null {
  const text = latin1(banner, 1024);
  const m = /^220[ -]([^\r\n]*)/.exec(text);
  if (!m || /smtp|esmtp|postfix|exim|sendmail/i.test(m[1])) return null;
  const line = m[1];
  let product = 'FTP server';
  let version = '';
  let sm: RegExpExecArray | null;
  if ((sm = /FTP server \(MikroTik v?([\w.]+)\)/i.exec(line))) {
    product = 'MikroTik RouterOS';
    version = sm[1];
  } else if ((sm = /\(vsFTPd ([\w.]+)\)/i.exec(line))) {
    product = 'vsftpd';
    version = sm[1];
  } else if ((sm = /ProFTPD ([\w.]+)/i.exec(line))) {
    product = 'ProFTPD';
    version = sm[1];
  } else if ((sm = /Pure-FTPd/i.exec(line))) {
    product = 'Pure-FTPd';
  } else if (!/ftp/i.test(line)) {
    return null;
  }
  return { service: 'ftp', product, version, banner: banner.subarray(0, banner.indexOf(0x0a) + 1 || 256) };
}

export const ftpProbe: ServiceProbe = {
  id: 'ftp',
  ports: [21, 2121],
  fromBanner: (banner) => parseFtpGreeting(banner),
};
