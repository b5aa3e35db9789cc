/**
 * FTP control connections (RFC 959) on port 21, or on any port when the server greets with
 * 220 (looksLikeFtpGreeting), only as far as logins go: the client's USER and PASS
 * commands and the server's reply to PASS (2xx logged in, 4xx/5xx refused) become login
 * attempts, for the bruteforce detector to count guesses and quote the credentials.
 * Commands and replies are lines, so a command split over segments or several pipelined in
 * one segment read the same. Multi-line replies ("230-…" up to "230 …") count once.
 *
 * Messages (protocol 'ftp'):
 * - 'login_attempt' {username, password, success: true | false | undefined}
 *   (undefined: the flow ended, or the client sent its next command, before any reply)
 *
 * Never throws; per-flow memory bounded (lines are capped, a flow is dropped after
 * MAX_ATTEMPTS attempts).
 */
import { ReasonCounter } from '../events/counters.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { ConsumerVerdict, type ConsumerVerdictValue, type StreamConsumer } from '../events/stream.js';
import { message, type LoginAttemptFields, type MessageSink } from './types.js';

export const FTP_ID = 'ftp';
const MAX_LINE = 512;
const MAX_ATTEMPTS = 256;
const DEFAULT_PORTS = [21];

interface FtpState {
  /** Unfinished line per direction. */
  line: [string, string];
  /** Bytes of the current line dropped past MAX_LINE, per direction. */
  overflow: [boolean, boolean];
  username: string;
  /** A PASS awaiting its reply. */
  pending: LoginAttemptFields | null;
  attempts: number;
}

/**
 * An FTP server's greeting on any port: "220 " or "220-" first (RFC 959 §4.2), and not an SMTP
 * server's (which greets with 220 too, naming SMTP in the first line).
 */
export function looksLikeFtpGreeting(data: Uint8Array): boolean {
  if (data.length < 5 || data[0] !== 0x32 || data[1] !== 0x32 || data[2] !== 0x30 || (data[3] !== 0x20 && data[3] !== 0x2d)) return false;
  let end = data.indexOf(0x0a);
  if (end < 0) end = Math.min(data.length, MAX_LINE);
  return !/SMTP/i.test(Buffer.from(data.buffer, data.byteOffset, end).toString('latin1'));
}

export function createFtpConsumer(sink: MessageSink, opts: { ports?: number[]; malformed?: ReasonCounter } = {}): StreamConsumer & { malformed: ReasonCounter } {
  const ports = new Set(opts.ports ?? DEFAULT_PORTS);
  const malformed = opts.malformed ?? new ReasonCounter();

  function state(flow: FlowView): FtpState {
    let st = flow.userData.get(FTP_ID) as FtpState | undefined;
    if (!st) {
      st = { line: ['', ''], overflow: [false, false], username: '', pending: null, attempts: 0 };
      flow.userData.set(FTP_ID, st);
    }
    return st;
  }

  function settle(flow: FlowView, st: FtpState, success: boolean | undefined, tsUs: number): void {
    const p = st.pending;
    if (!p) return;
    st.pending = null;
    st.attempts++;
    sink(flow, message(FTP_ID, 'login_attempt', 0, tsUs, { username: p.username, password: p.password, success } satisfies LoginAttemptFields));
  }

  function onClientLine(flow: FlowView, st: FtpState, line: string, tsUs: number): void {
    const space = line.indexOf(' ');
    const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const arg = space < 0 ? '' : line.slice(space + 1);
    // A command while a PASS still waits for its reply: that attempt's outcome stays unknown.
    settle(flow, st, undefined, tsUs);
    if (verb === 'USER') st.username = arg;
    else if (verb === 'PASS') st.pending = { username: st.username, password: arg, success: undefined };
  }

  function onServerLine(flow: FlowView, st: FtpState, line: string, tsUs: number): void {
    // Only a reply's last line ("ddd " or a bare "ddd") ends it.
    if (line.length < 3 || (line.length > 3 && line[3] !== ' ')) return;
    const code = Number(line.slice(0, 3));
    if (!Number.isInteger(code) || code < 100 || code > 599) { malformed.add('bad-reply'); return; }
    if (code >= 200 && code < 300) settle(flow, st, true, tsUs);
    else if (code >= 400) settle(flow, st, false, tsUs);
    // 1xx and 3xx (e.g. 332 need account) are not the login's outcome yet.
  }

  return {
    id: FTP_ID,
    malformed,
    accepts(flow: FlowView, dir: DirectionValue, data: Uint8Array): boolean {
      if (flow.proto !== 6) return false;
      return ports.has(flow.serverPort) || (dir === 1 && looksLikeFtpGreeting(data));
    },
    onData(flow: FlowView, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
      const st = state(flow);
      let line = st.line[dir];
      let start = 0;
      for (let i = 0; i <= data.length; i++) {
        if (i < data.length && data[i] !== 0x0a) continue;
        let end = i;
        const room = MAX_LINE - line.length;
        if (end - start > room) { st.overflow[dir] = true; end = start + Math.max(0, room); }
        line += Buffer.from(data.buffer, data.byteOffset + start, end - start).toString('latin1');
        if (i === data.length) break;
        if (st.overflow[dir]) malformed.add('line-too-long');
        else {
          const text = line.endsWith('\r') ? line.slice(0, -1) : line;
          if (dir === 0) onClientLine(flow, st, text, tsUs);
          else onServerLine(flow, st, text, tsUs);
        }
        line = '';
        st.overflow[dir] = false;
        start = i + 1;
      }
      st.line[dir] = line;
      return st.attempts >= MAX_ATTEMPTS ? ConsumerVerdict.DONE : ConsumerVerdict.CONTINUE;
    },
    onGap(flow: FlowView, dir: DirectionValue): ConsumerVerdictValue {
      malformed.add('gap');
      const st = state(flow);
      st.line[dir] = '';
      st.overflow[dir] = false;
      return ConsumerVerdict.CONTINUE;
    },
    onEnd(flow: FlowView): void {
      const st = flow.userData.get(FTP_ID) as FtpState | undefined;
      if (!st) return;
      settle(flow, st, undefined, flow.lastTsUs);
      flow.userData.delete(FTP_ID);
    },
  };
}
