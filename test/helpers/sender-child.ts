/**
 * Child process for the sender crash test (test/transport/sender-crash.test.ts): writes events seq START..START+COUNT-1 through a
 * Sender in rounds of 100, sealing each round into the outbox, and reports on stdout
 *   F a b   (about to seal seqs a..b)   D b   (sealed and fsynced up to b)
 * then drains and prints "done". The parent kills it with SIGKILL at random moments.
 */
import { writeSync } from 'node:fs';
import { Sender } from '../../src/transport/sender.js';

const [url, token, outboxDir, startText, countText] = process.argv.slice(2);
// `node --test dist/test/` runs every file under test/: without arguments this does nothing
if (countText === undefined) process.exit(0);
const start = Number(startText);
const count = Number(countText);
const sender = new Sender({ url, token, outboxDir, concurrency: 2, backoffInitialMs: 20, backoffMaxMs: 200, batchEvents: 500, log: () => {} });
// straight to the pipe before going on (process.stdout is asynchronous on a pipe: a line still
// queued when the parent kills this process would be lost, and the parent would think less durable)
const out = (line: string): void => void writeSync(1, `${line}\n`);
for (let s = start; s < start + count; s += 100) {
  const end = Math.min(start + count, s + 100) - 1;
  for (let i = s; i <= end; i++) {
    sender.write({ timestamp: '2026-01-01T00:00:00.000000+0000', event_type: 'alert', src_ip: '10.1.2.3', alert: { signature_id: 1, signature: 'x', category: 'y', severity: 2 }, minewatch: { seq: i } });
  }
  out(`F ${s} ${end}`);
  sender.flush();
  out(`D ${end}`);
  await new Promise((r) => setTimeout(r, 2));
}
const ok = await sender.drain(60_000);
out(ok ? 'done' : 'not-drained');
await sender.stop();
