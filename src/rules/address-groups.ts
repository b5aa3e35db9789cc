/**
 * Rule address groups (`any`, `10.0.0.0/8`, `[a,b,!c]`, `!$HOME_NET`, nested lists and
 * variables) compiled once into one IpRangeSet each: sorted disjoint ranges, so a header
 * check is one binary search however many CIDRs the group lists (IP-reputation rule sets
 * carry thousands per rule). Compiled groups are shared: the same text (per variable table)
 * or the same resulting set gives the same instance, so `$HOME_NET` in 10,000 rules is
 * compiled and held once.
 *
 * Semantics (Suricata's, and this project's before compilation): a list matches when some
 * positive item matches (or it has none) and no negated item matches; `!x` is "not x";
 * text that is no address (no IP layer) matches only through negation or `any`.
 */
import { IpRangeSet } from '../util/ip-set.js';

export type AddressGroup = { kind: 'any' } | { kind: 'set'; set: IpRangeSet };

const ANY: AddressGroup = { kind: 'any' };
const MAX_DEPTH = 8;

/** Split a bracket list body on top-level commas; null when brackets do not balance. */
export function splitTop(body: string): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body.charCodeAt(i);
    if (ch === 91) depth++; // [
    else if (ch === 93) { if (--depth < 0) return null; } // ]
    else if (ch === 44 && depth === 0) { out.push(body.slice(start, i).trim()); start = i + 1; } // ,
  }
  if (depth !== 0) return null;
  out.push(body.slice(start).trim());
  return out;
}

/** A set (ALL for `any`) or a reason. */
type Compiled = IpRangeSet | string;

/**
 * Compiles address-group text against one variable table. One compiler per table: it
 * remembers every text and every distinct set it built.
 */
export class AddressGroupCompiler {
  private readonly vars: Readonly<Record<string, string>>;
  private readonly byText = new Map<string, AddressGroup | string>();
  /** Compiled sets by hash (equal sets share one instance). */
  private readonly bySet = new Map<number, { kind: 'set'; set: IpRangeSet }[]>();
  /** Distinct compiled sets (for stats and tests). */
  distinct = 0;

  constructor(vars: Readonly<Record<string, string>>) {
    this.vars = vars;
  }

  parse(spec: string): AddressGroup | string {
    spec = spec.trim();
    const known = this.byText.get(spec);
    if (known !== undefined) return known;
    const c = this.compile(spec, 0);
    let g: AddressGroup | string;
    if (typeof c === 'string') g = c;
    else if (c.isAll) g = ANY;
    else g = this.intern(c);
    this.byText.set(spec, g);
    return g;
  }

  private intern(set: IpRangeSet): AddressGroup {
    const h = set.hash();
    let bucket = this.bySet.get(h);
    if (bucket === undefined) { bucket = []; this.bySet.set(h, bucket); }
    for (const g of bucket) if (g.set.equals(set)) return g;
    const g = { kind: 'set' as const, set };
    bucket.push(g);
    this.distinct++;
    return g;
  }

  private compile(spec: string, depth: number): Compiled {
    spec = spec.trim();
    if (depth > MAX_DEPTH) return 'address group nested too deeply';
    if (spec === 'any') return IpRangeSet.ALL;
    if (spec.startsWith('!')) {
      const inner = this.compile(spec.slice(1), depth + 1);
      return typeof inner === 'string' ? inner : inner.complement();
    }
    if (spec.startsWith('$')) {
      const value = this.vars[spec.slice(1)];
      if (value === undefined) return `undefined address variable ${spec}`;
      // Variables recur across rules: compile each value once.
      const g = this.parse(value);
      if (typeof g === 'string') return g;
      return g.kind === 'any' ? IpRangeSet.ALL : g.set;
    }
    if (spec.startsWith('[')) {
      if (!spec.endsWith(']')) return `unbalanced address group ${spec}`;
      const items = splitTop(spec.slice(1, -1));
      if (!items || items.some((i) => i === '')) return `bad address group ${spec}`;
      // Plain CIDRs (the bulk of IP-reputation lists) go straight into one range list;
      // only nested lists, variables and `any` are compiled as sets and merged.
      const leaves: [IpRangeSet | null, IpRangeSet | null] = [null, null];
      const plain: [string[], string[]] = [[], []];
      const sets: [IpRangeSet[], IpRangeSet[]] = [[], []];
      for (const item of items) {
        const negated = item.startsWith('!') ? 1 : 0;
        const body = negated ? item.slice(1).trim() : item;
        const c = body[0] === '[' || body[0] === '$' || body[0] === '!' || body === 'any' ? this.compile(body, depth + 1) : null;
        if (typeof c === 'string') return c;
        if (c === null) plain[negated].push(body);
        else sets[negated].push(c);
      }
      for (const side of [0, 1] as const) {
        if (plain[side].length === 0) continue;
        const built = IpRangeSet.fromTexts(plain[side]);
        if (typeof built === 'string') return built;
        leaves[side] = built;
      }
      let pos: IpRangeSet | null = leaves[0];
      for (const s of sets[0]) pos = pos === null ? s : pos.union(s);
      let neg: IpRangeSet | null = leaves[1];
      for (const s of sets[1]) neg = neg === null ? s : neg.union(s);
      const base = pos ?? IpRangeSet.ALL;
      return neg === null ? base : base.minus(neg);
    }
    const one = IpRangeSet.fromTexts([spec]);
    return one;
  }
}

/** Compiler per variable table (the table object is the identity). */
const compilers = new WeakMap<object, AddressGroupCompiler>();

export function addressGroupCompiler(vars: Readonly<Record<string, string>>): AddressGroupCompiler {
  let c = compilers.get(vars);
  if (c === undefined) {
    c = new AddressGroupCompiler(vars);
    compilers.set(vars, c);
  }
  return c;
}

/** Does the address text belong to the group? (bad or empty text: only through negation or any) */
export function addressMatches(g: AddressGroup, ip: string): boolean {
  return g.kind === 'any' || g.set.has(ip);
}
