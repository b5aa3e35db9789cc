/**
 * What the owner should do about an incident, per cause: the advice of the mission (remove the
 * miner, change default credentials, update firmware, close Redis/telnet, separate the IoT
 * network), keyed by the detector that raised the alert (from its signature id range,
 * detect/common.ts SidBase) and, for rules of other origin (ET Open …), by signature words.
 */
import { SidBase } from '../detect/common.js';

export interface Remediation {
  /** Short name of the cause. */
  cause: string;
  /** Steps for the owner, most important first. */
  steps: string[];
}

const MINER: Remediation = {
  cause: 'a device is mining cryptocurrency',
  steps: [
    'Find the program doing it on the device and remove it (on a PC: the task manager / ps for xmrig, minerd, cgminer; on an IoT device: reset it to factory settings).',
    'Change the device\'s passwords, including default ones: miners on home devices usually came in through a guessed or default login.',
    'Update the device\'s firmware or operating system, then watch whether the alert comes back.',
    'If the device cannot be cleaned or updated (an old camera, a cheap plug), put it on a separate IoT/guest network or replace it.',
    'If you run this miner on purpose, add a suppression rule (minewatch analyze --suppress) so it is not reported again.',
  ],
};
const BROWSER_MINER: Remediation = {
  cause: 'a web page is mining in a browser',
  steps: [
    'Close the page or tab named in the evidence; install an ad/miner blocker in the browser.',
    'If it is your own website, remove the injected mining script and change the site\'s admin passwords and plugins.',
  ],
};
const ENCRYPTED_MINER: Remediation = {
  ...MINER,
  cause: 'a device keeps an encrypted connection shaped like a mining session',
};
const SCAN: Remediation = {
  cause: 'scanning for vulnerable devices',
  steps: [
    'If the scanner is inside the home, that device is infected: disconnect it, reset it to factory settings and update its firmware.',
    'If it comes from the Internet, make sure the router forwards no ports you do not need (turn off UPnP port mapping) and that no device is reachable from outside.',
    'Put IoT devices (cameras, plugs, TV boxes) on a separate network so one infected device cannot reach the others.',
  ],
};
const BRUTEFORCE: Remediation = {
  cause: 'password guessing against a login service',
  steps: [
    'Change default and weak passwords on the targeted device (the evidence names the service), and on every device of the same model.',
    'Close telnet and FTP on the device (or on the router\'s port forwarding); use SSH with keys where a remote login is needed.',
    'Update the device\'s firmware; if a device inside the home is the one guessing, it is infected: reset it and update it.',
  ],
};
const REDIS: Remediation = {
  cause: 'an exposed Redis server being exploited',
  steps: [
    'Do not expose Redis to the Internet: bind it to 127.0.0.1 or the local network, set a password (requirepass) and enable protected-mode.',
    'Check the server for a miner or a planted SSH key or cron job (the usual payload of this attack) and remove them.',
    'Update Redis and rename or disable CONFIG, SLAVEOF/REPLICAOF and MODULE commands if they are not needed.',
  ],
};
const ANOMALY: Remediation = {
  cause: 'a device behaving unlike its own baseline (a long connection to a new host on a mining port, or a far larger upload than ever)',
  steps: [
    'Check the device and the host named in the evidence: if you did not start this (a new app, a backup, an update), treat the device as infected.',
    ...MINER.steps.slice(0, 3),
  ],
};
const GENERIC: Remediation = {
  cause: 'suspicious traffic',
  steps: [
    'Check the device named in the incident: update its firmware or software and change its passwords.',
    'If it is an IoT device you do not need online, separate it on a guest/IoT network.',
  ],
};

const BY_DETECTOR: Record<keyof typeof SidBase, Remediation> = {
  stratum: MINER,
  'pool-dns': MINER,
  'pool-tls': MINER,
  'pool-ip': MINER,
  'pool-http': MINER,
  'browser-miner': BROWSER_MINER,
  'mining-encrypted': ENCRYPTED_MINER,
  scan: SCAN,
  'version-scan': SCAN,
  bruteforce: BRUTEFORCE,
  'redis-exploit': REDIS,
  probe: MINER,
  anomaly: ANOMALY,
};

/** The detector that owns a signature id (each has a block of 100), or null for rule files' sids. */
export function detectorOfSignature(sid: number): keyof typeof SidBase | null {
  for (const [id, base] of Object.entries(SidBase) as [keyof typeof SidBase, number][]) if (sid >= base && sid < base + 100) return id;
  return null;
}

/** Advice for an incident from its signature id and text (and the detector, when known). */
export function remediationFor(signatureId: number, signature = '', detector?: string | null): Remediation {
  const det = (detector && detector in BY_DETECTOR ? detector as keyof typeof SidBase : null) ?? detectorOfSignature(signatureId);
  if (det) return BY_DETECTOR[det];
  const s = signature.toLowerCase();
  if (/coin ?miner|mining|stratum|xmrig|monero|crypto ?currency|pool/.test(s)) return /browser|coinhive|javascript|js/.test(s) ? BROWSER_MINER : MINER;
  if (/redis/.test(s)) return REDIS;
  if (/telnet|brute|login|default cred|password/.test(s)) return BRUTEFORCE;
  if (/scan|mirai|botnet/.test(s)) return SCAN;
  return GENERIC;
}
