/**
 * EVE output of a long-running sensor: appended (a restart never overwrites what is there),
 * flushed at least every `flushMs` (default 1 s) so each event reaches the file within a
 * second, rotated by size (FILE → FILE.1 → … FILE.N, the oldest removed) and reopened on
 * request (SIGHUP, after logrotate moved the file away).
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { OutputError } from '../util/errors.js';
import type { EventSink } from './eve-writer.js';

export interface AppendingEveOptions {
  /** Rotate when the file would grow past this many bytes (0 = never; rotation left to logrotate). */
  maxBytes?: number;
  /** Rotated files kept (default 5). */
  keep?: number;
  /** Flush interval (default 1000 ms). */
  flushMs?: number;
  /** Buffered bytes that force a flush before the timer (default 256 KiB). */
  flushBytes?: number;
}

export class AppendingEveWriter implements EventSink {
  private fd: number;
  private size: number;
  private buf: string[] = [];
  private bufLen = 0;
  private timer: NodeJS.Timeout | null;
  private closed = false;
  count = 0;
  rotations = 0;

  constructor(readonly path: string, private readonly opts: AppendingEveOptions = {}) {
    this.fd = this.open();
    this.size = fstatSync(this.fd).size;
    this.timer = setInterval(() => this.flush(), opts.flushMs ?? 1000);
    this.timer.unref();
  }

  private open(): number {
    try {
      return openSync(this.path, 'a');
    } catch (err) {
      throw new OutputError('output.open', `cannot open EVE file ${this.path}: ${(err as Error).message}`, { subject: this.path, cause: err });
    }
  }

  write(event: object): void {
    if (this.closed) return;
    const line = JSON.stringify(event) + '\n';
    this.buf.push(line);
    this.bufLen += line.length;
    this.count++;
    if (this.bufLen >= (this.opts.flushBytes ?? 256 << 10)) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0 || this.closed) return;
    const data = Buffer.from(this.buf.join(''));
    this.buf = [];
    this.bufLen = 0;
    const max = this.opts.maxBytes ?? 0;
    if (max > 0 && this.size > 0 && this.size + data.length > max) this.rotate();
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off);
    this.size += data.length;
  }

  /** FILE → FILE.1, FILE.1 → FILE.2 …; the oldest beyond `keep` is removed; a new FILE is opened. */
  private rotate(): void {
    const keep = Math.max(1, this.opts.keep ?? 5);
    closeSync(this.fd);
    rmSync(`${this.path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    this.fd = this.open();
    this.size = 0;
    this.rotations++;
  }

  /** After logrotate moved the file: write what is buffered to the old file, then open FILE anew. */
  reopen(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.fd = this.open();
    this.size = fstatSync(this.fd).size;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    closeSync(this.fd);
  }
}
