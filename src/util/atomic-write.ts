/**
 * Files are written whole or not at all: the data goes to a temporary file beside the target
 * (same directory, so the same file system) and is renamed over it. A reader never sees half
 * a report, and a failed run leaves the previous file in place.
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let seq = 0;

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  // A device, pipe or socket (`-o /dev/null`, `-o /dev/stdout`, a FIFO) is written in place:
  // renaming a file over it would replace the device node itself.
  if (isSpecialFile(path)) {
    writeFileSync(path, data);
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${seq++}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function isSpecialFile(path: string): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  return st !== undefined && !st.isFile() && !st.isDirectory();
}

/** An output of a command: '-' is stdout, anything else a file written atomically. */
export function writeOutputFile(path: string, data: string | Uint8Array): void {
  if (path === '-') process.stdout.write(data);
  else writeFileAtomic(path, data);
}
