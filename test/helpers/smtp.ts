/** A real SMTP server (smtp-server) on a free loopback port for notification tests: records every message; can refuse one recipient with 550. */
import { SMTPServer } from 'smtp-server';
import { freePort } from './servers.js';

export interface Received { from: string; to: string[]; raw: string }

export async function startSmtp(opts: { refuse?: string } = {}): Promise<{ port: number; received: Received[]; connections: () => number; stop: () => Promise<void> }> {
  const received: Received[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_s, cb) {
      connections++;
      cb();
    },
    onRcptTo(addr, _s, cb) {
      if (opts.refuse && addr.address === opts.refuse) {
        const err = new Error('mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? (session.envelope.mailFrom as { address: string }).address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { port, received, connections: () => connections, stop: () => new Promise<void>((r) => server.close(() => r())) };
}


/** Minimal MIME reading for the checks: headers, and the parts of a multipart/mixed body decoded. */
export function decodeWords(s: string): string {
  return s.replace(/\r?\n[ \t]+/g, ' ').replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_a, enc: string, text: string) => (enc.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : decodeQp(text.replace(/_/g, ' '))));
}
function decodeQp(s: string): string {
  const bytes: number[] = [];
  const t = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '=' && /^[0-9A-F]{2}$/i.test(t.slice(i + 1, i + 3))) {
      bytes.push(parseInt(t.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(t[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
export function parseMime(raw: string): { headers: Record<string, string>; parts: { headers: Record<string, string>; body: string }[] } {
  const split = (text: string): { headers: Record<string, string>; body: string } => {
    const i = text.search(/\r?\n\r?\n/);
    const head = text.slice(0, i).replace(/\r?\n[ \t]+/g, ' ');
    const headers: Record<string, string> = {};
    for (const line of head.split(/\r?\n/)) {
      const c = line.indexOf(':');
      if (c > 0) headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
    }
    let body = text.slice(i).replace(/^\r?\n\r?\n/, '');
    const cte = (headers['content-transfer-encoding'] ?? '').toLowerCase();
    if (cte === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    else if (cte === 'quoted-printable') body = decodeQp(body);
    return { headers, body };
  };
  const top = split(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(top.headers['content-type'] ?? '')?.[1];
  if (!boundary) return { headers: top.headers, parts: [top] };
  const rawBody = raw.slice(raw.search(/\r?\n\r?\n/));
  const parts = rawBody.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--')).map((p) => split(p.replace(/^\r?\n/, '')));
  return { headers: top.headers, parts };
}
