/**
 * Live-capture tests in a private network namespace (veth pair + tcpreplay): the `skip`
 * check. They need root (CAP_NET_ADMIN/CAP_NET_RAW), iproute2 and tcpreplay; without them
 * the test is skipped loudly, and under CI=true it fails.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';

/** false when the namespace tests can run, else the reason (printed); throws under CI=true. */
export function needNetns(what: string): false | string {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const bin of ['ip', 'tcpreplay']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      missing.push(bin);
    }
  }
  if (missing.length === 0) return false;
  const msg = `${what} needs ${missing.join(', ')} (a network namespace and tcpreplay)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
  console.error(`\n*** SKIPPING: ${msg} ***\n`);
  return msg;
}

/** A child process's stderr (collected), its exit code, and a bounded wait on its output. */
export interface WatchedChild {
  readonly stderr: string;
  readonly exited: Promise<number | null>;
  /** Polls `cond` until it holds; after `timeoutMs` (60 s) fails with what the child said. */
  until(cond: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

export function watchChild(child: ChildProcess, name: string): WatchedChild {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    get stderr() { return stderr; },
    exited,
    async until(cond, what, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; ${name} said:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
