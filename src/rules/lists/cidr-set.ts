/**
 * A set of IPv4/IPv6 ranges with a payload per range (which list entry said so).
 * Built once, then looked up with binary search; ranges may nest or overlap, so a
 * running maximum of range ends lets the search step back only as far as needed.
 */
import { parseCidr, parseIpv4, parseIpv6 } from './ip.js';

function cmp6(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let i = 0; i < 4; i++) {
    const x = a[ai + i];
    const y = b[bi + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export class CidrSet<T = number> {
  private v4: { start: number; end: number; value: T }[] = [];
  private v6: { start: Uint32Array; end: Uint32Array; value: T }[] = [];
  private built = false;
  private s4 = new Float64Array(0);
  private maxEnd4 = new Float64Array(0);
  private s6 = new Uint32Array(0);
  private e6max = new Uint32Array(0);
  private values4: T[] = [];
  private values6: T[] = [];

  /** Adds "a.b.c.d[/n]" or an IPv6 address/prefix. Returns a reason string if unusable. */
  add(text: string, value: T): string | null {
    const r = parseCidr(text.trim());
    if (typeof r === 'string') return r;
    if (r.v === 4) this.v4.push({ start: r.start, end: r.end, value });
    else this.v6.push({ start: r.start, end: r.end, value });
    this.built = false;
    return null;
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  private build(): void {
    this.v4.sort((a, b) => a.start - b.start || b.end - a.end);
    this.s4 = new Float64Array(this.v4.length);
    this.maxEnd4 = new Float64Array(this.v4.length);
    this.values4 = this.v4.map((r) => r.value);
    let m = -1;
    this.v4.forEach((r, i) => { this.s4[i] = r.start; m = Math.max(m, r.end); this.maxEnd4[i] = m; });
    this.v6.sort((a, b) => cmp6(a.start, 0, b.start, 0) || cmp6(b.end, 0, a.end, 0));
    this.s6 = new Uint32Array(this.v6.length * 4);
    this.e6max = new Uint32Array(this.v6.length * 4);
    this.values6 = this.v6.map((r) => r.value);
    let best: Uint32Array = new Uint32Array(4);
    this.v6.forEach((r, i) => {
      this.s6.set(r.start, i * 4);
      if (i === 0 || cmp6(r.end, 0, best, 0) > 0) best = r.end;
      this.e6max.set(best, i * 4);
    });
    this.built = true;
  }

  /** Value of the most specific range containing the IPv4 integer, or undefined. */
  lookup4(ip: number): T | undefined {
    if (!this.built) this.build();
    let lo = 0;
    let hi = this.s4.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.s4[mid] <= ip) { idx = mid; lo = mid + 1; } else hi = mid - 1;
    }
    // Step back over ranges that start earlier; the running max tells when none can contain ip.
    for (let i = idx; i >= 0 && this.maxEnd4[i] >= ip; i--) {
      if (this.v4[i].end >= ip) return this.values4[i];
    }
    return undefined;
  }

  lookup6(ip: Uint32Array): T | undefined {
    if (!this.built) this.build();
    let lo = 0;
    let hi = this.v6.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cmp6(this.s6, mid * 4, ip, 0) <= 0) { idx = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (let i = idx; i >= 0 && cmp6(this.e6max, i * 4, ip, 0) >= 0; i--) {
      if (cmp6(this.v6[i].end, 0, ip, 0) >= 0) return this.values6[i];
    }
    return undefined;
  }

  /** Text address lookup (v4 or v6); undefined for no match or unparsable text. */
  lookup(ip: string): T | undefined {
    const v4 = parseIpv4(ip);
    if (v4 >= 0) return this.lookup4(v4);
    const v6 = parseIpv6(ip);
    if (!v6) return undefined;
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address.
    if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0xffff) return this.lookup4(v6[3]);
    return this.lookup6(v6);
  }

  has(ip: string): boolean {
    return this.lookup(ip) !== undefined;
  }
}
