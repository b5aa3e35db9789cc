/**
 * Telnet (RFC 854): servers open with IAC option negotiation, then a login prompt. We
 * refuse every option except ECHO and SUPPRESS-GO-AHEAD (which login prompts need), strip
 * the IAC sequences, and read the text up to the prompt.
 */
import type { Conversation } from '../conversation.js';
import type { ServiceIdentity } from '../types.js';
import { latin1, withConversation, type ServiceProbe } from './probe.js';

const IAC = 0xff;
const DONT = 0xfe;
const DO = 0xfd;
const WONT = 0xfc;
const WILL = 0xfb;
const SB = 0xfa;
const SE = 0xf0;
const OPT_ECHO = 1;
const OPT_SGA = 3;

export const LOGIN_PROMPT = /(?:login|username|user name|user)\s*:\s*$/i;
export const PASSWORD_PROMPT = /password\s*:\s*$/i;

/**
 * Split telnet bytes into text and the negotiation replies we owe. Incomplete sequences
 * at the end are left for the next call (returned as `consumed` < data.length).
 */
export function processTelnet(data: Buffer): { text: string; replies: number[]; consumed: number } {
  let text = '';
  const replies: number[] = [];
  let i = 0;
  while (i < data.length) {
    const c = data[i];
    if (c !== IAC) {
      if (c !== 0) text += String.fromCharCode(c);
      i++;
      continue;
    }
    if (i + 1 >= data.length) break;
    const cmd = data[i + 1];
    if (cmd === IAC) {
      text += '\xff';
      i += 2;
    } else if (cmd === DO || cmd === DONT || cmd === WILL || cmd === WONT) {
      if (i + 2 >= data.length) break;
      const opt = data[i + 2];
      if (cmd === DO) replies.push(IAC, WONT, opt);
      else if (cmd === WILL) replies.push(IAC, opt === OPT_ECHO || opt === OPT_SGA ? DO : DONT, opt);
      i += 3;
    } else if (cmd === SB) {
      const end = data.indexOf(SE, i + 2);
      if (end < 0) break;
      i = end + 1;
    } else {
      i += 2;
    }
  }
  return { text, replies, consumed: i };
}

/** A telnet dialogue: answers negotiation as text arrives, exposes the text only. */
export class TelnetSession {
  private offset = 0;
  private textSoFar = '';

  constructor(private readonly conv: Conversation) {}

  get text(): string {
    return this.textSoFar;
  }

  /** Read until `until` matches the text received after `fromText`, the peer closes, or time runs out. */
  async readText(until: RegExp, timeoutMs: number, fromText = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.drain();
      const fresh = this.textSoFar.slice(fromText);
      if (until.test(fresh) || this.conv.closed) return fresh;
      const left = deadline - Date.now();
      if (left <= 0) return fresh;
      const before = this.conv.received.length;
      await this.conv.readUntil((b) => b.length > before, left);
    }
  }

  sendLine(line: string): void {
    this.conv.write(Buffer.from(`${line}\r\n`, 'latin1'));
  }

  private drain(): void {
    const buf = this.conv.received;
    if (buf.length <= this.offset) return;
    const { text, replies, consumed } = processTelnet(buf.subarray(this.offset));
    this.offset += consumed;
    // Bound the text we keep: prompts are at the end.
    this.textSoFar = (this.textSoFar + text).slice(-8192);
    if (replies.length > 0) this.conv.write(Buffer.from(replies));
  }
}

const PRODUCTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/mikrotik/i, 'MikroTik RouterOS telnetd'],
  [/busybox/i, 'BusyBox telnetd'],
  [/debian|ubuntu|linux/i, 'Linux telnetd'],
  [/huawei/i, 'Huawei telnetd'],
  [/zte/i, 'ZTE telnetd'],
  [/cisco|user access verification/i, 'Cisco telnetd'],
];

function looksLikeTelnet(banner: Buffer): boolean {
  if (banner.length >= 3 && banner[0] === IAC && banner[1] >= WILL && banner[1] <= DONT) return true;
  return LOGIN_PROMPT.test(latin1(banner, 2048));
}

export const telnetProbe: ServiceProbe = {
  id: 'telnet',
  ports: [23, 2323, 23231],
  async fromBanner(banner, io): Promise<ServiceIdentity | null> {
    if (!looksLikeTelnet(banner)) return null;
    // Negotiate on a fresh connection to reach the login prompt and the product text.
    const seen = await withConversation(io, {}, async (conv) => {
      const session = new TelnetSession(conv);
      await session.readText(/(?:login|username|user name|password)\s*:\s*$/i, Math.max(io.timeoutMs, 1500));
      return session.text;
    });
    const text = seen ?? '';
    const product = PRODUCTS.find(([re]) => re.test(text))?.[1] ?? 'telnetd';
    const loginPrompt = LOGIN_PROMPT.test(text) || PASSWORD_PROMPT.test(text);
    const preview = text.replace(/\s+/g, ' ').trim().slice(0, 160);
    return { service: 'telnet', product, version: '', banner, details: { loginPrompt, text: preview } };
  },
};
