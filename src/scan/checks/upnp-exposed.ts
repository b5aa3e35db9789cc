/**
 * UPnP/TR-064 answering: any program on the network (or, on a public address, the internet)
 * can ask the router to open ports; botnets use it to expose infected devices.
 */
import type { Finding } from '../types.js';
import { isPublicIp } from '../../util/ip.js';
import { describePort, portsWith, type HostCheck } from './check.js';

export const upnpExposed: HostCheck = {
  id: 'upnp-exposed',
  run(host): Finding[] {
    const publicAddr = isPublicIp(host.address);
    return portsWith(host, (p) => p.service === 'upnp' || p.service === 'ssdp').map((p) => {
      const portMapping = p.details?.portMapping === true;
      const tr064 = p.details?.tr064 === true;
      const what = [portMapping ? 'Internet Gateway port mapping (WANIPConnection/WANPPPConnection)' : '', tr064 ? 'TR-064 management' : ''].filter(Boolean).join(' and ');
      return {
        id: 'upnp-exposed',
        severity: publicAddr ? 'high' : portMapping || tr064 ? 'medium' : 'low',
        title: publicAddr ? 'UPnP answers on a public address' : 'UPnP is enabled',
        port: p.port,
        evidence: `${describePort(p)} answers UPnP${what ? ` and offers ${what}` : ''}${p.details?.friendlyName ? ` ("${String(p.details.friendlyName)}")` : ''}`,
        remediation: `Turn off UPnP (and TR-064 "access for applications") in the router unless a game console or app really needs it; malware uses it to open ports in your router without asking.${publicAddr ? ' It must never answer from the internet: update the firmware or replace the router.' : ''}`,
      };
    });
  },
};
