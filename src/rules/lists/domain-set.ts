/**
 * Domain names with suffix semantics: a listed `pool.example` matches `pool.example` and
 * `eu.pool.example`, never `notpool.example`. Lookup walks label boundaries of the query
 * (at most one hash probe per label), so cost is independent of the set size.
 */
import { domainToASCII } from 'node:url';

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Lowercase, strip trailing dot(s), IDN → punycode. Returns the normalised name or a
 * reason string ("invalid-domain", "ip-address"...).
 */
export function normalizeDomain(raw: string): string | { reason: string } {
  let name = raw.trim();
  while (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return { reason: 'empty-name' };
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(name)) {
    const ascii = domainToASCII(name);
    if (!ascii) return { reason: 'invalid-idn' };
    name = ascii;
  }
  name = name.toLowerCase();
  if (name.length > 253) return { reason: 'name-too-long' };
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':')) return { reason: 'ip-address' };
  const labels = name.split('.');
  if (labels.length < 1) return { reason: 'invalid-domain' };
  for (const l of labels) if (!LABEL.test(l)) return { reason: 'invalid-domain' };
  return name;
}

export class DomainSet<T> {
  private readonly map = new Map<string, T>();

  /** Adds a normalised name (call normalizeDomain first). Keeps the first value on duplicates. */
  add(name: string, value: T): boolean {
    if (this.map.has(name)) return false;
    this.map.set(name, value);
    return true;
  }

  get size(): number {
    return this.map.size;
  }

  names(): IterableIterator<string> {
    return this.map.keys();
  }

  /** Exact entry only. */
  get(name: string): T | undefined {
    return this.map.get(name);
  }

  /**
   * The most specific listed entry that is the name itself or one of
   * its parent domains. `name` must already be normalised (lowercase, no trailing dot).
   */
  matchNormalized(name: string): { entry: string; value: T } | null {
    let i = 0;
    for (;;) {
      const suffix = i === 0 ? name : name.slice(i);
      const v = this.map.get(suffix);
      if (v !== undefined) return { entry: suffix, value: v };
      const dot = name.indexOf('.', i);
      if (dot < 0) return null;
      i = dot + 1;
    }
  }

  /** Normalises, then matches; null for unusable names. */
  match(name: string): { entry: string; value: T } | null {
    const n = normalizeDomain(name);
    return typeof n === 'string' ? this.matchNormalized(n) : null;
  }
}

/** Is `name` equal to or below `parent` (both normalised)? */
export function isSubdomainOrSelf(name: string, parent: string): boolean {
  return name === parent || (name.length > parent.length && name.endsWith(parent) && name[name.length - parent.length - 1] === '.');
}
