/**
 * Redis: PING answers +PONG without auth, -NOAUTH with it, -DENIED in protected mode.
 * Without auth we read INFO server (version) and test whether CONFIG SET works by setting
 * `dir` to its own current value — a no-op change, but exactly the command miners use to
 * write cron jobs and SSH keys (Redis 7 rejects it as a protected config by default).
 */
import type { Conversation } from '../conversation.js';
import type { ServiceIdentity } from '../types.js';
import { withConversation, type ProbeIo, type ServiceProbe } from './probe.js';

export type RespValue = string | number | null | RespError | RespValue[];
export class RespError {
  constructor(readonly message: string) {}
}

/** One RESP2 reply from `buf` at `pos`: the value and the next position; 'incomplete' or 'malformed'. */
export function parseResp(buf: Buffer, pos = 0, depth = 0): { value: RespValue; next: number } | 'incomplete' | 'malformed' {
  if (pos >= buf.length) return 'incomplete';
  if (depth > 8) return 'malformed';
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return buf.length - pos > 4096 ? 'malformed' : 'incomplete';
  const line = buf.subarray(pos + 1, eol).toString('latin1');
  const after = eol + 2;
  switch (buf[pos]) {
    case 0x2b: // +
      return { value: line, next: after };
    case 0x2d: // -
      return { value: new RespError(line), next: after };
    case 0x3a: { // :
      const n = Number(line);
      return Number.isFinite(n) ? { value: n, next: after } : 'malformed';
    }
    case 0x24: { // $
      const len = Number(line);
      if (!Number.isInteger(len) || len < -1 || len > 1 << 20) return 'malformed';
      if (len === -1) return { value: null, next: after };
      if (buf.length < after + len + 2) return 'incomplete';
      return { value: buf.subarray(after, after + len).toString('latin1'), next: after + len + 2 };
    }
    case 0x2a: { // *
      const count = Number(line);
      if (!Number.isInteger(count) || count < -1 || count > 1024) return 'malformed';
      if (count === -1) return { value: null, next: after };
      const items: RespValue[] = [];
      let p = after;
      for (let i = 0; i < count; i++) {
        const r = parseResp(buf, p, depth + 1);
        if (typeof r === 'string') return r;
        items.push(r.value);
        p = r.next;
      }
      return { value: items, next: p };
    }
    default:
      return 'malformed';
  }
}

/** Encode a command as a RESP array of bulk strings. */
export function encodeCommand(...args: string[]): Buffer {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

/** Send one command and read one reply; 'malformed' / 'timeout' instead of throwing. */
export async function redisCommand(conv: Conversation, timeoutMs: number, ...args: string[]): Promise<RespValue | 'malformed' | 'timeout'> {
  const start = conv.received.length;
  conv.write(encodeCommand(...args));
  const buf = await conv.readUntil((b) => parseResp(b, start) !== 'incomplete', timeoutMs);
  const r = parseResp(buf, start);
  if (r === 'incomplete') return 'timeout';
  if (r === 'malformed') return 'malformed';
  return r.value;
}

export type RedisAuthState = 'none' | 'required' | 'protected-mode';
export type ConfigSetState = 'allowed' | 'protected-config' | 'disabled' | 'denied' | 'unknown';

async function probeRedis(io: ProbeIo): Promise<ServiceIdentity | null> {
  return withConversation(io, {}, async (conv) => {
    const pong = await redisCommand(conv, io.timeoutMs, 'PING');
    let auth: RedisAuthState;
    if (pong === 'PONG') auth = 'none';
    else if (pong instanceof RespError && /^NOAUTH|^WRONGPASS|authentication required/i.test(pong.message)) auth = 'required';
    else if (pong instanceof RespError && /^DENIED/.test(pong.message)) auth = 'protected-mode';
    else {
      if (pong === 'malformed') io.malformed('redis.malformed-reply');
      return null;
    }
    const details: Record<string, unknown> = { auth };
    let version = '';
    if (auth === 'none') {
      const info = await redisCommand(conv, io.timeoutMs, 'INFO', 'server');
      if (typeof info === 'string') {
        version = /redis_version:([\w.]+)/.exec(info)?.[1] ?? '';
        const mode = /redis_mode:(\w+)/.exec(info)?.[1];
        const os = /\nos:([^\r\n]+)/.exec(info)?.[1];
        if (mode) details.mode = mode;
        if (os) details.os = os;
      }
      details.configSet = await checkConfigSet(conv, io.timeoutMs);
    }
    return { service: 'redis', product: 'Redis', version, banner: auth === 'none' ? '+PONG' : String((pong as RespError).message), details };
  });
}

/** CONFIG SET dir <current dir>: allowed, refused as protected config, renamed/disabled, or denied by ACL. */
export async function checkConfigSet(conv: Conversation, timeoutMs: number): Promise<ConfigSetState> {
  const got = await redisCommand(conv, timeoutMs, 'CONFIG', 'GET', 'dir');
  if (got instanceof RespError) return /unknown command/i.test(got.message) ? 'disabled' : /NOPERM|permission/i.test(got.message) ? 'denied' : 'unknown';
  if (!Array.isArray(got) || typeof got[1] !== 'string') return 'unknown';
  const set = await redisCommand(conv, timeoutMs, 'CONFIG', 'SET', 'dir', got[1]);
  if (set === 'OK') return 'allowed';
  if (set instanceof RespError) {
    if (/protected config/i.test(set.message)) return 'protected-config';
    if (/NOPERM|permission/i.test(set.message)) return 'denied';
    if (/unknown command/i.test(set.message)) return 'disabled';
  }
  return 'unknown';
}

export const redisProbe: ServiceProbe = {
  id: 'redis',
  ports: [6379, 6380, 16379],
  probe: probeRedis,
};
