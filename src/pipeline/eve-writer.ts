/**
 * EVE JSON-lines output to a file or stdout. Buffered: events are appended to a string
 * buffer and written in large synchronous chunks, so millions of flow events do not
 * create millions of write calls (and nothing is lost if the process exits normally).
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface EventSink {
  write(event: object): void;
  close(): void;
}

export class EveWriter implements EventSink {
  private readonly fd: number;
  private readonly ownsFd: boolean;
  /** With `atomic`, a file target is written to a temporary file beside it and renamed over it on close. */
  private readonly path: string | null = null;
  private readonly tmp: string | null = null;
  private closed = false;
  /** True once the reader of stdout went away (EPIPE): events are dropped from then on. */
  pipeClosed = false;
  private buf: string[] = [];
  private bufLen = 0;
  count = 0;

  /**
   * `target` is a path or '-' for stdout. `atomic` (for a run over files): the file appears
   * whole when the run ends, or not at all. Without it (live capture) events reach the file as
   * they are flushed, so that log shippers can follow it.
   */
  constructor(target: string, private readonly flushBytes = 1 << 20, atomic = true) {
    if (target === '-') {
      this.fd = 1;
      this.ownsFd = false;
    } else if (atomic) {
      this.path = target;
      this.tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
      this.fd = openSync(this.tmp, 'w');
      this.ownsFd = true;
    } else {
      this.fd = openSync(target, 'w');
      this.ownsFd = true;
    }
  }

  write(event: object): void {
    if (this.pipeClosed) return;
    const line = JSON.stringify(event);
    this.buf.push(line);
    this.bufLen += line.length + 1;
    this.count++;
    if (this.bufLen >= this.flushBytes) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.bufLen = 0;
    const data = Buffer.from(text);
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(this.fd, data, off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') { this.pipeClosed = true; return; }
        // stdout to a pipe may be non-blocking: retry on EAGAIN instead of losing events
        if (code !== 'EAGAIN') throw err;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (!this.ownsFd) return;
    closeSync(this.fd);
    if (this.tmp && this.path) renameSync(this.tmp, this.path);
  }

  /** Closes without keeping anything: a file target keeps its previous content. */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.ownsFd) return;
    closeSync(this.fd);
    if (this.tmp) rmSync(this.tmp, { force: true });
  }
}

/** Collects events in memory (tests, the demo's alert list). */
export class MemorySink implements EventSink {
  readonly events: Record<string, unknown>[] = [];
  write(event: object): void {
    this.events.push(event as Record<string, unknown>);
  }
  close(): void {}
}

/** Fans out to several sinks. */
export class TeeSink implements EventSink {
  constructor(private readonly sinks: EventSink[]) {}
  write(event: object): void {
    for (const s of this.sinks) s.write(event);
  }
  close(): void {
    for (const s of this.sinks) s.close();
  }
}
