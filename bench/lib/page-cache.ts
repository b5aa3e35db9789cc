/** Page-cache warming shared by the benchmark runners. */
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Reads a file once so the timed run finds it in the page cache. Every case measures
 * processing from cache, like ndpiReader's reference figure; on this VM the kernel's
 * proactive reclaim (DAMON pageout) evicts files idle for a few seconds, which turned a
 * 1 s run into 6 s when the previous case used another input.
 */
export function warmPageCache(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}
