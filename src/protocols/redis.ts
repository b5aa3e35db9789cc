/**
 * Redis client commands: RESP arrays of bulk strings (`*3\r\n$3\r\nSET\r\n…`) and inline
 * commands (`CONFIG SET dir /var/spool/cron\r\n`), from the client direction. Server replies
 * are checked only for their first byte (+OK / -ERR) so a detector can tell whether the
 * previous command was accepted.
 *
 * Messages (protocol 'redis'): 'command' {command (upper-case), args (at most 16, each at
 * most 1024 bytes as latin1 text), argCount, truncated}, 'reply' {ok}.
 *
 * Bounded: a command larger than 64 KiB (or a bulk longer than that) is skipped without
 * buffering (counted as 'command-too-long', reported as 'redis.command-too-long'); never throws.
 */
import { ReasonCounter } from '../events/counters.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { ConsumerVerdict, type ConsumerVerdictValue, type StreamConsumer } from '../events/stream.js';
import { message, type MessageSink, type RedisCommandFields } from './types.js';

export const REDIS_ID = 'redis';
const MAX_BUFFER = 64 * 1024;
const MAX_ARGS = 16;
const MAX_ARG = 1024;
const MAX_ARRAY = 1024 * 1024;

export type { RedisCommandFields };

/** Commands a client sends first (inline form detection without a port). */
const INLINE_START = /^(?:PING|INFO|AUTH|CONFIG|SET|GET|KEYS|FLUSHALL|FLUSHDB|SLAVEOF|REPLICAOF|MODULE|SAVE|BGSAVE|EVAL|DEL|SCAN|CLIENT|HELLO|SELECT|DBSIZE|SYSTEM\.EXEC|COMMAND)\b/i;

/** Longest first line searched for an HTTP version (request lines are short; bounded work). */
const MAX_REQUEST_LINE = 2048;
const HTTP_VERSION = Buffer.from(' HTTP/1.');

/**
 * `GET /path HTTP/1.1` also starts like an inline Redis GET: such flows belong to the HTTP
 * parser, not here (taking them would feed every web download through this parser too).
 */
function isHttpRequestLine(data: Uint8Array): boolean {
  const end = Math.min(data.length, MAX_REQUEST_LINE);
  const buf = Buffer.from(data.buffer, data.byteOffset, end);
  const nl = buf.indexOf(10);
  const at = buf.indexOf(HTTP_VERSION);
  return at > 0 && (nl < 0 || at < nl);
}

/** `need`: incomplete; `until` is the buffer length before which another try cannot succeed. */
export type RedisParse = { fields: RedisCommandFields; used: number } | { need: true; until: number } | { malformed: string };

const latin1 = (b: Uint8Array, s: number, e: number) => Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');

