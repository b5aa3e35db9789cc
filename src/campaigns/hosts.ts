/**
 * Reading infected-host records from JSON lines (one `InfectedHost` per line). Bad lines never
 * stop the read: each is reported with its line number and the first schema problem, and the
 * good ones are kept. Lines longer than 64 KiB are refused (memory stays bounded).
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InfectedHost } from './types.js';
import { fromFsError } from '../util/errors.js';

export interface HostsReadResult {
  hosts: InfectedHost[];
  problems: { line: number; reason: string }[];
}

const MAX_LINE = 64 * 1024;
const MAX_PROBLEMS_KEPT = 1000;

export function parseHostLine(text: string): { host: InfectedHost } | { reason: string } {
  if (text.length > MAX_LINE) return { reason: 'line-too-long' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: 'not-json' };
  }
  const r = InfectedHost.safeParse(value);
  if (r.success) return { host: r.data };
  const issue = r.error.issues[0];
  return { reason: `${issue?.path.map(String).join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}` };
}

export function parseHostsText(text: string): HostsReadResult {
  const out: HostsReadResult = { hosts: [], problems: [] };
  text.split('\n').forEach((line, i) => addLine(out, line, i + 1));
  return out;
}

function addLine(out: HostsReadResult, line: string, n: number): void {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return;
  const r = parseHostLine(t);
  if ('host' in r) out.hosts.push(r.host);
  else if (out.problems.length < MAX_PROBLEMS_KEPT) out.problems.push({ line: n, reason: r.reason });
}

/**
 * Reads the file in chunks and splits lines itself, so a huge line (a corrupt or hostile file)
 * costs at most MAX_LINE bytes of memory: the rest of it is skipped and the line reported.
 */
export async function readHostsFile(path: string): Promise<HostsReadResult> {
  const out: HostsReadResult = { hosts: [], problems: [] };
  let pending = '';
  let skipping = false;
  let n = 0;
  const decoder = new StringDecoder('utf8');
  const take = (piece: string, complete: boolean): void => {
    let start = 0;
    for (;;) {
      const nl = piece.indexOf('\n', start);
      if (nl < 0) break;
      n++;
      if (skipping) {
        if (out.problems.length < MAX_PROBLEMS_KEPT) out.problems.push({ line: n, reason: 'line-too-long' });
        skipping = false;
      } else addLine(out, pending + piece.slice(start, nl), n);
      pending = '';
      start = nl + 1;
    }
    if (!skipping) {
      pending += piece.slice(start);
      if (pending.length > MAX_LINE) {
        pending = '';
        skipping = true;
      }
    }
    if (complete) {
      if (skipping) {
        n++;
        if (out.problems.length < MAX_PROBLEMS_KEPT) out.problems.push({ line: n, reason: 'line-too-long' });
      } else if (pending !== '') addLine(out, pending, ++n);
    }
  };
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) take(decoder.write(chunk as Buffer), false);
    take(decoder.end(), true);
  } catch (err) {
    throw fromFsError(err, '--hosts');
  }
  return out;
}
