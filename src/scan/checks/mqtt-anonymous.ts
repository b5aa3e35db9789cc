/** An MQTT broker that accepts anyone: devices can be read and commanded by any client. */
import type { Finding } from '../types.js';
import { ADVICE, describePort, portsWith, type HostCheck } from './check.js';

export const mqttAnonymous: HostCheck = {
  id: 'mqtt-anonymous',
  run(host): Finding[] {
    return portsWith(host, (p) => (p.service === 'mqtt' || p.service === 'mqtts') && p.details?.anonymous === true).map((p) => ({
      id: 'mqtt-anonymous',
      severity: p.tls ? 'medium' : 'high',
      title: 'MQTT broker accepts anonymous clients',
      port: p.port,
      evidence: `${describePort(p)} returned CONNACK 0 (accepted) to a CONNECT without username or password`,
      remediation: `Turn off anonymous access (Mosquitto: allow_anonymous false plus a password_file or plugin), give every device its own login, use TLS (port 8883), and do not expose port ${p.port} outside your network. ${ADVICE.separate}`,
    }));
  },
};
