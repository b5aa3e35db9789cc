/**
 * A strict address-or-CIDR check for options and config values (`--home-net`): a valid
 * IPv4/IPv6 address and, when present, a prefix of digits within 0-32 / 0-128.
 * TODO(f-ip): replace with the strict CIDR parser of src/util/ip.ts once it is merged.
 */
import { isIP } from 'node:net';

/** Why `text` is not an address or CIDR, or null when it is one. */
export function cidrProblem(text: string): string | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(addr);
  if (version === 0) return 'is not an IP address or CIDR';
  if (slash < 0) return null;
  const max = version === 4 ? 32 : 128;
  const len = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) return `has no valid prefix length (0-${max})`;
  return null;
}
