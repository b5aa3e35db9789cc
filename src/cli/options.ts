/**
 * The option parsers every command shares: integers with a range, counts with k/M/G, sizes,
 * durations, port lists, id lists, worker counts and CIDR lists. Each throws a UsageError
 * naming the option and what it accepts; commander passes them the raw text.
 */
import { cidrProblem } from '../util/ip.js';
import { UsageError } from '../util/errors.js';

function bad(option: string, message: string): UsageError {
  return new UsageError(message, 'usage.bad-value', { subject: option });
}

/** A whole number from `min` to `max`. */
export function parseIntOption(option: string, min: number, max: number): (v: string) => number {
  return (v: string): number => {
    const n = /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(option, `${option} must be a whole number from ${min} to ${max} (got "${v}")`);
    return n;
  };
}

/** `auto` or a whole number of worker threads from 1 to 64. */
export function parseWorkers(option = '--workers'): (v: string) => number | 'auto' {
  const int = parseIntOption(option, 1, 64);
  return (v: string) => {
    if (v.trim() === 'auto') return 'auto';
    try {
      return int(v);
    } catch {
      throw bad(option, `${option} must be "auto" or a whole number from 1 to 64 (got "${v}")`);
    }
  };
}

/** A positive count with an optional k/M/G suffix ("10M" packets). */
export function parseCount(option: string, text: string, min = 1): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kKmMgG]?)\s*$/.exec(text);
  if (!m) throw bad(option, `${option}: "${text}" is not a number`);
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase()] ?? 1;
  const v = Number(m[1]) * mult;
  if (!Number.isSafeInteger(v) || v < min) throw bad(option, `${option}: "${text}" must be an integer ≥ ${min}`);
  return v;
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };

/** "1GB", "500MB", "64KiB", "1e6", "123456" → bytes (at least 1000). */
export function parseSize(text: string, option = '--size'): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toUpperCase()] : undefined;
  if (!m || unit === undefined) throw bad(option, `${option}: cannot read "${text}" (use e.g. 1GB, 500MB, 64KiB or a byte count)`);
  const v = Math.round(Number(m[1]) * unit);
  if (!Number.isFinite(v) || v < 1000) throw bad(option, `${option}: "${text}" is too small (at least 1000 bytes)`);
  return v;
}

/** "1h", "30m", "90s", "1d" or plain seconds → whole seconds from 1 s to 366 d. */
export function parseInterval(text: string, option = '--interval'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/i.exec(text.trim());
  if (!m) throw bad(option, `${option} must look like 1h, 30m, 300s or 1d (got "${text}")`);
  const mult = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const s = Number(m[1]) * mult;
  if (!Number.isInteger(s) || s < 1 || s > 366 * 86400) throw bad(option, `${option} must be a whole number of seconds from 1 s to 366 d (got "${text}")`);
  return s;
}

/** "22,80,8000-8010" → sorted unique ports 1-65535. */
export function parsePortList(spec: string, option = '--ports'): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] ? Number(m[2]) : lo;
    if (!m || lo < 1 || hi > 65535 || hi < lo) throw bad(option, `bad port list "${spec}": use e.g. 22,80,8000-8100 (ports 1-65535)`);
    for (let p = lo; p <= hi; p++) out.add(p);
  }
  if (out.size === 0) throw bad(option, `${option}: empty port list`);
  return [...out].sort((a, b) => a - b);
}

/** A comma-separated list of component ids ('none' for an empty one), each checked against `known`. */
export function parseIdList(option: string, known: readonly string[]): (v: string) => string[] {
  return (v: string): string[] => {
    if (v.trim() === 'none') return [];
    const ids = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unknown = ids.filter((id) => !known.includes(id));
    if (unknown.length > 0) throw bad(option, `${option}: unknown ${unknown.map((id) => `"${id}"`).join(', ')} (known: ${known.join(', ')}; or none)`);
    if (ids.length === 0) throw bad(option, `${option}: give ids separated by commas, or none`);
    return [...new Set(ids)];
  };
}

/**
 * A repeatable, variadic CIDR option (`--home-net 10.0.0.0/8 192.168.1.0/24` or comma-separated):
 * a commander parser that accumulates the values and refuses anything that is not a CIDR.
 */
export function parseCidrList(option: string): (v: string, previous: string[] | undefined) => string[] {
  return (v, previous) => {
    const out = [...(previous ?? [])];
    for (const part of v.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const problem = cidrProblem(part);
      if (problem) throw new UsageError(`${option}: "${part}" ${problem} (e.g. 192.168.1.0/24, fd00::/8)`, 'usage.bad-cidr', { subject: option });
      out.push(part);
    }
    return out;
  };
}
