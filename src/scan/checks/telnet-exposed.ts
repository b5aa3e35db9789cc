/** Telnet sends passwords in clear and is how Mirai and its mining descendants spread. */
import type { Finding } from '../types.js';
import { ADVICE, describePort, portsWith, type HostCheck } from './check.js';

export const telnetExposed: HostCheck = {
  id: 'telnet-exposed',
  run(host): Finding[] {
    return portsWith(host, (p) => p.service === 'telnet').map((p) => ({
      id: 'telnet-exposed',
      severity: 'high',
      title: 'Telnet remote login is open',
      port: p.port,
      evidence: `${describePort(p)} answers${p.details?.loginPrompt ? ' with a login prompt' : ''}${p.details?.text ? `: "${String(p.details.text).slice(0, 80)}"` : ''}`,
      remediation: `Turn telnet off in the device's settings (or firewall port ${p.port}); use SSH or the web interface instead. Telnet sends passwords unencrypted and is the first door Mirai-style botnets, which install miners, try. ${ADVICE.defaults} ${ADVICE.update}`,
    }));
  },
};
