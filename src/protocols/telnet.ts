/**
 * Telnet: strips IAC option negotiation from both directions and reconstructs login
 * attempts — the user name and password the client typed after the server's "login:" and
 * "Password:" prompts, and whether the server then said "Login incorrect" or gave a shell.
 * After a successful login the first client lines are reported as commands (bots type
 * `enable`, `sh`, `/bin/busybox MIRAI` …), which is what makes a Mirai infection visible.
 *
 * Messages (protocol 'telnet'):
 * - 'login_attempt' {username, password, success: true | false | undefined}
 * - 'command' {line}
 *
 * Never throws; per-flow memory bounded (line and prompt buffers are capped).
 */
import { ReasonCounter } from '../events/counters.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { ConsumerVerdict, type ConsumerVerdictValue, type StreamConsumer } from '../events/stream.js';
import { message, type LoginAttemptFields, type MessageSink, type TelnetCommandFields } from './types.js';

export const TELNET_ID = 'telnet';
const MAX_LINE = 256;
const MAX_TAIL = 512;
const MAX_ATTEMPTS = 256;
const MAX_COMMANDS = 32;

const IAC = 255;
const SB = 250;
const SE = 240;
const WILL = 251;
const DONT = 254;

/** success — true: the server gave a shell; false: it refused; undefined: the flow ended first. */
export type TelnetLoginAttemptFields = LoginAttemptFields;
export type { TelnetCommandFields };

const enum Phase { USER = 0, PASSWORD = 1, VERDICT = 2, SHELL = 3 }

interface TelnetState {
  // IAC parser state per direction: 0 data, 1 after IAC, 2 after IAC WILL/WONT/DO/DONT, 3 in SB, 4 in SB after IAC
  iac: [number, number];
  line: string;
  lastWasCR: boolean;
  tail: string;
  phase: Phase;
  username: string;
  password: string;
  /** A client line that arrived before any prompt (bots type ahead). */
  attempts: number;
  commands: number;
  sawPrompt: boolean;
}