function findCrlf(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 1 < to; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

function indexOfByte(b: Uint8Array, byte: number, from: number, to: number): number {
  const i = b.subarray(0, to).indexOf(byte, from);
  return i;
}

function readInt(b: Uint8Array, s: number, e: number): number {
  if (s >= e || e - s > 12) return NaN;
  let n = 0;
  let neg = false;
  let i = s;
  if (b[i] === 0x2d) { neg = true; i++; }
  if (i >= e) return NaN;
  for (; i < e; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

/**
 * Parse one command at b[0..len). `nlFrom`: for an inline command, no newline lies before this
 * offset (a caller that saw `need` resumes the search there instead of rescanning).
 */
export function parseRedisCommand(b: Uint8Array, len: number, nlFrom = 0): RedisParse {
  if (len === 0) return { need: true, until: 1 };
  if (b[0] === 0x2a /* * */) {
    const e = findCrlf(b, 1, len);
    if (e < 0) return len > 32 ? { malformed: 'bad-array-header' } : { need: true, until: len + 1 };
    const n = readInt(b, 1, e);
    if (!Number.isFinite(n) || n < 0 || n > MAX_ARRAY) return { malformed: 'bad-array-length' };
    let p = e + 2;
    const args: string[] = [];
    let truncated = false;
    for (let i = 0; i < n; i++) {
      if (p >= len) return { need: true, until: p + 1 };
      if (b[p] !== 0x24 /* $ */) return { malformed: 'expected-bulk' };
      const he = findCrlf(b, p + 1, len);
      if (he < 0) return (len - p) > 32 ? { malformed: 'bad-bulk-header' } : { need: true, until: len + 1 };
      const bl = readInt(b, p + 1, he);
      if (!Number.isFinite(bl) || bl < 0) return { malformed: 'bad-bulk-length' };
      const start = he + 2;
      if (start + bl + 2 > MAX_BUFFER) return { malformed: 'command-too-long' };
      if (start + bl + 2 > len) return { need: true, until: start + bl + 2 };
      if (args.length < MAX_ARGS + 1) {
        const end = Math.min(start + bl, start + MAX_ARG);
        if (bl > MAX_ARG) truncated = true;
        args.push(latin1(b, start, end));
      } else truncated = true;
      p = start + bl + 2;
    }
    if (args.length === 0) return { malformed: 'empty-command' };
    return { fields: { command: args[0].toUpperCase(), args: args.slice(1, MAX_ARGS + 1), argCount: n - 1, truncated }, used: p };
  }
  // Inline command: one line, words split on spaces (quotes kept simple: "a b" is one word).
  const e = indexOfByte(b, 10, nlFrom, len);
  if (e < 0) return len >= MAX_BUFFER ? { malformed: 'command-too-long' } : { need: true, until: len + 1 };
  const line = latin1(b, 0, e > 0 && b[e - 1] === 13 ? e - 1 : e);
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m && words.length <= MAX_ARGS; m = re.exec(line)) words.push((m[1] ?? m[2] ?? m[3]).slice(0, MAX_ARG));
  if (words.length === 0) return { fields: { command: '', args: [], argCount: 0, truncated: false }, used: e + 1 };
  return { fields: { command: words[0].toUpperCase(), args: words.slice(1), argCount: words.length - 1, truncated: words.length > MAX_ARGS }, used: e + 1 };
}

interface RedisState {
  buf: Uint8Array;
  /** Unparsed bytes are buf[pos, len). */
  pos: number;
  len: number;
  /** Parse again only once len - pos reaches this (an incomplete command needs more). */
  until: number;
  /** Inline command in progress: no newline in buf[pos, pos + nlFrom). */
  nlFrom: number;
  commands: number;
  bad: number;
}

function resetState(st: RedisState): void {
  st.pos = 0;
  st.len = 0;
  st.until = 0;
  st.nlFrom = 0;
}

export interface RedisConsumer extends StreamConsumer {
  readonly malformed: ReasonCounter;
}

export function createRedisConsumer(sink: MessageSink, opts: { ports?: number[]; malformed?: ReasonCounter } = {}): RedisConsumer {
  const ports = new Set(opts.ports ?? [6379, 6380, 16379]);
  const malformed = opts.malformed ?? new ReasonCounter();

  return {
    id: REDIS_ID,
    malformed,
    accepts(flow: FlowView, dir: DirectionValue, data: Uint8Array): boolean {
      if (flow.proto !== 6) return false;
      if (ports.has(flow.serverPort)) return true;
      if (dir !== 0 || data.length < 4) return false;
      if (data[0] === 0x2a && data[1] >= 0x31 && data[1] <= 0x39) return findCrlf(data, 1, Math.min(data.length, 16)) > 0 && data[findCrlf(data, 1, 16) + 2] === 0x24;
      return INLINE_START.test(latin1(data, 0, Math.min(data.length, 24))) && !isHttpRequestLine(data);
    },
    onData(flow: FlowView, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
      let st = flow.userData.get(REDIS_ID) as RedisState | undefined;
      if (!st) {
        st = { buf: new Uint8Array(0), pos: 0, len: 0, until: 0, nlFrom: 0, commands: 0, bad: 0 };
        flow.userData.set(REDIS_ID, st);
      }
      if (dir === 1) {
        const c = data[0];
        if (c === 0x2b || c === 0x2d) sink(flow, message(REDIS_ID, 'reply', 1, tsUs, { ok: c === 0x2b, text: latin1(data, 1, Math.min(data.length, 80)).split('\r', 1)[0] }));
        return ConsumerVerdict.CONTINUE;
      }
      // Append (bounded), then parse as many complete commands as there are. Every step is
      // linear: consumed bytes are dropped once per segment (not once per command: a run of
      // empty lines was quadratic), blank lines are skipped in one pass, and an incomplete
      // command is not re-parsed until enough bytes arrived for it to complete.
      if (st.pos > 0) {
        st.buf.copyWithin(0, st.pos, st.len);
        st.len -= st.pos;
        st.pos = 0;
      }
      if (st.len + data.length > MAX_BUFFER) {
        malformed.add('command-too-long');
        resetState(st);
        return ++st.bad > 8 ? ConsumerVerdict.DONE : ConsumerVerdict.CONTINUE;
      }
      if (st.buf.length < st.len + data.length) {
        const nb = new Uint8Array(Math.min(MAX_BUFFER, Math.max(1024, (st.len + data.length) * 2)));
        nb.set(st.buf.subarray(0, st.len));
        st.buf = nb;
      }
      st.buf.set(data, st.len);
      st.len += data.length;
      if (st.len < st.until) return ConsumerVerdict.CONTINUE;
      const b = st.buf;
      while (st.pos < st.len) {
        let p = st.pos;
        while (p < st.len && (b[p] === 10 || b[p] === 13)) p++;
        if (p > st.pos) { st.pos = p; st.nlFrom = 0; continue; }
        const r = parseRedisCommand(b.subarray(p, st.len), st.len - p, st.nlFrom);
        if ('need' in r) {
          st.until = r.until;
          if (b[p] !== 0x2a) st.nlFrom = st.len - p;
          break;
        }
        st.until = 0;
        st.nlFrom = 0;
        if ('malformed' in r) {
          malformed.add(r.malformed);
          resetState(st);
          return ++st.bad > 8 ? ConsumerVerdict.DONE : ConsumerVerdict.CONTINUE;
        }
        if (r.fields.command !== '') {
          st.commands++;
          sink(flow, message(REDIS_ID, 'command', 0, tsUs, r.fields));
        }
        st.pos = p + r.used;
      }
      if (st.pos >= st.len) { st.pos = 0; st.len = 0; }
      return ConsumerVerdict.CONTINUE;
    },
    onGap(flow: FlowView): ConsumerVerdictValue {
      const st = flow.userData.get(REDIS_ID) as RedisState | undefined;
      if (st) resetState(st);
      malformed.add('gap');
      return ConsumerVerdict.CONTINUE;
    },
    onEnd(flow: FlowView): void {
      flow.userData.delete(REDIS_ID);
    },
  };
}
