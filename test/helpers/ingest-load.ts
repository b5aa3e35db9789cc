/**
 * Several concurrent senders for durability tests: each a real Sender (own outbox) writing
 * realistic alert events with known event ids at a bounded pace to one or more collector URLs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sender } from '../../src/transport/sender.js';
import { uuidv7 } from '../../src/transport/uuidv7.js';
import { alertEvent } from './collector.js';

export interface LoadSender {
  sender: Sender;
  /** Event ids written, in order. */
  ids: string[];
  sensor: string;
}

export interface Load {
  senders: LoadSender[];
  /** Resolves when every sender wrote its events and drained (or the timeout passed). */
  done: Promise<boolean[]>;
  acked(): number;
  cleanup(): Promise<void>;
}

/** `tokens[i]` is the token of sensor `sensors[i]`; each sender writes `perSender` events, `chunk` at a time. */
export function startLoad(urls: string[], tokens: string[], sensors: string[], perSender: number, opts: { chunk?: number; pauseMs?: number; drainMs?: number } = {}): Load {
  const dirs: string[] = [];
  const senders: LoadSender[] = tokens.map((token, k) => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-load-'));
    dirs.push(dir);
    const sender = new Sender({ url: urls[k % urls.length], token, outboxDir: dir, concurrency: 2, backoffInitialMs: 100, backoffMaxMs: 1000, requestTimeoutMs: 10_000, log: () => {} });
    return { sender, ids: [], sensor: sensors[k] };
  });
  const chunk = opts.chunk ?? 250;
  const run = async (s: LoadSender, k: number): Promise<boolean> => {
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < perSender; i++) {
      const ev = alertEvent(i + k * perSender, base + i, { sensor: s.sensor });
      const id = uuidv7();
      (ev.minewatch as Record<string, unknown>).event_id = id;
      s.ids.push(id);
      s.sender.write(ev);
      if (i % chunk === chunk - 1) await new Promise((r) => setTimeout(r, opts.pauseMs ?? 20));
    }
    return s.sender.drain(opts.drainMs ?? 120_000);
  };
  const done = Promise.all(senders.map((s, k) => run(s, k)));
  return {
    senders,
    done,
    acked: () => senders.reduce((n, s) => n + s.sender.stats.ackedEvents, 0),
    async cleanup() {
      for (const s of senders) await s.sender.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