/** What a server's recent output means for the login state. */
export function classifyServerOutput(tail: string): 'login' | 'password' | 'failed' | 'shell' | null {
  const t = tail.toLowerCase();
  const end = t.trimEnd();
  if (/(login incorrect|incorrect|invalid|denied|failed|bad password|authentication fail|wrong)/.test(t.slice(-200)) && !/(login|user ?name|user)\s*:\s*$/.test(end)) return 'failed';
  if (/password\s*:\s*$/.test(end)) return 'password';
  if (/(login|user ?name|user|account)\s*:\s*$/.test(end)) return /(incorrect|invalid|denied|failed)/.test(t.slice(-200)) ? 'failed' : 'login';
  if (/(?:[#$>%]|\$ |# )\s*$/.test(end) && end.length > 0) return 'shell';
  if (/(busybox|welcome|last login|built-in shell)/.test(t)) return 'shell';
  return null;
}

export interface TelnetConsumer extends StreamConsumer {
  readonly malformed: ReasonCounter;
}

export function createTelnetConsumer(sink: MessageSink, opts: { ports?: number[]; malformed?: ReasonCounter } = {}): TelnetConsumer {
  const ports = new Set(opts.ports ?? [23, 2323]);
  const malformed = opts.malformed ?? new ReasonCounter();

  function state(flow: FlowView): TelnetState {
    let st = flow.userData.get(TELNET_ID) as TelnetState | undefined;
    if (!st) {
      st = { iac: [0, 0], line: '', lastWasCR: false, tail: '', phase: Phase.USER, username: '', password: '', attempts: 0, commands: 0, sawPrompt: false };
      flow.userData.set(TELNET_ID, st);
    }
    return st;
  }

  function emitAttempt(flow: FlowView, st: TelnetState, tsUs: number, success: boolean | undefined): void {
    if (st.attempts >= MAX_ATTEMPTS) return;
    st.attempts++;
    const f: TelnetLoginAttemptFields = { username: st.username, password: st.password, success };
    sink(flow, message(TELNET_ID, 'login_attempt', 0, tsUs, f));
    st.username = '';
    st.password = '';
  }

  function onClientLine(flow: FlowView, st: TelnetState, line: string, tsUs: number): void {
    switch (st.phase) {
      case Phase.USER:
        st.username = line;
        st.phase = Phase.PASSWORD;
        break;
      case Phase.PASSWORD:
        st.password = line;
        st.phase = Phase.VERDICT;
        break;
      case Phase.VERDICT:
        // Typed ahead before the verdict: a bot assuming success. Keep it as a command.
        if (st.commands < MAX_COMMANDS && line !== '') { st.commands++; sink(flow, message(TELNET_ID, 'command', 0, tsUs, { line } satisfies TelnetCommandFields)); }
        break;
      case Phase.SHELL:
        if (st.commands < MAX_COMMANDS && line !== '') { st.commands++; sink(flow, message(TELNET_ID, 'command', 0, tsUs, { line } satisfies TelnetCommandFields)); }
        break;
    }
  }

  function onServerText(flow: FlowView, st: TelnetState, text: string, tsUs: number): void {
    st.tail = (st.tail + text).slice(-MAX_TAIL);
    const c = classifyServerOutput(st.tail);
    if (c === null) return;
    switch (c) {
      case 'login':
        if (st.phase === Phase.VERDICT) emitAttempt(flow, st, tsUs, false);
        if (st.phase !== Phase.PASSWORD || st.username === '') st.phase = Phase.USER;
        st.sawPrompt = true;
        st.tail = '';
        break;
      case 'password':
        // Some devices ask only for a password: an empty user name.
        if (st.phase === Phase.USER) st.phase = Phase.PASSWORD;
        st.sawPrompt = true;
        st.tail = '';
        break;
      case 'failed':
        if (st.phase === Phase.VERDICT) { emitAttempt(flow, st, tsUs, false); st.phase = Phase.USER; st.tail = ''; }
        break;
      case 'shell':
        if (st.phase === Phase.VERDICT) { emitAttempt(flow, st, tsUs, true); st.phase = Phase.SHELL; st.tail = ''; }
        break;
    }
  }

  /** Strip IAC sequences; returns the data bytes as latin1 text (bounded by the input). */
  function strip(st: TelnetState, dir: DirectionValue, data: Uint8Array): string {
    let out = '';
    let s = st.iac[dir];
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      switch (s) {
        case 0:
          if (b === IAC) s = 1;
          else out += String.fromCharCode(b);
          break;
        case 1:
          if (b === IAC) { out += '\xff'; s = 0; } else if (b >= WILL && b <= DONT) s = 2; else if (b === SB) s = 3; else s = 0;
          break;
        case 2:
          s = 0;
          break;
        case 3:
          if (b === IAC) s = 4;
          break;
        case 4:
          s = b === SE ? 0 : 3;
          break;
      }
    }
    st.iac[dir] = s;
    return out;
  }

  return {
    id: TELNET_ID,
    malformed,
    accepts(flow: FlowView, _dir: DirectionValue, data: Uint8Array): boolean {
      if (flow.proto !== 6) return false;
      return ports.has(flow.serverPort) || (data.length >= 3 && data[0] === IAC && data[1] >= WILL && data[1] <= DONT);
    },
    onData(flow: FlowView, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
      const st = state(flow);
      const text = strip(st, dir, data);
      if (dir === 1) {
        onServerText(flow, st, text, tsUs);
      } else {
        for (let i = 0; i < text.length; i++) {
          const ch = text.charCodeAt(i);
          if (ch === 13 || ch === 10) {
            // \r\n, \r\0 and \n each end one line.
            if (ch === 10 && st.lastWasCR) { st.lastWasCR = false; continue; }
            st.lastWasCR = ch === 13;
            onClientLine(flow, st, st.line, tsUs);
            st.line = '';
            continue;
          }
          if (ch === 0 && st.lastWasCR) { st.lastWasCR = false; continue; }
          st.lastWasCR = false;
          if (ch === 8 || ch === 127) { st.line = st.line.slice(0, -1); continue; }
          if (ch < 32) continue;
          if (st.line.length < MAX_LINE) st.line += text[i];
          else malformed.add('line-too-long');
        }
      }
      if (st.attempts >= MAX_ATTEMPTS && st.phase !== Phase.SHELL) return ConsumerVerdict.DONE;
      if (st.phase === Phase.SHELL && st.commands >= MAX_COMMANDS) return ConsumerVerdict.DONE;
      return ConsumerVerdict.CONTINUE;
    },
    onGap(flow: FlowView): ConsumerVerdictValue {
      malformed.add('gap');
      const st = state(flow);
      st.line = '';
      st.tail = '';
      return ConsumerVerdict.CONTINUE;
    },
    onEnd(flow: FlowView): void {
      const st = flow.userData.get(TELNET_ID) as TelnetState | undefined;
      if (!st) return;
      if (st.phase === Phase.VERDICT) emitAttempt(flow, st, flow.lastTsUs, undefined);
      flow.userData.delete(TELNET_ID);
    },
  };
}
