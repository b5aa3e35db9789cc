/** The passive checks, one line each. */
import { adbExposed } from './adb-exposed.js';
import { adminHttpCleartext } from './admin-http-cleartext.js';
import type { HostCheck } from './check.js';
import { mssqlExposed } from './mssql-exposed.js';
import { mqttAnonymous } from './mqtt-anonymous.js';
import { redisNoAuth } from './redis-no-auth.js';
import { smbExposed } from './smb-exposed.js';
import { telnetExposed } from './telnet-exposed.js';
import { upnpExposed } from './upnp-exposed.js';
import { vulnerableFirmware } from './vulnerable-firmware.js';
import { winboxExposed } from './winbox-exposed.js';

export const CHECKS: readonly HostCheck[] = [
  telnetExposed,
  redisNoAuth,
  mqttAnonymous,
  vulnerableFirmware,
  upnpExposed,
  adminHttpCleartext,
  smbExposed,
  winboxExposed,
  mssqlExposed,
  adbExposed,
];
