/**
 * One TCP (or TLS) conversation with a service, for banner grabbing and handshakes.
 * Incoming bytes are kept up to a fixed cap so a hostile service cannot grow our memory;
 * every wait is bounded by a timeout; errors never escape as exceptions from reads.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Most any probe needs to read; a chatty or hostile service is cut off here. */
export const MAX_RECEIVE_BYTES = 64 * 1024;

export type ConnectOutcome =
  | { state: 'open'; conversation: Conversation }
  | { state: 'closed' }
  | { state: 'filtered'; reason: string };

export interface OpenOptions {
  tls?: boolean;
  /** SNI / certificate name; scanning checks exposure, not certificates. */
  servername?: string;
}

export class Conversation {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private waiter: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      if (this.size < MAX_RECEIVE_BYTES) {
        const room = MAX_RECEIVE_BYTES - this.size;
        const part = d.length > room ? d.subarray(0, room) : d;
        this.chunks.push(part);
        this.size += part.length;
      }
      this.wake();
    });
    const finish = (): void => {
      this.ended = true;
      this.wake();
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
  }

  /**
   * Connect with a timeout. 'closed' = refused (the host is there, the port is not);
   * 'filtered' = no answer in time or unreachable.
   */
  static open(host: string, port: number, timeoutMs: number, opts: OpenOptions = {}): Promise<ConnectOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const socket: Socket = opts.tls
        ? tlsConnect({ host, port, rejectUnauthorized: false, servername: opts.servername, ALPNProtocols: ['http/1.1'] })
        : netConnect({ host, port });
      const settle = (o: ConnectOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeListener('error', onError);
        if (o.state !== 'open') socket.destroy();
        resolve(o);
      };
      const timer = setTimeout(() => settle({ state: 'filtered', reason: 'timeout' }), timeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'ECONNREFUSED') settle({ state: 'closed' });
        else settle({ state: 'filtered', reason: err.code ?? 'error' });
      };
      socket.once('error', onError);
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        const conv = new Conversation(socket);
        settle({ state: 'open', conversation: conv });
      });
    });
  }

  /** Everything received so far (bounded by MAX_RECEIVE_BYTES). */
  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Bytes received since `from`; lets a dialogue look only at the newest answer. */
  since(from: number): Buffer {
    return this.received.subarray(from);
  }

  write(data: Buffer | string): void {
    if (!this.ended) this.socket.write(data);
  }

  /**
   * Wait until `done(received)` is true, the peer closes, the cap is reached, or the
   * timeout passes; returns what was received in every case.
   */
  async readUntil(done: (received: Buffer) => boolean, timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const buf = this.received;
      if (this.ended || buf.length >= MAX_RECEIVE_BYTES || safeTest(done, buf)) return buf;
      const left = deadline - Date.now();
      if (left <= 0) return buf;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waiter = null;
          resolve();
        }, left);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
  }

  /** Wait for at least `n` bytes (or close/timeout). */
  readAtLeast(n: number, timeoutMs: number): Promise<Buffer> {
    return this.readUntil((b) => b.length >= n, timeoutMs);
  }

  close(): void {
    this.ended = true;
    this.socket.destroy();
    this.wake();
  }

  private wake(): void {
    this.waiter?.();
  }
}

function safeTest(done: (b: Buffer) => boolean, buf: Buffer): boolean {
  try {
    return done(buf);
  } catch {
    return true;
  }
}

/** Printable form of a banner for reports: control bytes escaped, size-limited. */
export function printableBanner(data: Buffer | string, limit = 256): string {
  const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  let out = '';
  const n = Math.min(buf.length, limit);
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  if (buf.length > limit) out += '…';
  return out;
}
