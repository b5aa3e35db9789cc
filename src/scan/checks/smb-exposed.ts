/** SMB open: EternalBlue-style worms (WannaMine, Lemon Duck) spread miners through it; SMB1 is worst. */
import type { Finding } from '../types.js';
import { ADVICE, describePort, portsWith, type HostCheck } from './check.js';

export const smbExposed: HostCheck = {
  id: 'smb-exposed',
  run(host): Finding[] {
    return portsWith(host, (p) => p.service === 'smb').map((p) => {
      const smb1 = p.details?.smb1 === true;
      return {
        id: 'smb-exposed',
        severity: smb1 ? 'high' : 'medium',
        title: smb1 ? 'Windows file sharing (SMB1) is open' : 'Windows file sharing (SMB) is open',
        port: p.port,
        evidence: `${describePort(p)} completed an SMB negotiate${smb1 ? ' with the obsolete SMB1 dialect' : ''}`,
        remediation: `If no one needs file sharing on this device, turn it off; otherwise allow port ${p.port} only from your own computers${smb1 ? ', and disable SMB1 (Windows: "Turn Windows features on or off" > SMB 1.0/CIFS; NAS: minimum SMB protocol SMB2)' : ''}. Install all security updates: worms that install Monero miners (WannaMine, Lemon Duck) spread through SMB. ${ADVICE.update}`,
      };
    });
  },
};
