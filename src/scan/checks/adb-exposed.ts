/** Android Debug Bridge open on the network: the ADB.Miner worm's door (Android TVs, boxes, phones). */
import type { Finding } from '../types.js';
import { ADVICE, describePort, portsWith, type HostCheck } from './check.js';

export const adbExposed: HostCheck = {
  id: 'adb-exposed',
  run(host): Finding[] {
    return portsWith(host, (p) => p.service === 'adb').map((p) => {
      const open = p.details?.authRequired === false;
      return {
        id: 'adb-exposed',
        severity: open ? 'critical' : 'medium',
        title: open ? 'Android debugging (ADB) accepts anyone, without authorisation' : 'Android debugging (ADB) is reachable over the network',
        port: p.port,
        evidence: `${describePort(p)} ${open ? 'completed an ADB connection with no authorisation: anyone on the network gets a shell' : 'answered an ADB connection with an authorisation challenge'}`,
        remediation: `Turn off "ADB debugging" / "Network debugging" in the device's Developer options (or factory-reset it if you never turned it on), and block port ${p.port}. The ADB.Miner worm used exactly this to mine Monero on Android TVs and boxes. ${ADVICE.separate}`,
      };
    });
  },
};
