/**
 * Captures loopback traffic into a temporary pcap with dumpcap (tshark's capture engine), for
 * tests that produce real traffic with real programs and then analyze it. Bounded: the
 * capture stops itself after `maxSeconds` and `maxPackets` whatever the test does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, missing } from './servers.js';

export interface Capture {
  file: string;
  /** Stops the capture; resolves when the file is complete. */
  stop(): Promise<string>;
  /** Removes the temporary directory. */
  remove(): void;
}

/** Starts dumpcap on `iface` with a BPF filter; resolves once it captures (or with a skip reason). */
export async function startCapture(filter: string, opts: { iface?: string; maxSeconds?: number; maxPackets?: number } = {}): Promise<Capture | string> {
  const bin = findBinary('dumpcap');
  if (!bin || process.getuid?.() !== 0) return missing('dumpcap as root (Debian package tshark)');
  const dir = mkdtempSync(join(tmpdir(), 'mw-cap-'));
  const file = join(dir, 'capture.pcap');
  const child: ChildProcess = spawn(bin, ['-i', opts.iface ?? 'lo', '-f', filter, '-P', '-w', file, '-a', `duration:${opts.maxSeconds ?? 120}`, '-c', String(opts.maxPackets ?? 200_000)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = await new Promise<boolean>((resolve) => {
    let err = '';
    const timer = setTimeout(() => resolve(false), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Capturing on')) { clearTimeout(timer); resolve(true); }
    });
    child.on('exit', () => { clearTimeout(timer); resolve(false); });
  });
  // dumpcap says so a moment before its filter is attached.
  if (ready) await new Promise((r) => setTimeout(r, 500));
  if (!ready) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    return missing('a working dumpcap capture on loopback');
  }
  return {
    file,
    async stop() {
      // Let the last packets reach the capture before it stops.
      await new Promise((r) => setTimeout(r, 300));
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      return file;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
