/** A router/camera/NAS admin page over plain HTTP: passwords cross the network readable. */
import type { Finding } from '../types.js';
import { ADVICE, describePort, portsWith, type HostCheck } from './check.js';

export const adminHttpCleartext: HostCheck = {
  id: 'admin-http-cleartext',
  run(host): Finding[] {
    return portsWith(host, (p) => p.service === 'http' && !p.tls && (p.details?.adminUi !== undefined || p.details?.basicAuth === true)).map((p) => {
      const ui = p.details?.adminUi as { name: string; kind: string } | undefined;
      const what = ui ? ui.name : `a password-protected page (HTTP Basic${p.details?.realm ? `, realm "${String(p.details.realm)}"` : ''})`;
      return {
        id: 'admin-http-cleartext',
        severity: 'medium',
        title: 'Admin interface served over unencrypted HTTP',
        port: p.port,
        evidence: `${describePort(p)} serves ${what}${p.details?.title ? `, title "${String(p.details.title)}"` : ''}`,
        remediation: `Use the HTTPS admin page only (turn on HTTPS and turn off plain HTTP on port ${p.port}), never allow admin access from the internet, and change the admin password if it was ever typed over HTTP on a shared network. ${ADVICE.defaults} ${ADVICE.update}`,
      };
    });
  },
};
