/** MikroTik Winbox/API reachable: the door CVE-2018-14847 (the 2018 router cryptojacking campaign) walked through. */
import type { Finding } from '../types.js';
import { ADVICE, describePort, portsWith, type HostCheck } from './check.js';

export const winboxExposed: HostCheck = {
  id: 'winbox-exposed',
  run(host): Finding[] {
    return portsWith(host, (p) => p.service === 'winbox' || p.service.startsWith('routeros-api')).map((p) => {
      const old = p.details?.listReadable === true || p.details?.legacyLogin === true;
      return {
        id: 'winbox-exposed',
        severity: old ? 'high' : 'medium',
        title: p.service === 'winbox' ? 'MikroTik Winbox management is reachable' : 'MikroTik RouterOS API is reachable',
        port: p.port,
        evidence: `${describePort(p)} answered${old ? ' like RouterOS before 6.43 (the releases open to CVE-2018-14847)' : ''}`,
        remediation: `In IP > Services, disable api/api-ssl if unused and set "Available From" for winbox to your admin computer's subnet; never expose port ${p.port} to the internet. ${ADVICE.update} ${ADVICE.defaults}`,
      };
    });
  },
};
