/**
 * Traffic of real programs, captured: a fresh network namespace with nothing but loopback,
 * dumpcap writing everything on its `lo` to a pcap, and a runner that starts programs inside
 * it. Nothing can leave the machine (the namespace has no other interface). Used by tests
 * (DNS on 5353 from dnsmasq + dig) and by the labelled TLS-mining evaluation set.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

export interface NetnsRunner {
  /** The namespace's name (for `ip netns exec`). */
  readonly ns: string;
  /** Starts a program inside the namespace (killed when the capture ends, if still running). */
  start(cmd: string, args: readonly string[]): ChildProcess;
  /** Runs a program inside the namespace to its end; resolves with its stdout (rejects on a non-zero exit or after `timeoutMs`). */
  run(cmd: string, args: readonly string[], timeoutMs?: number): Promise<string>;
}

const which = (bin: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * Why programs cannot be captured in a namespace here (null when they can): root, `ip`,
 * `dumpcap` and every program in `bins` are needed.
 */
export function netnsCaptureProblem(bins: readonly string[] = []): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  const missing = ['ip', 'dumpcap', ...bins].filter((b) => !which(b));
  return missing.length > 0 ? `needs ${missing.join(', ')}` : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` with programs in a new namespace while dumpcap captures its loopback into `pcap`;
 * tears everything down afterwards (also on failure). Bounded: `fn` gets `limitMs` in all.
 */
export async function captureInNetns(pcap: string, fn: (r: NetnsRunner) => Promise<void>, limitMs = 120_000): Promise<void> {
  const ns = `mw-cap-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  ip('netns', 'add', ns);
  const children: ChildProcess[] = [];
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    const cap = spawn('ip', ['netns', 'exec', ns, 'dumpcap', '-q', '-i', 'lo', '-P', '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
    let capErr = '';
    cap.stderr.on('data', (d: Buffer) => { capErr += d.toString(); });
    const capExit = new Promise<void>((r) => cap.once('exit', () => r()));
    // dumpcap writes the file header once it captures
    for (let i = 0; i < 100 && !(existsSync(pcap) && statSync(pcap).size >= 24); i++) await sleep(50);
    if (!existsSync(pcap)) throw new Error(`dumpcap did not start: ${capErr}`);
    await sleep(200);
    const runner: NetnsRunner = {
      ns,
      start(cmd, args) {
        const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
        children.push(c);
        return c;
      },
      run(cmd, args, timeoutMs = 30_000) {
        const c = runner.start(cmd, args);
        let out = '';
        let err = '';
        c.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
        c.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
        return new Promise((resolve, reject) => {
          const t = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`${cmd} timed out after ${timeoutMs} ms`)); }, timeoutMs);
          c.once('exit', (code) => {
            clearTimeout(t);
            if (code === 0) resolve(out);
            else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(0, 500)}`));
          });
        });
      },
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([fn(runner), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`capture exceeded ${limitMs} ms`)), limitMs); })]);
    } finally {
      clearTimeout(timer);
      await sleep(300); // the last packets reach the file
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      cap.kill('SIGINT');
      await capExit;
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    try { ip('netns', 'del', ns); } catch { /* already gone */ }
  }
}
