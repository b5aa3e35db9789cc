/** Redis without a password: miners (e.g. via CONFIG SET dir + cron) take these over within hours. */
import type { Finding } from '../types.js';
import { describePort, portsWith, type HostCheck } from './check.js';

export const redisNoAuth: HostCheck = {
  id: 'redis-no-auth',
  run(host): Finding[] {
    return portsWith(host, (p) => p.service === 'redis' && p.details?.auth === 'none').map((p) => {
      const configSet = String(p.details?.configSet ?? 'unknown');
      const writable = configSet === 'allowed';
      return {
        id: 'redis-no-auth',
        severity: writable ? 'critical' : 'high',
        title: writable ? 'Redis accepts commands without a password, including CONFIG SET' : 'Redis accepts commands without a password',
        port: p.port,
        evidence: `${describePort(p)} answered PING with +PONG without authentication; CONFIG SET ${configSet === 'allowed' ? 'is allowed (anyone can make Redis write files, the usual way miners install themselves)' : configSet === 'protected-config' ? 'of dir/dbfilename is refused as a protected config' : configSet === 'disabled' ? 'is disabled (renamed command)' : configSet === 'denied' ? 'is denied by ACL' : 'could not be tested'}`,
        remediation: `Set a long password (requirepass in redis.conf, or ACL users), bind Redis to 127.0.0.1 or the one address that needs it (bind, protected-mode yes), keep enable-protected-configs no and rename or disable CONFIG, and firewall port ${p.port} from everything that does not need it. Redis-hunting miners scan for exactly this. Keep Redis updated.`,
        details: { configSet },
      };
    });
  },
};
