/**
 * The probe registry: one line per protocol file. Order matters only among probes that
 * share no port hint: the most common client-speaks-first services go first.
 */
import { adbProbe } from './adb.js';
import { ftpProbe } from './ftp.js';
import { httpProbe, httpsProbe } from './http.js';
import { mssqlProbe } from './mssql.js';
import { mqttProbe, mqttsProbe } from './mqtt.js';
import type { ServiceProbe } from './probe.js';
import { redisProbe } from './redis.js';
import { routerosApiProbe, routerosApiSslProbe } from './routeros-api.js';
import { rtspProbe } from './rtsp.js';
import { smbProbe } from './smb.js';
import { upnpProbe } from './ssdp-upnp.js';
import { sshProbe } from './ssh.js';
import { telnetProbe } from './telnet.js';
import { vncProbe } from './vnc.js';
import { rdpProbe } from './rdp.js';
import { winboxProbe } from './winbox.js';

export const PROBES: readonly ServiceProbe[] = [
  sshProbe,
  telnetProbe,
  ftpProbe,
  vncProbe,
  upnpProbe,
  httpProbe,
  redisProbe,
  mqttProbe,
  rtspProbe,
  httpsProbe,
  smbProbe,
  mssqlProbe,
  routerosApiProbe,
  winboxProbe,
  adbProbe,
  rdpProbe,
  mqttsProbe,
  routerosApiSslProbe,
];

/** Active probes to try on `port`: those that name the port first, then the general ones. */
export function activeProbeOrder(port: number, probes: readonly ServiceProbe[] = PROBES): ServiceProbe[] {
  const active = probes.filter((p) => p.probe);
  const hinted = active.filter((p) => p.ports.includes(port));
  const rest = active.filter((p) => !p.ports.includes(port) && !p.hintOnly);
  return [...hinted, ...rest];
}

export function bannerProbeOrder(port: number, probes: readonly ServiceProbe[] = PROBES): ServiceProbe[] {
  const passive = probes.filter((p) => p.fromBanner);
  return [...passive.filter((p) => p.ports.includes(port)), ...passive.filter((p) => !p.ports.includes(port))];
}
