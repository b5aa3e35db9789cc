/**
 * URL patterns in adblock syntax (`||host^/path*`, `/coinhive.min.js`, `|https://…`),
 * compiled once to anchored RegExps and tested against full URLs (HTTP requests only, not
 * per packet). Each pattern keeps its index so a match can name the entry that fired.
 */

function escapeRegex(s: string): string {
  return s.replace(/[.+?${}()[\]\\/]/g, '\\$&');
}

/** Adblock pattern → RegExp source; null when the pattern is empty after anchors. */
export function adblockPatternToRegex(pattern: string): RegExp | null {
  let p = pattern;
  let prefix = '';
  let suffix = '';
  if (p.startsWith('||')) { prefix = '^[a-z][a-z0-9+.-]*://(?:[^/?#]*\\.)?'; p = p.slice(2); } else if (p.startsWith('|')) { prefix = '^'; p = p.slice(1); }
  if (p.endsWith('|')) { suffix = '$'; p = p.slice(0, -1); }
  if (p === '' || p === '*') return null;
  let body = '';
  for (const ch of p) {
    if (ch === '*') body += '.*';
    else if (ch === '^') body += '(?:[^a-zA-Z0-9_.%-]|$)';
    else body += escapeRegex(ch);
  }
  try {
    return new RegExp(prefix + body + suffix, 'i');
  } catch {
    return null;
  }
}

export class UrlPatternSet<T> {
  private readonly regexes: RegExp[] = [];
  private readonly patterns: string[] = [];
  private readonly values: T[] = [];

  add(pattern: string, value: T): boolean {
    const re = adblockPatternToRegex(pattern);
    if (!re) return false;
    this.regexes.push(re);
    this.patterns.push(pattern);
    this.values.push(value);
    return true;
  }

  get size(): number {
    return this.regexes.length;
  }

  match(url: string): { entry: string; value: T } | null {
    for (let i = 0; i < this.regexes.length; i++) {
      if (this.regexes[i].test(url)) return { entry: this.patterns[i], value: this.values[i] };
    }
    return null;
  }
}
