/** Microsoft SQL Server reachable: brute-forced by miner botnets such as MyKings and Lemon Duck. */
import type { Finding } from '../types.js';
import { describePort, portsWith, type HostCheck } from './check.js';

export const mssqlExposed: HostCheck = {
  id: 'mssql-exposed',
  run(host): Finding[] {
    return portsWith(host, (p) => p.service === 'ms-sql-s').map((p) => ({
      id: 'mssql-exposed',
      severity: 'medium',
      title: 'Microsoft SQL Server is reachable over the network',
      port: p.port,
      evidence: `${describePort(p)} answered a TDS pre-login`,
      remediation: `Allow port ${p.port} only from the machines that need the database, disable the "sa" login or give it a long password, and install SQL Server updates: miner botnets brute-force exposed SQL Servers.`,
    }));
  },
};
